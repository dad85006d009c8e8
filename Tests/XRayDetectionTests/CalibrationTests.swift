import XCTest
import Foundation
import XRayDetection

final class CalibrationTests: XCTestCase {
    func testThresholdGivesRequestedFalseAlarmRate() throws {
        var g = SyntheticScans.Generator(state: 42)
        let scores = (0..<1000).map { _ in g.next() * g.next() }
        for rate in [0.01, 0.05, 0.1] {
            let t = try Calibrator.threshold(imageScores: scores, falseAlarmRate: rate)
            let flagged = scores.filter { $0 >= t }.count
            XCTAssertEqual(flagged, Int(rate * 1000), "rate \(rate)")
        }
        let tight = try Calibrator.threshold(imageScores: scores, falseAlarmRate: 0.0001)
        XCTAssertEqual(scores.filter { $0 >= tight }.count, 0)
        XCTAssertThrowsError(try Calibrator.threshold(imageScores: [], falseAlarmRate: 0.01))
    }

    func testCalibrateOnNormalScansAndDetectWithProfile() throws {
        let base = try SyntheticScans.detector()
        let normals = (1...10).map { SyntheticScans.gray(width: 128, height: 96, seed: UInt64($0)) }
        let profile = try Calibrator.calibrate(detector: base, normalScans: normals, target: .imageFalseAlarmRate(0.1))
        XCTAssertEqual(profile.imageCount, 10)
        XCTAssertEqual(profile.achievedFalseAlarmRate, 0.1, accuracy: 1e-12)
        XCTAssertGreaterThan(profile.threshold, profile.normalMean)
        XCTAssertEqual(profile.pixelCount, 10 * 128 * 96)

        let data = try profile.jsonData()
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("\"kind\" : \"imageFalseAlarmRate\""), text)
        let loaded = try CalibrationProfile(jsonData: data)
        XCTAssertEqual(loaded.threshold, profile.threshold)
        XCTAssertEqual(loaded.target, .imageFalseAlarmRate(0.1))

        let network = LocalContrastNetwork(tileSize: 64)
        var c = DetectorConfiguration(); c.threads = 2
        let detector = try Detector(network: network, configuration: c, profile: loaded)
        XCTAssertEqual(detector.calibrationSource, "profile")
        let flaggedNormals = try normals.filter { try detector.detect($0).flagged }.count
        XCTAssertEqual(flaggedNormals, 1)
        let threat = SyntheticScans.gray(width: 128, height: 96, boxes: [.init(x: 50, y: 40, width: 12, height: 12)])
        let result = try detector.detect(threat)
        XCTAssertTrue(result.flagged)
        XCTAssertGreaterThan(result.score, 10, "a dense block is far above normal noise on the calibrated scale")
        XCTAssertEqual(result.calibrationSource, "profile")
    }

    func testProfileFileRoundTripAndRejections() throws {
        let profile = CalibrationProfile(modelName: "m", modelVersion: "1", modelSHA256: "ab", threshold: 0.7,
                                         normalMean: 0.2, normalStd: 0.05, pixelMean: 0.01, pixelStd: 0.02,
                                         imageCount: 200, pixelCount: 1000, target: .pixelQuantile(0.999),
                                         achievedFalseAlarmRate: 0.005, imageScoreMethod: .topKMean(20),
                                         smoothingSigma: 1.5, createdAt: Date(timeIntervalSince1970: 1_800_000_000))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("xrayscreen-profile-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try profile.write(to: url)
        XCTAssertEqual(try CalibrationProfile(contentsOf: url), profile)
        XCTAssertThrowsError(try CalibrationProfile(jsonData: Data("{}".utf8)))
        var bad = profile; bad.threshold = 0.1
        XCTAssertThrowsError(try CalibrationProfile(jsonData: try bad.jsonData())) { error in
            XCTAssertTrue("\(error)".contains("above its normal mean"))
        }
        XCTAssertThrowsError(try CalibrationProfile(contentsOf: url.appendingPathExtension("missing")))
    }

    func testPixelQuantileTarget() throws {
        var cal = Calibrator(detector: try SyntheticScans.detector())
        for s in 1...3 { try cal.add(SyntheticScans.gray(width: 96, height: 64, seed: UInt64(s))) }
        let profile = try cal.makeProfile(target: .pixelQuantile(0.999))
        XCTAssertGreaterThan(profile.threshold, profile.pixelMean)
        XCTAssertEqual(profile.normalMean, profile.pixelMean)
    }
}
