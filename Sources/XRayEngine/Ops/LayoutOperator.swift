import Foundation

/// Ops that only move elements (Concat, Split, Slice, Pad, Reshape family, Transpose,
/// Gather, Expand). One generic body serves float activations at run time and integer
/// shape tensors during constant folding.
protocol LayoutOperator: Operator {
    /// Writes the outputs from the data inputs. Index-like inputs are read from
    /// `inputs[i].constant`, never from `src`.
    func move<T>(_ inputs: [ValueInfo?], _ outputs: [ValueInfo],
                 _ src: [UnsafePointer<T>?], _ dst: [UnsafeMutablePointer<T>]) throws
    /// Fill value for output elements that have no source (Pad's constant); default 0.
    func indexMapFill(_ inputs: [ValueInfo?]) throws -> Float
}

extension LayoutOperator {
    func fold(_ inputs: [ValueInfo?], outputs: [ValueInfo]) throws -> [HostTensor] {
        if outputs.allSatisfy({ $0.type == .float }) {
            var ins: [[Float]?] = inputs.map { $0.map { $0.constant!.floats } }
            var outs = outputs.map { [Float](repeating: 0, count: $0.count) }
            try withPointers(&ins, &outs) { s, d in try move(inputs, outputs, s, d) }
            return zip(outs, outputs).map { HostTensor(floats: $0.0, shape: $0.1.shape) }
        }
        var ins: [[Int64]?] = inputs.map { $0.map { $0.constant!.ints } }
        var outs = outputs.map { [Int64](repeating: 0, count: $0.count) }
        try withPointers(&ins, &outs) { s, d in try move(inputs, outputs, s, d) }
        return zip(outs, outputs).map { HostTensor(ints: $0.0, shape: $0.1.shape, type: $0.1.type) }
    }

    func indexMapFill(_ inputs: [ValueInfo?]) throws -> Float { 0 }

    /// Whether the op copies whole rows (Concat, Reshape family): then it runs its generic
    /// body, which does not allocate. Other layout ops precompute a source-index map.
    var copiesRows: Bool { self is ConcatOperator || self is ReshapeOperator }

    func makeStep(_ ctx: StepContext) throws -> Step {
        let inputs = ctx.inputs, outputs = ctx.outputs
        let src = ctx.inputPointers, dst = ctx.outputPointers
        let inCount = inputs[0]?.count ?? 0
        if copiesRows || inCount >= Int(Int32.max) || outputs.contains(where: { $0.count >= Int(Int32.max) }) {
            try move(inputs, outputs, src, dst)  // validate once while preparing
            return { try? self.move(inputs, outputs, src, dst) }
        }
        // Run the generic body once on source indices (Int32 mode: -1 marks "no source").
        var iota: [[Int32]?] = inputs.enumerated().map { i, v -> [Int32]? in
            guard let v else { return nil }
            return i == 0 ? Array(0..<Int32(inCount)) : [Int32](repeating: 0, count: v.count)
        }
        var maps = outputs.map { [Int32](repeating: -1, count: $0.count) }
        try withPointers(&iota, &maps) { s, d in try move(inputs, outputs, s, d) }
        let fill = try indexMapFill(inputs)
        let x = src[0]!
        let counts = outputs.map(\.count)
        return {
            for (k, map) in maps.enumerated() {
                let y = dst[k]
                map.withUnsafeBufferPointer { m in
                    for i in 0..<counts[k] { let j = m[i]; y[i] = j < 0 ? fill : x[Int(j)] }
                }
            }
        }
    }
}

/// Gives stable pointers into arrays for the duration of `body`.
func withPointers<T>(_ ins: inout [[T]?], _ outs: inout [[T]],
                     _ body: ([UnsafePointer<T>?], [UnsafeMutablePointer<T>]) throws -> Void) throws {
    var inPtrs: [UnsafeMutablePointer<T>?] = []
    var outPtrs: [UnsafeMutablePointer<T>] = []
    defer {
        for p in inPtrs { p?.deallocate() }
        for (i, p) in outPtrs.enumerated() {
            outs[i] = Array(UnsafeBufferPointer(start: p, count: outs[i].count))
            p.deallocate()
        }
    }
    for a in ins {
        if let a {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(a.count, 1))
            p.initialize(from: a, count: a.count)
            inPtrs.append(p)
        } else { inPtrs.append(nil) }
    }
    for a in outs {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(a.count, 1))
        p.initialize(from: a, count: a.count)
        outPtrs.append(p)
    }
    try body(inPtrs.map { $0.map { UnsafePointer($0) } }, outPtrs)
}

