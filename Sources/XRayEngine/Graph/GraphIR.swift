import Foundation

/// An attribute value of a graph node.
enum AttributeValue: Sendable {
    case int(Int)
    case float(Float)
    case string(String)
    case ints([Int])
    case floats([Float])
    case strings([String])
    case tensor(HostTensor)
    case unsupported(String)
}

/// One operator application in the graph.
struct GraphNode: Sendable {
    var name: String
    var opType: String
    var domain: String
    /// Input value names; an empty string marks an omitted optional input.
    var inputs: [String]
    var outputs: [String]
    var attributes: [String: AttributeValue]
    /// Activation fused into this node's epilogue by the fusion pass (Conv and Add).
    var fusedActivation: FusedActivation = .none
    /// The nodes a fusion pass merged into this one, in order (`PointwiseDepthwiseOperator`).
    var fused: [GraphNode] = []

    func error(_ reason: String) -> EngineError {
        .unsupportedAttribute(node: name, op: opType, reason: reason)
    }

    func shapeError(_ reason: String) -> EngineError {
        .shapeMismatch(node: name, op: opType, reason: reason)
    }

    func int(_ key: String) throws -> Int? {
        guard let a = attributes[key] else { return nil }
        if case .int(let v) = a { return v }
        throw error("attribute '\(key)' should be an int")
    }
    func int(_ key: String, default d: Int) throws -> Int { try int(key) ?? d }

    func float(_ key: String) throws -> Float? {
        guard let a = attributes[key] else { return nil }
        if case .float(let v) = a { return v }
        if case .int(let v) = a { return Float(v) }
        throw error("attribute '\(key)' should be a float")
    }
    func float(_ key: String, default d: Float) throws -> Float { try float(key) ?? d }

    func string(_ key: String) throws -> String? {
        guard let a = attributes[key] else { return nil }
        if case .string(let v) = a { return v }
        throw error("attribute '\(key)' should be a string")
    }
    func string(_ key: String, default d: String) throws -> String { try string(key) ?? d }

    func ints(_ key: String) throws -> [Int]? {
        guard let a = attributes[key] else { return nil }
        if case .ints(let v) = a { return v }
        if case .int(let v) = a { return [v] }
        throw error("attribute '\(key)' should be a list of ints")
    }

    func floats(_ key: String) throws -> [Float]? {
        guard let a = attributes[key] else { return nil }
        if case .floats(let v) = a { return v }
        if case .float(let v) = a { return [v] }
        throw error("attribute '\(key)' should be a list of floats")
    }

    /// Input name at `i`, or nil when absent / omitted.
    func input(_ i: Int) -> String? {
        i < inputs.count && !inputs[i].isEmpty ? inputs[i] : nil
    }
}

/// A graph input or output declaration; `nil` dimensions are symbolic.
struct ValueDeclaration: Sendable {
    var name: String
    var type: ElementType
    var dims: [Int?]
    var symbols: [String?]
}

/// The loaded graph: nodes in topological order, constants, inputs and outputs.
struct GraphIR: Sendable {
    var nodes: [GraphNode]
    var constants: [String: HostTensor]
    var inputs: [ValueDeclaration]
    var outputs: [ValueDeclaration]
}
