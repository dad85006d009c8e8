/// 1×1 convolution on small maps as the transposed GEMM `Outᵀ[HW × C_out] = Inᵀ[HW × C_in] · Wᵀ`.
///
/// The micro-kernel's vectors run along its 32 columns. The plain 1×1 GEMM puts the pixels
/// there, so a 7 × 7 map (49 pixels) fills 49 of 64 columns and its ragged edge tile takes
/// the slow store path; MobileNetV2's 7 × 7 and 14 × 14 pointwise layers ran at 115–175
/// GFLOP/s. Here the output channels (multiples of 32 in such nets) run along the vectors
/// and the pixels along the broadcast rows, in panels of 8 or, where that wastes less, 7 (49
/// pixels: 7 panels of 7 rows, not 56 rows). The weights are packed
/// once as B panels; per image an NCHW input is packed as A panels (phase 1, threads over pixel
/// panels), then the workers take 32-channel output panels (phase 2; split by pixels where
/// there are few): per K block,
/// the weight panel stays in L1 while the pixel panels pass it, and the finished
/// `HW × 32` tile is transposed into the NCHW output with bias and activation.
///
/// Input and output may also be channels-last (`ChannelsLastMap`, one image): inside a fused
/// pointwise–depthwise block (`PointwiseDepthwiseOperator`) the output rows are then stored
/// as they come out of the micro-kernel, and the input is packed from pixel rows.
enum TransposedPointwise {
    /// Rows of the input and weight panels per K block (a `kBlock × 32` weight panel: 32 KB).
    static let kBlock = 256

    static func packedWeightCount(cout: Int, cin: Int) -> Int { GemmPacking.packedBCount(kc: cin, nc: cout) }


    /// `weights`: `cout × cin` (OIHW with 1 × 1 kernels). Panel `q` holds `cin × 32` floats,
    /// `dst[q][k][j] = W[32 q + j][k]`, zero past `cout`.
    static func packWeights(cout: Int, cin: Int, weights: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
        GemmPacking.packB(k: cin, n: cout, into: dst) { k, o in weights[o * cin + k] }
    }

    struct Geometry {
        let cin: Int, cout: Int, pixels: Int
        /// Floats between two channels of an NCHW input / output: `pixels` for whole images, the
        /// image's plane size for a band of its rows (`PointwiseDepthwiseBands`).
        var inputChannelStride: Int, outputChannelStride: Int

        init(cin: Int, cout: Int, pixels: Int, inputChannelStride: Int? = nil, outputChannelStride: Int? = nil) {
            self.cin = cin
            self.cout = cout
            self.pixels = pixels
            self.inputChannelStride = inputChannelStride ?? pixels
            self.outputChannelStride = outputChannelStride ?? pixels
        }
        /// Pixels per panel: 7 where that computes at most 90 % of the rows 8-row panels would (a
        /// 7 × 7 map: 49 rows for 56), else `GemmTile.mr`. A 7-row panel costs more per row:
        /// 960 → 320 on 7 × 7 113–117 → 117–127 GFLOP/s with 7 rows, 576 → 96 on 14 × 14 (196 rows
        /// for 200) 119–125 → 111–121.
        var panelRows: Int {
            let seven = (pixels + 6) / 7 * 7, eight = (pixels + GemmTile.mr - 1) / GemmTile.mr * GemmTile.mr
            return 10 * seven <= 9 * eight ? 7 : GemmTile.mr
        }
        var pixelPanels: Int { (pixels + panelRows - 1) / panelRows }
        /// Output panels of `GemmTile.nr` channels.
        var outputPanelCount: Int { (cout + GemmTile.nr - 1) / GemmTile.nr }
        /// Whether output panel `q` holds at most 16 channels: it computes 16 columns
        /// (`HalfWidthPanels`; NCHW output only).
        func isHalfWidth(_ q: Int) -> Bool { cout - q * GemmTile.nr <= 16 }
        /// Floats of the packed input (A panels `cin × panelRows`).
        var packedInputCount: Int { pixelPanels * panelRows * cin }
        /// One worker's output tile, `pixelPanels · panelRows × 32`.
        var tileCount: Int { pixelPanels * panelRows * GemmTile.nr }
        func scratchCount(threads: Int) -> Int { packedInputCount + max(1, threads) * tileCount }
    }

