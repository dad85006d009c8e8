/// Depthwise convolution over a channels-last image, one 16-channel vector per output pixel.
///
/// The NCHW kernel (`Depthwise`) copies every channel into its stride planes and vectorises
/// along the pixels: on a 7 × 7 map most of its time goes into that set-up, per channel
/// (960 channels: 41 µs). Channels-last, a vector spans 16 channels of one pixel, every tap
/// is one load and one multiply-add, and nothing is copied. The input carries its zero
/// padding (`paddedWidth × paddedHeight` pixels of `channelPitch` floats), so no tap is
/// bounds-checked; used inside `PointwiseDepthwiseOperator`, whose pointwise GEMM writes the
/// padded image directly.
enum ChannelsLastDepthwise {
    struct Geometry {
        let descriptor: Convolution2DDescriptor
        let paddedWidth: Int
        let outputHeight: Int, outputWidth: Int
        /// Floats per pixel in input and output (a multiple of 16, ≥ channels).
        let channelPitch: Int
    }

    /// `weights`: OIHW with one input channel per group. Returns `kh · kw` rows of
    /// `channelPitch` floats, zero past the channels.
    static func packWeights(_ d: Convolution2DDescriptor, channelPitch: Int, weights: UnsafePointer<Float>) -> [Float] {
        let taps = d.kernelHeight * d.kernelWidth
        var packed = [Float](repeating: 0, count: taps * channelPitch)
        for c in 0..<d.outputChannels {
            for t in 0..<taps { packed[t * channelPitch + c] = weights[c * taps + t] }
        }
        return packed
    }

    /// - input: padded channels-last image; output: `outputHeight · outputWidth` pixels.
    /// - bias: `channelPitch` floats.
    static func run(_ g: Geometry, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, activation: FusedActivation,
                    input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, threads: Int) {
        ParallelFor.run(count: g.channelPitch / 16, threads: threads) { block, _ in
            channelBlocks(g, block..<block + 1, weights: weights, bias: bias, activation: activation, input: input,
                          output: output)
        }
    }

    /// The 16-channel blocks `blocks` (channels `16 b ..< 16 b + 16`) on the calling thread, the
    /// activation resolved once for them (the channel split of `PointwiseDepthwiseBands` takes
    /// two per 32-channel panel).
    static func channelBlocks(_ g: Geometry, _ blocks: Range<Int>, weights: UnsafePointer<Float>,
                              bias: UnsafePointer<Float>, activation: FusedActivation, input: UnsafePointer<Float>,
                              output: UnsafeMutablePointer<Float>) {
        func run<A: VectorActivation>(_ activation: A) {
            for block in blocks {
                channelBlock(g, c0: block * 16, weights: weights, bias: bias, activation: activation, input: input,
                             output: output)
            }
        }
        switch activation {
        case .none: run(IdentityActivation())
        case .relu: run(ReluActivation())
        case .clip(let low, let high): run(ClipActivation(low: low, high: high))
        default: run(GeneralActivation(activation: activation))
        }
    }

