#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pointwise → depthwise → pointwise block (`PointwiseDepthwiseOperator`), run channels-last
/// in bands of output rows.
///
/// Run as three whole-image convolutions, the expanded image (96 channels of 112 × 112: 4.8 MB)
/// is written by the first GEMM and read back by the depthwise kernel from beyond L2, and each
/// stage is a parallel hand-off of its own. Per band it stays in L2: the first GEMM expands the
/// input rows the band needs into a zero-bordered channels-last buffer (`TransposedPointwise`
/// with a `ChannelsLastMap`), the depthwise convolution runs on that buffer
/// (`ChannelsLastDepthwise`), and the second GEMM reads its output rows in place and writes the
/// band's rows of the NCHW output. Input rows that two
/// bands share (a 3 × 3 kernel's overlap) are moved up the buffer, not computed again. Each
/// worker takes one contiguous range of output rows: one parallel hand-off per block.
///
/// The first stage may also be a k × k convolution (`ChannelsLastConvolution`: a network's
/// first layer before its first depthwise convolution), read from the input's `StridePlanes`,
/// which are filled once per image before the bands.
struct PointwiseDepthwiseBands {
    /// The block's packed weights (layouts of `TransposedPointwise` and `ChannelsLastDepthwise`;
    /// biases of the first two stages `channelPitch` long) and activations.
    struct Weights {
        let expand: UnsafePointer<Float>, expandBias: UnsafePointer<Float>, expandActivation: FusedActivation
        let depthwise: UnsafePointer<Float>, depthwiseBias: UnsafePointer<Float>, depthwiseActivation: FusedActivation
        let project: UnsafePointer<Float>, projectBias: UnsafePointer<Float>, projectActivation: FusedActivation
    }

    /// Largest expanded buffer per worker (bytes): it and the band's depthwise output stay in L2.
    /// MobileNetV2, one thread: 32–128 KB 8.2–8.7 ms, 256 KB 8.0–8.4, 512 KB 8.1–8.3, 1 MB 8.5.
    static let bufferBytes = 256 << 10

    let cin: Int, channels: Int, cout: Int
    /// The expanded map's size (the input's, but for a strided `convolution`).
    let height: Int, width: Int
    /// The first stage where it is a k × k convolution; nil for 1 × 1.
    let convolution: ChannelsLastConvolution?
    let depthwise: Convolution2DDescriptor
    let paddedWidth: Int
    let outputHeight: Int, outputWidth: Int
    /// Floats per pixel of the channels-last buffers (a multiple of 32, ≥ channels).
    let channelPitch: Int
    /// Output rows per band.
    let bandRows: Int
    /// Contiguous ranges of output rows, one per worker.
    let parts: Int
    /// Whether the block runs in two phases over the whole map instead (`runSplittingChannels`).
    let splitsChannels: Bool

    /// - height, width: the expanded map's size (`convolution`'s output size).
    init(cin: Int, channels: Int, cout: Int, height: Int, width: Int, depthwise d: Convolution2DDescriptor,
         channelPitch: Int, threads: Int, convolution: ChannelsLastConvolution? = nil) {
        self.cin = cin
        self.convolution = convolution
        self.channels = channels
        self.cout = cout
        self.height = height
        self.width = width
        depthwise = d
        self.channelPitch = channelPitch
        paddedWidth = width + d.padLeft + d.padRight
        let (oh, ow) = d.outputSize(inputHeight: height, inputWidth: width)
        outputHeight = oh
        outputWidth = ow
        parts = max(1, min(threads, outputHeight))
        let rowBytes = paddedWidth * channelPitch * MemoryLayout<Float>.stride
        var rows = 1
        while rows < (outputHeight + parts - 1) / parts
                && Self.inputRows(rows + 1, d) * rowBytes <= Self.bufferBytes { rows += 1 }
        bandRows = rows
        let wholeImageBytes = (height + d.padTop + d.padBottom) * rowBytes
        splitsChannels = convolution == nil && (threads > 1
            ? outputHeight < 4 * parts && outputHeight % parts != 0 && wholeImageBytes <= Self.wholeImageBytesLimit
            : bandRows < outputHeight && wholeImageBytes <= Self.oneThreadWholeImageBytesLimit)
    }

