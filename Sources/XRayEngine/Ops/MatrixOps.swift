import Foundation

/// `Gemm`: Y = alpha * A' B' + beta * C.
struct GemmOperator: Operator {
    let node: GraphNode
    let alpha: Float, beta: Float
    let transA: Bool, transB: Bool

    init(_ node: GraphNode) throws {
        self.node = node
        alpha = try node.float("alpha", default: 1); beta = try node.float("beta", default: 1)
        transA = try node.int("transA", default: 0) != 0; transB = try node.int("transB", default: 0) != 0
    }

    func dims(_ inputs: [ValueInfo?]) throws -> (Int, Int, Int) {
        let a = try requireInput(inputs, 0), b = try requireInput(inputs, 1)
        try requireRank(a, 2, "A"); try requireRank(b, 2, "B")
        let m = transA ? a.shape[1] : a.shape[0], k = transA ? a.shape[0] : a.shape[1]
        let kb = transB ? b.shape[1] : b.shape[0], n = transB ? b.shape[0] : b.shape[1]
        guard k == kb else { throw node.shapeError("A \(a.shape) and B \(b.shape) do not multiply") }
        if let c = inputs.count > 2 ? inputs[2] : nil {
            guard Broadcast.shape([c.shape, [m, n]]) == [m, n] else { throw node.shapeError("C \(c.shape) does not broadcast to [\(m), \(n)]") }
        }
        return (m, k, n)
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let (m, _, n) = try dims(inputs)
        return [ValueInfo(shape: [m, n])]
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        let (m, k, n) = try dims(ctx.inputs)
        let a = ctx.input(0), b = ctx.input(1), y = ctx.outputPointers[0]
        let c = ctx.inputPointers.count > 2 ? ctx.inputPointers[2] : nil
        let cShape = ctx.inputs.count > 2 ? ctx.inputs[2]?.shape ?? [] : []
        let cs = Broadcast.strides(cShape, to: [m, n])
        let (ta, tb, alpha, beta) = (transA, transB, self.alpha, self.beta)
        if !ta && tb {
            // A·Bᵀ (a classifier's Linear): both operands read along contiguous rows,
            // 16 lanes at a time (Why: the general loop below does not vectorise).
            let threads = ctx.threads
            return {
                ParallelFor.run(count: m * ((n + 63) / 64), threads: threads) { task, _ in
                    let blocks = (n + 63) / 64
                    let i = task / blocks, j0 = (task % blocks) * 64
                    let ar = a + i * k
                    let j1 = Swift.min(n, j0 + 64)
                    @inline(__always) func finish(_ j: Int, _ acc: Float) {
                        var v = alpha * acc
                        if let c { v += beta * c[i * cs[0] + j * cs[1]] }
                        y[i * n + j] = v
                    }
                    // Four rows of B at a time: four independent accumulator chains (one chain
                    // waits on the multiply-add latency: 1000 × 1280 took 0.13 ms, ONNX Runtime 0.10).
                    var j = j0
                    while j + 4 <= j1 {
                        let b0 = b + j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k
                        var s0 = SIMD16<Float>(), s1 = s0, s2 = s0, s3 = s0
                        var p = 0
                        while p + 16 <= k {
                            let x = loadVector(ar + p)
                            s0 = fusedMultiplyAdd(x, loadVector(b0 + p), s0)
                            s1 = fusedMultiplyAdd(x, loadVector(b1 + p), s1)
                            s2 = fusedMultiplyAdd(x, loadVector(b2 + p), s2)
                            s3 = fusedMultiplyAdd(x, loadVector(b3 + p), s3)
                            p += 16
                        }
                        var t0 = s0.sum(), t1 = s1.sum(), t2 = s2.sum(), t3 = s3.sum()
                        while p < k { t0 += ar[p] * b0[p]; t1 += ar[p] * b1[p]; t2 += ar[p] * b2[p]; t3 += ar[p] * b3[p]; p += 1 }
                        finish(j, t0); finish(j + 1, t1); finish(j + 2, t2); finish(j + 3, t3)
                        j += 4
                    }
                    while j < j1 {
                        let br = b + j * k
                        var acc16 = SIMD16<Float>()
                        var p = 0
                        while p + 16 <= k { acc16 = fusedMultiplyAdd(loadVector(ar + p), loadVector(br + p), acc16); p += 16 }
                        var acc = acc16.sum()
                        while p < k { acc += ar[p] * br[p]; p += 1 }
                        finish(j, acc)
                        j += 1
                    }
                }
            }
        }
        return {
            for i in 0..<m {
                for j in 0..<n {
                    var acc: Float = 0
                    for p in 0..<k {
                        acc += a[ta ? p * m + i : i * k + p] * b[tb ? j * k + p : p * n + j]
                    }
                    var v = alpha * acc
                    if let c { v += beta * c[i * cs[0] + j * cs[1]] }
                    y[i * n + j] = v
                }
            }
        }
    }

