/// Finds suspect regions in an anomaly map: threshold, 8-connected components, merging of
/// nearby components, area filter, sort and cap.
///
/// Components are labelled on runs (maximal horizontal spans above the threshold) with
/// union-find, so memory grows with the number of runs, not with the image; a 40-megapixel map
/// needs no label image.
public struct RegionExtractor: Sendable {
    /// Pixels with value ≥ this belong to regions.
    public var threshold: Float
    /// Regions smaller than this (pixels, after merging) are dropped.
    public var minimumArea: Int
    /// Components whose bounding boxes are at most this many pixels apart (Chebyshev gap) are
    /// merged; 0 merges nothing beyond 8-connectivity.
    public var mergeDistance: Int
    /// At most this many regions are returned, highest peak first.
    public var maximumCount: Int

    public init(threshold: Float, minimumArea: Int = 1, mergeDistance: Int = 0, maximumCount: Int = .max) {
        self.threshold = threshold
        self.minimumArea = minimumArea
        self.mergeDistance = mergeDistance
        self.maximumCount = maximumCount
    }

    /// What ``regions(in:pixelsPerMillimetre:)`` found.
    public struct Output: Sendable, Equatable {
        /// Regions sorted by peak score, highest first (ties: top-most, then left-most).
        public var regions: [Region]
        /// Regions that passed the area filter but were cut by `maximumCount`.
        public var droppedByCount: Int
    }

    struct Component {
        var x0: Int, y0: Int, x1: Int, y1: Int   // inclusive
        var area: Int
        var sum: Double, sumX: Double, sumY: Double
        var peak: Float, peakX: Int, peakY: Int

        mutating func absorb(_ o: Component) {
            x0 = min(x0, o.x0); y0 = min(y0, o.y0); x1 = max(x1, o.x1); y1 = max(y1, o.y1)
            area += o.area; sum += o.sum; sumX += o.sumX; sumY += o.sumY
            if o.peak > peak || (o.peak == peak && (o.peakY, o.peakX) < (peakY, peakX)) {
                peak = o.peak; peakX = o.peakX; peakY = o.peakY
            }
        }
    }

    /// Regions of `map`; `pixelsPerMillimetre` adds areas in mm².
    public func regions(in map: AnomalyMap, pixelsPerMillimetre: (x: Double, y: Double)? = nil) -> Output {
        map.values.withUnsafeBufferPointer {
            regions(in: $0, width: map.width, height: map.height, pixelsPerMillimetre: pixelsPerMillimetre)
        }
    }

    /// Regions of a row-major map held in `values` (`width * height` floats).
    public func regions(in values: UnsafeBufferPointer<Float>, width W: Int, height H: Int,
                        pixelsPerMillimetre: (x: Double, y: Double)? = nil) -> Output {
        precondition(values.count >= W * H, "map smaller than width × height")
        guard W > 0, H > 0, let base = values.baseAddress else { return Output(regions: [], droppedByCount: 0) }
        var components = label(base, W, H)
        components = merge(components)
        var kept = components.filter { $0.area >= minimumArea }
        kept.sort { a, b in
            if a.peak != b.peak { return a.peak > b.peak }
            return (a.peakY, a.peakX) < (b.peakY, b.peakX)
        }
        let dropped = max(0, kept.count - max(0, maximumCount))
        if dropped > 0 { kept.removeLast(dropped) }
        let mm2 = pixelsPerMillimetre.map { 1 / ($0.x * $0.y) }
        let regions = kept.map { c -> Region in
            Region(boundingBox: .init(x: c.x0, y: c.y0, width: c.x1 - c.x0 + 1, height: c.y1 - c.y0 + 1),
                   areaPixels: c.area,
                   areaSquareMillimetres: mm2.map { Double(c.area) * $0 },
                   peakScore: Double(c.peak), meanScore: c.sum / Double(c.area),
                   centroid: .init(x: c.sumX / Double(c.area), y: c.sumY / Double(c.area)),
                   peak: .init(x: Double(c.peakX), y: Double(c.peakY)))
        }
        return Output(regions: regions, droppedByCount: dropped)
    }

    /// Run-based 8-connected labelling.
    func label(_ m: UnsafePointer<Float>, _ W: Int, _ H: Int) -> [Component] {
        var start: [Int32] = [], end: [Int32] = []      // inclusive span of each run
        var parent: [Int32] = []
        var runs: [Component] = []
        let t = threshold

        func find(_ i: Int32) -> Int32 {
            var r = i
            while parent[Int(r)] != r { r = parent[Int(r)] }
            var j = i
            while parent[Int(j)] != r { let n = parent[Int(j)]; parent[Int(j)] = r; j = n }
            return r
        }

        var previous = 0..<0
        for y in 0..<H {
            let row = m + y * W
            let first = start.count
            var x = 0
            while x < W {
                if !(row[x] >= t) { x += 1; continue }
                let s = x
                var sum: Double = 0, peak = -Float.infinity, peakX = s
                while x < W, row[x] >= t {
                    let v = row[x]
                    sum += Double(v)
                    if v > peak { peak = v; peakX = x }
                    x += 1
                }
                let e = x - 1, n = e - s + 1
                start.append(Int32(s)); end.append(Int32(e))
                parent.append(Int32(parent.count))
                runs.append(Component(x0: s, y0: y, x1: e, y1: y, area: n, sum: sum,
                                      sumX: Double(n) * Double(s + e) / 2, sumY: Double(n * y),
                                      peak: peak, peakX: peakX, peakY: y))
            }
            // Join with runs of the previous row that touch, diagonals included.
            let current = first..<start.count
            var p = previous.lowerBound
            for c in current {
                let cs = start[c], ce = end[c]
                while p < previous.upperBound, end[p] + 1 < cs { p += 1 }
                var q = p
                while q < previous.upperBound, start[q] <= ce + 1 {
                    let a = find(Int32(c)), b = find(Int32(q))
                    if a != b { if a < b { parent[Int(b)] = a } else { parent[Int(a)] = b } }
                    q += 1
                }
            }
            previous = current
        }

        var index = [Int32](repeating: -1, count: runs.count)
        var components: [Component] = []
        for i in 0..<runs.count {
            let r = Int(find(Int32(i)))
            // A root is the smallest run index of its set, so it is met before its other runs.
            if index[r] < 0 { index[r] = Int32(components.count); components.append(runs[i]) }
            else { components[Int(index[r])].absorb(runs[i]) }
        }
        return components
    }

    /// Merges components whose boxes are within `mergeDistance`, until none are.
    func merge(_ input: [Component]) -> [Component] {
        guard mergeDistance > 0, input.count > 1 else { return input }
        var items = input
        let d = mergeDistance
        var changed = true
        while changed {
            changed = false
            items.sort { ($0.x0, $0.y0) < ($1.x0, $1.y0) }
            var alive = [Bool](repeating: true, count: items.count)
            for i in 0..<items.count where alive[i] {
                var j = i + 1
                while j < items.count {
                    if items[j].x0 > items[i].x1 + d + 1 { break }
                    if alive[j] {
                        let a = items[i], b = items[j]
                        let gapX = max(0, max(a.x0, b.x0) - min(a.x1, b.x1) - 1)
                        let gapY = max(0, max(a.y0, b.y0) - min(a.y1, b.y1) - 1)
                        if gapX <= d && gapY <= d {
                            items[i].absorb(b)
                            alive[j] = false
                            changed = true
                        }
                    }
                    j += 1
                }
            }
            items = zip(items, alive).filter { $0.1 }.map { $0.0 }
        }
        return items
    }
}
