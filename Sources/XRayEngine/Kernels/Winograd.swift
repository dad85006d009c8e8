/// Winograd F(4×4, 3×3) for 3×3 stride-1 convolutions (Lavin & Gray, points 0, ±1, ±2, ±½).
///
/// Per image the 4×4 output tiles are processed in blocks of `tileBlock` tiles:
/// 1. input transform `V = Bᵀ d B` of each 6×6 input patch, vectorised over 16
///    neighbouring tiles (the input rows are first de-interleaved by x mod 4), stored
///    directly as packed GEMM B panels, one `C_in × tiles` matrix per position ξ of 36;
/// 2. 36 GEMMs `M_ξ = U_ξ · V_ξ` with the pre-packed transformed weights `U = G g Gᵀ`;
/// 3. output transform `Y = Aᵀ M A` + bias + activation, scattered into the NCHW output.
/// 36 multiplies per 16 outputs instead of 144: 4× fewer flops than direct 3×3.
enum Winograd43 {
    static let alpha = 6

    /// Floats of the transformed, packed weights.
    static func packedWeightCount(cout: Int, cin: Int) -> Int { 36 * GemmPacking.packedACount(m: cout, k: cin) }

    /// `weights`: OIHW 3×3. Writes 36 packed A matrices (`cout × cin` each).
    static func transformWeights(cout: Int, cin: Int, weights: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
        let g: [[Double]] = [[1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                             [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]]
        WinogradWeights.transform(g, cout: cout, cin: cin, weights: weights, into: dst)
    }

    struct Geometry {
        let cin: Int, cout: Int
        let outputHeight: Int, outputWidth: Int
        let tilesH: Int, tilesW: Int
        let tileBlock: Int
        var tiles: Int { tilesH * tilesW }
        var blocks: Int { (tiles + tileBlock - 1) / tileBlock }
        /// Floats of one ξ of V (packed B `cin × tileBlock`).
        /// The 36 slices are offset by one extra cache line each, so that the 36
        /// streams of a transform do not all map to the same L1 set (4 KiB aliasing).
        var vStride: Int { (tileBlock + 31) / 32 * 32 * cin + 16 }
        /// Floats of one ξ of M (`cout × ldm`, plus one cache line, as `vStride`).
        var mStride: Int { cout * ldm + 16 }
        /// Row stride of M (room for a 16-wide read from any tile).
        var ldm: Int { (tileBlock + 31) / 32 * 32 + 16 }
        var qWidth: Int { (min(tilesW, tileBlock) + 2 + 15) / 16 * 16 + 16 }
        var scratchPerThread: Int { 36 * vStride + 36 * mStride + 24 * qWidth + 16 * 16 }

        init(_ d: Convolution2DDescriptor, height: Int, width: Int) {
            cin = d.inputChannels
            cout = d.outputChannels
            (outputHeight, outputWidth) = d.outputSize(inputHeight: height, inputWidth: width)
            tilesH = (outputHeight + 3) / 4
            tilesW = (outputWidth + 3) / 4
            // V and M of one block stay within ~640 KB of L2.
            let fit = 320 * 1024 / (36 * (cin + cout))
            tileBlock = min(max(32, fit / 32 * 32), 256)
        }
    }

    static func run(descriptor d: Convolution2DDescriptor, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                    activation: FusedActivation, input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                    output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, threads: Int,
                    residual: UnsafePointer<Float>? = nil) {
        let g = Geometry(d, height: height, width: width)
        let blocks = g.blocks
        let outputCount = g.cout * g.outputHeight * g.outputWidth
        func runBlocks<T: VectorActivation, A: VectorActivation>(_ tileActivation: T, _ activation: A) {
            ParallelFor.run(count: batch * blocks, threads: threads) { task, worker in
                let image = task / blocks
                let t0 = (task % blocks) * g.tileBlock
                block(d, g, t0: t0, t1: min(g.tiles, t0 + g.tileBlock), packedWeights: packedWeights, bias: bias,
                      tileActivation: tileActivation, activation: activation,
                      input: input + image * g.cin * height * width, height: height, width: width,
                      output: output + image * outputCount, residual: residual.map { $0 + image * outputCount },
                      scratch: scratch + worker * g.scratchPerThread)
            }
        }
        // With a residual the activation follows the addition.
        func runBlocks<A: VectorActivation>(_ activation: A) {
            if residual != nil { runBlocks(IdentityActivation(), activation) } else { runBlocks(activation, activation) }
        }
        switch activation {
        case .none: runBlocks(IdentityActivation())
        case .relu: runBlocks(ReluActivation())
        case .clip(let low, let high): runBlocks(ClipActivation(low: low, high: high))
        default: runBlocks(GeneralActivation(activation: activation))
        }
    }

    @inline(__always)
    static func inputTransform1D(_ d0: SIMD16<Float>, _ d1: SIMD16<Float>, _ d2: SIMD16<Float>,
                                 _ d3: SIMD16<Float>, _ d4: SIMD16<Float>, _ d5: SIMD16<Float>)
        -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
        let four = SIMD16<Float>(repeating: 4), minusFive = SIMD16<Float>(repeating: -5)
        let minusFour = SIMD16<Float>(repeating: -4), two = SIMD16<Float>(repeating: 2)
        // t1/t2 share (d4 - 4 d2) and 4 d1 - d3; t3/t4 share (d4 - d2) and 2 (d1 - d3)
        let a = fusedMultiplyAdd(minusFour, d2, d4)
        let b = fusedMultiplyAdd(four, d1, -d3)
        let c = d4 - d2
        let e = two * (d1 - d3)
        let t0 = fusedMultiplyAdd(minusFive, d2, fusedMultiplyAdd(four, d0, d4))
        let t5 = fusedMultiplyAdd(minusFive, d3, fusedMultiplyAdd(four, d1, d5))
        return (t0, a - b, a + b, c - e, c + e, t5)
    }

