/// Register tile of the GEMM micro-kernel: `mr` rows of A (weights) by `nr` columns of B.
///
/// 8 × 32 keeps 16 `SIMD16<Float>` accumulators, 2 B vectors and one broadcast in
/// the 32 AVX-512 registers.
enum GemmTile {
    static let mr = 8
    static let nr = 32
}

/// What the last K block of a tile does to its accumulators before storing:
/// add the row's bias, then the activation.
struct GemmEpilogue: @unchecked Sendable {
    var bias: UnsafePointer<Float>?
    var activation: FusedActivation
    static let none = GemmEpilogue(bias: nil, activation: .none)
}

/// Where the micro-kernel reads its `mr` rows of A: `element(r)` is row `r` at the current k.
protocol GemmARows {
    func element(_ r: Int) -> Float
    /// Moves to the next k.
    mutating func advance()
}

/// A packed A panel slice: `kc × height` floats, k-major (`GemmPacking`; `height` is `mr` but
/// for `SevenRowPanels`).
struct PackedARows: GemmARows {
    var pointer: UnsafePointer<Float>
    var height = GemmTile.mr
    @inline(__always) func element(_ r: Int) -> Float { pointer[r] }
    @inline(__always) mutating func advance() { pointer += height }
}

/// How many rows of A the micro-kernel computes: `GemmTile.mr`, or 7 for the transposed 1×1
/// GEMM on maps whose pixel count 7 divides and 8 does not (a 7 × 7 map: 7 panels of 7 rows
/// where 8-row panels compute 56 rows for 49).
protocol GemmPanelHeight { static var rows: Int { get } }
enum EightRowPanels: GemmPanelHeight { static var rows: Int { GemmTile.mr } }
enum SevenRowPanels: GemmPanelHeight { static var rows: Int { 7 } }

/// How many of B's `nr` columns the micro-kernel computes: all 32, or the first 16 (the
/// transposed 1×1 GEMM's last panel of at most 16 output channels: MobileNetV2's 16-channel
/// projection computed 32 columns for 16).
protocol GemmPanelWidth { static var vectors: Int { get } }
enum FullWidthPanels: GemmPanelWidth { static var vectors: Int { 2 } }
enum HalfWidthPanels: GemmPanelWidth { static var vectors: Int { 1 } }

/// `mr` rows read where they lie, `stride` floats apart, each contiguous in k (channels-last
/// pixels read by `TransposedPointwise` without packing them first).
struct StridedARows: GemmARows {
    var pointer: UnsafePointer<Float>
    let stride: Int
    @inline(__always) func element(_ r: Int) -> Float { pointer[r &* stride] }
    @inline(__always) mutating func advance() { pointer += 1 }
}

/// `mr` consecutive floats read in place at `origin + offsets[k]` (a convolution's taps over
/// `StridePlanes`, pixels along the rows: `ChannelsLastConvolution`).
struct TapARows: GemmARows {
    let origin: UnsafePointer<Float>
    var offsets: UnsafePointer<Int>
    @inline(__always) func element(_ r: Int) -> Float { origin[offsets[0] &+ r] }
    @inline(__always) mutating func advance() { offsets += 1 }
}

/// Where the micro-kernel reads its `nr` columns of B: `vectors()` is the current k's row.
protocol GemmBColumns {
    func vectors() -> (SIMD16<Float>, SIMD16<Float>)
    /// Moves to the next k.
    mutating func advance()
}

/// A packed B panel: `kc × nr` floats, k-major (`GemmBPacker`).
struct PackedBColumns: GemmBColumns {
    var pointer: UnsafePointer<Float>
    @inline(__always) func vectors() -> (SIMD16<Float>, SIMD16<Float>) { (loadVector(pointer), loadVector(pointer + 16)) }
    @inline(__always) mutating func advance() { pointer += GemmTile.nr }
}