/// Copies a strided view: `dst[i] = src[offset + Σ index_k * strides_k]` over `shape`.
func gatherStrided<T>(_ src: UnsafePointer<T>, offset: Int, strides: [Int], shape: [Int], into dst: UnsafeMutablePointer<T>) {
    let total = shape.reduce(1, *)
    if total == 0 { return }
    let rank = shape.count
    if rank == 0 { dst[0] = src[offset]; return }
    var index = [Int](repeating: 0, count: rank)
    var off = offset
    let inner = shape[rank - 1], innerStride = strides[rank - 1]
    var o = 0
    while o < total {
        if innerStride == 1 {
            (dst + o).update(from: src + off, count: inner)
        } else {
            for i in 0..<inner { dst[o + i] = src[off + i * innerStride] }
        }
        o += inner
        var d = rank - 2
        while d >= 0 {
            index[d] += 1; off += strides[d]
            if index[d] < shape[d] { break }
            off -= strides[d] * shape[d]; index[d] = 0
            d -= 1
        }
        if d < 0 { break }
    }
}

/// `Concat` along `axis`.
struct ConcatOperator: LayoutOperator {
    let node: GraphNode
    let axis: Int
    init(_ node: GraphNode) throws {
        self.node = node
        guard let a = try node.int("axis") else { throw node.error("missing axis") }
        axis = a
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let present = inputs.compactMap { $0 }
        guard let first = present.first else { throw node.shapeError("no inputs") }
        let a = try normalizeAxis(axis, rank: first.shape.count, node: node)
        var out = first.shape
        out[a] = 0
        for v in present {
            guard v.shape.count == first.shape.count,
                  v.shape.enumerated().allSatisfy({ $0.offset == a || $0.element == first.shape[$0.offset] }) else {
                throw node.shapeError("cannot concatenate \(present.map(\.shape)) on axis \(axis)")
            }
            out[a] += v.shape[a]
        }
        let type = present.contains { $0.type == .float } ? ElementType.float : first.type
        return [ValueInfo(shape: out, type: type)]
    }

    func move<T>(_ inputs: [ValueInfo?], _ outputs: [ValueInfo], _ src: [UnsafePointer<T>?], _ dst: [UnsafeMutablePointer<T>]) throws {
        let out = outputs[0].shape
        let a = try normalizeAxis(axis, rank: out.count, node: node)
        let outer = out[..<a].reduce(1, *)
        let outRow = out[a...].reduce(1, *)
        var col = 0
        for (i, v) in inputs.enumerated() {
            guard let v, let p = src[i] else { continue }
            let row = v.shape[a...].reduce(1, *)
            for o in 0..<outer { (dst[0] + o * outRow + col).update(from: p + o * row, count: row) }
            col += row
        }
    }

    /// Float activations: the same row copies, split over threads in chunks (Why: on a
    /// U-Net at 1024² these copies are tens of MB per Concat).
    func makeStep(_ ctx: StepContext) throws -> Step {
        let out = ctx.outputs[0].shape
        let a = try normalizeAxis(axis, rank: out.count, node: node)
        let outer = out[..<a].reduce(1, *)
        let outRow = out[a...].reduce(1, *)
        var copies: [(src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, count: Int)] = []
        let chunk = 1 << 16
        var col = 0
        for (i, v) in ctx.inputs.enumerated() {
            guard let v, let p = ctx.inputPointers[i] else { continue }
            let row = v.shape[a...].reduce(1, *)
            for o in 0..<outer {
                var c = 0
                while c < row {
                    let n = min(chunk, row - c)
                    copies.append((p + o * row + c, ctx.outputPointers[0] + o * outRow + col + c, n))
                    c += n
                }
            }
            col += row
        }
        let threads = ctx.threads
        return {
            copies.withUnsafeBufferPointer { cp in
                ParallelFor.run(count: cp.count, threads: threads) { t, _ in
                    cp[t].dst.update(from: cp[t].src, count: cp[t].count)
                }
            }
        }
    }
}

