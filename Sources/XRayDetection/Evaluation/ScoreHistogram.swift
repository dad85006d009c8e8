/// A fixed-bin histogram of scores in `[lower, upper]` (outside values clamp), used to
/// compute pixel-level metrics over millions of pixels in constant memory.
public struct ScoreHistogram: Sendable {
    public let lower: Double
    public let upper: Double
    public private(set) var counts: [Int]

    public init(lower: Double, upper: Double, bins: Int = 2000) {
        precondition(upper > lower && bins > 1)
        self.lower = lower
        self.upper = upper
        counts = Array(repeating: 0, count: bins)
    }

    public var total: Int { counts.reduce(0, +) }

    @inline(__always)
    public func bin(of score: Float) -> Int {
        let b = Int((Double(score) - lower) / (upper - lower) * Double(counts.count))
        return Swift.min(Swift.max(b, 0), counts.count - 1)
    }

    public mutating func add(_ score: Float) { counts[bin(of: score)] += 1 }

    /// Threshold value at the lower edge of `bin`.
    public func value(atBin bin: Int) -> Double { lower + (upper - lower) * Double(bin) / Double(counts.count) }

    /// Counts of scores in bins `>= b`, for every b (index `bins` holds 0).
    public func countsAtOrAbove() -> [Int] {
        var out = Array(repeating: 0, count: counts.count + 1)
        for b in stride(from: counts.count - 1, through: 0, by: -1) { out[b] = out[b + 1] + counts[b] }
        return out
    }
}

/// Pixel-level metrics from a positive and a negative histogram on the same bins.
public enum PixelMetrics {
    /// AUROC with ties inside a bin counted one half. `nil` without both classes.
    public static func auroc(positives: ScoreHistogram, negatives: ScoreHistogram) -> Double? {
        let p = Double(positives.total), n = Double(negatives.total)
        guard p > 0, n > 0 else { return nil }
        var negativesBelow = 0.0
        var area = 0.0
        for b in 0..<positives.counts.count {
            let pc = Double(positives.counts[b]), nc = Double(negatives.counts[b])
            area += pc * (negativesBelow + nc / 2)
            negativesBelow += nc
        }
        return area / (p * n)
    }

    /// The best F1 over thresholds at bin edges, and that threshold.
    public static func bestF1(positives: ScoreHistogram, negatives: ScoreHistogram) -> (f1: Double, threshold: Double) {
        let tp = positives.countsAtOrAbove(), fp = negatives.countsAtOrAbove()
        let p = Double(positives.total)
        var best = (f1: 0.0, threshold: positives.upper)
        for b in 0..<positives.counts.count where tp[b] > 0 {
            let precision = Double(tp[b]) / Double(tp[b] + fp[b])
            let recall = Double(tp[b]) / p
            let f1 = 2 * precision * recall / (precision + recall)
            if f1 > best.f1 { best = (f1, positives.value(atBin: b)) }
        }
        return best
    }
}
