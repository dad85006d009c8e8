/// Depthwise convolution (`groups == C_in == C_out`), vectorised along W.
///
/// Per (image, channel) the input is copied once into a zero-padded buffer whose
/// columns are de-interleaved by the horizontal stride (phase `x % sw` stored
/// apart), so every tap of every stride/dilation reads 16 consecutive floats.
/// Each 16-wide output vector accumulates all taps in a register, then the
/// bias and activation are applied before one store.
enum Depthwise {
    struct Geometry {
        let paddedHeight: Int
        let phaseWidth: Int
        let outputHeight: Int
        let outputWidth: Int

        init(_ d: Convolution2DDescriptor, height: Int, width: Int) {
            let (oh, ow) = d.outputSize(inputHeight: height, inputWidth: width)
            outputHeight = oh
            outputWidth = ow
            paddedHeight = height + d.padTop + d.padBottom
            let paddedWidth = width + d.padLeft + d.padRight
            let owPad = (ow + 15) / 16 * 16
            let need = max((paddedWidth + d.strideWidth - 1) / d.strideWidth,
                           owPad + (d.kernelWidth - 1) * d.dilationWidth / d.strideWidth + 1)
            phaseWidth = (need + 15) / 16 * 16
        }

        func scratchPerThread(strideWidth: Int) -> Int { strideWidth * paddedHeight * phaseWidth }
    }

    static func run(descriptor d: Convolution2DDescriptor, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                    activation: FusedActivation, input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                    output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, threads: Int) {
        let g = Geometry(d, height: height, width: width)
        let channels = d.outputChannels
        let perThread = g.scratchPerThread(strideWidth: d.strideWidth)
        ParallelFor.run(count: batch * channels, threads: threads) { task, worker in
            let c = task % channels
            channel(d, g, weights: weights + c * d.kernelHeight * d.kernelWidth, bias: bias[c], activation: activation,
                    input: input + task * height * width, height: height, width: width,
                    output: output + task * g.outputHeight * g.outputWidth,
                    buffer: scratch + worker * perThread)
        }
    }