    /// - inputMap, outputMap: nil for NCHW (`batch` images); a channels-last map for one image
    ///   (`batch` 1). A channels-last input is read in place (`StridedARows`): its pixels must be
    ///   evenly spaced, and the last pixel panel's rows past `pixels` readable. With a
    ///   channels-last output, `bias` holds `32 · ⌈cout / 32⌉` floats.
    /// - inputChannelStride, outputChannelStride: for an NCHW side that is a band of rows of a
    ///   larger image (`batch` 1), the image's plane size; nil for `pixels`.
    /// - residual: added to the output before the activation (a residual connection), laid out
    ///   as the NCHW `output`; NCHW output only.
    /// - averagesPixels: `output` gets each channel's mean over the pixels instead (`batch × cout`
    ///   floats: the convolution and a `GlobalAveragePool`); NCHW input, no residual.
    static func run(cin: Int, cout: Int, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                    activation: FusedActivation, input: UnsafePointer<Float>, inputMap: ChannelsLastMap? = nil,
                    inputChannelStride: Int? = nil, batch: Int, pixels: Int, output: UnsafeMutablePointer<Float>,
                    outputMap: ChannelsLastMap? = nil, outputChannelStride: Int? = nil,
                    residual: UnsafePointer<Float>? = nil, averagesPixels: Bool = false,
                    scratch: UnsafeMutablePointer<Float>, threads: Int) {
        precondition(batch == 1 || (inputMap == nil && outputMap == nil), "channels-last maps hold one image")
        precondition(batch == 1 || (inputChannelStride == nil && outputChannelStride == nil), "a band is one image")
        precondition(residual == nil || outputMap == nil, "a residual is added to NCHW outputs")
        precondition(!averagesPixels || (inputMap == nil && outputMap == nil && residual == nil),
                     "means are taken of NCHW outputs without a residual")
        let g = Geometry(cin: cin, cout: cout, pixels: pixels, inputChannelStride: inputChannelStride,
                         outputChannelStride: outputChannelStride)
        let packedInput = scratch, tiles = scratch + g.packedInputCount
        for image in 0..<batch {
            let x = input + image * cin * pixels
            var inputRows: (UnsafePointer<Float>, Int)? = nil
            if let inputMap {
                precondition(inputMap.rowPitch == inputMap.width * inputMap.pixelPitch, "pixels must be evenly spaced")
                inputRows = (x + inputMap.origin, inputMap.pixelPitch)
            } else {
                ParallelFor.run(count: g.pixelPanels, threads: threads) { p, _ in
                    packInput(g, x, panel: p, into: packedInput + p * cin * g.panelRows)
                }
            }
            let out = output + image * cout * (averagesPixels ? 1 : pixels)
            let imageResidual = residual.map { $0 + image * cout * pixels }
            // Few output panels (a block's 24-channel projection has one) are split by pixels too,
            // so that every worker has work (not when averaging: a mean needs all of them).
            let channelPanels = g.outputPanelCount
            let parts = threads > 1 && !averagesPixels
                ? min(g.pixelPanels, (2 * threads + channelPanels - 1) / channelPanels) : 1
            ParallelFor.run(count: channelPanels * parts, threads: threads) { task, worker in
                let part = task % parts, q = task / parts
                outputPanels(g, q..<q + 1,
                             pixelPanels: part * g.pixelPanels / parts..<(part + 1) * g.pixelPanels / parts,
                             packedInput: packedInput, inputRows: inputRows, packedWeights: packedWeights, bias: bias,
                             activation: activation, tile: tiles + worker * g.tileCount, output: out,
                             outputMap: outputMap, residual: imageResidual, averagesPixels: averagesPixels)
            }
        }
    }