/// `Split` (sizes from the `split` attribute, the second input, `num_outputs`, or equal).
struct SplitOperator: LayoutOperator {
    let node: GraphNode
    let axis: Int
    let attrSplit: [Int]?
    init(_ node: GraphNode, opset: Int) throws {
        self.node = node
        axis = try node.int("axis", default: 0)
        attrSplit = try node.ints("split")
    }

    func sizes(_ inputs: [ValueInfo?]) throws -> (Int, [Int]) {
        let x = try requireInput(inputs, 0)
        let a = try normalizeAxis(axis, rank: x.shape.count, node: node)
        let n = node.outputs.count
        guard n > 0 else { throw node.shapeError("no outputs") }
        var s: [Int]
        if let c = try requireConstant(inputs, 1, what: "split"), c.count > 0 { s = c.intValues } else if let attrSplit { s = attrSplit } else {
            let chunk = (x.shape[a] + n - 1) / n
            s = (0..<n).map { Swift.min(chunk, Swift.max(0, x.shape[a] - $0 * chunk)) }
        }
        guard s.count == n, s.allSatisfy({ $0 >= 0 && $0 <= x.shape[a] }), s.reduce(0, +) == x.shape[a] else {
            throw node.shapeError("split \(s) of axis size \(x.shape[a]) into \(n) outputs")
        }
        return (a, s)
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0)
        let (a, s) = try sizes(inputs)
        return s.map { var sh = x.shape; sh[a] = $0; return ValueInfo(shape: sh, type: x.type) }
    }

    func move<T>(_ inputs: [ValueInfo?], _ outputs: [ValueInfo], _ src: [UnsafePointer<T>?], _ dst: [UnsafeMutablePointer<T>]) throws {
        let x = inputs[0]!.shape
        let (a, s) = try sizes(inputs)
        let outer = x[..<a].reduce(1, *), inner = x[(a + 1)...].reduce(1, *)
        let inRow = x[a] * inner
        var col = 0
        for (i, size) in s.enumerated() {
            let row = size * inner
            for o in 0..<outer { (dst[i] + o * row).update(from: src[0]! + o * inRow + col, count: row) }
            col += row
        }
    }
}

/// `Slice` (attributes before opset 10, inputs from 10).
struct SliceOperator: LayoutOperator {
    let node: GraphNode
    let legacy: Bool
    init(_ node: GraphNode, opset: Int) throws {
        self.node = node
        legacy = opset < 10
    }

    /// (start, step, count) per axis.
    func plan(_ inputs: [ValueInfo?]) throws -> [(Int, Int, Int)] {
        let x = try requireInput(inputs, 0)
        let rank = x.shape.count
        var starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?
        if legacy {
            starts = try node.ints("starts") ?? []; ends = try node.ints("ends") ?? []; axes = try node.ints("axes"); steps = nil
        } else {
            guard let s = try requireConstant(inputs, 1, what: "starts"), let e = try requireConstant(inputs, 2, what: "ends") else {
                throw EngineError.missingInput(node: node.name, op: node.opType, name: "starts/ends")
            }
            starts = s.ints.map { Int($0) }; ends = e.ints.map { Int($0) }
            axes = try requireConstant(inputs, 3, what: "axes")?.intValues
            steps = try requireConstant(inputs, 4, what: "steps")?.intValues
        }
        let ax = try (axes ?? Array(0..<starts.count)).map { try normalizeAxis($0, rank: rank, node: node) }
        let st = (steps ?? [Int](repeating: 1, count: starts.count)).map { Swift.max($0, -Int.max) }
        guard ends.count == starts.count, ax.count == starts.count, st.count == starts.count, st.allSatisfy({ $0 != 0 }) else {
            throw node.shapeError("starts/ends/axes/steps lengths differ or step is 0")
        }
        var result = x.shape.map { (0, 1, $0) }
        for i in 0..<starts.count {
            let dim = x.shape[ax[i]], step = st[i]
            var s = starts[i], e = ends[i]
            if s < 0 { s += dim }
            if e < 0 { e += dim }
            if step > 0 {
                s = Swift.min(Swift.max(s, 0), dim); e = Swift.min(Swift.max(e, 0), dim)
                // |step| > dim gives at most one element; clamp so stride products cannot overflow.
                result[ax[i]] = (s, Swift.min(step, Swift.max(dim, 1)), e > s ? (e - s - 1) / step + 1 : 0)
            } else {
                s = Swift.min(Swift.max(s, 0), dim - 1); e = Swift.min(Swift.max(e, -1), dim - 1)
                result[ax[i]] = (s, Swift.max(step, -Swift.max(dim, 1)), s > e ? (s - e - 1) / (-step) + 1 : 0)
            }
        }
        return result
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0)
        return [ValueInfo(shape: try plan(inputs).map(\.2), type: x.type)]
    }

    func move<T>(_ inputs: [ValueInfo?], _ outputs: [ValueInfo], _ src: [UnsafePointer<T>?], _ dst: [UnsafeMutablePointer<T>]) throws {
        let p = try plan(inputs)
        let inStrides = contiguousStrides(inputs[0]!.shape)
        var offset = 0
        for (i, (s, _, _)) in p.enumerated() { offset += s * inStrides[i] }
        gatherStrided(src[0]!, offset: offset, strides: zip(p, inStrides).map { $0.0.1 * $0.1 }, shape: p.map(\.2), into: dst[0])
    }
}