    /// Largest padded expanded image `runSplittingChannels` holds (the bands keep theirs in L2).
    static let wholeImageBytesLimit = 4 << 20
    /// On one thread, maps of more than one band whose padded expanded image fits this run
    /// split too: the bands streamed every weight once per band (a 7 × 7 map of 960 channels,
    /// 311 KB: two bands of 5 and 2 rows); split, once. MobileNetV2, one thread, medians of
    /// 1500 runs: features.14–16 0.742 → 0.710 ms, features.17 0.364 → 0.339; the 14 × 14
    /// blocks (393 and 590 KB) gained nothing measurable (0.626 → 0.620 ms, 0.873 → 0.870).
    static let oneThreadWholeImageBytesLimit = 512 << 10

    /// Padded input rows that `rows` output rows read.
    private static func inputRows(_ rows: Int, _ d: Convolution2DDescriptor) -> Int {
        (rows - 1) * d.strideHeight + (d.kernelHeight - 1) * d.dilationHeight + 1
    }

    private var rowFloats: Int { paddedWidth * channelPitch }
    private var expandedCount: Int { Self.inputRows(bandRows, depthwise) * rowFloats }
    /// Whole panels of 8 pixels: the second GEMM reads their rows in place.
    private var depthwiseCount: Int { (bandRows * outputWidth + 7) / 8 * 8 * channelPitch }
    private var gemmCount: Int {
        if convolution != nil {
            return max(ChannelsLastConvolution.tileCount,
                       TransposedPointwise.Geometry(cin: channels, cout: cout, pixels: bandRows * outputWidth)
                        .scratchCount(threads: 1))
        }
        let expandPixels = min(height, Self.inputRows(bandRows, depthwise)) * width
        return max(TransposedPointwise.Geometry(cin: cin, cout: channels, pixels: expandPixels).scratchCount(threads: 1),
                   TransposedPointwise.Geometry(cin: channels, cout: cout, pixels: bandRows * outputWidth)
                    .scratchCount(threads: 1))
    }
    private var scratchPerWorker: Int { expandedCount + depthwiseCount + gemmCount }

    /// Floats of scratch `run` needs: the planes of a k × k first stage, then each worker's.
    var scratchCount: Int { splitsChannels ? split.count : planesCount + parts * scratchPerWorker }

    private var planesCount: Int { convolution?.planesCount ?? 0 }

    /// `runSplittingChannels`' scratch: the padded expanded image, the depthwise output, the
    /// packed input, per worker a tile of the expansion, then per worker the projection's
    /// partial products (`partials` floats each).
    private var split: (expanded: Int, depthwise: Int, packedInput: Int, tile: Int, partials: Int, count: Int) {
        let expanded = (height + depthwise.padTop + depthwise.padBottom) * rowFloats
        let depthwiseCount = (outputHeight * outputWidth + 7) / 8 * 8 * channelPitch
        let expand = TransposedPointwise.Geometry(cin: cin, cout: channels, pixels: height * width)
        let partials = projection.outputPanelCount * projection.tileCount
        return (expanded, depthwiseCount, expand.packedInputCount, expand.tileCount, partials,
                expanded + depthwiseCount + expand.packedInputCount + parts * (expand.tileCount + partials))
    }

    private var projection: TransposedPointwise.Geometry {
        TransposedPointwise.Geometry(cin: channels, cout: cout, pixels: outputHeight * outputWidth)
    }

    /// One NCHW image: `input` `cin × height × width`, `output` `cout × outputHeight × outputWidth`;
    /// `residual`, shaped as `output`, is added to the projection before its activation (a
    /// residual connection, `GraphPasses.fusePointwiseDepthwiseAdd`).
    func run(_ w: Weights, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
             residual: UnsafePointer<Float>? = nil, scratch: UnsafeMutablePointer<Float>, threads: Int) {
        if splitsChannels {
            runSplittingChannels(w, input: input, output: output, residual: residual, scratch: scratch)
            return
        }
        convolution?.fill(input, planes: scratch, threads: threads)
        let planes = UnsafePointer(scratch), workers = scratch + planesCount
        ParallelFor.run(count: parts, threads: threads) { part, worker in
            rows(part * outputHeight / parts..<(part + 1) * outputHeight / parts, w, input: input, planes: planes,
                 output: output, residual: residual, scratch: workers + worker * scratchPerWorker)
        }
    }