    /// Output panels `panels` (32 channels each) for the pixels of `pixelPanels`, on the calling
    /// thread, with the activation and the panel height resolved once for them: `run` gives each
    /// task one panel; `PointwiseDepthwiseBands` splits a small map's expansion by channels.
    /// Arguments as `outputPanel`'s; `tile`: `g.tileCount` floats.
    static func outputPanels(_ g: Geometry, _ panels: Range<Int>, pixelPanels: Range<Int>,
                             packedInput: UnsafePointer<Float>, inputRows: (UnsafePointer<Float>, Int)?,
                             packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>, activation: FusedActivation,
                             tile: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>,
                             outputMap: ChannelsLastMap?, residual: UnsafePointer<Float>? = nil,
                             averagesPixels: Bool = false) {
        func run<A: VectorActivation, H: GemmPanelHeight>(_ activation: A, _ height: H.Type) {
            func panel<W: GemmPanelWidth>(_ q: Int, _ width: W.Type) {
                outputPanel(g, height: H.self, width: W.self, q: q, pixelPanels: pixelPanels, packedInput: packedInput,
                            inputRows: inputRows, packedWeights: packedWeights, bias: bias, activation: activation,
                            tile: tile, output: output, outputMap: outputMap, residual: residual,
                            averagesPixels: averagesPixels)
            }
            for q in panels {
                // A last panel of at most 16 channels computes 16 columns (NCHW output only).
                if outputMap == nil && g.isHalfWidth(q) {
                    panel(q, HalfWidthPanels.self)
                } else {
                    panel(q, FullWidthPanels.self)
                }
            }
        }
        func run<A: VectorActivation>(_ activation: A) {
            if g.panelRows == 7 { run(activation, SevenRowPanels.self) } else { run(activation, EightRowPanels.self) }
        }
        switch activation {
        case .none: run(IdentityActivation())
        case .relu: run(ReluActivation())
        case .clip(let low, let high): run(ClipActivation(low: low, high: high))
        default: run(GeneralActivation(activation: activation))
        }
    }

    /// Split K: the products of output panels `panels` over input channels `ks` only, for
    /// every pixel, read in place from channels-last `inputRows`, into `tiles` (panel `q`'s
    /// `g.tileCount` floats at `q · g.tileCount`). Workers that each hold a share of the
    /// input channels (`PointwiseDepthwiseBands`) add theirs up with `storeSums`.
    static func partialProducts(_ g: Geometry, _ panels: Range<Int>, k ks: Range<Int>,
                                inputRows: (UnsafePointer<Float>, Int), packedWeights: UnsafePointer<Float>,
                                tiles: UnsafeMutablePointer<Float>) {
        // (`packedInput` is not read: the rows are.)
        func run<H: GemmPanelHeight>(_ height: H.Type) {
            for q in panels {
                let tile = tiles + q * g.tileCount
                if g.isHalfWidth(q) {
                    multiplyPanel(g, height: H.self, width: HalfWidthPanels.self, q: q, pixelPanels: 0..<g.pixelPanels,
                                  k: ks, packedInput: inputRows.0, inputRows: inputRows, packedWeights: packedWeights,
                                  tile: tile)
                } else {
                    multiplyPanel(g, height: H.self, width: FullWidthPanels.self, q: q, pixelPanels: 0..<g.pixelPanels,
                                  k: ks, packedInput: inputRows.0, inputRows: inputRows, packedWeights: packedWeights,
                                  tile: tile)
                }
            }
        }
        if g.panelRows == 7 { run(SevenRowPanels.self) } else { run(EightRowPanels.self) }
    }

    /// Output panel `q` (NCHW) from `count` `partialProducts` tile sets `stride` floats apart:
    /// their sum (left in the first), bias and activation.
    static func storeSums(_ g: Geometry, q: Int, tiles: UnsafeMutablePointer<Float>, count: Int, stride: Int,
                          bias: UnsafePointer<Float>, activation: FusedActivation, output: UnsafeMutablePointer<Float>,
                          residual: UnsafePointer<Float>?) {
        let nr = GemmTile.nr, sum = tiles + q * g.tileCount
        // Only the columns computed: a half-width panel's others were never written.
        let vectors = g.isHalfWidth(q) ? 1 : 2
        for part in 1..<max(1, count) {
            let addend = UnsafePointer(sum + part * stride)
            for row in 0..<g.pixels {
                for v in 0..<vectors {
                    let i = row * nr + 16 * v
                    storeVector(loadVector(sum + i) + loadVector(addend + i), sum + i)
                }
            }
        }
        func store<A: VectorActivation>(_ activation: A) {
            storeTransposed(g, q: q, pixels: 0..<g.pixels, tile: UnsafePointer(sum), bias: bias, activation: activation,
                            output: output, residual: residual)
        }
        switch activation {
        case .none: store(IdentityActivation())
        case .relu: store(ReluActivation())
        case .clip(let low, let high): store(ClipActivation(low: low, high: high))
        default: store(GeneralActivation(activation: activation))
        }
    }

