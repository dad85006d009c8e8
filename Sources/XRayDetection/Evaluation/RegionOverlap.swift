/// AUPRO, the area under the per-region-overlap curve up to a false-positive rate
/// (MVTec AD's metric): every ground-truth region counts equally, however large, so
/// a detector cannot score well by finding only the big objects.
public struct RegionOverlapAccumulator: Sendable {
    private var regionHistograms: [ScoreHistogram] = []
    private var normalPixels: ScoreHistogram

    public init(lower: Double = 0, upper: Double = 1, bins: Int = 1000) {
        normalPixels = ScoreHistogram(lower: lower, upper: upper, bins: bins)
    }

    public var regionCount: Int { regionHistograms.count }

    /// Adds one image: its score map and the labels of its ground-truth regions
    /// (0 = normal pixel, k > 0 = region k; see `ConnectedRegions.label`).
    public mutating func add(scores: [Float], regionLabels: [Int32], regionCount: Int) {
        precondition(scores.count == regionLabels.count)
        var local = Array(repeating: ScoreHistogram(lower: normalPixels.lower, upper: normalPixels.upper,
                                                    bins: normalPixels.counts.count), count: regionCount)
        for i in 0..<scores.count {
            let label = Int(regionLabels[i])
            if label == 0 { normalPixels.add(scores[i]) } else { local[label - 1].add(scores[i]) }
        }
        regionHistograms += local.filter { $0.total > 0 }
    }

    /// Normalised area under PRO(FPR) for FPR in [0, maxFalsePositiveRate]. `nil` without regions or normal pixels.
    public func area(maxFalsePositiveRate: Double = 0.3) -> Double? {
        guard !regionHistograms.isEmpty, normalPixels.total > 0 else { return nil }
        let bins = normalPixels.counts.count
        let fpAbove = normalPixels.countsAtOrAbove()
        let regionAbove = regionHistograms.map { $0.countsAtOrAbove() }
        let regionTotals = regionHistograms.map { Double($0.total) }
        // Walk thresholds from high to low: FPR grows from 0.
        var points: [(fpr: Double, pro: Double)] = [(0, 0)]
        for b in stride(from: bins, through: 0, by: -1) {
            let fpr = Double(fpAbove[b]) / Double(normalPixels.total)
            var pro = 0.0
            for r in 0..<regionAbove.count { pro += Double(regionAbove[r][b]) / regionTotals[r] }
            points.append((fpr, pro / Double(regionAbove.count)))
        }
        var area = 0.0
        for k in 1..<points.count {
            let (x0, y0) = points[k - 1], (x1, y1) = points[k]
            guard x0 < maxFalsePositiveRate else { break }
            if x1 <= maxFalsePositiveRate {
                area += (x1 - x0) * (y0 + y1) / 2
            } else {
                let t = (maxFalsePositiveRate - x0) / (x1 - x0)
                area += (maxFalsePositiveRate - x0) * (y0 + (y0 + t * (y1 - y0))) / 2
            }
        }
        return area / maxFalsePositiveRate
    }
}
