import Foundation

/// `Shape` (with opset-15 start/end) and `Size`: known from static shapes, so always folded.
struct ShapeOperator: Operator {
    let node: GraphNode
    let isSize: Bool
    let start: Int
    let end: Int?

    init(_ node: GraphNode) throws {
        self.node = node; isSize = false
        start = try node.int("start", default: 0); end = try node.int("end")
    }
    init(sizeOf node: GraphNode) { self.node = node; isSize = true; start = 0; end = nil }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0)
        if isSize { return [ValueInfo(constant: HostTensor(ints: [Int64(x.count)], shape: []))] }
        let r = x.shape.count
        func clamp(_ v: Int) -> Int { Swift.min(Swift.max(v < 0 ? v + r : v, 0), r) }
        let s = clamp(start), e = Swift.max(clamp(end ?? r), s)
        let dims = x.shape[s..<e].map { Int64($0) }
        return [ValueInfo(constant: HostTensor(ints: dims, shape: [dims.count]))]
    }

    func fold(_ inputs: [ValueInfo?], outputs: [ValueInfo]) throws -> [HostTensor] { outputs.map { $0.constant! } }
    func makeStep(_ ctx: StepContext) throws -> Step { throw EngineError.unsupported(reason: "Shape at run time") }
}

/// `Constant` (value, value_float(s), value_int(s)).
struct ConstantOperator: Operator {
    let node: GraphNode
    let value: HostTensor

    init(_ node: GraphNode) throws {
        self.node = node
        switch (node.attributes["value"], node.attributes["value_float"], node.attributes["value_floats"],
                node.attributes["value_int"], node.attributes["value_ints"]) {
        case (.tensor(let t)?, _, _, _, _): value = t
        case (_, .float(let f)?, _, _, _): value = HostTensor(floats: [f], shape: [])
        case (_, _, .floats(let f)?, _, _): value = HostTensor(floats: f, shape: [f.count])
        case (_, _, _, .int(let i)?, _): value = HostTensor(ints: [Int64(i)], shape: [])
        case (_, _, _, _, .ints(let i)?): value = HostTensor(ints: i.map { Int64($0) }, shape: [i.count])
        default: throw node.error("Constant without a supported value attribute")
        }
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] { [ValueInfo(constant: value)] }
    func fold(_ inputs: [ValueInfo?], outputs: [ValueInfo]) throws -> [HostTensor] { [value] }
    func makeStep(_ ctx: StepContext) throws -> Step { throw EngineError.unsupported(reason: "Constant at run time") }
}

/// `Cast` between float, integer and boolean types (float→float at run time is a copy).
struct CastOperator: Operator {
    let node: GraphNode
    let target: ElementType

    init(_ node: GraphNode) throws {
        self.node = node
        guard let to = try node.int("to") else { throw node.error("missing 'to'") }
        switch Onnx_TensorProto.DataType(rawValue: to) {
        case .float?, .float16?, .double?, .bfloat16?: target = .float
        case .int64?, .int32?, .int16?, .int8?, .uint8?, .uint16?, .uint32?, .uint64?: target = .int64
        case .bool?: target = .bool
        default: throw node.error("cast to type \(to)")
        }
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0)
        return [ValueInfo(shape: x.shape, type: target)]
    }

    func fold(_ inputs: [ValueInfo?], outputs: [ValueInfo]) throws -> [HostTensor] {
        [inputs[0]!.constant!.converted(to: target)]
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        guard target == .float, ctx.inputs[0]!.type == .float else {
            throw EngineError.unsupported(reason: "node '\(node.name)' (Cast): integer cast of a run-time value")
        }
        let x = ctx.input(0), y = ctx.outputPointers[0], n = ctx.outputs[0].count
        return { y.update(from: x, count: n) }
    }
}

/// `ConstantOfShape`.
struct ConstantOfShapeOperator: Operator {
    let node: GraphNode
    let value: HostTensor

    init(_ node: GraphNode) throws {
        self.node = node
        if case .tensor(let t)? = node.attributes["value"] { value = t } else { value = HostTensor(floats: [0], shape: [1]) }
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        guard let s = try requireConstant(inputs, 0, what: "shape") else { throw EngineError.missingInput(node: node.name, op: node.opType, name: "shape") }
        let shape = s.intValues
        let n = try checkedElementCount(shape, what: "output of '\(node.name)'")
        guard n <= maximumFoldedElementCount else {
            throw EngineError.resourceLimit(reason: "node '\(node.name)' (ConstantOfShape): \(shape) is too large to fold")
        }
        let c: HostTensor
        switch value.storage {
        case .float(let f): c = HostTensor(floats: [Float](repeating: f.first ?? 0, count: n), shape: shape)
        case .int(let i): c = HostTensor(ints: [Int64](repeating: i.first ?? 0, count: n), shape: shape, type: value.type)
        }
        return [ValueInfo(constant: c)]
    }

    func fold(_ inputs: [ValueInfo?], outputs: [ValueInfo]) throws -> [HostTensor] { outputs.map { $0.constant! } }
    func makeStep(_ ctx: StepContext) throws -> Step { throw EngineError.unsupported(reason: "ConstantOfShape at run time") }
}

/// `Range(start, limit, delta)` with constant inputs.
struct RangeOperator: Operator {
    let node: GraphNode

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        guard let s = try requireConstant(inputs, 0, what: "start"), let l = try requireConstant(inputs, 1, what: "limit"),
              let d = try requireConstant(inputs, 2, what: "delta") else {
            throw EngineError.missingInput(node: node.name, op: node.opType, name: "start/limit/delta")
        }
        if s.type == .float {
            let a = s.floats[0], b = l.floats[0], c = d.floats[0]
            guard c != 0 else { throw node.shapeError("delta 0") }
            guard let n0 = checkedInt(Double(((b - a) / c).rounded(.up)), limit: maximumFoldedElementCount) else {
                throw EngineError.resourceLimit(reason: "node '\(node.name)' (Range): too many elements")
            }
            let n = Swift.max(0, n0)
            return [ValueInfo(constant: HostTensor(floats: (0..<n).map { a + Float($0) * c }, shape: [n]))]
        }
        let a = s.ints[0], b = l.ints[0], c = d.ints[0]
        guard c != 0 else { throw node.shapeError("delta 0") }
        guard let n0 = checkedInt(((Double(b) - Double(a)) / Double(c)).rounded(.up), limit: maximumFoldedElementCount) else {
            throw EngineError.resourceLimit(reason: "node '\(node.name)' (Range): too many elements")
        }
        let n = Swift.max(0, n0)
        return [ValueInfo(constant: HostTensor(ints: (0..<n).map { a + Int64($0) * c }, shape: [n]))]
    }

    func fold(_ inputs: [ValueInfo?], outputs: [ValueInfo]) throws -> [HostTensor] { outputs.map { $0.constant! } }
    func makeStep(_ ctx: StepContext) throws -> Step { throw EngineError.unsupported(reason: "Range at run time") }
}
