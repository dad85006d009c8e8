import Foundation

/// `Resize` (opset 10+) and `Upsample`: nearest and (bi)linear over the last two axes.
struct ResizeOperator: Operator {
    enum Mode: Sendable { case nearest, linear }
    enum Coordinates: String, Sendable {
        case halfPixel = "half_pixel", pytorchHalfPixel = "pytorch_half_pixel", alignCorners = "align_corners"
        case asymmetric = "asymmetric", halfPixelSymmetric = "half_pixel_symmetric"
    }
    enum Nearest: String, Sendable {
        case roundPreferFloor = "round_prefer_floor", roundPreferCeil = "round_prefer_ceil", floor, ceil
    }

    let node: GraphNode
    let mode: Mode
    let coordinates: Coordinates
    let nearest: Nearest
    let isLegacy: Bool  // Upsample or Resize-10: asymmetric, floor
    let attrScales: [Float]?
    let axes: [Int]?

    init(_ node: GraphNode, opset: Int) throws {
        self.node = node
        let m = try node.string("mode", default: "nearest")
        switch m {
        case "nearest": mode = .nearest
        case "linear", "bilinear": mode = .linear
        default: throw node.error("mode '\(m)'")
        }
        isLegacy = node.opType == "Upsample" || opset < 11
        let ct = try node.string("coordinate_transformation_mode", default: isLegacy ? "asymmetric" : "half_pixel")
        guard let c = Coordinates(rawValue: ct) else { throw node.error("coordinate_transformation_mode '\(ct)'") }
        coordinates = isLegacy && node.opType == "Upsample" ? .asymmetric : c
        let nm = try node.string("nearest_mode", default: "round_prefer_floor")
        guard let n = Nearest(rawValue: nm) else { throw node.error("nearest_mode '\(nm)'") }
        nearest = isLegacy ? .floor : n
        if try node.int("antialias", default: 0) != 0 { throw node.error("antialias = 1") }
        let policy = try node.string("keep_aspect_ratio_policy", default: "stretch")
        if policy != "stretch" { throw node.error("keep_aspect_ratio_policy '\(policy)'") }
        attrScales = try node.floats("scales")
        axes = try node.ints("axes")
    }

    /// Output shape and per-axis scales.
    func plan(_ inputs: [ValueInfo?]) throws -> ([Int], [Float]) {
        let x = try requireInput(inputs, 0)
        let rank = x.shape.count
        var scales = [Float](repeating: 1, count: rank)
        var out = x.shape
        var axes = (self.axes ?? Array(0..<rank))
        axes = try axes.map { try normalizeAxis($0, rank: rank, node: node) }
        let scalesIndex = isLegacy ? 1 : 2
        let scaleInput = isLegacy && node.opType == "Upsample" && inputs.count < 2 ? nil : try requireConstant(inputs, scalesIndex, what: "scales")
        let sizesInput = isLegacy ? nil : try requireConstant(inputs, 3, what: "sizes")
        if let sizes = sizesInput, sizes.count > 0 {
            let v = sizes.intValues
            guard v.count == axes.count else { throw node.shapeError("sizes \(v) for \(axes.count) axes") }
            for (i, a) in axes.enumerated() {
                out[a] = v[i]
                scales[a] = Float(v[i]) / Float(x.shape[a])
            }
        } else if let s = scaleInput?.floats ?? attrScales, !s.isEmpty {
            guard s.count == axes.count, s.allSatisfy({ $0.isFinite }) else { throw node.shapeError("scales \(s) for \(axes.count) axes") }
            for (i, a) in axes.enumerated() {
                guard s[i] > 0 else { throw node.shapeError("non-positive scale \(s[i])") }
                scales[a] = s[i]
                guard let o = checkedInt(Double((Float(x.shape[a]) * s[i]).rounded(.down))) else {
                    throw EngineError.resourceLimit(reason: "node '\(node.name)' (Resize): scale \(s[i])")
                }
                out[a] = o
            }
        } else {
            throw node.error("neither scales nor sizes given")
        }
        guard rank == 4 || rank == 3 else { throw node.shapeError("rank \(rank) input; 3-D and 4-D supported") }
        guard out[0] == x.shape[0], out[1] == x.shape[1] else {
            throw node.error("resizing batch or channel axes")
        }
        guard out.allSatisfy({ $0 > 0 }) else { throw node.shapeError("empty output \(out)") }
        _ = try checkedElementCount(out, what: "output of '\(node.name)'")
        return (out, scales)
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        [ValueInfo(shape: try plan(inputs).0)]
    }

    func sourceCoordinate(_ o: Int, scale: Float, inSize: Int, outSize: Int) -> Float {
        let x = Float(o)
        switch coordinates {
        case .halfPixel: return (x + 0.5) / scale - 0.5
        case .halfPixelSymmetric:
            let adj = Float(outSize) / (scale * Float(inSize))
            let center = Float(inSize) / 2
            let offset = center * (1 - adj)
            return offset + (x + 0.5) / scale - 0.5
        case .pytorchHalfPixel: return outSize > 1 ? (x + 0.5) / scale - 0.5 : 0
        case .alignCorners: return outSize == 1 ? 0 : x * Float(inSize - 1) / Float(outSize - 1)
        case .asymmetric: return x / scale
        }
    }

