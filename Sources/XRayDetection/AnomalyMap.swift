/// A full-resolution anomaly map, one float per scan pixel, row by row.
///
/// Maps returned by ``Detector/detectWithMap(_:file:)`` are in normalised score units
/// (see ``ScoreScale``): 0 is what a typical normal scan scores, 1 is the threshold.
public struct AnomalyMap: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `values[y * width + x]`.
    public var values: [Float]

    /// Creates a map; `values.count` must be `width * height`.
    public init(width: Int, height: Int, values: [Float]) {
        precondition(width >= 0 && height >= 0 && values.count == width * height,
                     "AnomalyMap needs width × height values")
        self.width = width
        self.height = height
        self.values = values
    }

    public subscript(x x: Int, y y: Int) -> Float { values[y * width + x] }

    /// The largest value (−infinity for an empty map).
    public var maximum: Float {
        values.withUnsafeBufferPointer { b in
            var m = -Float.infinity
            for v in b where v > m { m = v }
            return m
        }
    }
}
