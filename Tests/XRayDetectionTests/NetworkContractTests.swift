import XCTest
import XRayImaging
import XRayDetection

/// A network whose output is its first input plane, to check normalisation exactly.
struct IdentityNetwork: AnomalyNetwork {
    var inputChannels = 1
    var tileSize = 32
    var metadata: [String: String] = [:]
    var modelSHA256: String? = "feedface"
    var failWith: DetectionError? = nil
    var emitNaN = false

    func makeRunner() throws -> any AnomalyNetworkRunner { Runner(network: self) }

    struct Runner: AnomalyNetworkRunner {
        let network: IdentityNetwork
        mutating func run(tile: UnsafePointer<Float>, into map: UnsafeMutablePointer<Float>) throws {
            if let e = network.failWith { throw e }
            let n = network.tileSize * network.tileSize
            for i in 0..<n { map[i] = network.emitNaN ? .nan : tile[i] }
        }
    }
}

final class NetworkContractTests: XCTestCase {
    func image(_ values: [UInt16], width: Int) throws -> XRayImage {
        try XRayImage(width: width, height: values.count / width, channelMeanings: [.gray], pixels: .uint16(values))
    }

    func testLinearNormalisationWithScaleAndOffset() throws {
        var c = DetectorConfiguration()
        c.normalisation = .linear; c.scale = [0.5]; c.offset = [0.1]; c.threshold = 0.5; c.threads = 1
        let detector = try Detector(network: IdentityNetwork(), configuration: c)
        let values: [UInt16] = (0..<(40 * 40)).map { UInt16($0 * 40) }
        let map = try detector.detectWithMap(try image(values, width: 40)).anomalyMap
        for i in [0, 17, 900, 1599] {
            let expected = (Float(values[i]) / 65535 * 0.5 + 0.1) / 0.5   // normalised = raw / threshold
            XCTAssertEqual(map.values[i], expected, accuracy: 1e-5)
        }
    }

    func testLogAttenuationWithFixedAirIntensity() throws {
        var c = DetectorConfiguration()
        c.airIntensity = .fixed([40000]); c.threshold = 1; c.threads = 2
        let detector = try Detector(network: IdentityNetwork(), configuration: c)
        let values: [UInt16] = (0..<(50 * 45)).map { UInt16(1000 + ($0 * 17) % 39000) }
        let result = try detector.detectWithMap(try image(values, width: 50))
        for i in [0, 33, 1000, 2249] {
            XCTAssertEqual(result.anomalyMap.values[i], -logf(Float(values[i]) / 40000), accuracy: 1e-5)
        }
        XCTAssertEqual(result.result.model.sha256, "feedface")
        XCTAssertTrue(result.result.warnings.contains { $0.contains("lacks") }, "\(result.result.warnings)")
    }

    func testTopKOfOneIsPeakAndTopKAveragesTheHighest() throws {
        var c = DetectorConfiguration()
        c.normalisation = .linear; c.threshold = 1; c.threads = 1
        let values: [UInt16] = (0..<(32 * 32)).map { UInt16($0 * 64) }
        let img = try image(values, width: 32)
        c.imageScore = .topKMean(1)
        let top1 = try Detector(network: IdentityNetwork(), configuration: c).detect(img)
        c.imageScore = .peak
        let peak = try Detector(network: IdentityNetwork(), configuration: c).detect(img)
        XCTAssertEqual(top1.rawScore, peak.rawScore, accuracy: 1e-7)
        c.imageScore = .topKMean(4)
        let top4 = try Detector(network: IdentityNetwork(), configuration: c).detect(img)
        var expected = 0.0
        for v in 1020...1023 { expected += Double(Float(v * 64) / Float(65535)) / 4 }
        XCTAssertEqual(top4.rawScore, expected, accuracy: 1e-6)
    }

    func testNetworkFailuresAndNonFiniteOutputAreTypedErrors() throws {
        var c = DetectorConfiguration(); c.threshold = 0.5
        let failing = try Detector(network: IdentityNetwork(failWith: .networkFailed("boom")), configuration: c)
        XCTAssertThrowsError(try failing.detect(try image([UInt16](repeating: 9, count: 64 * 64), width: 64))) { error in
            guard case .networkFailed(let message)? = error as? DetectionError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("boom"))
        }
        let nan = try Detector(network: IdentityNetwork(emitNaN: true), configuration: c)
        XCTAssertThrowsError(try nan.detect(try image([UInt16](repeating: 9, count: 40 * 40), width: 40))) { error in
            guard case .nonFiniteOutput? = error as? DetectionError else { return XCTFail("\(error)") }
        }
    }

    func testProfileForAnotherModelWarnsAndConfigurationWins() throws {
        let profile = CalibrationProfile(modelName: "x", modelVersion: nil, modelSHA256: "0123456789abcdef",
                                         threshold: 0.6, normalMean: 0.2, normalStd: 0.05, pixelMean: 0.1, pixelStd: 0.01,
                                         imageCount: 100, pixelCount: 1, target: .imageFalseAlarmRate(0.01),
                                         achievedFalseAlarmRate: 0.01, imageScoreMethod: .peak, smoothingSigma: 0)
        let detector = try Detector(network: IdentityNetwork(), profile: profile)
        XCTAssertEqual(detector.scale, ScoreScale(threshold: 0.6, normalMean: 0.2))
        XCTAssertTrue(detector.warnings.contains { $0.contains("made for model") })
        var c = DetectorConfiguration(); c.threshold = 0.9
        let overridden = try Detector(network: IdentityNetwork(), configuration: c, profile: profile)
        XCTAssertEqual(overridden.calibrationSource, "configuration")
        XCTAssertEqual(overridden.scale.threshold, 0.9)
    }

    func testMetadataDrivesTheDetector() throws {
        let network = IdentityNetwork(metadata: [
            "xrayscreen.normalisation": "linear", "xrayscreen.threshold": "0.4", "xrayscreen.score_mean": "0.1",
            "xrayscreen.tile_overlap": "8", "xrayscreen.output": "probability", "xrayscreen.input_channels": "gray",
            "xrayscreen.model_name": "m", "xrayscreen.version": "7",
        ])
        let detector = try Detector(network: network)
        XCTAssertEqual(detector.calibrationSource, "metadata")
        XCTAssertEqual(detector.tileOverlap, 8)
        XCTAssertEqual(detector.warnings, [])
        let r = try detector.detect(try image([UInt16](repeating: 65535, count: 70 * 70), width: 70))
        XCTAssertEqual(r.rawScore, 1, accuracy: 1e-6)
        XCTAssertEqual(r.score, (1 - 0.1) / (0.4 - 0.1), accuracy: 1e-5)
        XCTAssertEqual(r.model.version, "7")
        XCTAssertEqual(r.regions.count, 1)
        XCTAssertEqual(r.regions[0].boundingBox, .init(x: 0, y: 0, width: 70, height: 70))
    }
}
