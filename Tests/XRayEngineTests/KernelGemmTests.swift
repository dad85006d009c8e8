import XCTest
import XRayEngine

final class KernelGemmTests: XCTestCase {
    private func check(m: Int, n: Int, k: Int, bias: Bool, activation: FusedActivation, threads: Int,
                       file: StaticString = #filePath, line: UInt = #line) {
        var rng = KernelTestRandom(seed: UInt64(m * 1_000_003 + n * 1009 + k))
        let a = (0..<(m * k)).map { _ in rng.uniform() }
        let b = (0..<(k * n)).map { _ in rng.uniform() }
        let biasValues = (0..<m).map { _ in rng.uniform() }
        var expected = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s: Double = bias ? Double(biasValues[i]) : 0
                for kk in 0..<k { s += Double(a[i * k + kk]) * Double(b[kk * n + j]) }
                expected[i * n + j] = referenceActivation(Float(s), activation)
            }
        }
        let gemm = a.withUnsafeBufferPointer { ap in
            biasValues.withUnsafeBufferPointer { bp in
                PackedMatrixMultiply(m: m, k: k, a: ap, bias: bias ? bp : nil, activation: activation)
            }
        }
        var c = [Float](repeating: .nan, count: m * n)
        var scratch = [Float](repeating: 0, count: gemm.scratchCount(n: n, threads: threads))
        b.withUnsafeBufferPointer { bp in
            c.withUnsafeMutableBufferPointer { cp in
                scratch.withUnsafeMutableBufferPointer { sp in
                    gemm.run(b: bp.baseAddress!, n: n, c: cp.baseAddress!, scratch: sp.baseAddress!, threads: threads)
                }
            }
        }
        assertClose(c, expected, file: file, line: line)
    }

    func testEdgeSizes() {
        for (m, n, k) in [(1, 1, 1), (7, 33, 5), (8, 32, 16), (9, 31, 17), (17, 65, 3), (13, 100, 1),
                          (24, 64, 700), (5, 400, 321), (33, 777, 64)] {
            check(m: m, n: n, k: k, bias: false, activation: .none, threads: 1)
        }
    }

    func testBiasActivationThreads() {
        check(m: 19, n: 130, k: 37, bias: true, activation: .relu, threads: 2)
        check(m: 64, n: 1000, k: 650, bias: true, activation: .leakyRelu(alpha: 0.1), threads: 2)
        check(m: 3, n: 5, k: 2, bias: true, activation: .sigmoid, threads: 3)
    }
}