/// `Transpose` with `perm` (default: reversed axes).
struct TransposeOperator: LayoutOperator {
    let node: GraphNode
    let perm: [Int]?
    init(_ node: GraphNode) throws { self.node = node; perm = try node.ints("perm") }

    func permutation(_ rank: Int) throws -> [Int] {
        let p = perm ?? Array((0..<rank).reversed())
        guard p.count == rank, Set(p) == Set(0..<rank) else { throw node.shapeError("perm \(p) for rank \(rank)") }
        return p
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0)
        let p = try permutation(x.shape.count)
        return [ValueInfo(shape: p.map { x.shape[$0] }, type: x.type)]
    }

    func move<T>(_ inputs: [ValueInfo?], _ outputs: [ValueInfo], _ src: [UnsafePointer<T>?], _ dst: [UnsafeMutablePointer<T>]) throws {
        let x = inputs[0]!.shape
        let p = try permutation(x.count)
        let s = contiguousStrides(x)
        gatherStrided(src[0]!, offset: 0, strides: p.map { s[$0] }, shape: p.map { x[$0] }, into: dst[0])
    }
}

/// `Pad` (constant, reflect, edge, wrap).
struct PadOperator: LayoutOperator {
    let node: GraphNode
    let mode: String
    let legacy: Bool
    init(_ node: GraphNode, opset: Int) throws {
        self.node = node
        mode = try node.string("mode", default: "constant")
        guard ["constant", "reflect", "edge", "wrap"].contains(mode) else { throw node.error("mode '\(mode)'") }
        legacy = opset < 11
    }

