/// The blocked GEMM driver: `C[m × n] = A[m × k] · B[k × n]` (+ epilogue), A pre-packed,
/// B packed block by block into per-thread scratch.
enum Gemm {
    /// Columns of B packed at once (a `kc × nc` block stays in L2).
    static let nc = 384
    /// Largest K block (a `kc × nr` B panel stays in L1 ~ with the A panel).
    static let kcMax = 320

    /// K block size: `k` split into equal blocks no larger than `kcMax`.
    static func kc(for k: Int) -> Int {
        let blocks = (k + kcMax - 1) / kcMax
        return (k + blocks - 1) / max(blocks, 1)
    }

    /// Scratch floats one call of `compute` needs.
    static func scratchCount(k: Int, ncMax: Int = nc) -> Int {
        GemmPacking.packedBCount(kc: kc(for: k), nc: min(ncMax, nc))
    }

    /// The macro-kernel over already packed operands.
    /// - aPanels: packed A whose panels are `kTotal × mr` floats; this block starts `kOffset` in.
    /// - b: packed B block `kc × nc`.
    @inline(__always)
    static func macroKernel(m: Int, panels: Range<Int>, aPanels: UnsafePointer<Float>, kTotal: Int, kOffset: Int,
                            b: UnsafePointer<Float>, kc: Int, nc: Int,
                            c: UnsafeMutablePointer<Float>, ldc: Int,
                            accumulate: Bool, epilogue: GemmEpilogue?) {
        let mr = GemmTile.mr, nr = GemmTile.nr
        let bPanels = (nc + nr - 1) / nr
        for p in panels {
            let a = aPanels + p * kTotal * mr + kOffset * mr
            let rows = min(mr, m - p * mr)
            var e = epilogue
            if let bias = epilogue?.bias { e!.bias = bias + p * mr }
            let cRow = c + p * mr * ldc
            for q in 0..<bPanels {
                gemmMicroKernel(kc: kc, a: a, b: b + q * kc * nr, c: cRow + q * nr, ldc: ldc,
                                rows: rows, cols: min(nr, nc - q * nr),
                                accumulate: accumulate, epilogue: e)
            }
        }
    }

    /// Computes columns `n0 ..< n1` of C for A-panels `panels`. `c` points at C's column 0.
    @inline(__always)
    static func compute<P: GemmBPacker>(m: Int, k: Int, n0: Int, n1: Int, panels: Range<Int>,
                                        aPacked: UnsafePointer<Float>, packer: P,
                                        c: UnsafeMutablePointer<Float>, ldc: Int,
                                        epilogue: GemmEpilogue, scratch: UnsafeMutablePointer<Float>) {
        let kcBlock = kc(for: k)
        var jc = n0
        while jc < n1 {
            let ncBlock = min(nc, n1 - jc)
            var pc = 0
            while pc < k {
                let kcCur = min(kcBlock, k - pc)
                packer.pack(k0: pc, kc: kcCur, n0: jc, nc: ncBlock, into: scratch)
                macroKernel(m: m, panels: panels, aPanels: aPacked, kTotal: k, kOffset: pc,
                            b: scratch, kc: kcCur, nc: ncBlock, c: c + jc, ldc: ldc,
                            accumulate: pc > 0, epilogue: pc + kcCur == k ? epilogue : nil)
                pc += kcCur
            }
            jc += ncBlock
        }
    }

    /// Splits `n` columns into column chunks (multiples of `nr`, at most `nc`) so that
    /// `outer * chunks` tasks give `threads` workers about two tasks each, while a chunk
    /// keeps at least 256 columns (so each sweep over the packed A reuses it across 8
    /// B panels) unless that would leave a worker idle.
    static func columnChunk(n: Int, outer: Int, threads: Int) -> Int {
        let nr = GemmTile.nr
        guard threads > 1 else { return nc }
        func roundUp(_ x: Int) -> Int { (x + nr - 1) / nr * nr }
        let wanted = (threads * 2 + outer - 1) / outer
        let perWorker = (threads + outer - 1) / outer
        let floor = min(256, roundUp((n + perWorker - 1) / perWorker))
        let chunk = max(roundUp((n + wanted - 1) / wanted), floor)
        return min(nc, max(nr, chunk))
    }
}

/// A matrix multiply with a constant left operand packed once:
/// `C[m × n] = activation(A[m × k] · B[k × n] + bias[m])`, all row-major.
public final class PackedMatrixMultiply: @unchecked Sendable {
    public let m: Int
    public let k: Int
    private let packed: UnsafeMutablePointer<Float>
    private let bias: UnsafeMutablePointer<Float>?
    public let activation: FusedActivation

    /// - a: `m × k` row-major with row stride `lda` (default `k`).
    public init(m: Int, k: Int, a: UnsafeBufferPointer<Float>, lda: Int? = nil,
                bias: UnsafeBufferPointer<Float>? = nil, activation: FusedActivation = .none) {
        precondition(m > 0 && k > 0)
        let lda = lda ?? k
        precondition(a.count >= (m - 1) * lda + k)
        self.m = m
        self.k = k
        self.activation = activation
        packed = .allocate(capacity: GemmPacking.packedACount(m: m, k: k))
        let base = a.baseAddress!
        GemmPacking.packA(m: m, k: k, into: packed) { i, kk in base[i * lda + kk] }
        if let bias {
            precondition(bias.count >= m)
            let b = UnsafeMutablePointer<Float>.allocate(capacity: m)
            b.initialize(from: bias.baseAddress!, count: m)
            self.bias = b
        } else {
            self.bias = nil
        }
    }

    deinit {
        packed.deallocate()
        bias?.deallocate()
    }

    /// Scratch floats `run` needs (all threads together).
    public func scratchCount(n: Int, threads: Int) -> Int {
        Gemm.scratchCount(k: k) * max(1, threads)
    }

    /// `b`: `k × n` with row stride `ldb` (default `n`); `c`: `m × n` with row stride `ldc` (default `n`).
    public func run(b: UnsafePointer<Float>, n: Int, ldb: Int? = nil, c: UnsafeMutablePointer<Float>, ldc: Int? = nil,
                    scratch: UnsafeMutablePointer<Float>, threads: Int) {
        let ldb = ldb ?? n, ldc = ldc ?? n
        let chunk = Gemm.columnChunk(n: n, outer: 1, threads: threads)
        let chunks = (n + chunk - 1) / chunk
        let perThread = Gemm.scratchCount(k: k)
        let packer = MatrixBPacker(b: b, ldb: ldb)
        let epilogue = GemmEpilogue(bias: bias.map { UnsafePointer($0) }, activation: activation)
        let m = self.m, k = self.k, packed = UnsafePointer(self.packed)
        ParallelFor.run(count: chunks, threads: threads) { task, worker in
            let n0 = task * chunk
            Gemm.compute(m: m, k: k, n0: n0, n1: min(n, n0 + chunk), panels: 0..<GemmPacking.panelCount(m),
                         aPacked: packed, packer: packer, c: c, ldc: ldc, epilogue: epilogue,
                         scratch: scratch + worker * perThread)
        }
    }
}
