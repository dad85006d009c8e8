#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A MobileNet-style block, `Conv 1×1 → depthwise Conv → Conv 1×1` (each with its fused
/// activation), run channels-last inside and NCHW at its edges (built by
/// `GraphPasses.fusePointwiseDepthwise`).
///
/// On small maps the NCHW kernels spend their time on layout, not arithmetic: the depthwise
/// kernel copies each channel into stride planes (960 channels of 7 × 7: 41 µs for 0.4 M
/// multiply-adds) and the pointwise GEMMs transpose their tiles. Inside the block the first
/// GEMM stores its output rows channels-last straight into a zero-bordered image
/// (`TransposedPointwise` with a `ChannelsLastMap`), the depthwise convolution runs one
/// 16-channel vector per pixel (`ChannelsLastDepthwise`), and the second GEMM packs its input
/// from those pixel rows and writes NCHW. The expanded image never leaves the cache.
/// Larger maps run the same kernels in bands of output rows (`PointwiseDepthwiseBands`), so that
/// the expanded image, megabytes there, stays in L2 a band at a time. Blocks that are not plain
/// (strided or padded pointwise convolutions) run the three convolutions as they are.
struct PointwiseDepthwiseOperator: Operator {
    static let opType = "XRayPointwiseDepthwise"
    /// Largest input map (pixels) run channels-last as a whole; larger ones run in bands. Whole
    /// images, MobileNetV2, one thread (AMD EPYC): none 4.8 ms, up to 196 pixels 4.3, up to 784 4.3
    /// (its 28 → 14 stride-2 block 0.117 → 0.090 ms), up to 3136 4.6, all 4.8 (on larger maps the
    /// images fell out of the cache between the three stages: hence the bands). With bands for
    /// the rest (Intel Xeon, one thread): limit 784 (28 × 28 whole) 7.89 ms, 196 7.82 (the 28 × 28
    /// blocks 0.38 → 0.25 and 0.29 → 0.25 ms), 49 7.72, 0 7.68 (14 × 14 and 7 × 7 within noise;
    /// on two threads bands on 7 rows would split 3 + 4 and compute the overlap twice).
    static let maxPixels = 196

    let node: GraphNode
    let expand: ConvOperator, depthwise: ConvOperator, project: ConvOperator
    private let packed: PackedWeights

    /// Weights and biases in the layouts of the channels-last kernels, packed once.
    private final class PackedWeights: @unchecked Sendable {
        let channelPitch: Int
        let expandWeights: UnsafeMutablePointer<Float>, expandBias: UnsafeMutablePointer<Float>
        let depthwiseWeights: UnsafeMutablePointer<Float>, depthwiseBias: UnsafeMutablePointer<Float>
        let projectWeights: UnsafeMutablePointer<Float>, projectBias: UnsafeMutablePointer<Float>

        init(expand: ConvolutionKernelCache, depthwise: ConvolutionKernelCache, project: ConvolutionKernelCache,
             depthwiseDescriptor d: Convolution2DDescriptor, inputChannels: Int, outputChannels: Int) {
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
                                                                                                       cin: inputChannels))
            expand.weights.withUnsafeBufferPointer {
                TransposedPointwise.packWeights(cout: channels, cin: inputChannels, weights: $0.baseAddress!, into: e)
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
        guard node.fused.count == 3 else { throw node.error("a pointwise-depthwise block holds three Conv nodes") }
        self.node = node
        expand = try ConvOperator(node.fused[0], constants: constants)
        depthwise = try ConvOperator(node.fused[1], constants: constants)
        project = try ConvOperator(node.fused[2], constants: constants)
        let channels = expand.outputChannels
        guard depthwise.group == channels, depthwise.outputChannels == channels, depthwise.inputChannelsPerGroup == 1,
              project.inputChannelsPerGroup == channels, project.group == 1, expand.group == 1,
              expand.kernel == [1, 1], project.kernel == [1, 1], depthwise.kernel.count == 2 else {
            throw node.error("not a pointwise → depthwise → pointwise block")
        }
        // Geometry-free parts of the depthwise descriptor (pads are set per input size).
        let d = depthwise.descriptor(height: 1, width: 1, inputChannels: channels)
        packed = PackedWeights(expand: expand.cache, depthwise: depthwise.cache, project: project.cache,
                               depthwiseDescriptor: d, inputChannels: expand.inputChannelsPerGroup,
                               outputChannels: project.outputChannels)
    }