    @inline(__always)
    static func outputTransform1D(_ m0: SIMD16<Float>, _ m1: SIMD16<Float>, _ m2: SIMD16<Float>,
                                  _ m3: SIMD16<Float>, _ m4: SIMD16<Float>, _ m5: SIMD16<Float>)
        -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
        let s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4
        let y0 = m0 + s12 + s34
        let y1 = fusedMultiplyAdd(SIMD16(repeating: 2), d34, d12)
        let y2 = fusedMultiplyAdd(SIMD16(repeating: 4), s34, s12)
        let y3 = fusedMultiplyAdd(SIMD16(repeating: 8), d34, d12) + m5
        return (y0, y1, y2, y3)
    }

    /// De-interleaves input row `iy` by x mod 4: `q[phase * qw + i] = row[base + 4 i + phase]`
    /// for `i < count` (zero outside the image); 64 floats at a time in the interior.
    @inline(__always)
    static func deinterleaveRow(channel: UnsafePointer<Float>, iy: Int, height: Int, width: Int,
                                base: Int, count: Int, q: UnsafeMutablePointer<Float>, qw: Int) {
        if iy < 0 || iy >= height {
            for phase in 0..<4 {
                var i = 0
                while i < count { storeVector(SIMD16(), q + phase * qw + i); i += 16 }
            }
            return
        }
        let row = channel + iy * width
        let q0 = q, q1 = q + qw, q2 = q + 2 * qw, q3 = q + 3 * qw
        // Interior: i with 0 <= base + 4i and base + 4i + 3 < width (a stride-4 interleave
        // group the loop vectoriser turns into wide loads and shuffles).
        let lo = min(count, max(0, (3 - base) / 4))
        let hi = max(lo, min(count, width - 4 - base >= 0 ? (width - 4 - base) / 4 + 1 : 0))
        @inline(__always) func edge(_ i: Int) {
            let start = base &+ 4 &* i
            for phase in 0..<4 {
                let ix = start &+ phase
                q[phase &* qw &+ i] = ix >= 0 && ix < width ? row[ix] : 0
            }
        }
        for i in 0..<lo { edge(i) }
        let src = row + base
        var i = lo
        while i &+ 16 <= hi {
            deinterleave4x16(src + 4 &* i, q0 + i, q1 + i, q2 + i, q3 + i)
            i &+= 16
        }
        while i < hi {
            let p = src + 4 &* i
            q0[i] = p[0]; q1[i] = p[1]; q2[i] = p[2]; q3[i] = p[3]
            i &+= 1
        }
        for i in hi..<count { edge(i) }
    }

    /// `qr[j] = src[4 j + r]` for `j < 16`, `r < 4`: 64 floats split by index mod 4, as whole-vector
    /// shuffles (the scalar loop it replaces was a quarter of a 16-channel 1024² layer's time).
    @inline(__always)
    static func deinterleave4x16(_ src: UnsafePointer<Float>, _ q0: UnsafeMutablePointer<Float>,
                                 _ q1: UnsafeMutablePointer<Float>, _ q2: UnsafeMutablePointer<Float>,
                                 _ q3: UnsafeMutablePointer<Float>) {
        let a = loadVector(src), b = loadVector(src + 16), c = loadVector(src + 32), d = loadVector(src + 48)
        @inline(__always) func phase(_ r: Int) -> SIMD16<Float> {
            SIMD16(a[r], a[r + 4], a[r + 8], a[r + 12], b[r], b[r + 4], b[r + 8], b[r + 12],
                   c[r], c[r + 4], c[r + 8], c[r + 12], d[r], d[r + 4], d[r + 8], d[r + 12])
        }
        storeVector(phase(0), q0); storeVector(phase(1), q1); storeVector(phase(2), q2); storeVector(phase(3), q3)
    }

    /// `dst[4 j + r] = src[16 r + j]` for `j < 16`, `r < 4` (a factor-4 interleaved store group).
    @inline(__always)
    static func interleave4x16(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>) {
        let a = loadVector(src), b = loadVector(src + 16), c = loadVector(src + 32), d = loadVector(src + 48)
        @inline(__always) func quarter(_ j: Int) -> SIMD16<Float> {
            SIMD16(a[j], b[j], c[j], d[j], a[j + 1], b[j + 1], c[j + 1], d[j + 1],
                   a[j + 2], b[j + 2], c[j + 2], d[j + 2], a[j + 3], b[j + 3], c[j + 3], d[j + 3])
        }
        storeVector(quarter(0), dst); storeVector(quarter(4), dst + 16)
        storeVector(quarter(8), dst + 32); storeVector(quarter(12), dst + 48)
    }

    /// `tileActivation` is applied to the transformed tiles, `activation` after adding `residual`
    /// (when there is one) as the rows are stored.
    @inline(__always)
    static func block<T: VectorActivation, A: VectorActivation>(
        _ d: Convolution2DDescriptor, _ g: Geometry, t0: Int, t1: Int, packedWeights: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, tileActivation: T, activation: A, input: UnsafePointer<Float>, height: Int,
        width: Int, output: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?,
        scratch: UnsafeMutablePointer<Float>
    ) {
        let v = scratch
        let m = v + 36 * g.vStride
        let q = m + 36 * g.mStride
        let tmp = q + 24 * g.qWidth
        let qw = g.qWidth
        let cin = g.cin, cout = g.cout
        let vStride = g.vStride
        let firstRow = t0 / g.tilesW, lastRow = (t1 - 1) / g.tilesW

        // 1. Input transform.
        for c in 0..<cin {
            let channel = input + c * height * width
            for ty in firstRow...lastRow {
                let txs = max(0, t0 - ty * g.tilesW), txe = min(g.tilesW, t1 - ty * g.tilesW)
                let count = txe - txs + 2
                // Q[r][phase][i] = input[4 ty + r - pt][4 (txs + i) + phase - pl]
                for r in 0..<6 {
                    deinterleaveRow(channel: channel, iy: ty * 4 + r - d.padTop, height: height, width: width,
                                    base: txs * 4 - d.padLeft, count: count, q: q + r * 4 * qw, qw: qw)
                }
                var x0 = 0
                while x0 < txe - txs {
                    let n = min(16, txe - txs - x0)
                    let tt0 = ty * g.tilesW + txs + x0 - t0
                    // Horizontal transform of the 6 rows.
                    @inline(__always) func load(_ r: Int, _ col: Int) -> SIMD16<Float> {
                        loadVector(q + (r * 4 + col % 4) * qw + x0 + col / 4)
                    }
                    @inline(__always) func horizontal(_ r: Int) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
                        inputTransform1D(load(r, 0), load(r, 1), load(r, 2), load(r, 3), load(r, 4), load(r, 5))
                    }
                    let h0 = horizontal(0), h1 = horizontal(1), h2 = horizontal(2)
                    let h3 = horizontal(3), h4 = horizontal(4), h5 = horizontal(5)
                    @inline(__always) func vertical(_ j: Int, _ a0: SIMD16<Float>, _ a1: SIMD16<Float>, _ a2: SIMD16<Float>,
                                                    _ a3: SIMD16<Float>, _ a4: SIMD16<Float>, _ a5: SIMD16<Float>) {
                        let t = inputTransform1D(a0, a1, a2, a3, a4, a5)
                        store(t.0, xi: 0 * 6 + j); store(t.1, xi: 1 * 6 + j); store(t.2, xi: 2 * 6 + j)
                        store(t.3, xi: 3 * 6 + j); store(t.4, xi: 4 * 6 + j); store(t.5, xi: 5 * 6 + j)
                    }
                    @inline(__always) func store(_ value: SIMD16<Float>, xi: Int) {
                        let base = v + xi * vStride + c * 32
                        let lane = tt0 & 31
                        if n == 16 && lane <= 16 {
                            storeVector(value, base + (tt0 >> 5) * cin * 32 + lane)
                        } else {
                            for j in 0..<n {
                                let tt = tt0 + j
                                base[(tt >> 5) * cin * 32 + (tt & 31)] = value[j]
                            }
                        }
                    }
                    vertical(0, h0.0, h1.0, h2.0, h3.0, h4.0, h5.0)
                    vertical(1, h0.1, h1.1, h2.1, h3.1, h4.1, h5.1)
                    vertical(2, h0.2, h1.2, h2.2, h3.2, h4.2, h5.2)
                    vertical(3, h0.3, h1.3, h2.3, h3.3, h4.3, h5.3)
                    vertical(4, h0.4, h1.4, h2.4, h3.4, h4.4, h5.4)
                    vertical(5, h0.5, h1.5, h2.5, h3.5, h4.5, h5.5)
                    x0 += 16
                }
            }
        }

        // 2. 36 GEMMs.
        let tiles = t1 - t0
        let uStride = GemmPacking.packedACount(m: cout, k: cin)
        for xi in 0..<36 {
            Gemm.macroKernel(m: cout, panels: 0..<GemmPacking.panelCount(cout), aPanels: packedWeights + xi * uStride,
                             kTotal: cin, kOffset: 0, b: v + xi * vStride, kc: cin, nc: tiles,
                             c: m + xi * g.mStride, ldc: g.ldm, accumulate: false, epilogue: nil)
        }

        // 3. Output transform.
        let oh = g.outputHeight, ow = g.outputWidth
        let mStride = g.mStride
        for co in 0..<cout {
            let b = SIMD16<Float>(repeating: bias[co])
            let out = output + co * oh * ow
            let res = residual.map { $0 + co * oh * ow }
            let mc = UnsafePointer(m + co * g.ldm)
            for ty in firstRow...lastRow {
                let txs = max(0, t0 - ty * g.tilesW), txe = min(g.tilesW, t1 - ty * g.tilesW)
                var x0 = 0
                while x0 < txe - txs {
                    let n = min(16, txe - txs - x0)
                    let tt0 = ty * g.tilesW + txs + x0 - t0
                    @inline(__always) func load(_ i: Int, _ j: Int) -> SIMD16<Float> { loadVector(mc + (i * 6 + j) * mStride + tt0) }
                    @inline(__always) func horizontal(_ i: Int) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
                        outputTransform1D(load(i, 0), load(i, 1), load(i, 2), load(i, 3), load(i, 4), load(i, 5))
                    }
                    let s0 = horizontal(0), s1 = horizontal(1), s2 = horizontal(2)
                    let s3 = horizontal(3), s4 = horizontal(4), s5 = horizontal(5)
                    @inline(__always) func vertical(_ jj: Int, _ a0: SIMD16<Float>, _ a1: SIMD16<Float>, _ a2: SIMD16<Float>,
                                                    _ a3: SIMD16<Float>, _ a4: SIMD16<Float>, _ a5: SIMD16<Float>) {
                        let y = outputTransform1D(a0, a1, a2, a3, a4, a5)
                        storeVector(tileActivation(y.0 + b), tmp + (0 * 4 + jj) * 16)
                        storeVector(tileActivation(y.1 + b), tmp + (1 * 4 + jj) * 16)
                        storeVector(tileActivation(y.2 + b), tmp + (2 * 4 + jj) * 16)
                        storeVector(tileActivation(y.3 + b), tmp + (3 * 4 + jj) * 16)
                    }
                    vertical(0, s0.0, s1.0, s2.0, s3.0, s4.0, s5.0)
                    vertical(1, s0.1, s1.1, s2.1, s3.1, s4.1, s5.1)
                    vertical(2, s0.2, s1.2, s2.2, s3.2, s4.2, s5.2)
                    vertical(3, s0.3, s1.3, s2.3, s3.3, s4.3, s5.3)
                    let oxBase = (txs + x0) * 4
                    let fullWidth = oxBase + 4 * n <= ow
                    for i in 0..<4 {
                        let oy = ty * 4 + i
                        if oy >= oh { break }
                        let orow = out + oy * ow + oxBase
                        let src = UnsafePointer(tmp + i * 64)
                        if fullWidth && n == 16 {
                            interleave4x16(src, orow)
                        } else if fullWidth {
                            for j in 0..<n {
                                orow[4 &* j] = src[j]; orow[4 &* j &+ 1] = src[16 &+ j]
                                orow[4 &* j &+ 2] = src[32 &+ j]; orow[4 &* j &+ 3] = src[48 &+ j]
                            }
                        } else {
                            for j in 0..<n {
                                for jj in 0..<4 where oxBase + 4 * j + jj < ow { orow[4 * j + jj] = src[jj * 16 + j] }
                            }
                        }
                        if let res {
                            ResidualEpilogue.apply(orow, res + oy * ow + oxBase, count: min(4 * n, ow - oxBase),
                                                   activation: activation)
                        }
                    }
                    x0 += 16
                }
            }
        }
    }
}
