/// The pixels a strided 1×1 convolution reads (`(oy·sh, ox·sw)`), gathered into a compact
/// `C × OH × OW` input so the convolution runs as a plain GEMM over it. ResNet's stride-2
/// shortcuts went through `StridePlanes` before: zeroing and filling all four planes of the
/// input to read one of them.
struct PointwiseSubsample {
    let channels: Int
    let height: Int
    let width: Int
    let strideHeight: Int
    let strideWidth: Int
    let outputHeight: Int
    let outputWidth: Int

    init(_ d: Convolution2DDescriptor, height: Int, width: Int) {
        channels = d.inputChannels
        self.height = height
        self.width = width
        strideHeight = d.strideHeight
        strideWidth = d.strideWidth
        (outputHeight, outputWidth) = d.outputSize(inputHeight: height, inputWidth: width)
    }

    var isStrided: Bool { strideHeight > 1 || strideWidth > 1 }

    /// Floats of the compact input (none when the convolution is not strided).
    var scratchCount: Int { isStrided ? channels * outputHeight * outputWidth : 0 }

    /// Gathers one image's sampled pixels into `output` (`scratchCount` floats), threads over channels.
    func run(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, threads: Int) {
        let plane = height * width, outputPlane = outputHeight * outputWidth
        let ow = outputWidth, sh = strideHeight, sw = strideWidth, width = width
        let rows = outputHeight
        ParallelFor.run(count: channels, threads: threads) { c, _ in
            let src = input + c * plane, dst = output + c * outputPlane
            for oy in 0..<rows {
                let row = src + oy * sh * width, out = dst + oy * ow
                var ox = 0
                if sw == 2 {
                    // 32 floats in, the even 16 out; the last vector must stay inside the row.
                    while 2 &* ox &+ 32 <= width {
                        let v = UnsafeRawPointer(row + 2 &* ox).loadUnaligned(as: SIMD32<Float>.self)
                        storeVector(v.evenHalf, out + ox)
                        ox &+= 16
                    }
                } else if sw == 1 {
                    StridePlanes.copy(row, out, ow)
                    ox = ow
                }
                while ox < ow {
                    out[ox] = row[ox &* sw]
                    ox &+= 1
                }
            }
        }
    }
}
