import Foundation

/// Errors thrown while loading, preparing or running a model. The description names the
/// node, operator and reason where one applies.
public enum EngineError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The bytes are not a valid ONNX protobuf (truncated, corrupt or not ONNX at all).
    case malformedModel(reason: String)
    /// The model needs an operator set this engine does not support.
    case unsupportedOpset(domain: String, version: Int)
    /// An operator type the engine does not implement.
    case unsupportedOperator(node: String, op: String)
    /// An attribute value or input combination the engine does not implement.
    case unsupportedAttribute(node: String, op: String, reason: String)
    /// A node input names a tensor that is neither a graph input, an initialiser nor a node output.
    case missingInput(node: String, op: String, name: String)
    /// Shapes that do not fit together (declared vs given, or between an op's inputs).
    case shapeMismatch(node: String, op: String, reason: String)
    /// A tensor is larger than the engine accepts, or its declared size is inconsistent.
    case resourceLimit(reason: String)
    /// An input or output name that the model does not have, or a missing input at run time.
    case invalidInput(reason: String)
    /// An external data file could not be read.
    case externalData(reason: String)
    /// A value could not be resolved statically where the engine requires it.
    case unsupported(reason: String)

    public var description: String {
        switch self {
        case .malformedModel(let r): return "malformed ONNX model: \(r)"
        case .unsupportedOpset(let d, let v): return "unsupported opset \(d.isEmpty ? "ai.onnx" : d) version \(v)"
        case .unsupportedOperator(let n, let op): return "node '\(n)' (\(op)): unsupported operator"
        case .unsupportedAttribute(let n, let op, let r): return "node '\(n)' (\(op)): unsupported attribute: \(r)"
        case .missingInput(let n, let op, let name): return "node '\(n)' (\(op)): missing input or initialiser '\(name)'"
        case .shapeMismatch(let n, let op, let r): return "node '\(n)' (\(op)): shape mismatch: \(r)"
        case .resourceLimit(let r): return "resource limit: \(r)"
        case .invalidInput(let r): return "invalid input: \(r)"
        case .externalData(let r): return "external data: \(r)"
        case .unsupported(let r): return "unsupported: \(r)"
        }
    }
}

extension EngineError: LocalizedError {
    public var errorDescription: String? { description }
}
