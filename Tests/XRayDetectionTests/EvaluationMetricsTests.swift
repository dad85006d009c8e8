import XCTest
import XRayDetection

final class EvaluationMetricsTests: XCTestCase {
    func testAUROCOnKnownRanking() throws {
        // Positives 0.9, 0.4; negatives 0.5, 0.1: 3 of 4 pairs ordered right.
        let auc = try XCTUnwrap(ReceiverOperatingCharacteristic.area(scores: [0.9, 0.4, 0.5, 0.1],
                                                                     labels: [true, true, false, false]))
        XCTAssertEqual(auc, 0.75, accuracy: 1e-12)
        // Ties count one half.
        XCTAssertEqual(ReceiverOperatingCharacteristic.area(scores: [1, 1], labels: [true, false])!, 0.5, accuracy: 1e-12)
        XCTAssertNil(ReceiverOperatingCharacteristic.area(scores: [1, 2], labels: [true, true]))
    }

    func testThresholdForFalsePositiveRate() {
        let negatives = (1...100).map(Double.init)
        let t = ReceiverOperatingCharacteristic.threshold(forFalsePositiveRate: 0.1, negativeScores: negatives)
        XCTAssertEqual(negatives.filter { $0 > t }.count, 10)
    }

    func testPixelAUROCMatchesExactOnSeparatedScores() throws {
        var pos = ScoreHistogram(lower: 0, upper: 1, bins: 100)
        var neg = ScoreHistogram(lower: 0, upper: 1, bins: 100)
        var scores: [Double] = [], labels: [Bool] = []
        var state: UInt64 = 42
        func next() -> Float { state = state &* 6364136223846793005 &+ 1442695040888963407; return Float(state >> 40) / Float(1 << 24) }
        for _ in 0..<5000 {
            let p = next() * 0.7 + 0.3, n = next() * 0.7
            pos.add(p); neg.add(n)
            scores += [Double(p), Double(n)]; labels += [true, false]
        }
        let exact = try XCTUnwrap(ReceiverOperatingCharacteristic.area(scores: scores, labels: labels))
        let binned = try XCTUnwrap(PixelMetrics.auroc(positives: pos, negatives: neg))
        XCTAssertEqual(binned, exact, accuracy: 0.01)
        XCTAssertGreaterThan(PixelMetrics.bestF1(positives: pos, negatives: neg).f1, 0.7)
    }

    func testAUPROPerfectAndUseless() throws {
        // One image, two regions; perfect scores → AUPRO 1.
        let labels: [Int32] = [0, 0, 1, 1, 0, 2, 0, 0]
        let perfect: [Float] = labels.map { $0 > 0 ? 0.95 : 0.05 }
        var acc = RegionOverlapAccumulator()
        acc.add(scores: perfect, regionLabels: labels, regionCount: 2)
        XCTAssertEqual(try XCTUnwrap(acc.area()), 1, accuracy: 0.01)
        // Constant scores cannot separate anything: PRO stays 0 until FPR jumps to 1.
        var flat = RegionOverlapAccumulator()
        flat.add(scores: Array(repeating: 0.5, count: 8), regionLabels: labels, regionCount: 2)
        XCTAssertLessThan(try XCTUnwrap(flat.area()), 0.2)
    }
}
