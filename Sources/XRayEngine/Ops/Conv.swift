import Foundation

/// Spatial padding rule shared by Conv, ConvTranspose and pooling.
enum AutoPad: String, Sendable {
    case notSet = "NOTSET", sameUpper = "SAME_UPPER", sameLower = "SAME_LOWER", valid = "VALID"

    init(_ node: GraphNode) throws {
        let s = try node.string("auto_pad", default: "NOTSET")
        guard let v = AutoPad(rawValue: s) else { throw node.error("auto_pad '\(s)'") }
        self = v
    }

    /// (begin, end) pads of one spatial axis for a forward (conv / pool) window.
    func pads(input: Int, kernel: Int, stride: Int, dilation: Int, explicit: (Int, Int)) -> (Int, Int) {
        switch self {
        case .notSet: return explicit
        case .valid: return (0, 0)
        case .sameUpper, .sameLower:
            let out = (input + stride - 1) / stride
            let total = Swift.max(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - input)
            return self == .sameUpper ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
        }
    }
}

/// Caches prepared convolution kernels per geometry (pads may depend on input size) and
/// algorithm (the best one can depend on the map size: `PackedConvolution2D.preferredAlgorithm`).
final class ConvolutionKernelCache: @unchecked Sendable {
    private struct Key: Hashable {
        let descriptor: Convolution2DDescriptor
        let algorithm: PackedConvolution2D.Algorithm
        let activation: FusedActivation
    }

    private let lock = NSLock()
    private var kernels: [Key: any ConvolutionKernel] = [:]
    let weights: [Float]
    let bias: [Float]
    let activation: FusedActivation

    init(weights: [Float], bias: [Float], activation: FusedActivation) {
        self.weights = weights; self.bias = bias; self.activation = activation
    }

    /// The kernel for `d` on inputs of `height × width`, packed on first use; with `activation`
    /// in place of the node's own (a `ConvAddOperator` applies the `Add`'s after its residual).
    func kernel(for d: Convolution2DDescriptor, height: Int, width: Int, threads: Int,
                activation: FusedActivation? = nil) -> any ConvolutionKernel {
        let key = Key(descriptor: d,
                      algorithm: PackedConvolution2D.preferredAlgorithm(for: d, inputHeight: height, inputWidth: width,
                                                                        threads: threads),
                      activation: activation ?? self.activation)
        lock.lock(); defer { lock.unlock() }
        if let k = kernels[key] { return k }
        let k = ConvolutionKernels.make(descriptor: d, weights: weights, bias: bias, activation: key.activation,
                                        algorithm: key.algorithm)
        kernels[key] = k
        return k
    }
}

/// `Conv` over NCHW (2-D) or NCW (1-D, run as H = 1), with optional fused activation.
struct ConvOperator: Operator {
    let node: GraphNode
    let outputChannels: Int
    let inputChannelsPerGroup: Int
    let kernel: [Int]
    let strides: [Int]
    let dilations: [Int]
    let pads: [Int]
    let group: Int
    let autoPad: AutoPad
    let cache: ConvolutionKernelCache