    @inline(__always)
    private static func channelBlock<A: VectorActivation>(_ g: Geometry, c0: Int, weights: UnsafePointer<Float>,
                                                  bias: UnsafePointer<Float>, activation: A,
                                                  input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let d = g.descriptor, cp = g.channelPitch
        let kh = d.kernelHeight, kw = d.kernelWidth
        let b = loadVector(bias + c0)
        let rowStep = d.strideHeight * g.paddedWidth * cp, columnStep = d.strideWidth * cp
        /// Input offset of tap (ky, kx) from the output pixel's window origin.
        @inline(__always) func tap(_ ky: Int, _ kx: Int) -> Int {
            (ky * d.dilationHeight * g.paddedWidth + kx * d.dilationWidth) * cp + c0
        }
        if kh == 3 && kw == 3 {
            let w0 = loadVector(weights + c0), w1 = loadVector(weights + cp + c0), w2 = loadVector(weights + 2 * cp + c0)
            let w3 = loadVector(weights + 3 * cp + c0), w4 = loadVector(weights + 4 * cp + c0)
            let w5 = loadVector(weights + 5 * cp + c0), w6 = loadVector(weights + 6 * cp + c0)
            let w7 = loadVector(weights + 7 * cp + c0), w8 = loadVector(weights + 8 * cp + c0)
            let tapStep = d.dilationWidth * cp, rowTap = d.dilationHeight * g.paddedWidth * cp
            for oy in 0..<g.outputHeight {
                // Three window rows, each read at a pixel's offset plus 0, 1 and 2 tap steps.
                let r0 = input + oy * rowStep + c0, r1 = r0 + rowTap, r2 = r1 + rowTap
                @inline(__always) func pixel(_ p: Int) -> SIMD16<Float> {
                    var acc = fusedMultiplyAdd(w0, loadVector(r0 + p), b)
                    acc = fusedMultiplyAdd(w1, loadVector(r0 + (p &+ tapStep)), acc)
                    acc = fusedMultiplyAdd(w2, loadVector(r0 + (p &+ 2 &* tapStep)), acc)
                    acc = fusedMultiplyAdd(w3, loadVector(r1 + p), acc)
                    acc = fusedMultiplyAdd(w4, loadVector(r1 + (p &+ tapStep)), acc)
                    acc = fusedMultiplyAdd(w5, loadVector(r1 + (p &+ 2 &* tapStep)), acc)
                    acc = fusedMultiplyAdd(w6, loadVector(r2 + p), acc)
                    acc = fusedMultiplyAdd(w7, loadVector(r2 + (p &+ tapStep)), acc)
                    return fusedMultiplyAdd(w8, loadVector(r2 + (p &+ 2 &* tapStep)), acc)
                }
                let out = output + oy * g.outputWidth * cp + c0
                var x = 0
                // Eight pixels at a time along a window of their taps (see `EightPixels`).
                if d.dilationWidth == 1 && d.strideWidth == 1 {
                    while x &+ 8 <= g.outputWidth {
                        var a = EightPixels(b)
                        let p = x &* columnStep
                        a.addStride1(row: r0 + p, step: cp, w0, w1, w2)
                        a.addStride1(row: r1 + p, step: cp, w3, w4, w5)
                        a.addStride1(row: r2 + p, step: cp, w6, w7, w8)
                        a.store(out + x &* cp, step: cp, activation)
                        x &+= 8
                    }
                } else if d.dilationWidth == 1 && d.strideWidth == 2 {
                    while x &+ 8 <= g.outputWidth {
                        var a = EightPixels(b)
                        let p = x &* columnStep
                        a.addStride2(row: r0 + p, step: cp, w0, w1, w2)
                        a.addStride2(row: r1 + p, step: cp, w3, w4, w5)
                        a.addStride2(row: r2 + p, step: cp, w6, w7, w8)
                        a.store(out + x &* cp, step: cp, activation)
                        x &+= 8
                    }
                }
                // Four pixels at a time: four independent chains of nine multiply-adds (one chain
                // waited on the multiply-add latency).
                while x &+ 4 <= g.outputWidth {
                    let p = x &* columnStep
                    let a0 = pixel(p), a1 = pixel(p &+ columnStep)
                    let a2 = pixel(p &+ 2 &* columnStep), a3 = pixel(p &+ 3 &* columnStep)
                    storeVector(activation(a0), out + x &* cp)
                    storeVector(activation(a1), out + (x &+ 1) &* cp)
                    storeVector(activation(a2), out + (x &+ 2) &* cp)
                    storeVector(activation(a3), out + (x &+ 3) &* cp)
                    x &+= 4
                }
                while x < g.outputWidth {
                    storeVector(activation(pixel(x &* columnStep)), out + x &* cp)
                    x &+= 1
                }
            }
        } else {
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    let window = input + oy * rowStep + ox * columnStep
                    var acc = b
                    for ky in 0..<kh {
                        for kx in 0..<kw {
                            acc = fusedMultiplyAdd(loadVector(weights + (ky * kw + kx) * cp + c0), loadVector(window + tap(ky, kx)), acc)
                        }
                    }
                    storeVector(activation(acc), output + (oy * g.outputWidth + ox) * cp + c0)
                }
            }
        }
    }
}

/// Eight output pixels' accumulators for a 3 × 3 depthwise kernel without dilation. Each
/// window row is read once along its pixels (10 vectors for stride 1, 17 for stride 2) and
/// every vector feeds the pixels whose taps it is: four pixels with each tap's address
/// computed apart kept 36 pointers live and spilled them (a 32-channel 112 × 112 map: 0.23 ms
/// for 3.6 M multiply-adds); eight chains also hide the multiply-add latency.
private struct EightPixels {
    var a0, a1, a2, a3, a4, a5, a6, a7: SIMD16<Float>

    @inline(__always) init(_ bias: SIMD16<Float>) {
        (a0, a1, a2, a3, a4, a5, a6, a7) = (bias, bias, bias, bias, bias, bias, bias, bias)
    }