    func nearestIndex(_ c: Float, inSize: Int) -> Int {
        var i: Int
        switch nearest {
        case .roundPreferFloor: i = c == c.rounded(.down) + 0.5 ? Int(c.rounded(.down)) : Int(c.rounded(.toNearestOrAwayFromZero))
        case .roundPreferCeil: i = Int(c.rounded(.toNearestOrAwayFromZero)); if c == c.rounded(.down) + 0.5 { i = Int(c.rounded(.up)) }
        case .floor: i = Int(c.rounded(.down))
        case .ceil: i = Int(c.rounded(.up))
        }
        return Swift.min(Swift.max(i, 0), inSize - 1)
    }

    /// Per output index along one axis: (i0, i1, w1) with value = v[i0]*(1-w1) + v[i1]*w1.
    func axisTable(inSize: Int, outSize: Int, scale: Float) -> [(Int, Int, Float)] {
        (0..<outSize).map { o in
            let c = sourceCoordinate(o, scale: scale, inSize: inSize, outSize: outSize)
            if mode == .nearest {
                let i = nearestIndex(c, inSize: inSize)
                return (i, i, 0)
            }
            let cc = Swift.min(Swift.max(c, 0), Float(inSize - 1))
            let i0 = Int(cc.rounded(.down))
            let i1 = Swift.min(i0 + 1, inSize - 1)
            return (i0, i1, cc - Float(i0))
        }
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        let (out, scales) = try plan(ctx.inputs)
        let s = ctx.shape(0)
        let rank = s.count
        let planes = s[0] * s[1]
        let ih = rank == 4 ? s[2] : 1, iw = s[rank - 1]
        let oh = rank == 4 ? out[2] : 1, ow = out[rank - 1]
        let ty = rank == 4 ? axisTable(inSize: ih, outSize: oh, scale: scales[2]) : [(0, 0, 0)]
        let tx = axisTable(inSize: iw, outSize: ow, scale: scales[rank - 1])
        let x = ctx.input(0), y = ctx.outputPointers[0]
        let threads = ctx.threads
        // Why this shape: each input row is interpolated horizontally once into a
        // per-task row cache (two rows), and output rows are then a vertical blend the
        // compiler vectorises; rows are split over threads. Same arithmetic as the
        // plain per-pixel loop, so results are bit-identical to it.
        let x0s = tx.map { $0.0 }, x1s = tx.map { $0.1 }, wxs = tx.map { $0.2 }
        // 2× linear upsampling (U-Net decoders) has a fixed interior pattern: output 2j blends
        // inputs j-1, j at 0.75, output 2j+1 blends j, j+1 at 0.25. Where the table shows it,
        // the horizontal pass runs 16 inputs at a time with the same arithmetic (bit-identical).
        let doubling = mode != .nearest && ow == 2 * iw && iw >= 3 && (1..<(iw - 1)).allSatisfy { j in
            tx[2 * j] == (j - 1, j, 0.75) && tx[2 * j + 1] == (j, j + 1, 0.25)
        }
        let rowsPerTask = max(1, min(oh, 64))
        let bands = (oh + rowsPerTask - 1) / rowsPerTask
        return {
            x0s.withUnsafeBufferPointer { x0p in x1s.withUnsafeBufferPointer { x1p in wxs.withUnsafeBufferPointer { wxp in
                let x0t = x0p.baseAddress!, x1t = x1p.baseAddress!, wxt = wxp.baseAddress!
                ParallelFor.run(count: planes * bands, threads: threads) { task, _ in
                    let p = task / bands, b = task % bands
                    let src = x + p * ih * iw, dst = y + p * oh * ow
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * ow) { cache in
                        var rowA = cache.baseAddress!, rowB = rowA + ow
                        var cached = (-1, -1)  // input rows held in rowA, rowB
                        func horizontal(_ iy: Int, into h: UnsafeMutablePointer<Float>) {
                            let r = src + iy * iw
                            /// Output `ox` from the axis table (the reference arithmetic).
                            func blend(_ ox: Int) { h[ox] = r[x0t[ox]] + (r[x1t[ox]] - r[x0t[ox]]) * wxt[ox] }
                            if doubling {
                                var j = 1
                                while j + 16 <= iw - 1 {
                                    let a = loadVector(r + j - 1), b = loadVector(r + j), c = loadVector(r + j + 1)
                                    var v = SIMD32<Float>()
                                    v.evenHalf = a + (b - a) * 0.75
                                    v.oddHalf = b + (c - b) * 0.25
                                    UnsafeMutableRawPointer(h + 2 * j).storeBytes(of: v, as: SIMD32<Float>.self)
                                    j += 16
                                }
                                for ox in 0..<2 { blend(ox) }
                                for ox in (2 * j)..<ow { blend(ox) }
                                return
                            }
                            for ox in 0..<ow { blend(ox) }
                        }
                        for oy in (b * rowsPerTask)..<min(oh, (b + 1) * rowsPerTask) {
                            let (y0, y1, wy) = ty[oy]
                            if cached.0 != y0 {
                                // The next pair starts with the last one's second row: swap, do not copy.
                                if cached.1 == y0 { swap(&rowA, &rowB); cached.1 = cached.0 } else { horizontal(y0, into: rowA) }
                                cached.0 = y0
                            }
                            if cached.1 != y1 {
                                if y1 == y0 { rowB.update(from: rowA, count: ow) } else { horizontal(y1, into: rowB) }
                                cached.1 = y1
                            }
                            let d = dst + oy * ow
                            for ox in 0..<ow { d[ox] = rowA[ox] + (rowB[ox] - rowA[ox]) * wy }
                        }
                    }
                }
            } } }
        }
    }
}
