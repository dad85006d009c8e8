/// A 2-D `Conv` (with its fused activation) and the `GlobalAveragePool` that alone reads it:
/// a classifier's last convolution before its pooled features (MobileNetV2's 320 → 1280 on
/// 7 × 7; built by `GraphPasses.fuseConvGlobalAveragePool`).
///
/// Where the convolution runs as the transposed 1×1 GEMM, each output panel's pixel tile is
/// averaged as it comes out (`PackedConvolution2D.runAveraged`): the convolution's output
/// (1280 × 49 floats, 250 KB) is never transposed, stored and read back by a pooling step on
/// one thread. Elsewhere the two run one after the other, the convolution's output in the scratch.
struct ConvGlobalAveragePoolOperator: ConvThenPool {
    static let opType = "XRayConvGlobalAveragePool"

    let node: GraphNode
    let conv: ConvOperator
    let pool: GlobalPoolOperator

    init(_ node: GraphNode, constants: [String: HostTensor]) throws {
        guard node.fused.count == 2, node.fused[1].opType == "GlobalAveragePool" else {
            throw node.error("a conv + global average pool node holds a Conv and a GlobalAveragePool")
        }
        self.node = node
        conv = try ConvOperator(node.fused[0], constants: constants)
        pool = GlobalPoolOperator(node: node.fused[1])
        guard conv.kernel.count == 2 else { throw node.error("not a 2-D Conv followed by a GlobalAveragePool") }
    }

    /// The convolution kernel where it averages its own output on input `x`, else nil.
    private func fusedKernel(_ x: ValueInfo, threads: Int) -> PackedConvolution2D? {
        guard x.shape.count == 4,
              let kernel = (conv.kernel(for: x.shape, threads: threads) as? FastConvolution)?.packed,
              kernel.averagesOutput else { return nil }
        return kernel
    }

    func scratchCount(_ inputs: [ValueInfo?], threads: Int) -> Int {
        guard let x = inputs[0] else { return 0 }
        if let kernel = fusedKernel(x, threads: threads) {
            return kernel.scratchCount(inputHeight: x.shape[2], inputWidth: x.shape[3], threads: threads)
        }
        return unfusedScratchCount(x, threads: threads)
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        let x = try requireInput(ctx.inputs, 0)
        if let kernel = fusedKernel(x, threads: ctx.threads) {
            let input = ctx.input(0), output = ctx.outputPointers[0], scratch = ctx.scratch, threads = ctx.threads
            let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
            return {
                kernel.runAveraged(input: input, batch: n, height: h, width: w, output: output, scratch: scratch,
                                   threads: threads)
            }
        }
        return try unfusedStep(ctx)
    }
}
