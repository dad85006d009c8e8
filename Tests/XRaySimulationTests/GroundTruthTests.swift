import Foundation
import XCTest
import XRayImaging
import XRaySimulation

final class GroundTruthTests: XCTestCase {
    func testMasksAlignWithImageChange() throws {
        let sim = ScanSimulator()
        for base in [smallBaggage(seed: 41, anomalies: 3, difficulty: 0.5), smallCargo(seed: 42, anomalies: 3, difficulty: 0.5)] {
            var config = base.noiseFree
            let with = try sim.generate(config)
            config.anomalyCount = 0
            let without = try sim.generate(config)
            let tau = with.groundTruth.maskThreshold
            let pw = samples(with.image), po = samples(without.image)
            let n = config.width * config.height, planes = with.image.channels
            var strongMissed = 0, strong = 0, weakMasked = 0, masked = 0
            for i in 0..<n {
                var change = 0.0
                for c in 0..<planes {
                    change = max(change, abs(log(Double(po[c * n + i]) / Double(pw[c * n + i]))))
                }
                let inMask = with.anomalyMask[i] != 0
                if change > 2 * tau { strong += 1; if !inMask { strongMissed += 1 } }
                if inMask { masked += 1; if change < 0.5 * tau { weakMasked += 1 } }
            }
            XCTAssertGreaterThan(masked, 0)
            XCTAssertLessThanOrEqual(Double(strongMissed), 0.01 * Double(strong), "\(base.kind): changed pixels outside the mask")
            XCTAssertLessThanOrEqual(Double(weakMasked), 0.01 * Double(masked), "\(base.kind): mask where nothing changed")
        }
    }

    func testBoxesContainTheirMasksAndUnionMatches() throws {
        let scan = try ScanSimulator().generate(smallBaggage(seed: 51, anomalies: 4))
        let gt = scan.groundTruth
        XCTAssertFalse(gt.anomalies.isEmpty)
        var union = [UInt8](repeating: 0, count: gt.width * gt.height)
        for a in gt.anomalies {
            XCTAssertEqual(a.mask.width, a.box.width)
            XCTAssertEqual(a.mask.height, a.box.height)
            XCTAssertEqual(a.mask.counts.reduce(0, +), a.box.width * a.box.height)
            XCTAssertGreaterThanOrEqual(a.box.x, 0); XCTAssertGreaterThanOrEqual(a.box.y, 0)
            XCTAssertLessThanOrEqual(a.box.x + a.box.width, gt.width)
            XCTAssertLessThanOrEqual(a.box.y + a.box.height, gt.height)
            let bits = a.mask.decoded()
            XCTAssertEqual(bits.reduce(0) { $0 + Int($1) }, a.pixelCount)
            // Tight: every edge row and column of the box holds a mask pixel.
            let w = a.box.width, h = a.box.height
            XCTAssertTrue((0..<w).contains { bits[$0] != 0 })
            XCTAssertTrue((0..<w).contains { bits[(h - 1) * w + $0] != 0 })
            XCTAssertTrue((0..<h).contains { bits[$0 * w] != 0 })
            XCTAssertTrue((0..<h).contains { bits[$0 * w + w - 1] != 0 })
            for y in 0..<h { for x in 0..<w where bits[y * w + x] != 0 {
                union[(a.box.y + y) * gt.width + a.box.x + x] = 255
            } }
            XCTAssertTrue((0...1).contains(a.difficulty))
            XCTAssertEqual(a.difficultyLevel, DifficultyLevel(a.difficulty))
        }
        XCTAssertEqual(union, scan.anomalyMask)
        XCTAssertEqual(scan.maskImage.width, gt.width)
        XCTAssertEqual(scan.maskImage.pixels, .uint8(scan.anomalyMask))
    }

    func testJSONRoundTripAndSchemaFields() throws {
        let scan = try ScanSimulator().generate(smallCargo(seed: 61, anomalies: 2))
        let data = try scan.groundTruth.jsonData()
        XCTAssertEqual(try GroundTruth.decode(from: data), scan.groundTruth)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(json["version"] as? Int, GroundTruth.currentVersion)
        for key in ["generator", "seed", "kind", "width", "height", "channels", "energies", "pixelSizeMillimetres",
                    "maskThreshold", "anomalies", "configuration"] {
            XCTAssertNotNil(json[key], "missing \(key)")
        }
        let first = try XCTUnwrap((json["anomalies"] as? [[String: Any]])?.first)
        for key in ["id", "class", "box", "difficulty", "difficultyLevel", "material", "mask", "pixelCount"] {
            XCTAssertNotNil(first[key], "anomaly missing \(key)")
        }
        // A newer schema version is refused with a clear error.
        var newer = scan.groundTruth
        newer.version = GroundTruth.currentVersion + 1
        XCTAssertThrowsError(try GroundTruth.decode(from: try newer.jsonData()))
    }

    func testRunLengthMaskRoundTrip() {
        let bits: [UInt8] = [1, 1, 0, 0, 0, 1, 0, 1, 1, 1, 0, 0]
        let m = RunLengthMask(width: 4, height: 3, bits: bits)
        XCTAssertEqual(m.counts.first, 0)
        XCTAssertEqual(m.decoded(), bits)
        XCTAssertEqual(RunLengthMask(width: 2, height: 1, bits: [0, 0]).counts, [2])
    }
}