    /// Maps of fewer output rows than four per worker that do not split evenly (7 × 7 on two
    /// threads: 4 and 3 rows, and the larger part also expands the halo row) run in two phases
    /// over the whole map. First each worker takes an even share of the 32-channel panels:
    /// their expansion, depthwise convolution, and the projection's products over just those
    /// channels (split K: the projection's few output panels, five for MobileNetV2's 160
    /// channels, would split 3 : 2). Then the workers add up the partial products per output
    /// panel and store them. Every multiply-add is made once and the shares are even, for one
    /// more hand-off (against bands: MobileNetV2 on two threads, six alternating runs of 300,
    /// median 4.24–4.41 → 4.17–4.38 ms, minimum 4.02–4.15 → 3.96–4.05). One thread runs small
    /// maps of more than one band this way too (`oneThreadWholeImageBytesLimit`).
    private func runSplittingChannels(_ w: Weights, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                      residual: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>) {
        let d = depthwise, cp = channelPitch, rowFloats = self.rowFloats, layout = split
        let expanded = scratch, depthwiseOut = expanded + layout.expanded
        let packedInput = depthwiseOut + layout.depthwise, tiles = packedInput + layout.packedInput
        let partials = tiles + parts * layout.tile
        let expand = TransposedPointwise.Geometry(cin: cin, cout: channels, pixels: height * width)
        let project = projection
        // The input is packed once, on this thread (a few thousand floats).
        for p in 0..<expand.pixelPanels {
            TransposedPointwise.packInput(expand, input, panel: p, into: packedInput + p * cin * expand.panelRows)
        }
        let paddedHeight = height + d.padTop + d.padBottom
        let expandedMap = ChannelsLastMap(width: width, rowPitch: rowFloats, pixelPitch: cp,
                                          origin: (d.padTop * paddedWidth + d.padLeft) * cp)
        let geometry = ChannelsLastDepthwise.Geometry(descriptor: d, paddedWidth: paddedWidth,
                                                      outputHeight: outputHeight, outputWidth: outputWidth,
                                                      channelPitch: cp)
        let channelPanels = cp / GemmTile.nr, shares = min(parts, channelPanels)
        ParallelFor.run(count: shares, threads: parts) { share, worker in
            let panels = share * channelPanels / shares..<(share + 1) * channelPanels / shares
            for q in panels {
                // This panel's channels of the padding: whole pad rows, and the pad columns of the others.
                let c0 = q * GemmTile.nr
                @inline(__always) func zeroPixels(_ y: Int, _ xs: Range<Int>) {
                    for x in xs { StridePlanes.zero(expanded + (y * paddedWidth + x) * cp + c0, GemmTile.nr) }
                }
                for y in 0..<paddedHeight {
                    if y < d.padTop || y >= d.padTop + height {
                        zeroPixels(y, 0..<paddedWidth)
                    } else {
                        zeroPixels(y, 0..<d.padLeft)
                        zeroPixels(y, d.padLeft + width..<paddedWidth)
                    }
                }
                TransposedPointwise.outputPanels(expand, q..<q + 1, pixelPanels: 0..<expand.pixelPanels,
                                                 packedInput: packedInput, inputRows: nil, packedWeights: w.expand,
                                                 bias: w.expandBias, activation: w.expandActivation,
                                                 tile: tiles + worker * layout.tile, output: expanded,
                                                 outputMap: expandedMap)
                ChannelsLastDepthwise.channelBlocks(geometry, q * GemmTile.nr / 16..<(q + 1) * GemmTile.nr / 16,
                                                    weights: w.depthwise, bias: w.depthwiseBias,
                                                    activation: w.depthwiseActivation, input: expanded,
                                                    output: depthwiseOut)
            }
            TransposedPointwise.partialProducts(project, 0..<project.outputPanelCount,
                                                k: panels.lowerBound * GemmTile.nr..<min(channels, panels.upperBound * GemmTile.nr),
                                                inputRows: (UnsafePointer(depthwiseOut), cp), packedWeights: w.project,
                                                tiles: partials + share * layout.partials)
        }
        ParallelFor.run(count: project.outputPanelCount, threads: parts) { q, _ in
            TransposedPointwise.storeSums(project, q: q, tiles: partials, count: shares, stride: layout.partials,
                                          bias: w.projectBias, activation: w.projectActivation, output: output,
                                          residual: residual)
        }
    }

