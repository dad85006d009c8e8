import Foundation

/// A dense float32 tensor in row-major (NCHW for images) order with 64-byte aligned storage.
///
/// `Tensor` has value semantics: copies share storage until one of them is mutated
/// (copy-on-write).
public struct Tensor: Sendable {
    /// The dimensions, outermost first (for images `[N, C, H, W]`).
    public let shape: [Int]
    @usableFromInline var storage: TensorStorage

    /// Number of elements (`shape` product; 1 for a scalar).
    public var count: Int { storage.count }

    /// A zero-filled tensor of `shape`.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = TensorStorage(count: shape.reduce(1, *))
    }

    /// A tensor holding `values` (row-major) with `shape`.
    /// - Precondition: `values.count` equals the product of `shape`.
    public init(_ values: [Float], shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(values.count == shape.reduce(1, *), "\(values.count) values do not fill shape \(shape)")
        self.shape = shape
        self.storage = TensorStorage(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { storage.pointer.update(from: base, count: values.count) }
        }
    }

    /// A tensor of `shape` filled by `body`, which receives the zero-initialised buffer.
    public init(shape: [Int], initializingWith body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        self.init(zeros: shape)
        try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// The elements as an array (row-major).
    public func toArray() -> [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Read-only zero-copy access to the elements.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Mutable zero-copy access to the elements (copies first if the storage is shared).
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Returns the same elements viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(shape: newShape, storage: storage)
    }

    init(shape: [Int], storage: TensorStorage) {
        self.shape = shape
        self.storage = storage
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor(shape: \(shape))" }
}

/// 64-byte aligned float buffer owned by a `Tensor`.
@usableFromInline
final class TensorStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    func copy() -> TensorStorage {
        let s = TensorStorage(count: count)
        s.pointer.update(from: pointer, count: count)
        return s
    }

    deinit { pointer.deallocate() }
}
