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
        func blocks<A: VectorActivation>(_ activation: A) {
            ParallelFor.run(count: g.channelPitch / 16, threads: threads) { block, _ in
                channelBlock(g, c0: block * 16, weights: weights, bias: bias, activation: activation,
                             input: input, output: output)
            }
        }
        switch activation {
        case .none: blocks(IdentityActivation())
        case .relu: blocks(ReluActivation())
        case .clip(let low, let high): blocks(ClipActivation(low: low, high: high))
        default: blocks(GeneralActivation(activation: activation))
        }
    }

    @inline(__always)
    static func channelBlock<A: VectorActivation>(_ g: Geometry, c0: Int, weights: UnsafePointer<Float>,
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
            let o0 = tap(0, 0), o1 = tap(0, 1), o2 = tap(0, 2), o3 = tap(1, 0), o4 = tap(1, 1)
            let o5 = tap(1, 2), o6 = tap(2, 0), o7 = tap(2, 1), o8 = tap(2, 2)
            for oy in 0..<g.outputHeight {
                var window = input + oy * rowStep
                var out = output + oy * g.outputWidth * cp + c0
                for _ in 0..<g.outputWidth {
                    var acc = fusedMultiplyAdd(w0, loadVector(window + o0), b)
                    acc = fusedMultiplyAdd(w1, loadVector(window + o1), acc)
                    acc = fusedMultiplyAdd(w2, loadVector(window + o2), acc)
                    acc = fusedMultiplyAdd(w3, loadVector(window + o3), acc)
                    acc = fusedMultiplyAdd(w4, loadVector(window + o4), acc)
                    acc = fusedMultiplyAdd(w5, loadVector(window + o5), acc)
                    acc = fusedMultiplyAdd(w6, loadVector(window + o6), acc)
                    acc = fusedMultiplyAdd(w7, loadVector(window + o7), acc)
                    acc = fusedMultiplyAdd(w8, loadVector(window + o8), acc)
                    storeVector(activation(acc), out)
                    window += columnStep
                    out += cp
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
