/// A 2-D `Conv` (no activation of its own) whose output only an `Add` reads, with that `Add`
/// and its fused activation: ResNet's `relu(conv2(x) + shortcut)` (built by
/// `GraphPasses.fuseConvAdd`). Node inputs: the convolution's input, the `Add`'s other operand
/// (the residual), then the convolution's weights and bias.
///
/// Where the convolution runs as Winograd and the residual has the output's shape, the
/// output transform adds the residual and applies the activation to each row as it stores it
/// (`ResidualEpilogue`): the separate `Add` read two tensors and wrote a third (ResNet-18's
/// at 128 × 128 × 64: 0.7 ms each). Elsewhere the two run one after the other, the
/// convolution's output in the scratch.
struct ConvAddOperator: Operator {
    static let opType = "XRayConvAdd"

    let node: GraphNode
    let conv: ConvOperator
    let add: ResidualAdd

    init(_ node: GraphNode, constants: [String: HostTensor]) throws {
        guard node.fused.count == 2, node.inputs.count >= 2,
              let add = ResidualAdd(node.fused[1], reading: node.fused[0].outputs.first) else {
            throw node.error("a conv + add node holds a Conv and the Add that reads it")
        }
        self.node = node
        conv = try ConvOperator(node.fused[0], constants: constants)
        guard conv.kernel.count == 2, node.fused[0].fusedActivation == .none else {
            throw node.error("not a 2-D Conv without activation")
        }
        self.add = add
    }

    func readsConstantData(at index: Int) -> Bool { index < 2 }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let y = try conv.infer([try requireInput(inputs, 0)])[0]
        return try add.infer(y, try requireInput(inputs, 1))
    }

    func macs(_ inputs: [ValueInfo?], _ outputs: [ValueInfo]) -> Int {
        guard let x = inputs[0], let y = try? conv.infer([x]) else { return 0 }
        return conv.macs([x], y)
    }

    /// The kernel that adds the residual itself, where it can on these inputs; else nil.
    private func fusedKernel(_ inputs: [ValueInfo?], threads: Int) -> PackedConvolution2D? {
        guard let x = inputs[0], let r = inputs[1], r.type == .float, x.shape.count == 4,
              let y = try? conv.infer([x])[0], r.shape == y.shape,
              let kernel = (conv.kernel(for: x.shape, threads: threads, activation: add.activation)
                            as? FastConvolution)?.packed,
              kernel.fusesResidual else { return nil }
        return kernel
    }

    func scratchCount(_ inputs: [ValueInfo?], threads: Int) -> Int {
        guard let x = inputs[0], let y = try? conv.infer([x])[0] else { return 0 }
        if let kernel = fusedKernel(inputs, threads: threads) {
            return kernel.scratchCount(inputHeight: x.shape[2], inputWidth: x.shape[3], threads: threads)
        }
        return add.scratchCount(y, residual: inputs[1], first: conv.scratchCount([x], threads: threads), threads: threads)
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        let x = try requireInput(ctx.inputs, 0)
        if let kernel = fusedKernel(ctx.inputs, threads: ctx.threads) {
            let input = ctx.input(0), residual = ctx.input(1), output = ctx.outputPointers[0]
            let scratch = ctx.scratch, threads = ctx.threads
            let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
            return {
                kernel.run(input: input, batch: n, inputHeight: h, inputWidth: w, output: output, scratch: scratch,
                           threads: threads, residual: residual)
            }
        }
        let (convStep, y, convolved, rest) = try conv.stepIntoScratch(ctx)
        return try add.step(after: convStep, output: y, at: convolved, ctx, scratch: rest)
    }
}
