/// A MobileNet-style block, `Conv 1×1 → depthwise Conv → Conv 1×1` (each with its fused
/// activation), run channels-last inside and NCHW at its edges (built by
/// `GraphPasses.fusePointwiseDepthwise`).
///
/// On small maps the NCHW kernels spend their time on layout, not arithmetic: the depthwise
/// kernel copies each channel into stride planes (960 channels of 7 × 7: 41 µs for 0.4 M
/// multiply-adds) and the pointwise GEMMs transpose their tiles; on large maps the expanded
/// image (megabytes) goes through L3 between the stages. Here the block runs in bands of output
/// rows (`PointwiseDepthwiseBands`): the first GEMM stores the rows a band needs channels-last
/// into a zero-bordered buffer (`TransposedPointwise` with a `ChannelsLastMap`), the depthwise
/// convolution runs one 16-channel vector per pixel (`ChannelsLastDepthwise`), and the second
/// GEMM reads those pixel rows in place and writes NCHW; one parallel hand-off per block.
/// Measured on MobileNetV2 (Intel Xeon) against whole-image channels-last on maps up to 784,
/// 196 and 49 pixels: bands everywhere were as fast on one thread (sum of steps 7.20 → 7.13 ms
/// against the limit 49) and faster on two (the 7 × 7 blocks 0.25–0.35 → 0.20–0.28 ms; the 14 × 14
/// ones, against the limit 196, 0.16–0.29 → 0.11–0.24): the hand-offs of the three stages cost more
/// than computing a band's overlapping rows twice. Blocks that are not plain (strided or padded
/// pointwise convolutions) run the three convolutions as they are.
///
/// The first stage may also be a convolution with a small kernel (at most 256 multiply-adds
/// per output: MobileNetV2's 3 → 32 stride-2 stem, 27), run channels-last from the input's
/// stride planes (`ChannelsLastConvolution`). MobileNetV2's stem and first depthwise block ran
/// as two NCHW steps whose 32-channel 112 × 112 image (1.6 MB) went out and back through L2,
/// and the NCHW depthwise kernel made 25 GFLOP/s there.
///
/// A block whose projection has no activation may also hold the `Add` that alone reads it
/// (MobileNetV2's residual connections; `GraphPasses.fusePointwiseDepthwiseAdd`): node input 1
/// is then the `Add`'s other operand, which the projection adds as it stores its rows, with
/// the `Add`'s activation. A separate `Add` step read two images and wrote a third, on one
/// thread's worth of work between two parallel steps.
struct PointwiseDepthwiseOperator: Operator {
    static let opType = "XRayPointwiseDepthwise"

    let node: GraphNode
    let expand: ConvOperator, depthwise: ConvOperator, project: ConvOperator
    /// The fused residual `Add`, if any.
    let add: ResidualAdd?
    private let packed: PackedWeights

    /// Weights and biases in the layouts of the channels-last kernels, packed once.
    private final class PackedWeights: @unchecked Sendable {
        let channelPitch: Int
        let expandWeights: UnsafeMutablePointer<Float>, expandBias: UnsafeMutablePointer<Float>
        let depthwiseWeights: UnsafeMutablePointer<Float>, depthwiseBias: UnsafeMutablePointer<Float>
        let projectWeights: UnsafeMutablePointer<Float>, projectBias: UnsafeMutablePointer<Float>

        init(expand: ConvolutionKernelCache, depthwise: ConvolutionKernelCache, project: ConvolutionKernelCache,
             depthwiseDescriptor d: Convolution2DDescriptor, expandDepth: Int, outputChannels: Int) {
            let channels = d.outputChannels
            channelPitch = (channels + GemmTile.nr - 1) / GemmTile.nr * GemmTile.nr
            @inline(__always) func copy(_ values: [Float], count: Int) -> UnsafeMutablePointer<Float> {
                let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
                p.initialize(repeating: 0, count: count)
                for (i, v) in values.enumerated() { p[i] = v }
                return p
            }
            let pitch = (channels + GemmTile.nr - 1) / GemmTile.nr * GemmTile.nr
            let e = UnsafeMutablePointer<Float>.allocate(capacity: TransposedPointwise.packedWeightCount(cout: channels,
                                                                                                       cin: expandDepth))
            expand.weights.withUnsafeBufferPointer {
                TransposedPointwise.packWeights(cout: channels, cin: expandDepth, weights: $0.baseAddress!, into: e)
            }
            let p = UnsafeMutablePointer<Float>.allocate(capacity: TransposedPointwise.packedWeightCount(cout: outputChannels,
                                                                                                       cin: channels))
            project.weights.withUnsafeBufferPointer {
                TransposedPointwise.packWeights(cout: outputChannels, cin: channels, weights: $0.baseAddress!, into: p)
            }
            let dw = depthwise.weights.withUnsafeBufferPointer {
                ChannelsLastDepthwise.packWeights(d, channelPitch: pitch, weights: $0.baseAddress!)
            }
            expandWeights = e
            projectWeights = p
            expandBias = copy(expand.bias, count: pitch)
            depthwiseWeights = copy(dw, count: dw.count)
            depthwiseBias = copy(depthwise.bias, count: pitch)
            projectBias = copy(project.bias, count: outputChannels)
        }