    /// Adds one window row (`row`: the first pixel's left tap; input pixels `step` floats
    /// apart) times its weights `w0 w1 w2`, stride 1: 10 vectors along the row.
    @inline(__always)
    mutating func addStride1(row: UnsafePointer<Float>, step: Int, _ w0: SIMD16<Float>, _ w1: SIMD16<Float>,
                           _ w2: SIMD16<Float>) {
        var q = row
        @inline(__always) func next() -> SIMD16<Float> { let v = loadVector(q); q += step; return v }
        var v0 = next(), v1 = next(), v2 = next()
        a0 = fusedMultiplyAdd(w2, v2, fusedMultiplyAdd(w1, v1, fusedMultiplyAdd(w0, v0, a0)))
        (v0, v1, v2) = (v1, v2, next())
        a1 = fusedMultiplyAdd(w2, v2, fusedMultiplyAdd(w1, v1, fusedMultiplyAdd(w0, v0, a1)))
        (v0, v1, v2) = (v1, v2, next())
        a2 = fusedMultiplyAdd(w2, v2, fusedMultiplyAdd(w1, v1, fusedMultiplyAdd(w0, v0, a2)))
        (v0, v1, v2) = (v1, v2, next())
        a3 = fusedMultiplyAdd(w2, v2, fusedMultiplyAdd(w1, v1, fusedMultiplyAdd(w0, v0, a3)))
        (v0, v1, v2) = (v1, v2, next())
        a4 = fusedMultiplyAdd(w2, v2, fusedMultiplyAdd(w1, v1, fusedMultiplyAdd(w0, v0, a4)))
        (v0, v1, v2) = (v1, v2, next())
        a5 = fusedMultiplyAdd(w2, v2, fusedMultiplyAdd(w1, v1, fusedMultiplyAdd(w0, v0, a5)))
        (v0, v1, v2) = (v1, v2, next())
        a6 = fusedMultiplyAdd(w2, v2, fusedMultiplyAdd(w1, v1, fusedMultiplyAdd(w0, v0, a6)))
        (v0, v1, v2) = (v1, v2, next())
        a7 = fusedMultiplyAdd(w2, v2, fusedMultiplyAdd(w1, v1, fusedMultiplyAdd(w0, v0, a7)))
    }

    /// Adds one window row (`row`: the first pixel's left tap; input pixels `step` floats
    /// apart) times its weights `w0 w1 w2`, stride 2: 17 vectors along the row.
    @inline(__always)
    mutating func addStride2(row: UnsafePointer<Float>, step: Int, _ w0: SIMD16<Float>, _ w1: SIMD16<Float>,
                           _ w2: SIMD16<Float>) {
        var q = row
        @inline(__always) func next() -> SIMD16<Float> { let v = loadVector(q); q += step; return v }
        var v0 = next(), v1 = next(), v2 = next()
        a0 = fusedMultiplyAdd(w2, v2, fusedMultiplyAdd(w1, v1, fusedMultiplyAdd(w0, v0, a0)))
        (v0, v1, v2) = (v2, next(), next())
        a1 = fusedMultiplyAdd(w2, v2, fusedMultiplyAdd(w1, v1, fusedMultiplyAdd(w0, v0, a1)))
        (v0, v1, v2) = (v2, next(), next())
        a2 = fusedMultiplyAdd(w2, v2, fusedMultiplyAdd(w1, v1, fusedMultiplyAdd(w0, v0, a2)))
        (v0, v1, v2) = (v2, next(), next())
        a3 = fusedMultiplyAdd(w2, v2, fusedMultiplyAdd(w1, v1, fusedMultiplyAdd(w0, v0, a3)))
        (v0, v1, v2) = (v2, next(), next())
        a4 = fusedMultiplyAdd(w2, v2, fusedMultiplyAdd(w1, v1, fusedMultiplyAdd(w0, v0, a4)))
        (v0, v1, v2) = (v2, next(), next())
        a5 = fusedMultiplyAdd(w2, v2, fusedMultiplyAdd(w1, v1, fusedMultiplyAdd(w0, v0, a5)))
        (v0, v1, v2) = (v2, next(), next())
        a6 = fusedMultiplyAdd(w2, v2, fusedMultiplyAdd(w1, v1, fusedMultiplyAdd(w0, v0, a6)))
        (v0, v1, v2) = (v2, next(), next())
        a7 = fusedMultiplyAdd(w2, v2, fusedMultiplyAdd(w1, v1, fusedMultiplyAdd(w0, v0, a7)))
    }

    @inline(__always)
    func store<A: VectorActivation>(_ out: UnsafeMutablePointer<Float>, step: Int, _ activation: A) {
        storeVector(activation(a0), out)
        storeVector(activation(a1), out + step)
        storeVector(activation(a2), out + 2 &* step)
        storeVector(activation(a3), out + 3 &* step)
        storeVector(activation(a4), out + 4 &* step)
        storeVector(activation(a5), out + 5 &* step)
        storeVector(activation(a6), out + 6 &* step)
        storeVector(activation(a7), out + 7 &* step)
    }
}