    init(_ node: GraphNode, constants: [String: HostTensor]) throws {
        self.node = node
        guard let wName = node.input(1) else { throw EngineError.missingInput(node: node.name, op: node.opType, name: "W") }
        guard let w = constants[wName] else {
            throw node.error("weights '\(wName)' must be an initialiser")
        }
        guard w.shape.count == 4 || w.shape.count == 3 else { throw node.shapeError("weights of rank \(w.shape.count); only 1-D and 2-D convolution are supported") }
        let spatial = w.shape.count - 2
        outputChannels = w.shape[0]
        inputChannelsPerGroup = w.shape[1]
        kernel = try node.ints("kernel_shape") ?? Array(w.shape[2...])
        guard kernel == Array(w.shape[2...]) else { throw node.shapeError("kernel_shape \(kernel) vs weights \(w.shape)") }
        strides = try node.ints("strides") ?? [Int](repeating: 1, count: spatial)
        dilations = try node.ints("dilations") ?? [Int](repeating: 1, count: spatial)
        pads = try node.ints("pads") ?? [Int](repeating: 0, count: 2 * spatial)
        group = try node.int("group", default: 1)
        autoPad = try AutoPad(node)
        guard strides.count == spatial, dilations.count == spatial, pads.count == 2 * spatial,
              strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 }), pads.allSatisfy({ $0 >= 0 }),
              group > 0, outputChannels % group == 0,
              (kernel + strides + dilations + pads).allSatisfy({ $0 <= maximumWindowValue }), kernel.allSatisfy({ $0 > 0 }) else {
            throw node.error("invalid strides \(strides) / dilations \(dilations) / pads \(pads) / group \(group)")
        }
        var bias = [Float](repeating: 0, count: outputChannels)
        if let bName = node.input(2) {
            guard let b = constants[bName] else { throw node.error("bias '\(bName)' must be an initialiser") }
            guard b.count == outputChannels else { throw node.shapeError("bias has \(b.count) values for \(outputChannels) channels") }
            bias = b.floats
        }
        // Weights are packed when a session first needs a geometry: the algorithm depends on the map size.
        cache = ConvolutionKernelCache(weights: w.floats, bias: bias, activation: node.fusedActivation)
    }

    private var is1D: Bool { kernel.count == 1 }

    func descriptor(height: Int, width: Int, inputChannels: Int) -> Convolution2DDescriptor {
        let kh = is1D ? 1 : kernel[0], kw = kernel[kernel.count - 1]
        let sh = is1D ? 1 : strides[0], sw = strides[strides.count - 1]
        let dh = is1D ? 1 : dilations[0], dw = dilations[dilations.count - 1]
        let sp = kernel.count
        var pt = is1D ? 0 : pads[0], pb = is1D ? 0 : pads[sp]
        var pl = pads[sp - 1], pr = pads[2 * sp - 1]
        if autoPad != .notSet {
            if !is1D { (pt, pb) = autoPad.pads(input: height, kernel: kh, stride: sh, dilation: dh, explicit: (pt, pb)) }
            (pl, pr) = autoPad.pads(input: width, kernel: kw, stride: sw, dilation: dw, explicit: (pl, pr))
            if autoPad == .valid { pt = 0; pb = 0; pl = 0; pr = 0 }
        }
        return Convolution2DDescriptor(inputChannels: inputChannels, outputChannels: outputChannels, groups: group,
                                       kernelHeight: kh, kernelWidth: kw, strideHeight: sh, strideWidth: sw,
                                       dilationHeight: dh, dilationWidth: dw,
                                       padTop: pt, padLeft: pl, padBottom: pb, padRight: pr)
    }

    /// (N, C, H, W) view of the input.
    private func dims(_ shape: [Int]) -> (Int, Int, Int, Int) {
        is1D ? (shape[0], shape[1], 1, shape[2]) : (shape[0], shape[1], shape[2], shape[3])
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0)
        try requireRank(x, kernel.count + 2)
        let (n, c, h, w) = dims(x.shape)
        guard c == inputChannelsPerGroup * group else {
            throw node.shapeError("input has \(c) channels, weights expect \(inputChannelsPerGroup * group)")
        }
        let d = descriptor(height: h, width: w, inputChannels: c)
        let (oh, ow) = d.outputSize(inputHeight: h, inputWidth: w)
        guard oh > 0, ow > 0 else { throw node.shapeError("input \(x.shape) is smaller than the kernel window") }
        return [ValueInfo(shape: is1D ? [n, outputChannels, ow] : [n, outputChannels, oh, ow])]
    }

    /// The kernel for an input of `shape` on `threads` threads (packed on first use), with the
    /// node's activation or `activation`.
    func kernel(for shape: [Int], threads: Int, activation: FusedActivation? = nil) -> any ConvolutionKernel {
        let (_, c, h, w) = dims(shape)
        return cache.kernel(for: descriptor(height: h, width: w, inputChannels: c), height: h, width: w,
                            threads: threads, activation: activation)
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        let (n, _, h, w) = dims(ctx.shape(0))
        let k = kernel(for: ctx.shape(0), threads: ctx.threads)
        let x = ctx.input(0), y = ctx.outputPointers[0], threads = ctx.threads, scratch = ctx.scratch
        return { k.run(input: x, batch: n, height: h, width: w, output: y, scratch: scratch, threads: threads) }
    }

    /// For a fused node that runs as two steps (`ConvThenPool`, `ConvAddOperator`): the
    /// convolution of `ctx`'s input 0 into the start of `ctx.scratch`, its output's shape there,
    /// and the scratch left after it for the second step.
    func stepIntoScratch(_ ctx: StepContext) throws
        -> (step: Step, output: ValueInfo, pointer: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let x = try requireInput(ctx.inputs, 0)
        let y = try infer([x])[0]
        let step = try makeStep(StepContext(inputs: [x], inputPointers: [ctx.input(0)], outputs: [y],
                                            outputPointers: [ctx.scratch], threads: ctx.threads,
                                            scratch: ctx.scratch + y.count))
        return (step, y, ctx.scratch, ctx.scratch + y.count)
    }

    func scratchCount(_ inputs: [ValueInfo?], threads: Int) -> Int {
        guard let x = inputs[0] else { return 0 }
        let (_, _, h, w) = dims(x.shape)
        return kernel(for: x.shape, threads: threads).scratchCount(height: h, width: w, threads: threads)
    }

    func macs(_ inputs: [ValueInfo?], _ outputs: [ValueInfo]) -> Int {
        outputs[0].count * inputChannelsPerGroup * kernel.reduce(1, *)
    }

    func readsConstantData(at index: Int) -> Bool { index == 0 }
}

