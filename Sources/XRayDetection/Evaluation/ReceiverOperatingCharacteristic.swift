/// Area under the ROC curve for scored samples with binary labels: the probability
/// that a random positive scores above a random negative (ties count one half).
public enum ReceiverOperatingCharacteristic {
    /// Exact AUROC by ranking (image-level: few thousand samples). `nil` without both classes.
    public static func area(scores: [Double], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count)
        let positives = labels.filter { $0 }.count
        let negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSumPositives = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let averageRank = Double(i + j) / 2 + 1
            for k in i...j where labels[order[k]] { rankSumPositives += averageRank }
            i = j + 1
        }
        let u = rankSumPositives - Double(positives) * Double(positives + 1) / 2
        return u / (Double(positives) * Double(negatives))
    }

    /// The smallest threshold at which at most `rate` of `negativeScores` score strictly above it.
    public static func threshold(forFalsePositiveRate rate: Double, negativeScores: [Double]) -> Double {
        guard !negativeScores.isEmpty else { return .infinity }
        let sorted = negativeScores.sorted()
        let allowed = Int((rate * Double(sorted.count)).rounded(.down))
        let index = sorted.count - 1 - allowed
        return index < 0 ? -.infinity : sorted[index]
    }
}