        deinit {
            for p in [expandWeights, expandBias, depthwiseWeights, depthwiseBias, projectWeights, projectBias] { p.deallocate() }
        }
    }

    init(_ node: GraphNode, constants: [String: HostTensor]) throws {
        guard node.fused.count == 3 || node.fused.count == 4 else {
            throw node.error("a pointwise-depthwise block holds three Conv nodes and an optional Add")
        }
        self.node = node
        expand = try ConvOperator(node.fused[0], constants: constants)
        depthwise = try ConvOperator(node.fused[1], constants: constants)
        project = try ConvOperator(node.fused[2], constants: constants)
        if node.fused.count == 4 {
            guard node.inputs.count >= 2, node.fused[2].fusedActivation == .none,
                  let add = ResidualAdd(node.fused[3], reading: node.fused[2].outputs.first) else {
                throw node.error("a block's fused Add must read the block's output, which has no activation")
            }
            self.add = add
        } else {
            add = nil
        }
        let channels = expand.outputChannels
        guard depthwise.group == channels, depthwise.outputChannels == channels, depthwise.inputChannelsPerGroup == 1,
              project.inputChannelsPerGroup == channels, project.group == 1, expand.group == 1,
              expand.kernel.count == 2, project.kernel == [1, 1], depthwise.kernel.count == 2 else {
            throw node.error("not a pointwise → depthwise → pointwise block")
        }
        // Geometry-free parts of the depthwise descriptor (pads are set per input size).
        let d = depthwise.descriptor(height: 1, width: 1, inputChannels: channels)
        packed = PackedWeights(expand: expand.cache, depthwise: depthwise.cache, project: project.cache,
                               depthwiseDescriptor: d,
                               expandDepth: expand.inputChannelsPerGroup * expand.kernel[0] * expand.kernel[1],
                               outputChannels: project.outputChannels)
    }

    func readsConstantData(at index: Int) -> Bool { index == 0 || (add != nil && index == 1) }

    /// Shapes of the expanded and the depthwise output images, and the block's output.
    private func chain(_ x: ValueInfo) throws -> (ValueInfo, ValueInfo, ValueInfo) {
        let e = try expand.infer([x])[0]
        let d = try depthwise.infer([e])[0]
        let y = try project.infer([d])[0]
        return (e, d, y)
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let y = try chain(try requireInput(inputs, 0)).2
        guard let add else { return [y] }
        return try add.infer(y, try requireInput(inputs, 1))
    }

    /// Whether the projection adds the residual itself (else a separate `Add` follows): a
    /// banded block and a residual of the output's shape.
    private func addsResidual(_ inputs: [ValueInfo?], threads: Int) -> Bool {
        guard add != nil, let x = inputs[0], let r = inputs[1], r.type == .float, let (_, _, y) = try? chain(x) else {
            return false
        }
        return r.shape == y.shape && plan(x, threads: threads) != nil
    }

    func macs(_ inputs: [ValueInfo?], _ outputs: [ValueInfo]) -> Int {
        guard let x = inputs[0], let (e, d, y) = try? chain(x) else { return 0 }
        return expand.macs([x], [e]) + depthwise.macs([e], [d]) + project.macs([d], [y])
    }

    /// The banded plan for an input, or nil when the three convolutions run as they are.
    private func plan(_ x: ValueInfo, threads: Int) -> PointwiseDepthwiseBands? {
        guard x.shape.count == 4 else { return nil }
        let (h, w) = (x.shape[2], x.shape[3])
        let e = expand.descriptor(height: h, width: w, inputChannels: x.shape[1])
        var convolution: ChannelsLastConvolution? = nil
        if e.kernelHeight != 1 || e.kernelWidth != 1 || e.strideHeight != 1 || e.strideWidth != 1 || e.padTop != 0
            || e.padLeft != 0 || e.padBottom != 0 || e.padRight != 0 {
            guard ChannelsLastConvolution.applies(e, height: h, width: w) else { return nil }
            convolution = ChannelsLastConvolution(e, height: h, width: w)
        }
        let (eh, ew) = e.outputSize(inputHeight: h, inputWidth: w)
        let d = depthwise.descriptor(height: eh, width: ew, inputChannels: expand.outputChannels)
        let (oh, ow) = d.outputSize(inputHeight: eh, inputWidth: ew)
        let p = project.descriptor(height: oh, width: ow, inputChannels: expand.outputChannels)
        guard oh > 0, ow > 0, p.strideHeight == 1, p.strideWidth == 1, p.padTop == 0, p.padLeft == 0,
              p.padBottom == 0, p.padRight == 0 else { return nil }
        return PointwiseDepthwiseBands(cin: x.shape[1], channels: expand.outputChannels, cout: project.outputChannels,
                                       height: eh, width: ew, depthwise: d, channelPitch: packed.channelPitch,
                                       threads: threads, convolution: convolution)
    }