/// `ConvTranspose` (2-D and 1-D), reference implementation.
struct ConvTransposeOperator: Operator {
    let node: GraphNode
    let weights: [Float]
    let bias: [Float]
    let inputChannels: Int
    let outputChannels: Int
    let kernel: [Int], strides: [Int], dilations: [Int], pads: [Int], outputPadding: [Int]
    let outputShape: [Int]?
    let group: Int
    let autoPad: AutoPad

    init(_ node: GraphNode, constants: [String: HostTensor]) throws {
        self.node = node
        guard let wName = node.input(1), let w = constants[wName] else { throw node.error("weights must be an initialiser") }
        guard w.shape.count == 4 || w.shape.count == 3 else { throw node.shapeError("weights \(w.shape): only 1-D and 2-D supported") }
        let sp = w.shape.count - 2
        group = try node.int("group", default: 1)
        inputChannels = w.shape[0]
        outputChannels = w.shape[1] * group
        kernel = try node.ints("kernel_shape") ?? Array(w.shape[2...])
        strides = try node.ints("strides") ?? [Int](repeating: 1, count: sp)
        dilations = try node.ints("dilations") ?? [Int](repeating: 1, count: sp)
        pads = try node.ints("pads") ?? [Int](repeating: 0, count: 2 * sp)
        outputPadding = try node.ints("output_padding") ?? [Int](repeating: 0, count: sp)
        outputShape = try node.ints("output_shape")
        autoPad = try AutoPad(node)
        guard kernel == Array(w.shape[2...]), strides.count == sp, dilations.count == sp, pads.count == 2 * sp,
              outputPadding.count == sp, group > 0, inputChannels % group == 0,
              (kernel + strides + dilations + pads + outputPadding).allSatisfy({ $0 >= 0 && $0 <= maximumWindowValue }),
              strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 }) else {
            throw node.error("inconsistent attributes for weights \(w.shape)")
        }
        weights = w.floats
        if let bName = node.input(2) {
            guard let b = constants[bName], b.count == outputChannels else { throw node.error("bias must be an initialiser of \(outputChannels) values") }
            bias = b.floats
        } else { bias = [] }
    }

    /// Per spatial axis: (output size, pad begin).
    func geometry(_ spatialIn: [Int]) -> [(Int, Int)] {
        let sp = kernel.count
        return (0..<sp).map { i in
            let eff = (kernel[i] - 1) * dilations[i] + 1
            if let os = outputShape, os.count >= sp {
                let target = os[os.count - sp + i]
                let total = strides[i] * (spatialIn[i] - 1) + outputPadding[i] + eff - target
                let begin = autoPad == .sameUpper ? total / 2 : total - total / 2
                return (target, begin)
            }
            if autoPad == .sameUpper || autoPad == .sameLower {
                let target = spatialIn[i] * strides[i]
                let total = strides[i] * (spatialIn[i] - 1) + outputPadding[i] + eff - target
                let begin = autoPad == .sameUpper ? total / 2 : total - total / 2
                return (target, begin)
            }
            let p0 = autoPad == .valid ? 0 : pads[i], p1 = autoPad == .valid ? 0 : pads[sp + i]
            return (strides[i] * (spatialIn[i] - 1) + outputPadding[i] + eff - p0 - p1, p0)
        }
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0)
        try requireRank(x, kernel.count + 2)
        guard x.shape[1] == inputChannels else { throw node.shapeError("input has \(x.shape[1]) channels, weights expect \(inputChannels)") }
        let g = geometry(Array(x.shape[2...]))
        guard g.allSatisfy({ $0.0 > 0 }) else { throw node.shapeError("empty output") }
        return [ValueInfo(shape: [x.shape[0], outputChannels] + g.map(\.0))]
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        let s = ctx.shape(0)
        let g = geometry(Array(s[2...]))
        let is1D = kernel.count == 1
        let ref = ReferenceConvTranspose(
            inputChannels: inputChannels, outputChannels: outputChannels, groups: group,
            kernelHeight: is1D ? 1 : kernel[0], kernelWidth: kernel.last!,
            strideHeight: is1D ? 1 : strides[0], strideWidth: strides.last!,
            dilationHeight: is1D ? 1 : dilations[0], dilationWidth: dilations.last!,
            padTop: is1D ? 0 : g[0].1, padLeft: g.last!.1)
        let h = is1D ? 1 : s[2], w = s.last!, oh = is1D ? 1 : g[0].0, ow = g.last!.0
        let x = ctx.input(0), y = ctx.outputPointers[0], n = s[0]
        let weights = self.weights, bias = self.bias
        return {
            weights.withUnsafeBufferPointer { wp in
                ref.run(input: x, weights: wp.baseAddress!, bias: bias, batch: n, height: h, width: w,
                        outHeight: oh, outWidth: ow, output: y)
            }
        }
    }

    func macs(_ inputs: [ValueInfo?], _ outputs: [ValueInfo]) -> Int {
        (inputs[0]?.count ?? 0) * (outputChannels / group) * kernel.reduce(1, *)
    }

    func readsConstantData(at index: Int) -> Bool { index == 0 }
}