    func macs(_ inputs: [ValueInfo?], _ outputs: [ValueInfo]) -> Int {
        ((try? dims(inputs)).map { $0.0 * $0.1 * $0.2 }) ?? 0
    }
}

/// `MatMul` with numpy batch broadcasting.
struct MatMulOperator: Operator {
    let node: GraphNode

    /// (batch shape, M, K, N, a-promoted, b-promoted shapes).
    func plan(_ inputs: [ValueInfo?]) throws -> ([Int], Int, Int, Int, [Int], [Int], [Int]) {
        var a = try requireInput(inputs, 0).shape, b = try requireInput(inputs, 1).shape
        guard !a.isEmpty, !b.isEmpty else { throw node.shapeError("scalar operand") }
        let aVec = a.count == 1, bVec = b.count == 1
        if aVec { a = [1] + a }
        if bVec { b = b + [1] }
        let m = a[a.count - 2], k = a[a.count - 1], kb = b[b.count - 2], n = b[b.count - 1]
        guard k == kb, let batch = Broadcast.shape([Array(a.dropLast(2)), Array(b.dropLast(2))]) else {
            throw node.shapeError("\(a) and \(b) do not multiply")
        }
        var out = batch
        if !aVec { out.append(m) }
        if !bVec { out.append(n) }
        return (batch, m, k, n, a, b, out)
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        [ValueInfo(shape: try plan(inputs).6)]
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        let (batch, m, k, n, aShape, bShape, _) = try plan(ctx.inputs)
        var offsets: [(Int, Int)] = []
        Broadcast.forEach(batch, [Array(aShape.dropLast(2)), Array(bShape.dropLast(2))]) { _, off in offsets.append((off[0], off[1])) }
        let a = ctx.input(0), b = ctx.input(1), y = ctx.outputPointers[0]
        return {
            for (bi, (oa, ob)) in offsets.enumerated() {
                let pa = a + oa * m * k, pb = b + ob * k * n, py = y + bi * m * n
                for i in 0..<m {
                    let row = py + i * n
                    row.update(repeating: 0, count: n)
                    for p in 0..<k {
                        let av = pa[i * k + p]
                        let brow = pb + p * n
                        for j in 0..<n { row[j] += av * brow[j] }
                    }
                }
            }
        }
    }

    func macs(_ inputs: [ValueInfo?], _ outputs: [ValueInfo]) -> Int {
        ((try? plan(inputs)).map { $0.0.reduce(1, *) * $0.1 * $0.2 * $0.3 }) ?? 0
    }
}

/// `Softmax` / `LogSoftmax` (opset < 13: coerced to 2-D at `axis`; from 13: along `axis`).
struct SoftmaxOperator: Operator {
    let node: GraphNode
    let axis: Int
    let legacy: Bool
    let isLog: Bool

