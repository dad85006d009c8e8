import Foundation

/// What preparation knows about one graph value for a given set of input shapes.
struct ValueInfo: Sendable {
    var shape: [Int]
    var type: ElementType
    /// The value, when it is known before running (initialiser or folded).
    var constant: HostTensor?

    init(shape: [Int], type: ElementType = .float, constant: HostTensor? = nil) {
        self.shape = shape; self.type = type; self.constant = constant
    }

    init(constant: HostTensor) {
        self.shape = constant.shape; self.type = constant.type; self.constant = constant
    }

    var count: Int { shape.reduce(1, *) }
}

/// Everything a runtime step needs: shapes and fixed buffer addresses.
struct StepContext {
    var inputs: [ValueInfo?]
    var inputPointers: [UnsafePointer<Float>?]
    var outputs: [ValueInfo]
    var outputPointers: [UnsafeMutablePointer<Float>]
    var threads: Int
    /// Working memory shared by all steps (they run one after another), at least
    /// `Operator.scratchCount` floats for every step.
    var scratch: UnsafeMutablePointer<Float>

    func input(_ i: Int) -> UnsafePointer<Float> { inputPointers[i]! }
    func shape(_ i: Int) -> [Int] { inputs[i]!.shape }
}

/// One step of an execution plan: runs an op on buffers fixed at prepare time.
typealias Step = () -> Void

/// An operator instance: attributes parsed (and weights packed) once at model load.
protocol Operator: Sendable {
    var node: GraphNode { get }
    /// Output shapes and types. An output may carry a constant when it is known
    /// from shapes alone (e.g. `Shape`).
    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo]
    /// Evaluates the op on constant inputs (constant folding).
    func fold(_ inputs: [ValueInfo?], outputs: [ValueInfo]) throws -> [HostTensor]
    /// Builds the runtime step for float activations at fixed addresses.
    func makeStep(_ ctx: StepContext) throws -> Step
    /// Multiply-accumulates per run for these shapes.
    func macs(_ inputs: [ValueInfo?], _ outputs: [ValueInfo]) -> Int
    /// Whether the runtime step reads constant input `index` through a float pointer
    /// (otherwise the session does not materialise it; e.g. Conv weights, packed at load).
    func readsConstantData(at index: Int) -> Bool
    /// Floats of working memory the runtime step needs (packing, transforms), for `threads` threads.
    func scratchCount(_ inputs: [ValueInfo?], threads: Int) -> Int
}

extension Operator {
    func macs(_ inputs: [ValueInfo?], _ outputs: [ValueInfo]) -> Int { 0 }
    func readsConstantData(at index: Int) -> Bool { true }
    func scratchCount(_ inputs: [ValueInfo?], threads: Int) -> Int { 0 }

    /// Default folding: runs the float runtime step on temporary buffers.
    func fold(_ inputs: [ValueInfo?], outputs: [ValueInfo]) throws -> [HostTensor] {
        try foldByRunning(self, inputs, outputs)
    }

    func requireInput(_ inputs: [ValueInfo?], _ i: Int) throws -> ValueInfo {
        guard i < inputs.count, let v = inputs[i] else {
            throw EngineError.missingInput(node: node.name, op: node.opType, name: "input #\(i)")
        }
        return v
    }

    func requireConstant(_ inputs: [ValueInfo?], _ i: Int, what: String) throws -> HostTensor? {
        guard i < inputs.count, let v = inputs[i] else { return nil }
        guard let c = v.constant else {
            throw EngineError.unsupportedAttribute(node: node.name, op: node.opType,
                                                   reason: "\(what) must be known when preparing (constant or computed from static shapes)")
        }
        return c
    }

    func requireRank(_ v: ValueInfo, _ rank: Int, _ what: String = "input") throws {
        guard v.shape.count == rank else {
            throw node.shapeError("\(what) must have rank \(rank), got \(v.shape)")
        }
    }
}

