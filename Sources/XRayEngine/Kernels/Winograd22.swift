/// Winograd F(2×2, 3×3) for 3×3 stride-1 convolutions on small maps (Lavin & Gray, points 0, ±1).
///
/// Where a map has few 4 × 4 tiles (ResNet-18's 512-channel 16 × 16 layers: 16), F(4×4)'s 36
/// transformed weight matrices are streamed from memory for a handful of GEMM columns and
/// im2col does 2.25× the multiplies of F(2×2), whose 16 matrices each serve four times as
/// many tiles. Per image, in three phases over all tiles at once (each split over threads):
/// 1. input transform `V = Bᵀ d B` of each 4×4 patch (threads over input channels), vectorised
///    over 16 neighbouring tiles of a tile row, stored as packed GEMM B panels, one
///    `C_in × tiles` matrix per position ξ of 16;
/// 2. 16 GEMMs `M_ξ = U_ξ · V_ξ` with the pre-packed transformed weights `U = G g Gᵀ` (threads
///    over ξ, so each weight matrix is read once);
/// 3. output transform `Y = Aᵀ M A` + bias + activation into the NCHW output (threads over
///    output channels).
/// 16 multiplies per 4 outputs instead of 36.
enum Winograd22 {
    /// Floats of the transformed, packed weights.
    static func packedWeightCount(cout: Int, cin: Int) -> Int { 16 * GemmPacking.packedACount(m: cout, k: cin) }

    /// `weights`: OIHW 3×3. Writes 16 packed A matrices (`cout × cin` each).
    static func transformWeights(cout: Int, cin: Int, weights: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
        let g: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        WinogradWeights.transform(g, cout: cout, cin: cin, weights: weights, into: dst)
    }

    struct Geometry {
        let cin: Int, cout: Int
        let outputHeight: Int, outputWidth: Int
        let tilesH: Int, tilesW: Int
        let threads: Int
        var tiles: Int { tilesH * tilesW }
        /// Columns of one V or M matrix: the tiles rounded up to whole B panels, plus room for
        /// a 16-wide read from any tile.
        var ldm: Int { (tiles + GemmTile.nr - 1) / GemmTile.nr * GemmTile.nr + 16 }
        /// Floats of one ξ of V (packed B panels `cin × 32`), plus one cache line so that the 16
        /// streams of a transform do not all map to the same L1 set.
        var vStride: Int { (tiles + GemmTile.nr - 1) / GemmTile.nr * GemmTile.nr * cin + 16 }
        /// Floats of one ξ of M (`cout × ldm`), plus one cache line.
        var mStride: Int { cout * ldm + 16 }
        /// One input row de-interleaved by x mod 2, per phase (`tilesW + 1` values, padded).
        var qWidth: Int { (tilesW + 1 + 15) / 16 * 16 + 16 }
        var scratchPerThread: Int { 8 * qWidth + 64 }
        var scratchCount: Int { 16 * vStride + 16 * mStride + threads * scratchPerThread }

        init(_ d: Convolution2DDescriptor, height: Int, width: Int, threads: Int) {
            cin = d.inputChannels
            cout = d.outputChannels
            (outputHeight, outputWidth) = d.outputSize(inputHeight: height, inputWidth: width)
            tilesH = (outputHeight + 1) / 2
            tilesW = (outputWidth + 1) / 2
            self.threads = max(1, threads)
        }
    }

    static func run(descriptor d: Convolution2DDescriptor, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                    activation: FusedActivation, input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                    output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, threads: Int,
                    residual: UnsafePointer<Float>? = nil) {
        let g = Geometry(d, height: height, width: width, threads: threads)
        let v = scratch, m = v + 16 * g.vStride, perThread = m + 16 * g.mStride
        let uStride = GemmPacking.packedACount(m: g.cout, k: g.cin)
        for image in 0..<batch {
            let imageInput = input + image * g.cin * height * width
            ParallelFor.run(count: g.cin, threads: threads) { c, worker in
                inputTransform(d, g, channel: imageInput + c * height * width, c: c, height: height, width: width,
                               v: v, q: perThread + worker * g.scratchPerThread)
            }
            ParallelFor.run(count: 16, threads: threads) { xi, _ in
                // One K block (measured: blocks of 64-256 rows that keep B in L1 were slower).
                Gemm.macroKernel(m: g.cout, panels: 0..<GemmPacking.panelCount(g.cout),
                                 aPanels: packedWeights + xi * uStride, kTotal: g.cin, kOffset: 0,
                                 b: v + xi * g.vStride, kc: g.cin, nc: g.tiles,
                                 c: m + xi * g.mStride, ldc: g.ldm, accumulate: false, epilogue: nil)
            }
            let plane = g.outputHeight * g.outputWidth
            let imageOutput = output + image * g.cout * plane
            let imageResidual = residual.map { $0 + image * g.cout * plane }
            func outputPhase<A: VectorActivation>(_ activation: A) {
                ParallelFor.run(count: g.cout, threads: threads) { co, worker in
                    let tmp = perThread + worker * g.scratchPerThread
                    // With a residual the activation follows the addition, on the channel's plane in L1.
                    if let imageResidual {
                        outputTransform(g, co: co, m: m, bias: bias[co], activation: IdentityActivation(),
                                        output: imageOutput + co * plane, tmp: tmp)
                        ResidualEpilogue.apply(imageOutput + co * plane, imageResidual + co * plane, count: plane,
                                               activation: activation)
                    } else {
                        outputTransform(g, co: co, m: m, bias: bias[co], activation: activation,
                                        output: imageOutput + co * plane, tmp: tmp)
                    }
                }
            }
            switch activation {
            case .none: outputPhase(IdentityActivation())
            case .relu: outputPhase(ReluActivation())
            case .clip(let low, let high): outputPhase(ClipActivation(low: low, high: high))
            default: outputPhase(GeneralActivation(activation: activation))
            }
        }
    }