/// `nr` consecutive floats read in place at `origin + offsets[k]` (a convolution's taps over
/// `StridePlanes`: an implicit im2col with no packing).
struct TapBColumns: GemmBColumns {
    let origin: UnsafePointer<Float>
    var offsets: UnsafePointer<Int>
    @inline(__always) func vectors() -> (SIMD16<Float>, SIMD16<Float>) {
        let p = origin + offsets[0]
        return (loadVector(p), loadVector(p + 16))
    }
    @inline(__always) mutating func advance() { offsets += 1 }
}

/// `C[rows × cols] (+)= A_panel[kc × mr]ᵀ · B_panel[kc × nr]`.
///
/// - a: `kc × mr` floats, k-major (one packed A panel slice).
/// - b: `kc × nr` floats, k-major (one packed B panel).
/// - accumulate: add to what C holds (later K blocks); otherwise overwrite.
/// - epilogue: applied when non-nil (last K block); `bias` is indexed from this tile's first row.
@inline(__always)
func gemmMicroKernel(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                     c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                     accumulate: Bool, epilogue: GemmEpilogue?) {
    gemmMicroKernel(kc: kc, rows: PackedARows(pointer: a), b: b, c: c, ldc: ldc, rows: rows, cols: cols,
                    accumulate: accumulate, epilogue: epilogue)
}

/// As above, with A read through `a` (all `mr` rows must be readable; rows past `rows` are
/// computed and not stored).
@inline(__always)
func gemmMicroKernel<A: GemmARows>(kc: Int, rows a: A, b: UnsafePointer<Float>,
                                   c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                                   accumulate: Bool, epilogue: GemmEpilogue?) {
    gemmMicroKernel(kc: kc, rows: a, columns: PackedBColumns(pointer: b), c: c, ldc: ldc, rows: rows, cols: cols,
                    accumulate: accumulate, epilogue: epilogue)
}

/// As above, with B read through `b` (all `nr` columns must be readable).
@inline(__always)
func gemmMicroKernel<A: GemmARows, B: GemmBColumns>(kc: Int, rows a: A, columns b: B,
                                                    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                                                    accumulate: Bool, epilogue: GemmEpilogue?) {
    gemmMicroKernel(kc: kc, rows: a, columns: b, height: EightRowPanels.self, c: c, ldc: ldc, rows: rows, cols: cols,
                    accumulate: accumulate, epilogue: epilogue)
}

/// As above, computing only `H.rows` rows (`rows` ≤ `H.rows`); the rows past it are never read.
@inline(__always)
func gemmMicroKernel<A: GemmARows, B: GemmBColumns, H: GemmPanelHeight>(
    kc: Int, rows a: A, columns b: B, height: H.Type, c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int,
    cols: Int, accumulate: Bool, epilogue: GemmEpilogue?
) {
    gemmMicroKernel(kc: kc, rows: a, columns: b, height: H.self, width: FullWidthPanels.self, c: c, ldc: ldc,
                    rows: rows, cols: cols, accumulate: accumulate, epilogue: epilogue)
}

