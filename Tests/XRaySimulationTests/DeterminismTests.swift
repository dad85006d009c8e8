import XCTest
import XRayImaging
import XRaySimulation

final class DeterminismTests: XCTestCase {
    func testSameSeedGivesIdenticalScan() throws {
        let sim = ScanSimulator()
        for config in [smallBaggage(seed: 11, anomalies: 2), smallCargo(seed: 12, anomalies: 2)] {
            let a = try sim.generate(config), b = try sim.generate(config)
            XCTAssertEqual(a.image, b.image)
            XCTAssertEqual(a.groundTruth, b.groundTruth)
            XCTAssertEqual(a.anomalyMask, b.anomalyMask)
        }
    }

    func testDifferentSeedGivesDifferentScan() throws {
        let sim = ScanSimulator()
        let a = try sim.generate(smallBaggage(seed: 1, anomalies: 1))
        let b = try sim.generate(smallBaggage(seed: 2, anomalies: 1))
        XCTAssertNotEqual(a.image, b.image)
        let pa = samples(a.image), pb = samples(b.image)
        let differing = zip(pa, pb).filter { abs(Int($0) - Int($1)) > 500 }.count
        XCTAssertGreaterThan(differing, pa.count / 10, "different seeds should give different scenes, not just noise")
    }

    func testAnomaliesDoNotChangeTheScene() throws {
        // Same seed without anomalies: the scene (noise off) is identical away from the anomaly.
        var config = smallBaggage(seed: 5, anomalies: 1).noiseFree
        config.anomalyClasses = [.metalBlock]
        let with = try ScanSimulator().generate(config)
        config.anomalyCount = 0
        let without = try ScanSimulator().generate(config)
        XCTAssertEqual(with.groundTruth.sceneObjectCount, without.groundTruth.sceneObjectCount)
        XCTAssertEqual(with.groundTruth.anomalies.count, 1)
        let box = try XCTUnwrap(with.groundTruth.anomalies.first?.box)
        let pw = samples(with.image), po = samples(without.image)
        let w = config.width, n = w * config.height
        for i in 0..<pw.count {
            let x = (i % n) % w, y = (i % n) / w
            if x < box.x - 8 || x >= box.x + box.width + 8 || y < box.y - 8 || y >= box.y + box.height + 8 {
                XCTAssertEqual(pw[i], po[i], "pixel (\(x), \(y)) outside the anomaly changed")
                if pw[i] != po[i] { return }
            }
        }
    }
}