    /// `(d0 − d2, d1 + d2, d2 − d1, d1 − d3)`: one dimension of `Bᵀ d B`.
    @inline(__always)
    static func inputTransform1D(_ d0: SIMD16<Float>, _ d1: SIMD16<Float>, _ d2: SIMD16<Float>, _ d3: SIMD16<Float>)
        -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
        (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
    }

    /// `(m0 + m1 + m2, m1 − m2 − m3)`: one dimension of `Aᵀ M A`.
    @inline(__always)
    static func outputTransform1D(_ m0: SIMD16<Float>, _ m1: SIMD16<Float>, _ m2: SIMD16<Float>, _ m3: SIMD16<Float>)
        -> (SIMD16<Float>, SIMD16<Float>) {
        (m0 + m1 + m2, m1 - m2 - m3)
    }

    /// Input row `iy` de-interleaved by x mod 2 from x = `base`: `q[phase * qw + i] =
    /// row[base + 2 i + phase]` for `i < count`, zero outside the image.
    @inline(__always)
    static func deinterleaveRow(channel: UnsafePointer<Float>, iy: Int, height: Int, width: Int, base: Int,
                                count: Int, q: UnsafeMutablePointer<Float>, qw: Int) {
        let q0 = q, q1 = q + qw
        guard iy >= 0 && iy < height else {
            var i = 0
            while i < count { storeVector(SIMD16(), q0 + i); storeVector(SIMD16(), q1 + i); i += 16 }
            return
        }
        let row = channel + iy * width
        // Interior: 0 <= base + 2i and base + 2i + 1 < width.
        let lo = min(count, max(0, (1 - base) / 2))
        let hi = max(lo, min(count, width - 2 - base >= 0 ? (width - 2 - base) / 2 + 1 : 0))
        @inline(__always) func edge(_ i: Int) {
            let x = base &+ 2 &* i
            q0[i] = x >= 0 && x < width ? row[x] : 0
            q1[i] = x &+ 1 >= 0 && x &+ 1 < width ? row[x &+ 1] : 0
        }
        for i in 0..<lo { edge(i) }
        let src = row + base
        for i in lo..<hi {
            let p = src + 2 &* i
            q0[i] = p[0]; q1[i] = p[1]
        }
        for i in hi..<count { edge(i) }
    }

    /// Stores lanes `0 ..< count` of `value` at `dst` (small maps have tile rows of 4 or 8 tiles).
    @inline(__always)
    static func storeLanes(_ value: SIMD16<Float>, count: Int, _ dst: UnsafeMutablePointer<Float>) {
        let raw = UnsafeMutableRawPointer(dst)
        switch count {
        case 16: raw.storeBytes(of: value, as: SIMD16<Float>.self)
        case 8: raw.storeBytes(of: value.lowHalf, as: SIMD8<Float>.self)
        case 4: raw.storeBytes(of: value.lowHalf.lowHalf, as: SIMD4<Float>.self)
        default: for j in 0..<count { dst[j] = value[j] }
        }
    }