    init(_ node: GraphNode, opset: Int) throws {
        self.node = node
        legacy = opset < 13
        axis = try node.int("axis", default: legacy ? 1 : -1)
        isLog = node.opType == "LogSoftmax"
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0)
        _ = try normalizeAxis(axis, rank: x.shape.count, node: node)
        return [ValueInfo(shape: x.shape)]
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        let s = ctx.shape(0)
        let a = try normalizeAxis(axis, rank: s.count, node: node)
        let outer: Int, len: Int, inner: Int
        if legacy { outer = s[..<a].reduce(1, *); len = s[a...].reduce(1, *); inner = 1 } else {
            outer = s[..<a].reduce(1, *); len = s[a]; inner = s[(a + 1)...].reduce(1, *)
        }
        let x = ctx.input(0), y = ctx.outputPointers[0], isLog = self.isLog
        return {
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o * len * inner + i
                    var m = -Float.infinity
                    for j in 0..<len { m = Swift.max(m, x[base + j * inner]) }
                    var sum: Float = 0
                    for j in 0..<len { let e = Foundation.expf(x[base + j * inner] - m); y[base + j * inner] = e; sum += e }
                    if isLog {
                        let ls = Foundation.logf(sum)
                        for j in 0..<len { y[base + j * inner] = x[base + j * inner] - m - ls }
                    } else {
                        for j in 0..<len { y[base + j * inner] /= sum }
                    }
                }
            }
        }
    }
}

/// `ReduceMean`, `ReduceSum`, `ReduceMax`, `ReduceMin` (axes as attribute or input).
struct ReduceOperator: Operator {
    let node: GraphNode
    let keepDims: Bool
    let noopWithEmptyAxes: Bool
    let attrAxes: [Int]?

    init(_ node: GraphNode, opset: Int) throws {
        self.node = node
        keepDims = try node.int("keepdims", default: 1) != 0
        noopWithEmptyAxes = try node.int("noop_with_empty_axes", default: 0) != 0
        attrAxes = try node.ints("axes")
    }

    func axes(_ inputs: [ValueInfo?]) throws -> [Int] {
        let x = try requireInput(inputs, 0)
        let list = try requireConstant(inputs, 1, what: "axes")?.intValues ?? attrAxes ?? []
        if list.isEmpty { return noopWithEmptyAxes ? [] : Array(0..<x.shape.count) }
        return try Set(list.map { try normalizeAxis($0, rank: x.shape.count, node: node) }).sorted()
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0)
        let ax = Set(try axes(inputs))
        var out: [Int] = []
        for (i, d) in x.shape.enumerated() {
            if ax.contains(i) { if keepDims { out.append(1) } } else { out.append(d) }
        }
        return [ValueInfo(shape: out, type: x.type)]
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        let s = ctx.shape(0)
        let ax = Set(try axes(ctx.inputs))
        let kept = s.enumerated().map { ax.contains($0.offset) ? 1 : $0.element }
        let count = s.enumerated().filter { ax.contains($0.offset) }.map(\.element).reduce(1, *)
        var target = [Int](repeating: 0, count: s.reduce(1, *))
        // Map each input element to its output slot once, while preparing.
        let outStrides = Broadcast.strides(kept, to: s)
        var index = [Int](repeating: 0, count: s.count)
        for e in 0..<target.count {
            var off = 0
            for d in 0..<s.count { off += index[d] * outStrides[d] }
            target[e] = off
            var d = s.count - 1
            while d >= 0 { index[d] += 1; if index[d] < s[d] { break }; index[d] = 0; d -= 1 }
        }
        let op = node.opType
        let x = ctx.input(0), y = ctx.outputPointers[0], outCount = ctx.outputs[0].count
        return {
            let initial: Float = op == "ReduceMax" ? -Float.infinity : (op == "ReduceMin" ? Float.infinity : 0)
            y.update(repeating: initial, count: outCount)
            for e in 0..<target.count {
                let t = target[e], v = x[e]
                switch op {
                case "ReduceMax": if v > y[t] { y[t] = v }
                case "ReduceMin": if v < y[t] { y[t] = v }
                default: y[t] += v
                }
            }
            if op == "ReduceMean" { for j in 0..<outCount { y[j] /= Float(count) } }
        }
    }
}
