import XCTest
import XRayEngine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Deterministic uniform values in [-1, 1) for the kernel tests.
struct KernelTestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
}

func referenceActivation(_ x: Float, _ activation: FusedActivation) -> Float {
    switch activation {
    case .none: return x
    case .relu: return max(x, 0)
    case .leakyRelu(let alpha): return x < 0 ? alpha * x : x
    case .clip(let lo, let hi): return min(max(x, lo), hi)
    case .sigmoid: return Float(1 / (1 + exp(-Double(x))))
    case .tanh: return Float(tanh(Double(x)))
    case .hardSigmoid(let alpha, let beta): return min(max(alpha * x + beta, 0), 1)
    case .hardSwish: return x * min(max(x / 6 + 0.5, 0), 1)
    }
}

/// Max abs error ≤ 1e-4 × max(1, range of expected).
func assertClose(_ actual: [Float], _ expected: [Float], _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, file: file, line: line)
    guard let lo = expected.min(), let hi = expected.max() else { return }
    let tolerance = 1e-4 * max(1, hi - lo)
    var worst: Float = 0
    var worstIndex = 0
    for i in 0..<min(actual.count, expected.count) {
        let e = abs(actual[i] - expected[i])
        if !(e <= worst) { worst = e; worstIndex = i }
        if e.isNaN { worst = .infinity; worstIndex = i; break }
    }
    XCTAssertLessThanOrEqual(worst, tolerance,
                             "\(message) max error \(worst) at \(worstIndex) (got \(actual[worstIndex]), want \(expected[worstIndex]))",
                             file: file, line: line)
}