    /// A panel `p`: `dst[k][r] = x[k][mr p + r]` (`mr` = `panelRows`), zero past the last pixel.
    @inline(__always)
    static func packInput(_ g: Geometry, _ x: UnsafePointer<Float>, panel p: Int, into dst: UnsafeMutablePointer<Float>) {
        let mr = g.panelRows, p0 = p * mr
        let rows = min(mr, g.pixels - p0)
        if rows == mr {
            // 8 lanes per channel; with 7-row panels the 8th lands where the next channel's
            // row goes and is overwritten by it (and read, in the input, from the next channel:
            // the last channel is copied lane by lane, so nothing past the input is read).
            let vectorChannels = mr == 8 ? g.cin : g.cin - 1
            for k in 0..<vectorChannels {
                UnsafeMutableRawPointer(dst + k * mr).storeBytes(
                    of: UnsafeRawPointer(x + k * g.inputChannelStride + p0).loadUnaligned(as: SIMD8<Float>.self),
                    as: SIMD8<Float>.self)
            }
            for k in vectorChannels..<g.cin {
                for r in 0..<mr { dst[k * mr + r] = x[k * g.inputChannelStride + p0 + r] }
            }
        } else {
            for k in 0..<g.cin {
                for r in 0..<mr { dst[k * mr + r] = r < rows ? x[k * g.inputChannelStride + p0 + r] : 0 }
            }
        }
    }

    /// Output channels `32 q ..< 32 q + 16 · W.vectors` for the pixels of `pixelPanels` (half
    /// width: NCHW output only).
    @inline(__always)
    static func outputPanel<A: VectorActivation, H: GemmPanelHeight, W: GemmPanelWidth>(
                                                 _ g: Geometry, height: H.Type, width: W.Type, q: Int,
                                                 pixelPanels: Range<Int>,
                                                 packedInput: UnsafePointer<Float>,
                                                 inputRows: (UnsafePointer<Float>, Int)?,
                                                 packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                                 activation: A, tile: UnsafeMutablePointer<Float>,
                                                 output: UnsafeMutablePointer<Float>, outputMap: ChannelsLastMap?,
                                                 residual: UnsafePointer<Float>?, averagesPixels: Bool) {
        let mr = H.rows, nr = GemmTile.nr, cin = g.cin
        let w = packedWeights + q * cin * nr
        if let map = outputMap, cin <= kBlock {
            precondition(W.vectors == 2, "channels-last rows are stored 32 channels at a time")
            // One K block: each panel's rows go out while they are in L1 (a band's expansion has
            // thousands of pixels, and the whole tile would pass through L2 twice).
            for p in pixelPanels {
                if let (rows, stride) = inputRows {
                    gemmMicroKernel(kc: cin, rows: StridedARows(pointer: rows + p * mr * stride, stride: stride),
                                    columns: PackedBColumns(pointer: w), height: H.self, c: tile, ldc: nr, rows: mr,
                                    cols: nr, accumulate: false, epilogue: nil)
                } else {
                    gemmMicroKernel(kc: cin, rows: PackedARows(pointer: packedInput + p * cin * mr, height: mr),
                                    columns: PackedBColumns(pointer: w), height: H.self, c: tile, ldc: nr, rows: mr,
                                    cols: nr, accumulate: false, epilogue: nil)
                }
                storeChannelsLast(UnsafePointer(tile), pixels: p * mr..<min(g.pixels, p * mr + mr), q: q, bias: bias,
                                  activation: activation, output: output, map: map)
            }
            return
        }
        multiplyPanel(g, height: H.self, width: W.self, q: q, pixelPanels: pixelPanels, k: 0..<cin,
                      packedInput: packedInput, inputRows: inputRows, packedWeights: packedWeights,
                      tile: tile)
        let first = pixelPanels.lowerBound * mr, end = min(g.pixels, pixelPanels.upperBound * mr)
        if averagesPixels {
            storeMeans(g, q: q, tile: UnsafePointer(tile), vectors: W.vectors, bias: bias, activation: activation,
                       output: output)
            return
        }
        if let map = outputMap {
            storeChannelsLast(UnsafePointer(tile + first * nr), pixels: first..<end, q: q, bias: bias,
                              activation: activation, output: output, map: map)
            return
        }
        storeTransposed(g, q: q, pixels: first..<end, tile: UnsafePointer(tile), bias: bias, activation: activation,
                        output: output, residual: residual)
    }