/// `BatchNormalization` in inference mode (when not folded into a Conv).
struct BatchNormOperator: Operator {
    let node: GraphNode
    let epsilon: Float

    init(_ node: GraphNode) throws {
        self.node = node
        epsilon = try node.float("epsilon", default: 1e-5)
        if try node.int("training_mode", default: 0) != 0 { throw node.error("training_mode = 1") }
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0)
        guard x.shape.count >= 2 else { throw node.shapeError("input rank < 2") }
        for i in 1...4 {
            let p = try requireInput(inputs, i)
            guard p.count == x.shape[1] else { throw node.shapeError("parameter \(i) has \(p.count) values for \(x.shape[1]) channels") }
        }
        return [ValueInfo(shape: x.shape)]
    }

    func readsConstantData(at index: Int) -> Bool { index == 0 }

    /// Per-channel (scale, shift) so that y = x * scale + shift.
    static func affine(scale: [Float], bias: [Float], mean: [Float], variance: [Float], epsilon: Float) -> ([Float], [Float]) {
        var a = [Float](repeating: 0, count: scale.count), b = a
        for c in 0..<scale.count {
            a[c] = scale[c] / (variance[c] + epsilon).squareRoot()
            b[c] = bias[c] - mean[c] * a[c]
        }
        return (a, b)
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        var p: [[Float]] = []
        for i in 1...4 {
            guard let c = try requireConstant(ctx.inputs, i, what: "BatchNormalization parameter") else {
                throw EngineError.missingInput(node: node.name, op: node.opType, name: "parameter \(i)")
            }
            p.append(c.floats)
        }
        let (a, b) = Self.affine(scale: p[0], bias: p[1], mean: p[2], variance: p[3], epsilon: epsilon)
        let s = ctx.shape(0)
        let n = s[0], c = s[1], inner = s.dropFirst(2).reduce(1, *)
        let x = ctx.input(0), y = ctx.outputPointers[0]
        return {
            for i in 0..<n {
                for ch in 0..<c {
                    let off = (i * c + ch) * inner
                    let sa = a[ch], sb = b[ch]
                    for j in 0..<inner { y[off + j] = x[off + j] * sa + sb }
                }
            }
        }
    }
}
