/// Numpy-style multidirectional broadcasting helpers.
enum Broadcast {
    /// The broadcast shape of `shapes`, or nil when they are incompatible.
    static func shape(_ shapes: [[Int]]) -> [Int]? {
        let rank = shapes.map(\.count).max() ?? 0
        var out = [Int](repeating: 1, count: rank)
        for s in shapes {
            let off = rank - s.count
            for (i, d) in s.enumerated() {
                let j = off + i
                if out[j] == 1 { out[j] = d } else if d != 1 && d != out[j] { return nil }
            }
        }
        return out
    }

    /// Element strides of `shape` aligned to `outShape` (0 where broadcast).
    static func strides(_ shape: [Int], to outShape: [Int]) -> [Int] {
        let rank = outShape.count
        var strides = [Int](repeating: 0, count: rank)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            let j = rank - shape.count + i
            strides[j] = shape[i] == 1 ? 0 : s
            s *= shape[i]
        }
        return strides
    }

    /// Calls `body(outIndex, offsets...)` for every output element, with offsets into each input.
    static func forEach(_ outShape: [Int], _ inShapes: [[Int]], _ body: (Int, [Int]) -> Void) {
        let total = outShape.reduce(1, *)
        if total == 0 { return }
        let rank = outShape.count
        let strides = inShapes.map { Self.strides($0, to: outShape) }
        var index = [Int](repeating: 0, count: rank)
        var offsets = [Int](repeating: 0, count: inShapes.count)
        for o in 0..<total {
            body(o, offsets)
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                for k in 0..<offsets.count { offsets[k] += strides[k][d] }
                if index[d] < outShape[d] { break }
                for k in 0..<offsets.count { offsets[k] -= strides[k][d] * outShape[d] }
                index[d] = 0
                d -= 1
            }
        }
    }

    /// Precomputed iteration for a binary broadcast (built while preparing, so running
    /// allocates nothing).
    struct BinaryPlan: Sendable {
        enum Kind: Sendable { case same, scalarB, scalarA, rows }
        var kind: Kind
        var count: Int
        var inner: Int
        var innerStrideA: Int
        var innerStrideB: Int
        /// Per output row: (offset into A, offset into B).
        var rowOffsets: [(Int, Int)]

        init(_ aShape: [Int], _ bShape: [Int], _ outShape: [Int]) {
            let n = outShape.reduce(1, *)
            let na = aShape.reduce(1, *), nb = bShape.reduce(1, *)
            count = n; inner = 1; innerStrideA = 0; innerStrideB = 0; rowOffsets = []
            if na == n && nb == n && aShape == bShape { kind = .same; return }
            if nb == 1 && na == n { kind = .scalarB; return }
            if na == 1 && nb == n { kind = .scalarA; return }
            kind = .rows
            let rank = outShape.count
            inner = rank == 0 ? 1 : outShape[rank - 1]
            let sa = Broadcast.strides(aShape, to: outShape), sb = Broadcast.strides(bShape, to: outShape)
            innerStrideA = rank == 0 ? 0 : sa[rank - 1]
            innerStrideB = rank == 0 ? 0 : sb[rank - 1]
            var rows: [(Int, Int)] = []
            Broadcast.forEachOuter(rank == 0 ? [] : Array(outShape.dropLast()), Array(sa.dropLast()), Array(sb.dropLast())) { _, oa, ob in
                rows.append((oa, ob))
            }
            rowOffsets = rows
        }
    }

    /// Binary broadcast on raw pointers following `plan`.
    @inline(__always)
    static func binary<T, U>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ out: UnsafeMutablePointer<U>,
                             _ plan: BinaryPlan, _ f: (T, T) -> U) {
        let n = plan.count
        switch plan.kind {
        case .same: for i in 0..<n { out[i] = f(a[i], b[i]) }
        case .scalarB: let s = b[0]; for i in 0..<n { out[i] = f(a[i], s) }
        case .scalarA: let s = a[0]; for i in 0..<n { out[i] = f(s, b[i]) }
        case .rows:
            let inner = plan.inner, ia = plan.innerStrideA, ib = plan.innerStrideB
            plan.rowOffsets.withUnsafeBufferPointer { rows in
                for (o, (oa, ob)) in rows.enumerated() {
                    let dst = out + o * inner
                    for i in 0..<inner { dst[i] = f(a[oa + i * ia], b[ob + i * ib]) }
                }
            }
        }
    }

    static func forEachOuter(_ shape: [Int], _ sa: [Int], _ sb: [Int], _ body: (Int, Int, Int) -> Void) {
        let total = shape.reduce(1, *)
        if total == 0 { return }
        let rank = shape.count
        var index = [Int](repeating: 0, count: rank)
        var oa = 0, ob = 0
        for o in 0..<total {
            body(o, oa, ob)
            var d = rank - 1
            while d >= 0 {
                index[d] += 1; oa += sa[d]; ob += sb[d]
                if index[d] < shape[d] { break }
                oa -= sa[d] * shape[d]; ob -= sb[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}

/// Row-major strides of `shape`.
func contiguousStrides(_ shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
    return s
}

/// Normalises a possibly negative axis for `rank`.
func normalizeAxis(_ axis: Int, rank: Int, node: GraphNode) throws -> Int {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0 && a < rank else { throw node.shapeError("axis \(axis) out of range for rank \(rank)") }
    return a
}
