import Foundation

/// A graph input or output as declared by the model.
public struct TensorDescription: Sendable, Hashable, CustomStringConvertible {
    /// The value's name in the graph.
    public let name: String
    /// Declared dimensions; `nil` for a symbolic or unknown dimension.
    public let shape: [Int?]
    /// The symbolic name of each dimension where the model gives one (e.g. `"batch"`).
    public let dimensionNames: [String?]
    /// `"float32"`, `"int64"` or `"bool"` (the engine computes in float32).
    public let elementType: String

    /// `true` when every dimension is a fixed number.
    public var isStatic: Bool { shape.allSatisfy { $0 != nil } }

    public var description: String {
        let dims = zip(shape, dimensionNames).map { d, n in d.map(String.init) ?? n ?? "?" }
        return "\(name): \(elementType)[\(dims.joined(separator: ", "))]"
    }
}

/// A loaded, optimised ONNX model.
///
/// Loading parses the protobuf, folds constants, folds BatchNormalization into Conv,
/// fuses activations into Conv and packs convolution weights once. A `Model` is
/// immutable and can be shared between threads; create one ``Session`` per thread
/// with ``makeSession(inputShapes:threads:)`` to run it.
///
/// ```swift
/// let model = try Model(contentsOf: url)
/// let session = try model.makeSession(inputShapes: ["input": [1, 1, 256, 256]])
/// let outputs = try session.run(["input": image])
/// ```
public final class Model: Sendable {
    /// Graph inputs (initialisers excluded).
    public let inputs: [TensorDescription]
    /// Graph outputs.
    public let outputs: [TensorDescription]
    /// `metadata_props` of the ONNX model.
    public let metadata: [String: String]
    /// Default-domain (`ai.onnx`) opset version the model was exported with.
    public let opsetVersion: Int
    /// ONNX IR version of the file.
    public let irVersion: Int
    /// Producer name and version (e.g. `"pytorch 2.15.0"`).
    public let producer: String
    /// Number of nodes per operator type in the file as loaded.
    public let operatorCounts: [String: Int]
    /// Number of nodes per operator type after load-time optimisation (fused Conv
    /// nodes are counted as `Conv+Relu` etc.).
    public let optimizedOperatorCounts: [String: Int]
    /// Number of weight values (all initialisers after optimisation).
    public let parameterCount: Int

    let graph: GraphIR
    let operators: [any Operator]

    /// Loads an ONNX model file. External data files are resolved next to it.
    /// - Throws: ``EngineError`` naming the failing node, operator and reason.
    public convenience init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw EngineError.invalidInput(reason: "cannot read \(url.path): \(error.localizedDescription)")
        }
        try self.init(data: data, baseDirectory: url.deletingLastPathComponent())
    }

    /// Loads an ONNX model from serialised bytes. Tensors with external data are rejected
    /// unless `baseDirectory` says where their files are.
    /// - Throws: ``EngineError``.
    public init(data: Data, baseDirectory: URL? = nil) throws {
        let loaded = try ONNXLoader(baseDirectory: baseDirectory).load(data: data)
        var graph = loaded.graph
        var counts: [String: Int] = [:]
        for n in graph.nodes { counts[n.opType, default: 0] += 1 }
        operatorCounts = counts
        try GraphPasses.optimize(&graph, opset: loaded.opsetVersion)
        operators = try graph.nodes.map { try makeOperator($0, constants: graph.constants, opset: loaded.opsetVersion) }
        var optimized: [String: Int] = [:]
        for n in graph.nodes {
            let name = n.fusedActivation == .none ? n.opType : "\(n.opType)+\(activationName(n.fusedActivation))"
            optimized[name, default: 0] += 1
        }
        optimizedOperatorCounts = optimized
        parameterCount = graph.constants.values.reduce(0) { $0 + $1.count }
        self.graph = graph
        func describe(_ d: ValueDeclaration) -> TensorDescription {
            TensorDescription(name: d.name, shape: d.dims, dimensionNames: d.symbols,
                              elementType: d.type == .float ? "float32" : (d.type == .bool ? "bool" : "int64"))
        }
        inputs = graph.inputs.map(describe)
        outputs = graph.outputs.map(describe)
        metadata = loaded.metadata
        opsetVersion = loaded.opsetVersion
        irVersion = loaded.irVersion
        producer = loaded.producer
    }

    /// A human-readable multi-line summary for an `info` command: producer, opset,
    /// inputs, outputs, metadata and operator counts (as loaded and after optimisation).
    public var summary: String {
        var lines = ["producer: \(producer.isEmpty ? "?" : producer)", "ONNX IR \(irVersion), opset \(opsetVersion)",
                     "parameters: \(parameterCount)"]
        lines += inputs.map { "input  \($0)" }
        lines += outputs.map { "output \($0)" }
        lines += metadata.sorted { $0.key < $1.key }.map { "metadata \($0.key) = \($0.value)" }
        lines.append("operators: " + operatorCounts.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", "))
        lines.append("optimised: " + optimizedOperatorCounts.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }

    /// Prepares a session for the given input shapes (every symbolic dimension must be
    /// given; inputs with fully static declared shapes may be omitted).
    ///
    /// Resolves all shapes, folds shape computations, plans activation memory and builds
    /// the execution plan. Sessions for several input sizes can be made from one model.
    /// - Parameters:
    ///   - inputShapes: Shape per input name, e.g. `["input": [1, 1, 256, 256]]`.
    ///   - threads: Threads the kernels may use (1 = run on the caller's thread).
    ///   - maximumMemoryBytes: Reject the preparation with ``EngineError/resourceLimit(reason:)``
    ///     when the planned activation memory would exceed this (nil: no limit beyond the
    ///     per-tensor limit of 2³¹ elements).
    /// - Throws: ``EngineError/shapeMismatch(node:op:reason:)`` and friends.
    public func makeSession(inputShapes: [String: [Int]] = [:], threads: Int = 1,
                            maximumMemoryBytes: Int? = nil) throws -> Session {
        try Session(model: self, inputShapes: inputShapes, threads: max(1, threads), maximumMemoryBytes: maximumMemoryBytes)
    }

    /// Prepares a session for a single-input model.
    public func makeSession(inputShape: [Int], threads: Int = 1, maximumMemoryBytes: Int? = nil) throws -> Session {
        guard inputs.count == 1 else {
            throw EngineError.invalidInput(reason: "model has \(inputs.count) inputs; name them with makeSession(inputShapes:)")
        }
        return try makeSession(inputShapes: [inputs[0].name: inputShape], threads: threads, maximumMemoryBytes: maximumMemoryBytes)
    }
}

func activationName(_ a: FusedActivation) -> String {
    switch a {
    case .none: return "None"
    case .relu: return "Relu"
    case .leakyRelu: return "LeakyRelu"
    case .clip: return "Clip"
    case .sigmoid: return "Sigmoid"
    case .tanh: return "Tanh"
    case .hardSigmoid: return "HardSigmoid"
    case .hardSwish: return "HardSwish"
    }
}
