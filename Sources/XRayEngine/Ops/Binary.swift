import Foundation

/// Element-wise binary ops with numpy broadcasting: Add, Sub, Mul, Div, Pow, Max, Min,
/// PRelu, comparisons and logic (the latter only in folded shape computations).
struct BinaryOperator: Operator {
    enum Kind: Sendable { case add, sub, mul, div, pow, max, min, prelu, equal, less, greater, and, or, mod }
    let node: GraphNode
    let kind: Kind

    init(_ node: GraphNode, kind: Kind) { self.node = node; self.kind = kind }

    var isComparison: Bool { [.equal, .less, .greater, .and, .or].contains(kind) }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let a = try requireInput(inputs, 0), b = try requireInput(inputs, 1)
        // PRelu's slope broadcasts numpy-style (trailing axes), as in ONNX Runtime.
        guard let out = Broadcast.shape([a.shape, b.shape]), kind != .prelu || out == a.shape else {
            throw node.shapeError("cannot broadcast \(a.shape) with \(b.shape)")
        }
        _ = try checkedElementCount(out, what: "output of '\(node.name)'")
        let type: ElementType = isComparison ? .bool : (a.type == .float || b.type == .float ? .float : a.type)
        return [ValueInfo(shape: out, type: type)]
    }

    private func bShape(_ inputs: [ValueInfo?]) -> [Int] { inputs[1]!.shape }

    func fold(_ inputs: [ValueInfo?], outputs: [ValueInfo]) throws -> [HostTensor] {
        let a = inputs[0]!.constant!, b = inputs[1]!.constant!
        let outShape = outputs[0].shape
        let bs = bShape(inputs)
        let intMath = a.type != .float && b.type != .float
        if intMath || isComparison {
            // Integer / boolean semantics (comparisons on floats are done in Double).
            let x = a.type == .float ? a.floats.map(Double.init) : a.ints.map { Double($0) }
            let y = b.type == .float ? b.floats.map(Double.init) : b.ints.map { Double($0) }
            let xi = a.ints, yi = b.ints
            var out = [Int64](repeating: 0, count: outShape.reduce(1, *))
            Broadcast.forEach(outShape, [a.shape, bs]) { o, off in
                let p = x[off[0]], q = y[off[1]]
                switch kind {
                case .equal: out[o] = p == q ? 1 : 0
                case .less: out[o] = p < q ? 1 : 0
                case .greater: out[o] = p > q ? 1 : 0
                case .and: out[o] = (p != 0 && q != 0) ? 1 : 0
                case .or: out[o] = (p != 0 || q != 0) ? 1 : 0
                case .add: out[o] = xi[off[0]] &+ yi[off[1]]
                case .sub: out[o] = xi[off[0]] &- yi[off[1]]
                case .mul: out[o] = xi[off[0]] &* yi[off[1]]
                case .div:
                    let d = yi[off[1]]
                    out[o] = d == 0 ? 0 : xi[off[0]].dividedReportingOverflow(by: d).partialValue
                case .mod:
                    let d = yi[off[1]]
                    if d == 0 { out[o] = 0 } else {
                        let r = xi[off[0]].remainderReportingOverflow(dividingBy: d).partialValue
                        out[o] = (r != 0 && (r < 0) != (d < 0)) ? r &+ d : r
                    }
                case .pow: out[o] = clampToInt64(Foundation.pow(p, q))
                case .max: out[o] = Swift.max(xi[off[0]], yi[off[1]])
                case .min: out[o] = Swift.min(xi[off[0]], yi[off[1]])
                case .prelu: out[o] = xi[off[0]] < 0 ? xi[off[0]] &* yi[off[1]] : xi[off[0]]
                }
            }
            return [HostTensor(ints: out, shape: outShape, type: outputs[0].type)]
        }
        return try foldByRunning(self, inputs.map { $0.map { var v = $0; v.constant = v.constant!.converted(to: .float); return v } }, outputs)
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        guard !isComparison else {
            throw EngineError.unsupported(reason: "node '\(node.name)' (\(node.opType)): comparison on run-time values")
        }
        let a = ctx.input(0), b = ctx.input(1)
        let plan = Broadcast.BinaryPlan(ctx.shape(0), bShape(ctx.inputs), ctx.outputs[0].shape)
        let out = ctx.outputPointers[0]
        let activation = node.fusedActivation
        if kind == .add && (activation != .none || plan.kind == .same) {
            // A residual Add (ResNet), with the ReLU after it fused: same-shape operands split
            // over the threads in cache-sized chunks, the activation applied while a chunk is hot.
            guard plan.kind == .same else {
                return { Broadcast.binary(a, b, out, plan, +); activation.apply(out, count: plan.count) }
            }
            let n = plan.count, chunk = 16384, threads = ctx.threads
            return {
                ParallelFor.run(count: (n + chunk - 1) / chunk, threads: threads) { task, _ in
                    let start = task * chunk, count = min(chunk, n - start)
                    let x = a + start, y = b + start, z = out + start
                    for i in 0..<count { z[i] = x[i] + y[i] }
                    activation.apply(z, count: count)
                }
            }
        }
        switch kind {
        case .add: return { Broadcast.binary(a, b, out, plan, +) }
        case .sub: return { Broadcast.binary(a, b, out, plan, -) }
        case .mul: return { Broadcast.binary(a, b, out, plan, *) }
        case .div: return { Broadcast.binary(a, b, out, plan, /) }
        case .pow: return { Broadcast.binary(a, b, out, plan) { Foundation.powf($0, $1) } }
        case .max: return { Broadcast.binary(a, b, out, plan) { Swift.max($0, $1) } }
        case .min: return { Broadcast.binary(a, b, out, plan) { Swift.min($0, $1) } }
        case .mod: return { Broadcast.binary(a, b, out, plan) { Foundation.fmodf($0, $1) } }
        case .prelu: return { Broadcast.binary(a, b, out, plan) { $0 < 0 ? $0 * $1 : $0 } }
        default: throw EngineError.unsupported(reason: "node '\(node.name)'")
        }
    }
}

