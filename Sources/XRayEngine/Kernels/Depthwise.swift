/// Depthwise convolution (`groups == C_in == C_out`), vectorised over whole rows at once.
///
/// Per (image, channel) the input is copied into its `StridePlanes`; every tap reads its
/// plane at the flat output index plus a constant offset, so one 16-wide vector covers
/// parts of several output rows: a 7 × 7 map costs 4 vectors per tap instead of 7.
/// Lanes that land in the pitch's spare columns compute garbage that is never copied out.
enum Depthwise {
    static func run(descriptor d: Convolution2DDescriptor, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                    activation: FusedActivation, input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                    output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, threads: Int) {
        let g = StridePlanes(d, height: height, width: width)
        let channels = d.outputChannels
        let perThread = g.scratchPerThread
        // Zero each worker's planes once; every channel then writes only its pixels.
        for worker in 0..<ParallelFor.workerCount(count: batch * channels, threads: threads) {
            StridePlanes.zero(scratch + worker * perThread, g.channelCount)
        }
        let inputCount = batch * channels * height * width
        func runChannels<A: VectorActivation>(_ activation: A) {
            ParallelFor.run(count: batch * channels, threads: threads) { task, worker in
                let c = task % channels
                channel(g, weights: weights + c * d.kernelHeight * d.kernelWidth, bias: bias[c], activation: activation,
                        input: input + task * height * width, readable: inputCount - task * height * width,
                        output: output + task * g.outputHeight * g.outputWidth,
                        buffer: scratch + worker * perThread)
            }
        }
        switch activation {
        case .none: runChannels(IdentityActivation())
        case .relu: runChannels(ReluActivation())
        case .clip(let low, let high): runChannels(ClipActivation(low: low, high: high))
        default: runChannels(GeneralActivation(activation: activation))
        }
    }

    @inline(__always)
    static func channel<A: VectorActivation>(_ g: StridePlanes, weights: UnsafePointer<Float>, bias: Float,
                                             activation: A, input: UnsafePointer<Float>, readable: Int,
                                             output: UnsafeMutablePointer<Float>, buffer: UnsafeMutablePointer<Float>) {
        g.fill(input, planes: buffer, padsAreZero: true, readable: readable)
        let flat = buffer + g.channelCount
        let kh = g.descriptor.kernelHeight, kw = g.descriptor.kernelWidth
        let biasVector = SIMD16<Float>(repeating: bias)
        /// Where tap `(ky, kx)` reads for flat output 0.
        @inline(__always) func tap(_ ky: Int, _ kx: Int) -> UnsafePointer<Float> {
            UnsafePointer(buffer + g.tapOffset(ky, kx))
        }
        if kh == 3 && kw == 3 {
            // Weights and tap addresses held in registers.
            let w0 = SIMD16<Float>(repeating: weights[0]), w1 = SIMD16<Float>(repeating: weights[1])
            let w2 = SIMD16<Float>(repeating: weights[2]), w3 = SIMD16<Float>(repeating: weights[3])
            let w4 = SIMD16<Float>(repeating: weights[4]), w5 = SIMD16<Float>(repeating: weights[5])
            let w6 = SIMD16<Float>(repeating: weights[6]), w7 = SIMD16<Float>(repeating: weights[7])
            let w8 = SIMD16<Float>(repeating: weights[8])
            let t0 = tap(0, 0), t1 = tap(0, 1), t2 = tap(0, 2)
            let t3 = tap(1, 0), t4 = tap(1, 1), t5 = tap(1, 2)
            let t6 = tap(2, 0), t7 = tap(2, 1), t8 = tap(2, 2)
            var i = 0
            while i < g.flatOutputs {
                var acc = fusedMultiplyAdd(w0, loadVector(t0 + i), biasVector)
                acc = fusedMultiplyAdd(w1, loadVector(t1 + i), acc)
                acc = fusedMultiplyAdd(w2, loadVector(t2 + i), acc)
                acc = fusedMultiplyAdd(w3, loadVector(t3 + i), acc)
                acc = fusedMultiplyAdd(w4, loadVector(t4 + i), acc)
                acc = fusedMultiplyAdd(w5, loadVector(t5 + i), acc)
                acc = fusedMultiplyAdd(w6, loadVector(t6 + i), acc)
                acc = fusedMultiplyAdd(w7, loadVector(t7 + i), acc)
                acc = fusedMultiplyAdd(w8, loadVector(t8 + i), acc)
                storeVector(activation(acc), flat + i)
                i &+= 16
            }
        } else {
            var i = 0
            while i < g.flatOutputs {
                var acc = biasVector
                for ky in 0..<kh {
                    for kx in 0..<kw {
                        acc = fusedMultiplyAdd(SIMD16(repeating: weights[ky * kw + kx]), loadVector(tap(ky, kx) + i), acc)
                    }
                }
                storeVector(activation(acc), flat + i)
                i &+= 16
            }
        }
        // The flat buffer has a vector of slack past every row; output rows spill into
        // the next row, written after, so only the last rows copy exactly. Maps narrower than a
        // vector are compacted in the worker's buffer first and stored in whole vectors.
        let ow = g.outputWidth, total = g.outputHeight * ow
        if ow < 16 && total >= 16 {
            let compact = flat + g.flatOutputs + 16
            for oy in 0..<g.outputHeight {
                StridePlanes.copyOverrunning(UnsafePointer(flat + oy * g.pitch), compact + oy * ow, ow)
            }
            StridePlanes.copy(UnsafePointer(compact), output, total)
            return
        }
        for oy in 0..<g.outputHeight {
            if oy * ow + (ow + 15) / 16 * 16 <= total {
                StridePlanes.copyOverrunning(UnsafePointer(flat + oy * g.pitch), output + oy * ow, ow)
            } else {
                StridePlanes.copy(UnsafePointer(flat + oy * g.pitch), output + oy * ow, ow)
            }
        }
    }
}
