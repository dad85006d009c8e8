import XCTest
import XRayImaging
import XRaySimulation

final class ConfigurationTests: XCTestCase {
    func testChannelsAndDefaults() throws {
        let sim = ScanSimulator()
        XCTAssertEqual(SceneConfiguration.baggage(seed: 1).width, 1024)
        XCTAssertEqual(SceneConfiguration.cargo(seed: 1).width, 4096)
        var c = smallBaggage(seed: 71)
        let dual = try sim.generate(c)
        XCTAssertEqual(dual.image.channelMeanings, [.highEnergy, .lowEnergy])
        XCTAssertEqual(dual.image.bitDepth, 16)
        XCTAssertNotNil(dual.image.pixelsPerMillimetre)
        c.dualEnergy = false
        let single = try sim.generate(c)
        XCTAssertEqual(single.image.channelMeanings, [.gray])
        // The single-energy image is the high-energy plane of the same scene.
        XCTAssertEqual(Array(samples(single.image)), Array(samples(dual.image).prefix(c.width * c.height)))
        c.singleEnergyChannel = .lowEnergy
        let low = try sim.generate(c)
        XCTAssertEqual(Array(samples(low.image)), Array(samples(dual.image).suffix(c.width * c.height)))
        XCTAssertEqual(dual.displayImage().pixels.count, c.width * c.height)
    }

    func testPortraitCargoAndMaskDimensions() throws {
        let c = SceneConfiguration(kind: .cargo, width: 256, height: 1024, anomalyCount: 2, seed: 81)
        let scan = try ScanSimulator().generate(c)
        XCTAssertEqual(scan.image.width, 256)
        XCTAssertEqual(scan.image.height, 1024)
        XCTAssertEqual(scan.anomalyMask.count, 256 * 1024)
        for a in scan.groundTruth.anomalies {
            XCTAssertLessThanOrEqual(a.box.x + a.box.width, 256)
            XCTAssertLessThanOrEqual(a.box.y + a.box.height, 1024)
            let bits = a.mask.decoded()
            for y in 0..<a.box.height { for x in 0..<a.box.width where bits[y * a.box.width + x] != 0 {
                XCTAssertEqual(scan.anomalyMask[(a.box.y + y) * 256 + a.box.x + x], 255)
            } }
        }
    }

    func testAnomalyProbabilityAndClasses() throws {
        let sim = ScanSimulator()
        var c = smallBaggage(seed: 91, anomalies: 3)
        c.anomalyProbability = 0
        XCTAssertTrue(try sim.generate(c).groundTruth.anomalies.isEmpty)
        c.anomalyProbability = 1
        c.anomalyClasses = [.knife]
        let scan = try sim.generate(c)
        XCTAssertFalse(scan.groundTruth.anomalies.isEmpty)
        XCTAssertTrue(scan.groundTruth.anomalies.allSatisfy { $0.anomalyClass == .knife })
        var mixed = 0
        for s in 0..<20 {
            var m = smallBaggage(seed: UInt64(100 + s), anomalies: 1)
            m.anomalyProbability = 0.5
            m.width = 128; m.height = 96
            if try !sim.generate(m).groundTruth.anomalies.isEmpty { mixed += 1 }
        }
        XCTAssertTrue((3...17).contains(mixed), "about half the scans should receive anomalies, got \(mixed)/20")
    }

    func testEveryClassCanBeInserted() throws {
        let sim = ScanSimulator()
        let cargoOnly: Set<AnomalyClass> = [.falseWall, .denseCore, .contradictoryGoods]
        for cls in AnomalyClass.allCases {
            var c = cargoOnly.contains(cls) ? smallCargo(seed: 7, anomalies: 2, difficulty: 0.2)
                                            : smallBaggage(seed: 7, anomalies: 2, difficulty: 0.2)
            c.anomalyClasses = [cls]
            let scan = try sim.generate(c)
            XCTAssertFalse(scan.groundTruth.anomalies.isEmpty, "\(cls) was never inserted")
        }
    }

    func testDifficultyScalesContrast() throws {
        let sim = ScanSimulator()
        var easy = 0.0, hard = 0.0
        for s in 0..<6 {
            var c = smallBaggage(seed: UInt64(300 + s), anomalies: 2, difficulty: 0.05)
            c.anomalyClasses = [.metalBlock, .organicPacket]
            easy += try sim.generate(c).groundTruth.anomalies.map(\.meanContrast).reduce(0, +)
            c.difficulty = 0.95
            hard += try sim.generate(c).groundTruth.anomalies.map(\.meanContrast).reduce(0, +)
        }
        XCTAssertGreaterThan(easy, 1.5 * hard)
    }

    func testInvalidConfigurationsThrow() {
        let sim = ScanSimulator()
        var c = smallBaggage(seed: 1)
        c.width = 10
        XCTAssertThrowsError(try sim.generate(c))
        c = smallBaggage(seed: 1); c.difficulty = 2
        XCTAssertThrowsError(try sim.generate(c))
        c = smallBaggage(seed: 1); c.anomalyClasses = []
        XCTAssertThrowsError(try sim.generate(c))
        c = smallBaggage(seed: 1); c.singleEnergyChannel = .red
        XCTAssertThrowsError(try sim.generate(c)) { error in
            XCTAssertTrue("\(error)".contains("singleEnergyChannel"))
        }
    }
}