/// `Where(condition, x, y)` — folded only (shape computations).
struct WhereOperator: Operator {
    let node: GraphNode

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let c = try requireInput(inputs, 0), x = try requireInput(inputs, 1), y = try requireInput(inputs, 2)
        guard let out = Broadcast.shape([c.shape, x.shape, y.shape]) else {
            throw node.shapeError("cannot broadcast \(c.shape), \(x.shape), \(y.shape)")
        }
        return [ValueInfo(shape: out, type: x.type)]
    }

    func fold(_ inputs: [ValueInfo?], outputs: [ValueInfo]) throws -> [HostTensor] {
        let c = inputs[0]!.constant!.ints, x = inputs[1]!.constant!, y = inputs[2]!.constant!
        let shapes = inputs.map { $0!.shape }
        let n = outputs[0].count
        if outputs[0].type == .float {
            let xf = x.floats, yf = y.floats
            var out = [Float](repeating: 0, count: n)
            Broadcast.forEach(outputs[0].shape, shapes) { o, off in out[o] = c[off[0]] != 0 ? xf[off[1]] : yf[off[2]] }
            return [HostTensor(floats: out, shape: outputs[0].shape)]
        }
        let xi = x.ints, yi = y.ints
        var out = [Int64](repeating: 0, count: n)
        Broadcast.forEach(outputs[0].shape, shapes) { o, off in out[o] = c[off[0]] != 0 ? xi[off[1]] : yi[off[2]] }
        return [HostTensor(ints: out, shape: outputs[0].shape, type: outputs[0].type)]
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        guard let cond = ctx.inputs[0]?.constant?.ints else {
            throw EngineError.unsupported(reason: "node '\(node.name)' (Where): run-time condition")
        }
        let x = ctx.input(1), y = ctx.input(2), out = ctx.outputPointers[0]
        let outShape = ctx.outputs[0].shape, shapes = ctx.inputs.map { $0!.shape }
        let n = ctx.outputs[0].count
        // Precompute offsets once: no allocation per run.
        var plan = [(Bool, Int)](repeating: (false, 0), count: n)
        Broadcast.forEach(outShape, shapes) { o, off in plan[o] = cond[off[0]] != 0 ? (true, off[1]) : (false, off[2]) }
        return { for i in 0..<n { out[i] = plan[i].0 ? x[plan[i].1] : y[plan[i].1] } }
    }
}
