/// Depthwise convolution (`groups == C_in == C_out`), vectorised over whole rows at once.
///
/// Per (image, channel) the input is copied into zero-padded *planes*: the padded image
/// split by the strides into `sh × sw` sub-images (padded row `py` goes to row-phase
/// `py % sh`, column `px` to column-phase `px % sw`), each stored flat with one pitch `P`.
/// Output `(oy, ox)` lives at flat index `oy * P + ox`, and every tap `(ky, kx)` reads
/// its plane at that same index plus a constant offset, so one 16-wide vector covers
/// parts of several output rows: a 7 × 7 map costs 4 vectors per tap instead of 7.
/// Lanes that land in the pitch's spare columns compute garbage that is never copied out.
enum Depthwise {
    struct Geometry {
        let outputHeight: Int
        let outputWidth: Int
        /// Row pitch of every plane and of the flat output.
        let pitch: Int
        /// Rows of one plane that hold padded input.
        let planeRows: Int
        /// Floats per plane: the rows plus what the last vector's taps read past them.
        let planeCount: Int
        /// Flat outputs computed (whole vectors).
        let flatOutputs: Int

        init(_ d: Convolution2DDescriptor, height: Int, width: Int) {
            let (oh, ow) = d.outputSize(inputHeight: height, inputWidth: width)
            outputHeight = oh
            outputWidth = ow
            let paddedHeight = height + d.padTop + d.padBottom
            let paddedWidth = width + d.padLeft + d.padRight
            pitch = (paddedWidth + d.strideWidth - 1) / d.strideWidth
            planeRows = (paddedHeight + d.strideHeight - 1) / d.strideHeight
            flatOutputs = (oh * pitch + 15) / 16 * 16
            let reach = (d.kernelHeight - 1) * d.dilationHeight / d.strideHeight * pitch
                + (d.kernelWidth - 1) * d.dilationWidth / d.strideWidth
            planeCount = max(planeRows * pitch, flatOutputs + reach)
        }

        func scratchPerThread(_ d: Convolution2DDescriptor) -> Int {
            d.strideHeight * d.strideWidth * planeCount + flatOutputs + 16
        }
    }

    static func run(descriptor d: Convolution2DDescriptor, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                    activation: FusedActivation, input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                    output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, threads: Int) {
        let g = Geometry(d, height: height, width: width)
        let channels = d.outputChannels
        let perThread = g.scratchPerThread(d)
        func runChannels<A: VectorActivation>(_ activation: A) {
            ParallelFor.run(count: batch * channels, threads: threads) { task, worker in
                let c = task % channels
                channel(d, g, weights: weights + c * d.kernelHeight * d.kernelWidth, bias: bias[c], activation: activation,
                        input: input + task * height * width, height: height, width: width,
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
    static func zero(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i &+ 16 <= count { storeVector(SIMD16(), p + i); i &+= 16 }
        while i < count { p[i] = 0; i &+= 1 }
    }

    @inline(__always)
    static func copy(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i &+ 16 <= count { storeVector(loadVector(src + i), dst + i); i &+= 16 }
        while i < count { dst[i] = src[i]; i &+= 1 }
    }

    /// Copies `count` floats in whole vectors: it may read and write up to 15 floats past
    /// `count`, so callers use it only where both sides have that slack and what it
    /// overwrites is written again afterwards (rows copied in order).
    @inline(__always)
    static func copyOverrunning(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        repeat { storeVector(loadVector(src + i), dst + i); i &+= 16 } while i < count
    }

    /// Copies one channel into its zero-padded planes.
    @inline(__always)
    static func fillPlanes(_ d: Convolution2DDescriptor, _ g: Geometry, input: UnsafePointer<Float>,
                           height: Int, width: Int, planes: UnsafeMutablePointer<Float>) {
        let sh = d.strideHeight, sw = d.strideWidth, p = g.pitch
        if sh == 1 && sw == 1 {
            // One plane: zero only what the row copies leave (pad rows, row heads/tails, the tail).
            // Rows whose source has 15 floats of slack behind them copy in whole vectors; the
            // spill lands in the next row (or the bottom padding), which is written after.
            zero(planes, d.padTop * p)
            let total = height * width
            for y in 0..<height {
                let row = planes + (y + d.padTop) * p
                zero(row, d.padLeft)
                if y * width + (width + 15) / 16 * 16 <= total {
                    copyOverrunning(input + y * width, row + d.padLeft, width)
                } else {
                    copy(input + y * width, row + d.padLeft, width)
                }
                zero(row + d.padLeft + width, p - d.padLeft - width)
            }
            let filled = (d.padTop + height) * p
            zero(planes + filled, g.planeCount - filled)
            return
        }
        zero(planes, sh * sw * g.planeCount)
        for y in 0..<height {
            let py = y + d.padTop
            let rowBase = planes + (py % sh) * sw * g.planeCount + (py / sh) * p
            let src = input + y * width
            if sw == 2 {
                // Even padded columns go to column-phase 0, odd ones to phase 1.
                let even = rowBase + (d.padLeft & 1) * g.planeCount + d.padLeft / 2
                let odd = rowBase + ((d.padLeft + 1) & 1) * g.planeCount + (d.padLeft + 1) / 2
                let pairs = width / 2
                for i in 0..<pairs {
                    even[i] = src[2 &* i]
                    odd[i] = src[2 &* i &+ 1]
                }
                if width & 1 == 1 { even[pairs] = src[width - 1] }
            } else {
                for x in 0..<width {
                    let px = x + d.padLeft
                    rowBase[(px % sw) * g.planeCount + px / sw] = src[x]
                }
            }
        }
    }

    @inline(__always)
    static func channel<A: VectorActivation>(_ d: Convolution2DDescriptor, _ g: Geometry, weights: UnsafePointer<Float>,
                                             bias: Float, activation: A, input: UnsafePointer<Float>, height: Int, width: Int,
                        output: UnsafeMutablePointer<Float>, buffer: UnsafeMutablePointer<Float>) {
        let sh = d.strideHeight, sw = d.strideWidth
        fillPlanes(d, g, input: input, height: height, width: width, planes: buffer)
        let flat = buffer + sh * sw * g.planeCount
        let kh = d.kernelHeight, kw = d.kernelWidth
        let biasVector = SIMD16<Float>(repeating: bias)
        /// Where tap `(ky, kx)` reads for flat output 0.
        @inline(__always) func tap(_ ky: Int, _ kx: Int) -> UnsafePointer<Float> {
            let dy = ky * d.dilationHeight, dx = kx * d.dilationWidth
            return UnsafePointer(buffer + ((dy % sh) * sw + dx % sw) * g.planeCount + (dy / sh) * g.pitch + dx / sw)
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
        // the next row, written after, so only the last rows copy exactly.
        let ow = g.outputWidth, total = g.outputHeight * ow
        for oy in 0..<g.outputHeight {
            if oy * ow + (ow + 15) / 16 * 16 <= total {
                copyOverrunning(UnsafePointer(flat + oy * g.pitch), output + oy * ow, ow)
            } else {
                copy(UnsafePointer(flat + oy * g.pitch), output + oy * ow, ow)
            }
        }
    }
}