    func plan(_ inputs: [ValueInfo?]) throws -> (pads: [Int], value: Float) {
        let x = try requireInput(inputs, 0)
        let rank = x.shape.count
        var pads: [Int]
        var value: Float = 0
        if legacy {
            pads = try node.ints("pads") ?? []
            value = try node.float("value", default: 0)
        } else {
            guard let p = try requireConstant(inputs, 1, what: "pads") else { throw EngineError.missingInput(node: node.name, op: node.opType, name: "pads") }
            pads = p.intValues
            if let v = try requireConstant(inputs, 2, what: "constant_value"), v.count > 0 { value = v.floats[0] }
            if let a = try requireConstant(inputs, 3, what: "axes") {
                let axes = try a.intValues.map { try normalizeAxis($0, rank: rank, node: node) }
                guard pads.count == 2 * axes.count else { throw node.shapeError("pads \(pads) for axes \(axes)") }
                var full = [Int](repeating: 0, count: 2 * rank)
                for (i, ax) in axes.enumerated() { full[ax] = pads[i]; full[rank + ax] = pads[axes.count + i] }
                pads = full
            }
        }
        guard pads.count == 2 * rank, pads.allSatisfy({ $0.magnitude <= UInt(maximumElementCount) }) else {
            throw node.shapeError("pads \(pads) for rank \(rank)")
        }
        for d in 0..<rank {
            let out = x.shape[d] + pads[d] + pads[rank + d]
            guard out >= 0 else { throw node.shapeError("negative output size") }
            if mode == "reflect" && (pads[d] >= x.shape[d] || pads[rank + d] >= x.shape[d]) && (pads[d] > 0 || pads[rank + d] > 0) {
                throw node.shapeError("reflect padding \(pads) not smaller than input \(x.shape)")
            }
        }
        return (pads, value)
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0)
        let (p, _) = try plan(inputs)
        let r = x.shape.count
        let out = (0..<r).map { x.shape[$0] + p[$0] + p[r + $0] }
        _ = try checkedElementCount(out, what: "output of '\(node.name)'")
        return [ValueInfo(shape: out, type: x.type)]
    }

    func indexMapFill(_ inputs: [ValueInfo?]) throws -> Float { try plan(inputs).value }

    func sourceIndex(_ o: Int, size: Int) -> Int {
        if o >= 0 && o < size { return o }
        switch mode {
        case "edge": return Swift.min(Swift.max(o, 0), size - 1)
        case "reflect":
            if size == 1 { return 0 }
            let period = 2 * (size - 1)
            var m = o % period; if m < 0 { m += period }
            return m < size ? m : period - m
        case "wrap":
            var m = o % size; if m < 0 { m += size }
            return m
        default: return -1
        }
    }

    func move<T>(_ inputs: [ValueInfo?], _ outputs: [ValueInfo], _ src: [UnsafePointer<T>?], _ dst: [UnsafeMutablePointer<T>]) throws {
        let x = inputs[0]!.shape
        let (p, value) = try plan(inputs)
        let r = x.count
        let out = outputs[0].shape
        let fill: T
        if T.self == Float.self { fill = value as! T } else if T.self == Int32.self { fill = Int32(-1) as! T } else { fill = Int64(value) as! T }
        let strides = contiguousStrides(x)
        let tables = (0..<r).map { d in (0..<out[d]).map { sourceIndex($0 - p[d], size: x[d]) } }
        let total = out.reduce(1, *)
        if total == 0 { return }
        var index = [Int](repeating: 0, count: r)
        for o in 0..<total {
            var off = 0
            var inside = true
            for d in 0..<r {
                let s = tables[d][index[d]]
                if s < 0 { inside = false; break }
                off += s * strides[d]
            }
            dst[0][o] = inside ? src[0]![off] : fill
            var d = r - 1
            while d >= 0 { index[d] += 1; if index[d] < out[d] { break }; index[d] = 0; d -= 1 }
        }
    }
}