    /// `tile[pixel][j] = Σ_{k ∈ ks} input[pixel][k] · W[32 q + j][k]` for the pixels of
    /// `pixelPanels` (row `pixel` of `tile`, `nr` floats apart), the first `16 · W.vectors`
    /// columns, in K blocks of `kBlock`.
    @inline(__always)
    static func multiplyPanel<H: GemmPanelHeight, W: GemmPanelWidth>(_ g: Geometry, height: H.Type, width: W.Type,
                                                                     q: Int, pixelPanels: Range<Int>, k ks: Range<Int>,
                                                                     packedInput: UnsafePointer<Float>,
                                                                     inputRows: (UnsafePointer<Float>, Int)?,
                                                                     packedWeights: UnsafePointer<Float>,
                                                                     tile: UnsafeMutablePointer<Float>) {
        let mr = H.rows, nr = GemmTile.nr, cin = g.cin, cols = 16 * W.vectors
        let w = packedWeights + q * cin * nr
        var k0 = ks.lowerBound
        while k0 < ks.upperBound {
            let kc = min(kBlock, ks.upperBound - k0)
            if let (rows, stride) = inputRows {
                for p in pixelPanels {
                    gemmMicroKernel(kc: kc, rows: StridedARows(pointer: rows + p * mr * stride + k0, stride: stride),
                                    columns: PackedBColumns(pointer: w + k0 * nr), height: H.self, width: W.self,
                                    c: tile + p * mr * nr, ldc: nr, rows: mr, cols: cols, accumulate: k0 > ks.lowerBound,
                                    epilogue: nil)
                }
            } else {
                for p in pixelPanels {
                    gemmMicroKernel(kc: kc, rows: PackedARows(pointer: packedInput + p * cin * mr + k0 * mr, height: mr),
                                    columns: PackedBColumns(pointer: w + k0 * nr), height: H.self, width: W.self,
                                    c: tile + p * mr * nr, ldc: nr, rows: mr, cols: cols, accumulate: k0 > ks.lowerBound,
                                    epilogue: nil)
                }
            }
            k0 += kc
        }
    }

    /// `output[32 q + j] = mean over all pixels of act(tile[pixel][j] + bias)` (the first
    /// `16 · vectors` columns computed), summed a row of vectors at a time.
    @inline(__always)
    static func storeMeans<A: VectorActivation>(_ g: Geometry, q: Int, tile: UnsafePointer<Float>, vectors: Int,
                                                bias: UnsafePointer<Float>, activation: A,
                                                output: UnsafeMutablePointer<Float>) {
        let nr = GemmTile.nr, c0 = q * nr, channels = min(nr, g.cout - c0), scale = 1 / Float(g.pixels)
        for v in 0..<vectors {
            let lanes = min(16, channels - 16 * v)
            guard lanes > 0 else { break }
            // The bias lane by lane: it holds `cout` floats, not whole vectors.
            var b = SIMD16<Float>(), sum = SIMD16<Float>()
            for j in 0..<lanes { b[j] = bias[c0 + 16 * v + j] }
            var row = tile + 16 * v
            for _ in 0..<g.pixels {
                sum += activation(loadVector(row) + b)
                row += nr
            }
            let mean = sum * scale
            for j in 0..<lanes { output[c0 + 16 * v + j] = mean[j] }
        }
    }

