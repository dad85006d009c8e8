/// A convolution ready to run: weights packed once for one geometry and algorithm.
///
/// Every Conv node executes through `ConvolutionKernels.make(descriptor:weights:bias:activation:algorithm:)`
/// (called once per Conv, geometry and algorithm, by the first session that needs them) and then `run(...)` on NCHW buffers and a scratch area that the session fixed
/// when it was prepared, so running allocates nothing.
protocol ConvolutionKernel: AnyObject, Sendable {
    /// Floats of scratch `run` needs for this input size and thread count.
    func scratchCount(height: Int, width: Int, threads: Int) -> Int
    /// Convolves `batch` NCHW images of `height × width` into `output`
    /// (NCHW, size from `descriptor.outputSize`), adding bias and applying the activation.
    func run(input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
             output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, threads: Int)
}

enum ConvolutionKernels {
    /// Packs `weights` (OIHW, `descriptor.weightCount` floats) and `bias`
    /// (`outputChannels` floats) for `descriptor` and `algorithm` (`PackedConvolution2D`;
    /// nil: its default for the case). `reference: true` gives the plain direct convolution
    /// that tests compare the fast kernels with.
    static func make(descriptor: Convolution2DDescriptor, weights: [Float], bias: [Float],
                     activation: FusedActivation, algorithm: PackedConvolution2D.Algorithm? = nil,
                     reference: Bool = false) -> any ConvolutionKernel {
        if reference {
            return ReferenceConvolution(descriptor: descriptor, weights: weights, bias: bias, activation: activation)
        }
        return FastConvolution(descriptor: descriptor, weights: weights, bias: bias, activation: activation,
                               algorithm: algorithm)
    }
}

/// The optimised kernels (`Kernels/`) behind the engine's kernel interface.
final class FastConvolution: ConvolutionKernel, @unchecked Sendable {
    let packed: PackedConvolution2D

    init(descriptor: Convolution2DDescriptor, weights: [Float], bias: [Float], activation: FusedActivation,
         algorithm: PackedConvolution2D.Algorithm?) {
        packed = weights.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                PackedConvolution2D(descriptor: descriptor, weights: w, bias: b, activation: activation, algorithm: algorithm)
            }
        }
    }

    func scratchCount(height: Int, width: Int, threads: Int) -> Int {
        packed.scratchCount(inputHeight: height, inputWidth: width, threads: threads)
    }

    func run(input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
             output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, threads: Int) {
        packed.run(input: input, batch: batch, inputHeight: height, inputWidth: width,
                   output: output, scratch: scratch, threads: threads)
    }
}

/// Plain direct convolution: the reference for correctness tests of fast kernels.
final class ReferenceConvolution: ConvolutionKernel, @unchecked Sendable {
    let descriptor: Convolution2DDescriptor
    let weights: [Float]
    let bias: [Float]
    let activation: FusedActivation

    init(descriptor: Convolution2DDescriptor, weights: [Float], bias: [Float], activation: FusedActivation) {
        precondition(weights.count == descriptor.weightCount)
        precondition(bias.count == descriptor.outputChannels)
        self.descriptor = descriptor
        self.weights = weights
        self.bias = bias
        self.activation = activation
    }

    func scratchCount(height: Int, width: Int, threads: Int) -> Int { 0 }

    func run(input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
             output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, threads: Int) {
        let d = descriptor
        let (oh, ow) = d.outputSize(inputHeight: height, inputWidth: width)
        let icg = d.inputChannels / d.groups, ocg = d.outputChannels / d.groups
        let kh = d.kernelHeight, kw = d.kernelWidth
        let plane = oh * ow
        weights.withUnsafeBufferPointer { wbuf in
            let w = wbuf.baseAddress!
            for n in 0..<batch {
                let inImage = input + n * d.inputChannels * height * width
                let outImage = output + n * d.outputChannels * plane
                for oc in 0..<d.outputChannels {
                    let g = oc / ocg
                    let dst = outImage + oc * plane
                    dst.update(repeating: bias[oc], count: plane)
                    for icl in 0..<icg {
                        let src = inImage + (g * icg + icl) * height * width
                        let wk = w + ((oc * icg + icl) * kh) * kw
                        for ky in 0..<kh {
                            for kx in 0..<kw {
                                let wv = wk[ky * kw + kx]
                                if wv == 0 { continue }
                                let xOff = kx * d.dilationWidth - d.padLeft
                                // ow range where 0 <= ox*s + xOff < width
                                var x0 = 0
                                if xOff < 0 { x0 = (-xOff + d.strideWidth - 1) / d.strideWidth }
                                var x1 = ow
                                if width - xOff <= 0 { x1 = 0 } else { x1 = Swift.min(ow, (width - xOff + d.strideWidth - 1) / d.strideWidth) }
                                if x0 >= x1 { continue }
                                for oy in 0..<oh {
                                    let iy = oy * d.strideHeight - d.padTop + ky * d.dilationHeight
                                    if iy < 0 || iy >= height { continue }
                                    let row = src + iy * width + xOff
                                    let orow = dst + oy * ow
                                    let s = d.strideWidth
                                    for ox in x0..<x1 { orow[ox] += wv * row[ox * s] }
                                }
                            }
                        }
                    }
                    activation.apply(dst, count: plane)
                }
            }
        }
    }
}

/// Plain transposed convolution (weights `[C_in, C_out/groups, kH, kW]`).
struct ReferenceConvTranspose: Sendable {
    var inputChannels: Int, outputChannels: Int, groups: Int
    var kernelHeight: Int, kernelWidth: Int
    var strideHeight: Int, strideWidth: Int
    var dilationHeight: Int, dilationWidth: Int
    var padTop: Int, padLeft: Int

    func run(input: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: [Float],
             batch: Int, height: Int, width: Int, outHeight: Int, outWidth: Int,
             output: UnsafeMutablePointer<Float>) {
        let icg = inputChannels / groups, ocg = outputChannels / groups
        let plane = outHeight * outWidth
        for n in 0..<batch {
            let inImage = input + n * inputChannels * height * width
            let outImage = output + n * outputChannels * plane
            for oc in 0..<outputChannels {
                (outImage + oc * plane).update(repeating: bias.isEmpty ? 0 : bias[oc], count: plane)
            }
            for ic in 0..<inputChannels {
                let g = ic / icg
                let src = inImage + ic * height * width
                for ocl in 0..<ocg {
                    let oc = g * ocg + ocl
                    let dst = outImage + oc * plane
                    let wk = weights + ((ic * ocg + ocl) * kernelHeight) * kernelWidth
                    for ky in 0..<kernelHeight {
                        for kx in 0..<kernelWidth {
                            let wv = wk[ky * kernelWidth + kx]
                            for iy in 0..<height {
                                let oy = iy * strideHeight - padTop + ky * dilationHeight
                                if oy < 0 || oy >= outHeight { continue }
                                for ix in 0..<width {
                                    let ox = ix * strideWidth - padLeft + kx * dilationWidth
                                    if ox < 0 || ox >= outWidth { continue }
                                    dst[oy * outWidth + ox] += wv * src[iy * width + ix]
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
