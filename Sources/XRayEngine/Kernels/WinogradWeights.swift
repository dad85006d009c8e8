/// The weight transform shared by the Winograd kernels: every 3×3 kernel `g` becomes
/// `U = G g Gᵀ` (α × α values), stored as α² GEMM A matrices (`C_out × C_in` each, packed).
enum WinogradWeights {
    /// - g: the α × 3 matrix `G` of the algorithm.
    /// - weights: OIHW 3×3; `dst`: α² · `GemmPacking.packedACount(m: cout, k: cin)` floats.
    static func transform(_ g: [[Double]], cout: Int, cin: Int, weights: UnsafePointer<Float>,
                          into dst: UnsafeMutablePointer<Float>) {
        let alpha = g.count
        var u = [Float](repeating: 0, count: alpha * alpha * cout * cin)
        var t = [Double](repeating: 0, count: alpha * 3)  // G g : α × 3
        for o in 0..<cout {
            for c in 0..<cin {
                let k = weights + (o * cin + c) * 9
                for i in 0..<alpha { for col in 0..<3 { t[i * 3 + col] = (0..<3).reduce(0.0) { $0 + g[i][$1] * Double(k[$1 * 3 + col]) } } }
                for i in 0..<alpha {
                    for j in 0..<alpha {
                        let v = (0..<3).reduce(0.0) { $0 + t[i * 3 + $1] * g[j][$1] }
                        u[((i * alpha + j) * cout + o) * cin + c] = Float(v)
                    }
                }
            }
        }
        let stride = GemmPacking.packedACount(m: cout, k: cin)
        u.withUnsafeBufferPointer { up in
            for xi in 0..<alpha * alpha {
                let base = up.baseAddress! + xi * cout * cin
                GemmPacking.packA(m: cout, k: cin, into: dst + xi * stride) { i, kk in base[i * cin + kk] }
            }
        }
    }
}
