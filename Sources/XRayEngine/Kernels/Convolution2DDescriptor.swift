/// The geometry of a 2-D convolution over NCHW activations with OIHW weights,
/// shared by the reference op and the optimised kernels.
public struct Convolution2DDescriptor: Sendable, Hashable {
    public var inputChannels: Int
    public var outputChannels: Int
    public var groups: Int
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var strideHeight: Int
    public var strideWidth: Int
    public var dilationHeight: Int
    public var dilationWidth: Int
    public var padTop: Int
    public var padLeft: Int
    public var padBottom: Int
    public var padRight: Int

    public init(inputChannels: Int, outputChannels: Int, groups: Int = 1,
                kernelHeight: Int, kernelWidth: Int,
                strideHeight: Int = 1, strideWidth: Int = 1,
                dilationHeight: Int = 1, dilationWidth: Int = 1,
                padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.groups = groups
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.dilationHeight = dilationHeight
        self.dilationWidth = dilationWidth
        self.padTop = padTop
        self.padLeft = padLeft
        self.padBottom = padBottom
        self.padRight = padRight
    }

    /// Output spatial size for an input of `height × width` (floor division, as ONNX).
    public func outputSize(inputHeight height: Int, inputWidth width: Int) -> (height: Int, width: Int) {
        let effH = dilationHeight * (kernelHeight - 1) + 1
        let effW = dilationWidth * (kernelWidth - 1) + 1
        let oh = (height + padTop + padBottom - effH) / strideHeight + 1
        let ow = (width + padLeft + padRight - effW) / strideWidth + 1
        return (oh, ow)
    }

    /// Weights in OIHW order hold `outputChannels * inputChannels / groups * kH * kW` floats.
    public var weightCount: Int { outputChannels * (inputChannels / groups) * kernelHeight * kernelWidth }

    public var isDepthwise: Bool { groups > 1 && groups == inputChannels && groups == outputChannels }
}