    func readsConstantData(at index: Int) -> Bool { index == 0 }

    /// Shapes of the expanded and the depthwise output images, and the block's output.
    private func chain(_ x: ValueInfo) throws -> (ValueInfo, ValueInfo, ValueInfo) {
        let e = try expand.infer([x])[0]
        let d = try depthwise.infer([e])[0]
        let y = try project.infer([d])[0]
        return (e, d, y)
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        [try chain(try requireInput(inputs, 0)).2]
    }

    func macs(_ inputs: [ValueInfo?], _ outputs: [ValueInfo]) -> Int {
        guard let x = inputs[0], let (e, d, y) = try? chain(x) else { return 0 }
        return expand.macs([x], [e]) + depthwise.macs([e], [d]) + project.macs([d], [y])
    }

    /// The channels-last plan for an input, or nil when the three convolutions run as they are.
    private struct Plan {
        let height: Int, width: Int
        let padded: Convolution2DDescriptor
        let paddedHeight: Int, paddedWidth: Int
        let outputHeight: Int, outputWidth: Int
        let channelPitch: Int
        var expandedCount: Int { paddedHeight * paddedWidth * channelPitch }
        /// Whole panels of 8 pixels: the second GEMM reads their rows in place.
        var depthwiseCount: Int { (outputHeight * outputWidth + 7) / 8 * 8 * channelPitch }
    }

    private func plan(_ x: ValueInfo) -> Plan? {
        guard x.shape.count == 4 else { return nil }
        let (h, w) = (x.shape[2], x.shape[3])
        let e = expand.descriptor(height: h, width: w, inputChannels: x.shape[1])
        guard e.strideHeight == 1, e.strideWidth == 1, e.padTop == 0, e.padLeft == 0, e.padBottom == 0,
              e.padRight == 0 else { return nil }
        let d = depthwise.descriptor(height: h, width: w, inputChannels: expand.outputChannels)
        let (oh, ow) = d.outputSize(inputHeight: h, inputWidth: w)
        let p = project.descriptor(height: oh, width: ow, inputChannels: expand.outputChannels)
        guard oh > 0, ow > 0, p.strideHeight == 1, p.strideWidth == 1, p.padTop == 0, p.padLeft == 0,
              p.padBottom == 0, p.padRight == 0 else { return nil }
        return Plan(height: h, width: w, padded: d, paddedHeight: h + d.padTop + d.padBottom,
                    paddedWidth: w + d.padLeft + d.padRight, outputHeight: oh, outputWidth: ow,
                    channelPitch: packed.channelPitch)
    }