    /// - planes: `convolution`'s planes of the input (filled), else unused.
    private func rows(_ outputRows: Range<Int>, _ w: Weights, input: UnsafePointer<Float>, planes: UnsafePointer<Float>,
                      output: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?,
                      scratch: UnsafeMutablePointer<Float>) {
        let d = depthwise, cp = channelPitch, rowFloats = self.rowFloats
        let expanded = scratch, depthwiseOut = expanded + expandedCount
        let gemmScratch = depthwiseOut + depthwiseCount
        let floatBytes = MemoryLayout<Float>.stride
        // The left and right borders stay zero: the GEMM writes only the interior, and rows
        // moved up carry their zeros along.
        for r in 0..<Self.inputRows(bandRows, d) {
            memset(expanded + r * rowFloats, 0, d.padLeft * cp * floatBytes)
            memset(expanded + r * rowFloats + (d.padLeft + width) * cp, 0, d.padRight * cp * floatBytes)
        }
        let expandedMap = { (bufferRow: Int) in
            ChannelsLastMap(width: width, rowPitch: rowFloats, pixelPitch: cp, origin: (bufferRow * paddedWidth + d.padLeft) * cp)
        }
        let depthwiseMap = ChannelsLastMap(width: outputWidth, rowPitch: outputWidth * cp, pixelPitch: cp, origin: 0)
        // Padded rows `heldTop ..< heldTop + held` are in the buffer, from its first row.
        var heldTop = 0, held = 0
        var oy = outputRows.lowerBound
        while oy < outputRows.upperBound {
            let rows = min(bandRows, outputRows.upperBound - oy)
            let top = oy * d.strideHeight, needed = Self.inputRows(rows, d)
            var r = 0
            if held > 0 && top >= heldTop && top < heldTop + held {
                r = min(needed, heldTop + held - top)
                if top > heldTop { memmove(expanded, expanded + (top - heldTop) * rowFloats, r * rowFloats * floatBytes) }
            }
            while r < needed {
                let y = top + r - d.padTop
                if y < 0 || y >= height {
                    memset(expanded + r * rowFloats, 0, rowFloats * floatBytes)
                    r += 1
                    continue
                }
                let count = min(needed - r, height - y)
                if let convolution {
                    convolution.rows(y..<y + count, channelPanels: cp / GemmTile.nr, planes: planes, weights: w.expand,
                                     bias: w.expandBias, activation: w.expandActivation, tile: gemmScratch,
                                     output: expanded, map: expandedMap(r))
                } else {
                    TransposedPointwise.run(cin: cin, cout: channels, packedWeights: w.expand, bias: w.expandBias,
                                            activation: w.expandActivation, input: input + y * width,
                                            inputChannelStride: height * width, batch: 1, pixels: count * width,
                                            output: expanded, outputMap: expandedMap(r), scratch: gemmScratch,
                                            threads: 1)
                }
                r += count
            }
            heldTop = top
            held = needed
            let geometry = ChannelsLastDepthwise.Geometry(descriptor: d, paddedWidth: paddedWidth, outputHeight: rows,
                                                          outputWidth: outputWidth, channelPitch: cp)
            ChannelsLastDepthwise.run(geometry, weights: w.depthwise, bias: w.depthwiseBias,
                                      activation: w.depthwiseActivation, input: expanded, output: depthwiseOut, threads: 1)
            TransposedPointwise.run(cin: channels, cout: cout, packedWeights: w.project, bias: w.projectBias,
                                    activation: w.projectActivation, input: depthwiseOut, inputMap: depthwiseMap, batch: 1,
                                    pixels: rows * outputWidth, output: output + oy * outputWidth,
                                    outputChannelStride: outputHeight * outputWidth,
                                    residual: residual.map { $0 + oy * outputWidth }, scratch: gemmScratch, threads: 1)
            oy += rows
        }
    }
}
