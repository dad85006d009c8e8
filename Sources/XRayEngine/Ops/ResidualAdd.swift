/// The residual `Add` a fused node holds after its first operation (`ConvAddOperator`,
/// `PointwiseDepthwiseOperator`): it adds the node's input 1 (the residual) to that operation's
/// output, in the `Add`'s own operand order, then applies the `Add`'s fused activation. Where the
/// operation cannot add the residual as it stores its output, the two run one after the other,
/// the operation's output in the scratch.
struct ResidualAdd {
    let add: BinaryOperator
    /// Which operand of the `Add` the fused operation's output is.
    let operand: Int

    /// The `Add` node when it has two inputs and reads `value`, else nil.
    init?(_ node: GraphNode, reading value: String?) {
        guard node.opType == "Add", node.inputs.count == 2, let value,
              let operand = node.inputs.firstIndex(of: value) else { return nil }
        add = BinaryOperator(node, kind: .add)
        self.operand = operand
    }

    var activation: FusedActivation { add.node.fusedActivation }

    /// The `Add`'s operands in its own order.
    func inputs<T>(_ y: T, _ residual: T) -> [T] {
        operand == 0 ? [y, residual] : [residual, y]
    }

    func infer(_ y: ValueInfo, _ residual: ValueInfo) throws -> [ValueInfo] {
        try add.infer(inputs(y, residual))
    }

    /// Scratch of `step(after:)`: the operation's output `y`, then the larger of the operation's
    /// scratch (`first`) and the `Add`'s.
    func scratchCount(_ y: ValueInfo, residual: ValueInfo?, first: Int, threads: Int) -> Int {
        y.count + max(first, add.scratchCount(inputs(y, residual), threads: threads))
    }

    /// `first`, which writes `y` to `output` (the start of `ctx.scratch`), then the `Add` of
    /// `ctx`'s input 1 into `ctx`'s output, with `scratch` (after `y`) for its own use.
    func step(after first: @escaping Step, output y: ValueInfo, at output: UnsafeMutablePointer<Float>,
              _ ctx: StepContext, scratch: UnsafeMutablePointer<Float>) throws -> Step {
        let addStep = try add.makeStep(StepContext(
            inputs: inputs(y, ctx.inputs[1]), inputPointers: inputs(UnsafePointer(output), ctx.input(1)),
            outputs: ctx.outputs, outputPointers: ctx.outputPointers, threads: ctx.threads, scratch: scratch))
        return {
            first()
            addStep()
        }
    }
}
