import Foundation

extension FusedActivation {
    /// Applies the activation to one value (reference semantics).
    @inline(__always)
    func apply(_ x: Float) -> Float {
        switch self {
        case .none: return x
        case .relu: return x > 0 ? x : 0
        case .leakyRelu(let alpha): return x >= 0 ? x : alpha * x
        case .clip(let lo, let hi): return Swift.min(Swift.max(x, lo), hi)
        case .sigmoid: return 1 / (1 + Foundation.expf(-x))
        case .tanh: return Foundation.tanhf(x)
        case .hardSigmoid(let alpha, let beta): return Swift.max(0, Swift.min(1, alpha * x + beta))
        case .hardSwish: return x * Swift.max(0, Swift.min(1, x / 6 + 0.5))
        }
    }

    /// Applies the activation in place to `count` values.
    func apply(_ p: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .none: return
        case .relu: for i in 0..<count { p[i] = p[i] > 0 ? p[i] : 0 }
        default: for i in 0..<count { p[i] = apply(p[i]) }
        }
    }
}

/// Element-wise unary ops. Those expressible as a `FusedActivation` can be fused into Conv.
struct UnaryOperator: Operator {
    let node: GraphNode
    let activation: FusedActivation?
    let function: @Sendable (Float) -> Float

    init(_ node: GraphNode) throws {
        self.node = node
        var act: FusedActivation? = nil
        var f: @Sendable (Float) -> Float = { $0 }
        switch node.opType {
        case "Relu": act = .relu
        case "LeakyRelu": act = .leakyRelu(alpha: try node.float("alpha", default: 0.01))
        case "Sigmoid": act = .sigmoid
        case "Tanh": act = .tanh
        case "HardSigmoid": act = .hardSigmoid(alpha: try node.float("alpha", default: 0.2), beta: try node.float("beta", default: 0.5))
        case "HardSwish": act = .hardSwish
        case "Elu":
            let a = try node.float("alpha", default: 1)
            f = { $0 >= 0 ? $0 : a * (Foundation.expf($0) - 1) }
        case "Selu":
            let a = try node.float("alpha", default: 1.67326319217681884765625)
            let g = try node.float("gamma", default: 1.05070102214813232421875)
            f = { $0 > 0 ? g * $0 : g * (a * Foundation.expf($0) - a) }
        case "Exp": f = { Foundation.expf($0) }
        case "Log": f = { Foundation.logf($0) }
        case "Sqrt": f = { $0.squareRoot() }
        case "Neg": f = { -$0 }
        case "Abs": f = { Swift.abs($0) }
        case "Floor": f = { $0.rounded(.down) }
        case "Ceil": f = { $0.rounded(.up) }
        case "Round": f = { $0.rounded(.toNearestOrEven) }
        case "Reciprocal": f = { 1 / $0 }
        case "Erf": f = { Foundation.erff($0) }
        case "Sin": f = { Foundation.sinf($0) }
        case "Cos": f = { Foundation.cosf($0) }
        case "Not": f = { $0 == 0 ? 1 : 0 }
        case "Softplus": f = { Foundation.log1pf(Foundation.expf(-Swift.abs($0))) + Swift.max($0, 0) }
        case "Mish": f = { $0 * Foundation.tanhf(Foundation.log1pf(Foundation.expf(-Swift.abs($0))) + Swift.max($0, 0)) }
        case "Gelu":
            let approx = try node.string("approximate", default: "none")
            if approx == "tanh" {
                f = { 0.5 * $0 * (1 + Foundation.tanhf(0.7978845608028654 * ($0 + 0.044715 * $0 * $0 * $0))) }
            } else {
                f = { 0.5 * $0 * (1 + Foundation.erff($0 * 0.7071067811865476)) }
            }
        default: throw EngineError.unsupportedOperator(node: node.name, op: node.opType)
        }
        if let act { f = { act.apply($0) } }
        activation = act
        function = f
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0)
        let type: ElementType = node.opType == "Not" ? .bool : (["Neg", "Abs", "Floor", "Ceil", "Round"].contains(node.opType) ? x.type : .float)
        return [ValueInfo(shape: x.shape, type: type)]
    }

    func fold(_ inputs: [ValueInfo?], outputs: [ValueInfo]) throws -> [HostTensor] {
        let x = inputs[0]!.constant!
        if outputs[0].type != .float {
            let f = function
            return [HostTensor(ints: x.floats.map { clampToInt64(Double(f($0))) }, shape: x.shape, type: outputs[0].type)]
        }
        return [HostTensor(floats: x.floats.map(function), shape: x.shape)]
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        let x = ctx.input(0), out = ctx.outputPointers[0], n = ctx.outputs[0].count
        if let act = activation {
            return {
                if x != UnsafePointer(out) { out.update(from: x, count: n) }
                act.apply(out, count: n)
            }
        }
        let f = function
        return { for i in 0..<n { out[i] = f(x[i]) } }
    }
}

/// `Clip` (min/max as attributes before opset 11, as optional inputs from 11).
struct ClipOperator: Operator {
    let node: GraphNode
    let attrMin: Float?
    let attrMax: Float?

    init(_ node: GraphNode, opset: Int) throws {
        self.node = node
        attrMin = try node.float("min")
        attrMax = try node.float("max")
    }

    func bounds(_ inputs: [ValueInfo?]) throws -> (Float, Float) {
        var lo = attrMin ?? -Float.infinity, hi = attrMax ?? Float.infinity
        if let c = try requireConstant(inputs, 1, what: "Clip min") { lo = c.floats.first ?? lo }
        if let c = try requireConstant(inputs, 2, what: "Clip max") { hi = c.floats.first ?? hi }
        return (lo, hi)
    }

    func activation(_ inputs: [ValueInfo?]) throws -> FusedActivation {
        let (lo, hi) = try bounds(inputs)
        return .clip(min: lo, max: hi)
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0)
        _ = try bounds(inputs)
        return [ValueInfo(shape: x.shape, type: x.type)]
    }

    func fold(_ inputs: [ValueInfo?], outputs: [ValueInfo]) throws -> [HostTensor] {
        let (lo, hi) = try bounds(inputs)
        let x = inputs[0]!.constant!
        if x.type != .float {
            return [HostTensor(ints: x.ints.map { clampToInt64(Double(Swift.min(Swift.max(Float($0), lo), hi))) }, shape: x.shape, type: x.type)]
        }
        return [HostTensor(floats: x.floats.map { Swift.min(Swift.max($0, lo), hi) }, shape: x.shape)]
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        let act = try activation(ctx.inputs)
        let x = ctx.input(0), out = ctx.outputPointers[0], n = ctx.outputs[0].count
        return {
            if x != UnsafePointer(out) { out.update(from: x, count: n) }
            act.apply(out, count: n)
        }
    }
}