    func scratchCount(_ inputs: [ValueInfo?], threads: Int) -> Int {
        guard let x = inputs[0], let (e, d, _) = try? chain(x) else { return 0 }
        let unfused = e.count + d.count + max(expand.scratchCount([x], threads: threads),
                                              depthwise.scratchCount([e], threads: threads),
                                              project.scratchCount([d], threads: threads))
        guard let p = plan(x) else { return unfused }
        let channels = expand.outputChannels
        if p.height * p.width > Self.maxPixels { return bands(x, p, threads: threads).scratchCount }
        let gemm = max(TransposedPointwise.Geometry(cin: x.shape[1], cout: channels, pixels: p.height * p.width)
                        .scratchCount(threads: threads),
                       TransposedPointwise.Geometry(cin: channels, cout: project.outputChannels,
                                                    pixels: p.outputHeight * p.outputWidth).scratchCount(threads: threads))
        return max(unfused, p.expandedCount + p.depthwiseCount + gemm)
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        let x = try requireInput(ctx.inputs, 0)
        guard let p = plan(x) else { return try unfusedStep(ctx, x) }
        if p.height * p.width > Self.maxPixels { return bandedStep(ctx, x, p) }
        let (n, cin) = (x.shape[0], x.shape[1])
        let channels = expand.outputChannels, cout = project.outputChannels
        let cp = p.channelPitch, pw = p.paddedWidth, d = p.padded
        let expanded = ctx.scratch, depthwiseOut = expanded + p.expandedCount
        let gemmScratch = depthwiseOut + p.depthwiseCount
        let input = ctx.input(0), output = ctx.outputPointers[0], threads = ctx.threads
        let packed = self.packed
        let expandActivation = expand.cache.activation, depthwiseActivation = depthwise.cache.activation
        let projectActivation = project.cache.activation
        let expandedMap = ChannelsLastMap(width: p.width, rowPitch: pw * cp, pixelPitch: cp,
                                          origin: (d.padTop * pw + d.padLeft) * cp)
        let depthwiseMap = ChannelsLastMap(width: p.outputWidth, rowPitch: p.outputWidth * cp, pixelPitch: cp, origin: 0)
        let geometry = ChannelsLastDepthwise.Geometry(descriptor: d, paddedWidth: pw, outputHeight: p.outputHeight,
                                                      outputWidth: p.outputWidth, channelPitch: cp)
        return {
            // The zero border the depthwise taps read (the GEMM writes only the interior).
            func zero(_ start: UnsafeMutablePointer<Float>, _ count: Int) {
                if count > 0 { memset(start, 0, count * MemoryLayout<Float>.stride) }
            }
            zero(expanded, d.padTop * pw * cp)
            for y in d.padTop..<d.padTop + p.height {
                let row = expanded + y * pw * cp
                zero(row, d.padLeft * cp)
                zero(row + (d.padLeft + p.width) * cp, d.padRight * cp)
            }
            zero(expanded + (d.padTop + p.height) * pw * cp, d.padBottom * pw * cp)
            for image in 0..<n {
                TransposedPointwise.run(cin: cin, cout: channels, packedWeights: packed.expandWeights,
                                        bias: packed.expandBias, activation: expandActivation,
                                        input: input + image * cin * p.height * p.width, batch: 1,
                                        pixels: p.height * p.width, output: expanded, outputMap: expandedMap,
                                        scratch: gemmScratch, threads: threads)
                ChannelsLastDepthwise.run(geometry, weights: packed.depthwiseWeights, bias: packed.depthwiseBias,
                                          activation: depthwiseActivation, input: expanded, output: depthwiseOut,
                                          threads: threads)
                TransposedPointwise.run(cin: channels, cout: cout, packedWeights: packed.projectWeights,
                                        bias: packed.projectBias, activation: projectActivation,
                                        input: depthwiseOut, inputMap: depthwiseMap, batch: 1,
                                        pixels: p.outputHeight * p.outputWidth,
                                        output: output + image * cout * p.outputHeight * p.outputWidth,
                                        scratch: gemmScratch, threads: threads)
            }
        }
    }

    private func bands(_ x: ValueInfo, _ p: Plan, threads: Int) -> PointwiseDepthwiseBands {
        PointwiseDepthwiseBands(cin: x.shape[1], channels: expand.outputChannels, cout: project.outputChannels,
                                height: p.height, width: p.width, depthwise: p.padded, channelPitch: p.channelPitch,
                                threads: threads)
    }

    /// Larger maps: the block in bands of output rows (`PointwiseDepthwiseBands`).
    private func bandedStep(_ ctx: StepContext, _ x: ValueInfo, _ p: Plan) -> Step {
        let bands = self.bands(x, p, threads: ctx.threads)
        let packed = self.packed
        let weights = PointwiseDepthwiseBands.Weights(
            expand: packed.expandWeights, expandBias: packed.expandBias, expandActivation: expand.cache.activation,
            depthwise: packed.depthwiseWeights, depthwiseBias: packed.depthwiseBias,
            depthwiseActivation: depthwise.cache.activation,
            project: packed.projectWeights, projectBias: packed.projectBias, projectActivation: project.cache.activation)
        let input = ctx.input(0), output = ctx.outputPointers[0], scratch = ctx.scratch, threads = ctx.threads
        let inputCount = bands.cin * bands.height * bands.width
        let outputCount = bands.cout * bands.outputHeight * bands.outputWidth
        return {
            _ = packed   // keeps the weights alive
            for image in 0..<x.shape[0] {
                bands.run(weights, input: input + image * inputCount, output: output + image * outputCount,
                          scratch: scratch, threads: threads)
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