/// Runs an operator's float step on copies of constant inputs.
func foldByRunning(_ op: any Operator, _ inputs: [ValueInfo?], _ outputs: [ValueInfo]) throws -> [HostTensor] {
    let inTensors: [Tensor?] = inputs.map { $0.map { $0.constant!.toTensor() } }
    let outTensors = try outputs.map { o -> Tensor in
        _ = try checkedElementCount(o.shape, what: "folded output of '\(op.node.name)'")
        return Tensor(zeros: o.shape)
    }
    let scratch = TensorStorage(count: max(op.scratchCount(inputs, threads: 1), 16))
    let ctx = StepContext(inputs: inputs,
                          inputPointers: inTensors.map { $0.map { UnsafePointer($0.storage.pointer) } },
                          outputs: outputs,
                          outputPointers: outTensors.map { $0.storage.pointer },
                          threads: 1, scratch: scratch.pointer)
    let step = try op.makeStep(ctx)
    step()
    return withExtendedLifetime((inTensors, scratch)) {
        outTensors.map { HostTensor(floats: $0.toArray(), shape: $0.shape) }
    }
}

/// Creates the operator for a node. Conv-family ops need their weights as constants.
func makeOperator(_ node: GraphNode, constants: [String: HostTensor], opset: Int) throws -> any Operator {
    switch node.opType {
    case "Conv": return try ConvOperator(node, constants: constants)
    case PointwiseDepthwiseOperator.opType: return try PointwiseDepthwiseOperator(node, constants: constants)
    case ConvMaxPoolOperator.opType: return try ConvMaxPoolOperator(node, constants: constants)
    case ConvGlobalAveragePoolOperator.opType: return try ConvGlobalAveragePoolOperator(node, constants: constants)
    case ConvAddOperator.opType: return try ConvAddOperator(node, constants: constants)
    case "ConvTranspose": return try ConvTransposeOperator(node, constants: constants)
    case "BatchNormalization": return try BatchNormOperator(node)
    case "Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu", "Selu",
         "Exp", "Log", "Sqrt", "Neg", "Abs", "Floor", "Ceil", "Reciprocal", "Erf", "Softplus",
         "Round", "Sin", "Cos", "Mish", "Gelu", "Not":
        return try UnaryOperator(node)
    case "Clip": return try ClipOperator(node, opset: opset)
    case "PRelu": return BinaryOperator(node, kind: .prelu)
    case "Add": return BinaryOperator(node, kind: .add)
    case "Sub": return BinaryOperator(node, kind: .sub)
    case "Mul": return BinaryOperator(node, kind: .mul)
    case "Div": return BinaryOperator(node, kind: .div)
    case "Pow": return BinaryOperator(node, kind: .pow)
    case "Max": return BinaryOperator(node, kind: .max)
    case "Min": return BinaryOperator(node, kind: .min)
    case "Equal": return BinaryOperator(node, kind: .equal)
    case "Less": return BinaryOperator(node, kind: .less)
    case "Greater": return BinaryOperator(node, kind: .greater)
    case "And": return BinaryOperator(node, kind: .and)
    case "Or": return BinaryOperator(node, kind: .or)
    case "Mod": return BinaryOperator(node, kind: .mod)
    case "Where": return WhereOperator(node: node)
    case "MaxPool", "AveragePool": return try PoolOperator(node)
    case "GlobalAveragePool", "GlobalMaxPool": return GlobalPoolOperator(node: node)
    case "Resize", "Upsample": return try ResizeOperator(node, opset: opset)
    case "Concat": return try ConcatOperator(node)
    case "Split": return try SplitOperator(node, opset: opset)
    case "Slice": return try SliceOperator(node, opset: opset)
    case "Pad": return try PadOperator(node, opset: opset)
    case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout":
        return try ReshapeOperator(node, opset: opset)
    case "Transpose": return try TransposeOperator(node)
    case "Gemm": return try GemmOperator(node)
    case "MatMul": return MatMulOperator(node: node)
    case "Softmax", "LogSoftmax": return try SoftmaxOperator(node, opset: opset)
    case "Constant": return try ConstantOperator(node)
    case "Shape": return try ShapeOperator(node)
    case "Size": return ShapeOperator(sizeOf: node)
    case "Gather": return try GatherOperator(node)
    case "Cast": return try CastOperator(node)
    case "ConstantOfShape": return try ConstantOfShapeOperator(node)
    case "Range": return RangeOperator(node: node)
    case "Expand": return ExpandOperator(node: node)
    case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin": return try ReduceOperator(node, opset: opset)
    default:
        throw EngineError.unsupportedOperator(node: node.name, op: node.opType)
    }
}
