import Foundation

/// Element type of a graph value. Activations are float32 at run time; integer and
/// boolean values exist only in shape computations that are folded while preparing.
enum ElementType: Sendable, Equatable {
    case float
    case int64
    case bool

    var isInteger: Bool { self != .float }
}

/// A constant tensor known while loading or preparing (initialisers, folded values).
struct HostTensor: Sendable {
    enum Storage: Sendable {
        case float([Float])
        case int([Int64])
    }
    var shape: [Int]
    var type: ElementType
    var storage: Storage

    var count: Int { shape.reduce(1, *) }

    init(floats: [Float], shape: [Int]) {
        self.shape = shape; self.type = .float; self.storage = .float(floats)
    }

    init(ints: [Int64], shape: [Int], type: ElementType = .int64) {
        self.shape = shape; self.type = type; self.storage = .int(ints)
    }

    /// Values as floats (integers converted).
    var floats: [Float] {
        switch storage {
        case .float(let f): return f
        case .int(let i): return i.map { Float($0) }
        }
    }

    /// Values as integers (floats truncated toward zero, clamped to the Int64 range).
    var ints: [Int64] {
        switch storage {
        case .int(let i): return i
        case .float(let f): return f.map { clampToInt64(Double($0)) }
        }
    }

    var intValues: [Int] { ints.map { Int($0) } }

    /// The same values converted to `type`.
    func converted(to newType: ElementType) -> HostTensor {
        switch newType {
        case .float: return HostTensor(floats: floats, shape: shape)
        case .int64: return HostTensor(ints: ints, shape: shape, type: .int64)
        case .bool:
            switch storage {
            case .float(let f): return HostTensor(ints: f.map { $0 != 0 ? 1 : 0 }, shape: shape, type: .bool)
            case .int(let i): return HostTensor(ints: i.map { $0 != 0 ? 1 : 0 }, shape: shape, type: .bool)
            }
        }
    }

    func reshaped(_ newShape: [Int]) -> HostTensor {
        var t = self; t.shape = newShape; return t
    }

    func toTensor() -> Tensor { Tensor(floats, shape: shape) }
}

func clampToInt64(_ v: Double) -> Int64 {
    if v.isNaN { return 0 }
    if v >= 9.2233720368547758e18 { return Int64.max }
    if v <= -9.2233720368547758e18 { return Int64.min }
    return Int64(v)
}

/// Largest tensor (in elements) the engine accepts: 2^31 floats (8 GiB).
let maximumElementCount = 1 << 31

/// Largest constant (in elements) that folding may create: shape computations are tiny.
let maximumFoldedElementCount = 1 << 26

/// Throws when folding would create a constant larger than `maximumFoldedElementCount`.
func checkFoldable(_ outputs: [ValueInfo], node: GraphNode) throws {
    for o in outputs where o.constant == nil && o.count > maximumFoldedElementCount {
        throw EngineError.resourceLimit(reason: "node '\(node.name)' (\(node.opType)): constant output \(o.shape) is too large to fold")
    }
}

/// Largest attribute value accepted for kernel sizes, strides, dilations and pads.
let maximumWindowValue = 1 << 20

/// Converts a float to Int, or nil when it is not finite or out of `±limit`.
func checkedInt(_ v: Double, limit: Int = maximumElementCount) -> Int? {
    guard v.isFinite, v.magnitude <= Double(limit) else { return nil }
    return Int(v)
}

/// Element count of `shape`, or an error when a dimension is negative or the product
/// overflows / exceeds `maximumElementCount`.
func checkedElementCount(_ shape: [Int], what: String) throws -> Int {
    var n = 1
    for d in shape {
        guard d >= 0 else { throw EngineError.resourceLimit(reason: "\(what): negative dimension in \(shape)") }
        let (p, o) = n.multipliedReportingOverflow(by: d)
        guard !o, p <= maximumElementCount else {
            throw EngineError.resourceLimit(reason: "\(what): shape \(shape) exceeds \(maximumElementCount) elements")
        }
        n = p
    }
    return n
}