    @inline(__always)
    static func channel(_ d: Convolution2DDescriptor, _ g: Geometry, weights: UnsafePointer<Float>, bias: Float,
                        activation: FusedActivation, input: UnsafePointer<Float>, height: Int, width: Int,
                        output: UnsafeMutablePointer<Float>, buffer: UnsafeMutablePointer<Float>) {
        let sw = d.strideWidth
        let pw = g.phaseWidth
        let phaseStride = g.paddedHeight * pw
        // Zero-padded, stride-de-interleaved copy of the channel: only what the copy
        // below does not overwrite is zeroed (pad rows; each row's head and tail).
        @inline(__always) func zero(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
            var i = 0
            while i &+ 16 <= count { storeVector(SIMD16(), p + i); i &+= 16 }
            while i < count { p[i] = 0; i &+= 1 }
        }
        for phase in 0..<sw {
            let base = buffer + phase * phaseStride
            zero(base, d.padTop * pw)
            zero(base + (d.padTop + height) * pw, (g.paddedHeight - d.padTop - height) * pw)
            // Columns idx of this phase hold padded x = idx * sw + phase; the image covers
            // [padLeft, padLeft + width).
            let lo = max(0, (d.padLeft - phase + sw - 1) / sw)
            let hi = min(pw, max(lo, (d.padLeft + width - phase + sw - 1) / sw))
            for y in 0..<height {
                let row = base + (d.padTop + y) * pw
                zero(row, lo)
                zero(row + hi, pw - hi)
            }
        }
        for y in 0..<height {
            let src = input + y * width
            let py = y + d.padTop
            if sw == 1 {
                let dst = buffer + py * pw + d.padLeft
                var x = 0
                while x + 16 <= width { storeVector(loadVector(src + x), dst + x); x += 16 }
                while x < width { dst[x] = src[x]; x += 1 }
            } else if sw == 2 {
                // Even source columns go to phase padLeft % 2, odd ones to the other.
                let rowBase = buffer + py * pw
                let evenDst = rowBase + (d.padLeft & 1) * phaseStride + d.padLeft / 2
                let oddDst = rowBase + ((d.padLeft + 1) & 1) * phaseStride + (d.padLeft + 1) / 2
                let pairs = width / 2
                for i in 0..<pairs {
                    evenDst[i] = src[2 &* i]
                    oddDst[i] = src[2 &* i &+ 1]
                }
                if width & 1 == 1 { evenDst[pairs] = src[width - 1] }
            } else {
                var phase = d.padLeft % sw, index = d.padLeft / sw
                let rowBase = buffer + py * pw
                for x in 0..<width {
                    rowBase[phase * phaseStride + index] = src[x]
                    phase += 1
                    if phase == sw { phase = 0; index += 1 }
                }
            }
        }
        let kh = d.kernelHeight, kw = d.kernelWidth
        let ow = g.outputWidth
        let biasVector = SIMD16<Float>(repeating: bias)
        if kh == 3 && kw == 3 && d.dilationWidth == 1 && d.dilationHeight == 1 && sw <= 2 {
            // 3×3 with stride 1 or 2: taps unrolled, weights held in registers.
            let w0 = SIMD16<Float>(repeating: weights[0]), w1 = SIMD16<Float>(repeating: weights[1])
            let w2 = SIMD16<Float>(repeating: weights[2]), w3 = SIMD16<Float>(repeating: weights[3])
            let w4 = SIMD16<Float>(repeating: weights[4]), w5 = SIMD16<Float>(repeating: weights[5])
            let w6 = SIMD16<Float>(repeating: weights[6]), w7 = SIMD16<Float>(repeating: weights[7])
            let w8 = SIMD16<Float>(repeating: weights[8])
            // Column kx reads phase kx % sw at offset kx / sw.
            let o0 = 0
            let o1 = sw == 1 ? 1 : phaseStride
            let o2 = sw == 1 ? 2 : 1
            for oy in 0..<g.outputHeight {
                let r0 = UnsafePointer(buffer + oy * d.strideHeight * pw)
                let r1 = r0 + pw, r2 = r1 + pw
                let out = output + oy * ow
                var x = 0
                while x < ow {
                    var acc = biasVector
                    acc = fusedMultiplyAdd(w0, loadVector(r0 + x + o0), acc)
                    acc = fusedMultiplyAdd(w1, loadVector(r0 + x + o1), acc)
                    acc = fusedMultiplyAdd(w2, loadVector(r0 + x + o2), acc)
                    acc = fusedMultiplyAdd(w3, loadVector(r1 + x + o0), acc)
                    acc = fusedMultiplyAdd(w4, loadVector(r1 + x + o1), acc)
                    acc = fusedMultiplyAdd(w5, loadVector(r1 + x + o2), acc)
                    acc = fusedMultiplyAdd(w6, loadVector(r2 + x + o0), acc)
                    acc = fusedMultiplyAdd(w7, loadVector(r2 + x + o1), acc)
                    acc = fusedMultiplyAdd(w8, loadVector(r2 + x + o2), acc)
                    storeOutput(activation.apply(acc), out + x, count: ow - x)
                    x += 16
                }
            }
            return
        }
        for oy in 0..<g.outputHeight {
            let out = output + oy * ow
            var x = 0
            while x < ow {
                var acc = biasVector
                for ky in 0..<kh {
                    let row = UnsafePointer(buffer + (oy * d.strideHeight + ky * d.dilationHeight) * pw + x)
                    for kx in 0..<kw {
                        let offset = kx * d.dilationWidth
                        let src = row + (offset % sw) * phaseStride + offset / sw
                        acc = fusedMultiplyAdd(SIMD16(repeating: weights[ky * kw + kx]), loadVector(src), acc)
                    }
                }
                storeOutput(activation.apply(acc), out + x, count: ow - x)
                x += 16
            }
        }
    }

    @inline(__always)
    static func storeOutput(_ v: SIMD16<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 16 {
            storeVector(v, dst)
        } else {
            for j in 0..<count { dst[j] = v[j] }
        }
    }
}
