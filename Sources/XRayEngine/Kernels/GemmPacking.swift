/// Packing of the GEMM operands into the micro-kernel's panel order.
///
/// A (weights, `m × k`) is packed once into panels of `GemmTile.mr` rows:
/// panel `p` holds `k × mr` floats, `a[p][kk][r] = A[p*mr + r][kk]`, zero rows past `m`.
/// B (`k × n`) is packed per call, one `kc × nc` block at a time, into panels of
/// `GemmTile.nr` columns: `b[q][kk][j] = B[k0 + kk][n0 + q*nr + j]`, zero columns past `nc`.
enum GemmPacking {
    static func panelCount(_ m: Int) -> Int { (m + GemmTile.mr - 1) / GemmTile.mr }

    /// Floats of the packed form of an `m × k` A.
    static func packedACount(m: Int, k: Int) -> Int { panelCount(m) * GemmTile.mr * k }

    /// Packs A where element `(i, kk)` is `element(i, kk)`.
    static func packA(m: Int, k: Int, into dst: UnsafeMutablePointer<Float>, element: (Int, Int) -> Float) {
        let mr = GemmTile.mr
        for p in 0..<panelCount(m) {
            let panel = dst + p * k * mr
            for kk in 0..<k {
                for r in 0..<mr {
                    let i = p * mr + r
                    panel[kk * mr + r] = i < m ? element(i, kk) : 0
                }
            }
        }
    }

    /// Packs a whole constant B (`k × n`, e.g. weights used as the right operand) where element
    /// `(kk, j)` is `element(kk, j)`: panel `q` holds `k × nr` floats, zero columns past `n`.
    static func packB(k: Int, n: Int, into dst: UnsafeMutablePointer<Float>, element: (Int, Int) -> Float) {
        let nr = GemmTile.nr
        for q in 0..<(n + nr - 1) / nr {
            let panel = dst + q * k * nr
            for kk in 0..<k {
                for j in 0..<nr {
                    let col = q * nr + j
                    panel[kk * nr + j] = col < n ? element(kk, col) : 0
                }
            }
        }
    }

    /// Floats of one packed B block of `kc × nc`.
    static func packedBCount(kc: Int, nc: Int) -> Int {
        (nc + GemmTile.nr - 1) / GemmTile.nr * GemmTile.nr * kc
    }
}

/// Produces packed B blocks (see `GemmPacking`) for the GEMM driver.
protocol GemmBPacker {
    /// Packs rows `k0 ..< k0+kc`, columns `n0 ..< n0+nc` into panels at `dst`.
    func pack(k0: Int, kc: Int, n0: Int, nc: Int, into dst: UnsafeMutablePointer<Float>)
}

/// B is a plain row-major matrix (for 1×1 convolutions: the NCHW input, `k = C`, `n = H·W`).
struct MatrixBPacker: GemmBPacker {
    let b: UnsafePointer<Float>
    let ldb: Int

    @inline(__always)
    func pack(k0: Int, kc: Int, n0: Int, nc: Int, into dst: UnsafeMutablePointer<Float>) {
        let nr = GemmTile.nr
        var q = 0
        var panel = dst
        while q * nr < nc {
            let j0 = n0 + q * nr
            let width = min(nr, nc - q * nr)
            var src = b + k0 * ldb + j0
            var d = panel
            if width == nr {
                for _ in 0..<kc {
                    storeVector(loadVector(src), d)
                    storeVector(loadVector(src + 16), d + 16)
                    src += ldb
                    d += nr
                }
            } else {
                for _ in 0..<kc {
                    for j in 0..<width { d[j] = src[j] }
                    for j in width..<nr { d[j] = 0 }
                    src += ldb
                    d += nr
                }
            }
            panel += kc * nr
            q += 1
        }
    }
}