/// As above, computing only B's first `16 · W.vectors` columns (`cols` ≤ that; with
/// `HalfWidthPanels` the second vector of each B row is never used, and `epilogue` must be nil).
@inline(__always)
func gemmMicroKernel<A: GemmARows, B: GemmBColumns, H: GemmPanelHeight, W: GemmPanelWidth>(
    kc: Int, rows a: A, columns b: B, height: H.Type, width: W.Type, c: UnsafeMutablePointer<Float>, ldc: Int,
    rows: Int, cols: Int, accumulate: Bool, epilogue: GemmEpilogue?
) {
    var c00 = SIMD16<Float>(), c01 = SIMD16<Float>()
    var c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
    var c20 = SIMD16<Float>(), c21 = SIMD16<Float>()
    var c30 = SIMD16<Float>(), c31 = SIMD16<Float>()
    var c40 = SIMD16<Float>(), c41 = SIMD16<Float>()
    var c50 = SIMD16<Float>(), c51 = SIMD16<Float>()
    var c60 = SIMD16<Float>(), c61 = SIMD16<Float>()
    var c70 = SIMD16<Float>(), c71 = SIMD16<Float>()
    var ap = a
    var bp = b
    var k = kc
    while k > 0 {
        let (b0, b1) = bp.vectors()
        let a0 = SIMD16<Float>(repeating: ap.element(0))
        c00 = fusedMultiplyAdd(a0, b0, c00); if W.vectors > 1 { c01 = fusedMultiplyAdd(a0, b1, c01) }
        let a1 = SIMD16<Float>(repeating: ap.element(1))
        c10 = fusedMultiplyAdd(a1, b0, c10); if W.vectors > 1 { c11 = fusedMultiplyAdd(a1, b1, c11) }
        let a2 = SIMD16<Float>(repeating: ap.element(2))
        c20 = fusedMultiplyAdd(a2, b0, c20); if W.vectors > 1 { c21 = fusedMultiplyAdd(a2, b1, c21) }
        let a3 = SIMD16<Float>(repeating: ap.element(3))
        c30 = fusedMultiplyAdd(a3, b0, c30); if W.vectors > 1 { c31 = fusedMultiplyAdd(a3, b1, c31) }
        let a4 = SIMD16<Float>(repeating: ap.element(4))
        c40 = fusedMultiplyAdd(a4, b0, c40); if W.vectors > 1 { c41 = fusedMultiplyAdd(a4, b1, c41) }
        let a5 = SIMD16<Float>(repeating: ap.element(5))
        c50 = fusedMultiplyAdd(a5, b0, c50); if W.vectors > 1 { c51 = fusedMultiplyAdd(a5, b1, c51) }
        let a6 = SIMD16<Float>(repeating: ap.element(6))
        c60 = fusedMultiplyAdd(a6, b0, c60); if W.vectors > 1 { c61 = fusedMultiplyAdd(a6, b1, c61) }
        if H.rows > 7 {
            let a7 = SIMD16<Float>(repeating: ap.element(7))
            c70 = fusedMultiplyAdd(a7, b0, c70); if W.vectors > 1 { c71 = fusedMultiplyAdd(a7, b1, c71) }
        }
        ap.advance()
        bp.advance()
        k -= 1
    }
    if W.vectors == 1 {
        precondition(epilogue == nil && cols == 16, "a half-width tile stores 16 columns, no epilogue")
        gemmStoreHalfRow(c00, c, accumulate: accumulate)
        if rows > 1 { gemmStoreHalfRow(c10, c + ldc, accumulate: accumulate) }
        if rows > 2 { gemmStoreHalfRow(c20, c + 2 * ldc, accumulate: accumulate) }
        if rows > 3 { gemmStoreHalfRow(c30, c + 3 * ldc, accumulate: accumulate) }
        if rows > 4 { gemmStoreHalfRow(c40, c + 4 * ldc, accumulate: accumulate) }
        if rows > 5 { gemmStoreHalfRow(c50, c + 5 * ldc, accumulate: accumulate) }
        if rows > 6 { gemmStoreHalfRow(c60, c + 6 * ldc, accumulate: accumulate) }
        if H.rows > 7 && rows > 7 { gemmStoreHalfRow(c70, c + 7 * ldc, accumulate: accumulate) }
    } else if cols == GemmTile.nr {
        // Full tile: bias and activation applied in registers, one store per vector.
        let finish = epilogue != nil
        let act = epilogue?.activation ?? .none
        let bias = epilogue?.bias
        gemmStoreRow(c00, c01, c, accumulate: accumulate, finish: finish, bias: bias?[0] ?? 0, activation: act)
        if rows > 1 { gemmStoreRow(c10, c11, c + ldc, accumulate: accumulate, finish: finish, bias: bias?[1] ?? 0, activation: act) }
        if rows > 2 { gemmStoreRow(c20, c21, c + 2 * ldc, accumulate: accumulate, finish: finish, bias: bias?[2] ?? 0, activation: act) }
        if rows > 3 { gemmStoreRow(c30, c31, c + 3 * ldc, accumulate: accumulate, finish: finish, bias: bias?[3] ?? 0, activation: act) }
        if rows > 4 { gemmStoreRow(c40, c41, c + 4 * ldc, accumulate: accumulate, finish: finish, bias: bias?[4] ?? 0, activation: act) }
        if rows > 5 { gemmStoreRow(c50, c51, c + 5 * ldc, accumulate: accumulate, finish: finish, bias: bias?[5] ?? 0, activation: act) }
        if rows > 6 { gemmStoreRow(c60, c61, c + 6 * ldc, accumulate: accumulate, finish: finish, bias: bias?[6] ?? 0, activation: act) }
        if H.rows > 7 && rows > 7 { gemmStoreRow(c70, c71, c + 7 * ldc, accumulate: accumulate, finish: finish, bias: bias?[7] ?? 0, activation: act) }
    } else {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: GemmTile.mr * GemmTile.nr) { tile in
            let t = tile.baseAddress!
            storeVector(c00, t + 0); storeVector(c01, t + 16)
            storeVector(c10, t + 32); storeVector(c11, t + 48)
            storeVector(c20, t + 64); storeVector(c21, t + 80)
            storeVector(c30, t + 96); storeVector(c31, t + 112)
            storeVector(c40, t + 128); storeVector(c41, t + 144)
            storeVector(c50, t + 160); storeVector(c51, t + 176)
            storeVector(c60, t + 192); storeVector(c61, t + 208)
            storeVector(c70, t + 224); storeVector(c71, t + 240)
            gemmStorePartialTile(t, c, ldc: ldc, rows: rows, cols: cols, accumulate: accumulate)
        }
        if let epilogue { gemmTileEpilogue(c, ldc: ldc, rows: rows, cols: cols, epilogue) }
    }
}