    @inline(__always)
    static func inputTransform(_ d: Convolution2DDescriptor, _ g: Geometry, channel: UnsafePointer<Float>, c: Int,
                               height: Int, width: Int, v: UnsafeMutablePointer<Float>, q: UnsafeMutablePointer<Float>) {
        let qw = g.qWidth, cin = g.cin, vStride = g.vStride, nr = GemmTile.nr
        for ty in 0..<g.tilesH {
            // q[(2 r + phase) qw + i] = input[2 ty + r - pt][2 i + phase - pl]
            for r in 0..<4 {
                deinterleaveRow(channel: channel, iy: 2 * ty + r - d.padTop, height: height, width: width,
                                base: -d.padLeft, count: g.tilesW + 1, q: q + 2 * r * qw, qw: qw)
            }
            var x0 = 0
            while x0 < g.tilesW {
                let n = min(16, g.tilesW - x0)
                let tt0 = ty * g.tilesW + x0
                @inline(__always) func load(_ r: Int, _ col: Int) -> SIMD16<Float> {
                    loadVector(q + (2 * r + col % 2) * qw + x0 + col / 2)
                }
                @inline(__always) func horizontal(_ r: Int) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
                    inputTransform1D(load(r, 0), load(r, 1), load(r, 2), load(r, 3))
                }
                @inline(__always) func store(_ value: SIMD16<Float>, xi: Int) {
                    let base = v + xi * vStride + c * nr
                    let lane = tt0 % nr
                    if lane + n <= nr {
                        storeLanes(value, count: n, base + tt0 / nr * cin * nr + lane)
                    } else {
                        for j in 0..<n {
                            let tt = tt0 + j
                            base[tt / nr * cin * nr + tt % nr] = value[j]
                        }
                    }
                }
                @inline(__always) func vertical(_ j: Int, _ a0: SIMD16<Float>, _ a1: SIMD16<Float>,
                                                _ a2: SIMD16<Float>, _ a3: SIMD16<Float>) {
                    let t = inputTransform1D(a0, a1, a2, a3)
                    store(t.0, xi: 0 + j); store(t.1, xi: 4 + j); store(t.2, xi: 8 + j); store(t.3, xi: 12 + j)
                }
                let h0 = horizontal(0), h1 = horizontal(1), h2 = horizontal(2), h3 = horizontal(3)
                vertical(0, h0.0, h1.0, h2.0, h3.0)
                vertical(1, h0.1, h1.1, h2.1, h3.1)
                vertical(2, h0.2, h1.2, h2.2, h3.2)
                vertical(3, h0.3, h1.3, h2.3, h3.3)
                x0 += 16
            }
        }
    }

    @inline(__always)
    static func outputTransform<A: VectorActivation>(_ g: Geometry, co: Int, m: UnsafePointer<Float>, bias: Float,
                                                     activation: A, output: UnsafeMutablePointer<Float>,
                                                     tmp: UnsafeMutablePointer<Float>) {
        let b = SIMD16<Float>(repeating: bias)
        let mc = m + co * g.ldm, mStride = g.mStride
        let oh = g.outputHeight, ow = g.outputWidth
        for ty in 0..<g.tilesH {
            var x0 = 0
            while x0 < g.tilesW {
                let n = min(16, g.tilesW - x0)
                let tt0 = ty * g.tilesW + x0
                @inline(__always) func load(_ i: Int, _ j: Int) -> SIMD16<Float> { loadVector(mc + (i * 4 + j) * mStride + tt0) }
                @inline(__always) func horizontal(_ i: Int) -> (SIMD16<Float>, SIMD16<Float>) {
                    outputTransform1D(load(i, 0), load(i, 1), load(i, 2), load(i, 3))
                }
                let s0 = horizontal(0), s1 = horizontal(1), s2 = horizontal(2), s3 = horizontal(3)
                let c0 = outputTransform1D(s0.0, s1.0, s2.0, s3.0), c1 = outputTransform1D(s0.1, s1.1, s2.1, s3.1)
                // tmp[(2 i + j) * 16 + lane]: output (2 ty + i, 2 (x0 + lane) + j).
                storeVector(activation(c0.0 + b), tmp)
                storeVector(activation(c1.0 + b), tmp + 16)
                storeVector(activation(c0.1 + b), tmp + 32)
                storeVector(activation(c1.1 + b), tmp + 48)
                let ox = 2 * x0
                let fullWidth = ox + 2 * n <= ow
                for i in 0..<2 {
                    let oy = 2 * ty + i
                    if oy >= oh { break }
                    let orow = output + oy * ow + ox
                    let even = UnsafePointer(tmp + 32 * i), odd = even + 16
                    if fullWidth {
                        for lane in 0..<n { orow[2 &* lane] = even[lane]; orow[2 &* lane &+ 1] = odd[lane] }
                    } else {
                        for lane in 0..<n {
                            orow[2 * lane] = even[lane]
                            if ox + 2 * lane + 1 < ow { orow[2 * lane + 1] = odd[lane] }
                        }
                    }
                }
                x0 += 16
            }
        }
    }
}
