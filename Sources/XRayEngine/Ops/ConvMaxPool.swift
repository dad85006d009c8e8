/// A 2-D `Conv` (with its fused activation) and the `MaxPool` that alone reads it, ResNet's stem
/// (built by `GraphPasses.fuseConvMaxPool`).
///
/// Where the convolution runs as the implicit GEMM (it makes whole output rows), each worker
/// pools the rows as they come out (`PackedConvolution2D.runPooled`), so the convolution's
/// output never goes through memory: ResNet-18's stem at 512² wrote 16 MB that the MaxPool
/// read back. Elsewhere the two run one after the other, the convolution's output in the scratch.
struct ConvMaxPoolOperator: ConvThenPool {
    static let opType = "XRayConvMaxPool"

    let node: GraphNode
    let conv: ConvOperator
    let pool: PoolOperator

    init(_ node: GraphNode, constants: [String: HostTensor]) throws {
        guard node.fused.count == 2 else { throw node.error("a conv + max pool node holds a Conv and a MaxPool") }
        self.node = node
        conv = try ConvOperator(node.fused[0], constants: constants)
        pool = try PoolOperator(node.fused[1])
        guard pool.isMax, conv.kernel.count == 2, pool.kernel.count == 2 else {
            throw node.error("not a 2-D Conv followed by a 2-D MaxPool")
        }
    }

    /// The convolution kernel and the pooling geometry where the two fuse on input `x`, else nil.
    private func fusedPlan(_ x: ValueInfo, threads: Int) -> (PackedConvolution2D, MaxPool2D.Geometry)? {
        guard x.shape.count == 4, let y = try? conv.infer([x])[0],
              let kernel = (conv.kernel(for: x.shape, threads: threads) as? FastConvolution)?.packed,
              kernel.fusesPooling(height: x.shape[2], width: x.shape[3]),
              let geometry = try? pool.maxPool2D(y.shape) else { return nil }
        return (kernel, geometry)
    }

    func scratchCount(_ inputs: [ValueInfo?], threads: Int) -> Int {
        guard let x = inputs[0] else { return 0 }
        if let (kernel, geometry) = fusedPlan(x, threads: threads) {
            return kernel.pooledScratchCount(height: x.shape[2], width: x.shape[3], pool: geometry, threads: threads)
        }
        return unfusedScratchCount(x, threads: threads)
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        let x = try requireInput(ctx.inputs, 0)
        if let (kernel, geometry) = fusedPlan(x, threads: ctx.threads) {
            let input = ctx.input(0), output = ctx.outputPointers[0], scratch = ctx.scratch, threads = ctx.threads
            let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
            return {
                kernel.runPooled(input: input, batch: n, height: h, width: w, pool: geometry, output: output,
                                 scratch: scratch, threads: threads)
            }
        }
        return try unfusedStep(ctx)
    }
}
