/// A fused node of a 2-D `Conv` (with its fused activation) and the pooling operator that alone
/// reads its output (`ConvMaxPoolOperator`, `ConvGlobalAveragePoolOperator`): the pair's shapes,
/// multiply-adds and, where the kernel cannot pool its own output, the two run one after the
/// other with the convolution's output in the scratch.
protocol ConvThenPool: Operator {
    associatedtype Pool: Operator
    var conv: ConvOperator { get }
    var pool: Pool { get }
}

extension ConvThenPool {
    func readsConstantData(at index: Int) -> Bool { index == 0 }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        try pool.infer(conv.infer(inputs))
    }

    func macs(_ inputs: [ValueInfo?], _ outputs: [ValueInfo]) -> Int {
        guard let x = inputs[0], let y = try? conv.infer([x]) else { return 0 }
        return conv.macs([x], y)
    }

    /// Scratch of `unfusedStep`.
    func unfusedScratchCount(_ x: ValueInfo, threads: Int) -> Int {
        guard let y = try? conv.infer([x])[0] else { return 0 }
        return y.count + conv.scratchCount([x], threads: threads)
    }

    /// The convolution into the scratch, then the pool.
    func unfusedStep(_ ctx: StepContext) throws -> Step {
        let (convStep, y, convolved, rest) = try conv.stepIntoScratch(ctx)
        let poolStep = try pool.makeStep(StepContext(inputs: [y], inputPointers: [UnsafePointer(convolved)],
                                                     outputs: ctx.outputs, outputPointers: ctx.outputPointers,
                                                     threads: ctx.threads, scratch: rest))
        return {
            convStep()
            poolStep()
        }
    }
}