@inline(__always)
func gemmStoreRow(_ v0: SIMD16<Float>, _ v1: SIMD16<Float>, _ dst: UnsafeMutablePointer<Float>, accumulate: Bool,
                  finish: Bool, bias: Float, activation: FusedActivation) {
    var x0 = v0, x1 = v1
    if accumulate {
        x0 += loadVector(dst)
        x1 += loadVector(dst + 16)
    }
    if finish {
        let b = SIMD16<Float>(repeating: bias)
        x0 += b
        x1 += b
        // The common activations spelled out so they stay in registers; the rest go through `apply`.
        switch activation {
        case .none: break
        case .relu:
            x0 = x0.replacing(with: 0, where: x0 .< 0)
            x1 = x1.replacing(with: 0, where: x1 .< 0)
        case .clip(let lo, let hi):
            x0 = clamp(x0, lo, hi)
            x1 = clamp(x1, lo, hi)
        default:
            x0 = activation.apply(x0)
            x1 = activation.apply(x1)
        }
    }
    storeVector(x0, dst)
    storeVector(x1, dst + 16)
}

@inline(__always)
func gemmStoreHalfRow(_ v: SIMD16<Float>, _ dst: UnsafeMutablePointer<Float>, accumulate: Bool) {
    storeVector(accumulate ? v + loadVector(dst) : v, dst)
}

/// Edge tile (fewer than `nr` columns): copies the valid part of the register tile.
@inline(never)
func gemmStorePartialTile(_ tile: UnsafeMutablePointer<Float>, _ c: UnsafeMutablePointer<Float>, ldc: Int,
                          rows: Int, cols: Int, accumulate: Bool) {
    for r in 0..<rows {
        let src = tile + r * GemmTile.nr, dst = c + r * ldc
        if accumulate {
            for j in 0..<cols { dst[j] += src[j] }
        } else {
            for j in 0..<cols { dst[j] = src[j] }
        }
    }
}

/// Bias and activation over a finished tile, still in L1.
@inline(never)
func gemmTileEpilogue(_ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, _ e: GemmEpilogue) {
    for r in 0..<rows {
        let row = c + r * ldc
        e.activation.applyRow(row, row, count: cols, bias: e.bias?[r] ?? 0)
    }
}