    /// NCHW output: `output[32 q + j][pixel] = act(tile[pixel][j] + bias (+ residual[32 q + j][pixel]))`
    /// for `pixels`, in 16 × 16 blocks transposed in registers, then the last pixels lane by lane.
    @inline(__always)
    static func storeTransposed<A: VectorActivation>(_ g: Geometry, q: Int, pixels: Range<Int>, tile: UnsafePointer<Float>,
                                                     bias: UnsafePointer<Float>, activation: A,
                                                     output: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?) {
        let nr = GemmTile.nr, first = pixels.lowerBound, end = pixels.upperBound
        let channels = min(nr, g.cout - q * nr)
        let blockEnd = first + (end - first) / 16 * 16
        var p = first
        let channelStride = g.outputChannelStride
        while p < blockEnd {
            var j0 = 0
            while j0 < channels {
                let offset = (q &* nr &+ j0) &* channelStride &+ p
                let rows = output + offset, rowBias = bias + (q &* nr &+ j0)
                let count = min(16, channels &- j0)
                if let residual {
                    let residualRows = residual + offset
                    transpose16x16(tile + (p &* nr &+ j0), stride: nr) { j, v in
                        if j < count {
                            let sum = v + SIMD16<Float>(repeating: rowBias[j]) + loadVector(residualRows + j &* channelStride)
                            storeVector(activation(sum), rows + j &* channelStride)
                        }
                    }
                } else {
                    transpose16x16(tile + (p &* nr &+ j0), stride: nr) { j, v in
                        if j < count { storeVector(activation(v + SIMD16<Float>(repeating: rowBias[j])), rows + j &* channelStride) }
                    }
                }
                j0 &+= 16
            }
            p &+= 16
        }
        for j in 0..<channels where blockEnd < end {
            let co = q * nr + j, column = tile + j
            var v = SIMD16<Float>(), r = SIMD16<Float>()
            for l in 0..<(end - blockEnd) {
                v[l] = column[(blockEnd &+ l) &* nr]
                if let residual { r[l] = residual[co * g.outputChannelStride + blockEnd + l] }
            }
            let y = activation(v + SIMD16<Float>(repeating: bias[co]) + r)
            for l in 0..<(end - blockEnd) { output[co * g.outputChannelStride + blockEnd + l] = y[l] }
        }
    }
}

extension TransposedPointwise {
    /// Rows as they are: `output[pixel][32 q + j] = act(tile[pixel - pixels.first][j] + bias)`.
    @inline(__always)
    static func storeChannelsLast<A: VectorActivation>(_ tile: UnsafePointer<Float>, pixels: Range<Int>, q: Int,
                                                       bias: UnsafePointer<Float>, activation: A,
                                                       output: UnsafeMutablePointer<Float>, map: ChannelsLastMap) {
        let nr = GemmTile.nr
        let b0 = loadVector(bias + q * nr), b1 = loadVector(bias + q * nr + 16)
        var t = tile
        // One division for the first pixel, then along the rows (a division per pixel was a
        // tenth of MobileNetV2's 3 -> 32 stem).
        var (y, x) = map.position(pixels.lowerBound)
        var dst = output + map.origin + y * map.rowPitch + x * map.pixelPitch + q * nr
        for _ in pixels {
            storeVector(activation(loadVector(t) + b0), dst)
            storeVector(activation(loadVector(t + 16) + b1), dst + 16)
            t += nr
            x += 1
            if x == map.width {
                (y, x) = (y + 1, 0)
                dst = output + map.origin + y * map.rowPitch + q * nr
            } else {
                dst += map.pixelPitch
            }
        }
    }
}

/// Where pixel `p` (row-major over a `width`-wide map) of a channels-last image starts:
/// `origin + (p / width) · rowPitch + (p % width) · pixelPitch` floats in.
struct ChannelsLastMap {
    let width: Int
    let rowPitch: Int
    let pixelPitch: Int
    let origin: Int

    /// Row and column of pixel `p` (no division within the first row).
    @inline(__always)
    func position(_ p: Int) -> (row: Int, column: Int) {
        if p < width { return (0, p) }
        let row = p / width
        return (row, p - row * width)
    }
}