/// `Reshape`, `Flatten`, `Squeeze`, `Unsqueeze`, `Identity`, `Dropout`: same elements, new shape.
struct ReshapeOperator: LayoutOperator {
    let node: GraphNode
    let opset: Int
    init(_ node: GraphNode, opset: Int) throws {
        self.node = node; self.opset = opset
        if node.opType == "Dropout", node.outputs.count > 1, !node.outputs[1].isEmpty { throw node.error("Dropout mask output") }
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0)
        let s = x.shape
        var out: [Int]
        switch node.opType {
        case "Reshape":
            guard let t = try requireConstant(inputs, 1, what: "shape") else { throw EngineError.missingInput(node: node.name, op: node.opType, name: "shape") }
            let allowZero = try node.int("allowzero", default: 0) != 0
            out = t.intValues
            for i in out.indices where out[i] == 0 && !allowZero {
                guard i < s.count else { throw node.shapeError("0 at position \(i) beyond input rank") }
                out[i] = s[i]
            }
            let known = try checkedElementCount(out.filter { $0 != -1 }.map { Swift.max($0, 0) }, what: "Reshape target")
            let minusOnes = out.filter { $0 == -1 }.count
            guard minusOnes <= 1, out.allSatisfy({ $0 >= -1 }) else { throw node.shapeError("target shape \(t.intValues)") }
            if minusOnes == 1 {
                guard known > 0, x.count % known == 0 else { throw node.shapeError("cannot reshape \(s) to \(t.intValues)") }
                out = out.map { $0 == -1 ? x.count / known : $0 }
            }
        case "Flatten":
            let a = try node.int("axis", default: 1)
            let axis = a < 0 ? a + s.count : a
            guard axis >= 0 && axis <= s.count else { throw node.shapeError("axis \(a)") }
            out = [s[..<axis].reduce(1, *), s[axis...].reduce(1, *)]
        case "Squeeze":
            let axesList = try opset >= 13 ? requireConstant(inputs, 1, what: "axes")?.intValues : node.ints("axes")
            if let axesList {
                let axes = try Set(axesList.map { try normalizeAxis($0, rank: s.count, node: node) })
                for a in axes where s[a] != 1 { throw node.shapeError("cannot squeeze axis \(a) of \(s)") }
                out = s.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
            } else {
                out = s.filter { $0 != 1 }
            }
        case "Unsqueeze":
            guard let axesList = try opset >= 13 ? requireConstant(inputs, 1, what: "axes")?.intValues : node.ints("axes") else {
                throw node.error("missing axes")
            }
            let rank = s.count + axesList.count
            let axes = try Set(axesList.map { try normalizeAxis($0, rank: rank, node: node) })
            guard axes.count == axesList.count else { throw node.shapeError("repeated axes \(axesList)") }
            var it = s.makeIterator()
            out = (0..<rank).map { axes.contains($0) ? 1 : it.next() ?? 1 }
        default:
            out = s
        }
        guard out.reduce(1, *) == x.count else { throw node.shapeError("cannot reshape \(s) to \(out)") }
        return [ValueInfo(shape: out, type: x.type)]
    }

    func move<T>(_ inputs: [ValueInfo?], _ outputs: [ValueInfo], _ src: [UnsafePointer<T>?], _ dst: [UnsafeMutablePointer<T>]) throws {
        let n = outputs[0].count
        if UnsafeRawPointer(src[0]!) != UnsafeRawPointer(dst[0]) { dst[0].update(from: src[0]!, count: n) }
    }
}

/// `Gather` with constant indices.
struct GatherOperator: LayoutOperator {
    let node: GraphNode
    let axis: Int
    init(_ node: GraphNode) throws { self.node = node; axis = try node.int("axis", default: 0) }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0), i = try requireInput(inputs, 1)
        let a = try normalizeAxis(axis, rank: x.shape.count, node: node)
        return [ValueInfo(shape: Array(x.shape[..<a]) + i.shape + Array(x.shape[(a + 1)...]), type: x.type)]
    }

    func move<T>(_ inputs: [ValueInfo?], _ outputs: [ValueInfo], _ src: [UnsafePointer<T>?], _ dst: [UnsafeMutablePointer<T>]) throws {
        let x = inputs[0]!.shape
        guard let idx = try requireConstant(inputs, 1, what: "indices")?.intValues else { return }
        let a = try normalizeAxis(axis, rank: x.count, node: node)
        let outer = x[..<a].reduce(1, *), inner = x[(a + 1)...].reduce(1, *), dim = x[a]
        for (j, raw) in idx.enumerated() {
            let k = raw < 0 ? raw + dim : raw
            guard k >= 0 && k < dim else { throw node.shapeError("index \(raw) out of range for axis size \(dim)") }
            for o in 0..<outer {
                (dst[0] + (o * idx.count + j) * inner).update(from: src[0]! + (o * dim + k) * inner, count: inner)
            }
        }
    }
}

/// `Expand` to a broadcast shape.
struct ExpandOperator: LayoutOperator {
    let node: GraphNode

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0)
        guard let s = try requireConstant(inputs, 1, what: "shape") else { throw EngineError.missingInput(node: node.name, op: node.opType, name: "shape") }
        guard let out = Broadcast.shape([x.shape, s.intValues]) else { throw node.shapeError("cannot expand \(x.shape) to \(s.intValues)") }
        _ = try checkedElementCount(out, what: "output of '\(node.name)'")
        return [ValueInfo(shape: out, type: x.type)]
    }

    func move<T>(_ inputs: [ValueInfo?], _ outputs: [ValueInfo], _ src: [UnsafePointer<T>?], _ dst: [UnsafeMutablePointer<T>]) throws {
        let out = outputs[0].shape
        gatherStrided(src[0]!, offset: 0, strides: Broadcast.strides(inputs[0]!.shape, to: out), shape: out, into: dst[0])
    }
}