    func scratchCount(_ inputs: [ValueInfo?], threads: Int) -> Int {
        guard let x = inputs[0], let (_, _, y) = try? chain(x) else { return 0 }
        guard let add, !addsResidual(inputs, threads: threads) else { return blockScratchCount(x, threads: threads) }
        return add.scratchCount(y, residual: inputs[1], first: blockScratchCount(x, threads: threads), threads: threads)
    }

    private func blockScratchCount(_ x: ValueInfo, threads: Int) -> Int {
        guard let (e, d, _) = try? chain(x) else { return 0 }
        if let bands = plan(x, threads: threads) { return bands.scratchCount }
        return e.count + d.count + max(expand.scratchCount([x], threads: threads),
                                       depthwise.scratchCount([e], threads: threads),
                                       project.scratchCount([d], threads: threads))
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        let x = try requireInput(ctx.inputs, 0)
        guard let add else { return try blockStep(ctx, x, residual: nil) }
        if addsResidual(ctx.inputs, threads: ctx.threads) { return try blockStep(ctx, x, residual: ctx.input(1)) }
        // The block into the scratch, then the Add (a broadcast residual, or an unbanded block).
        let y = try chain(x).2, blockOutput = ctx.scratch
        var blockContext = ctx
        blockContext.outputs = [y]
        blockContext.outputPointers = [blockOutput]
        blockContext.scratch = ctx.scratch + y.count
        return try add.step(after: try blockStep(blockContext, x, residual: nil), output: y, at: blockOutput, ctx,
                            scratch: blockContext.scratch)
    }

    /// The block into `ctx.outputPointers[0]`, plus `residual` (the output's shape) where given.
    private func blockStep(_ ctx: StepContext, _ x: ValueInfo, residual: UnsafePointer<Float>?) throws -> Step {
        guard let bands = plan(x, threads: ctx.threads) else { return try unfusedStep(ctx, x) }
        let packed = self.packed
        let weights = PointwiseDepthwiseBands.Weights(
            expand: packed.expandWeights, expandBias: packed.expandBias, expandActivation: expand.cache.activation,
            depthwise: packed.depthwiseWeights, depthwiseBias: packed.depthwiseBias,
            depthwiseActivation: depthwise.cache.activation,
            project: packed.projectWeights, projectBias: packed.projectBias,
            projectActivation: residual == nil ? project.cache.activation : add?.activation ?? .none)
        let input = ctx.input(0), output = ctx.outputPointers[0], scratch = ctx.scratch, threads = ctx.threads
        let inputCount = x.shape[1] * x.shape[2] * x.shape[3]
        let outputCount = bands.cout * bands.outputHeight * bands.outputWidth
        return {
            _ = packed   // keeps the weights alive
            for image in 0..<x.shape[0] {
                bands.run(weights, input: input + image * inputCount, output: output + image * outputCount,
                          residual: residual.map { $0 + image * outputCount }, scratch: scratch, threads: threads)
            }
        }
    }

    /// The three convolutions one after another, their intermediate images in the scratch.
    private func unfusedStep(_ ctx: StepContext, _ x: ValueInfo) throws -> Step {
        let (e, d, y) = try chain(x)
        let first = ctx.scratch, second = first + e.count, convScratch = second + d.count
        func context(_ info: ValueInfo, _ input: UnsafePointer<Float>, _ out: ValueInfo,
                     _ output: UnsafeMutablePointer<Float>) -> StepContext {
            StepContext(inputs: [info], inputPointers: [input], outputs: [out], outputPointers: [output],
                        threads: ctx.threads, scratch: convScratch)
        }
        let steps = [try expand.makeStep(context(x, ctx.input(0), e, first)),
                     try depthwise.makeStep(context(e, UnsafePointer(first), d, second)),
                     try project.makeStep(context(d, UnsafePointer(second), y, ctx.outputPointers[0]))]
        return { for step in steps { step() } }
    }
}
