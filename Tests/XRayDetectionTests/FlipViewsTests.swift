import XCTest
import XRayImaging
import XRayDetection

/// A network that is not flip-equivariant: each output pixel is its input times its column / T.
struct ColumnGainNetwork: AnomalyNetwork {
    var inputChannels = 1
    var tileSize = 32
    var metadata: [String: String] = [:]

    func makeRunner() throws -> any AnomalyNetworkRunner { Runner(side: tileSize) }

    struct Runner: AnomalyNetworkRunner {
        let side: Int
        mutating func run(tile: UnsafePointer<Float>, into map: UnsafeMutablePointer<Float>) throws {
            for i in 0..<(side * side) { map[i] = tile[i] * Float(i % side) / Float(side) }
        }
    }
}

final class FlipViewsTests: XCTestCase {
    let side = 32
    lazy var values: [UInt16] = (0..<(side * side)).map { UInt16(($0 * 7919) % 60000 + 100) }

    func map(_ network: any AnomalyNetwork, flips: FlipViews?, threads: Int = 1) throws -> [Float] {
        var c = DetectorConfiguration()
        c.normalisation = .linear; c.threshold = 1; c.threads = threads; c.flipViews = flips
        let image = try XRayImage(width: side, height: side, channelMeanings: [.gray], pixels: .uint16(values))
        return try Detector(network: network, configuration: c).detectWithMap(image).anomalyMap.values
    }

    func testViewsAreMirroredBackBeforeTheyAreAveraged() throws {
        // An equivariant network gives the same map whatever the views.
        let plain = try map(IdentityNetwork(), flips: nil)
        for flips: FlipViews in [.horizontal, .vertical, .both, [.horizontal, .vertical, .both]] {
            let flipped = try map(IdentityNetwork(), flips: flips, threads: 2)
            for i in 0..<plain.count { XCTAssertEqual(flipped[i], plain[i], accuracy: 1e-6, "\(flips) pixel \(i)") }
        }
        // A column gain g(x) = x/T: mirrored left–right and back, it becomes (T−1−x)/T, so the mean
        // of the two views is (T−1)/(2T) everywhere; a top–bottom flip leaves it as it is.
        let T = Float(side)
        let h = try map(ColumnGainNetwork(), flips: .horizontal)
        let v = try map(ColumnGainNetwork(), flips: .vertical)
        let hvb = try map(ColumnGainNetwork(), flips: [.horizontal, .vertical, .both])
        for i in [0, 5, 31, 32, 500, 1023] {
            let input = Float(values[i]) / 65535, x = Float(i % side)
            XCTAssertEqual(h[i], input * (T - 1) / (2 * T), accuracy: 1e-6)
            XCTAssertEqual(v[i], input * x / T, accuracy: 1e-6)
            XCTAssertEqual(hvb[i], input * (x + (T - 1 - x) + x + (T - 1 - x)) / (4 * T), accuracy: 1e-6)
        }
    }

    func testMetadataConfigurationAndProfileCarryTheViews() throws {
        XCTAssertEqual(FlipViews("horizontal, vertical"), [.horizontal, .vertical])
        XCTAssertEqual(FlipViews("none"), FlipViews.none)
        XCTAssertEqual(FlipViews("hv"), .both)
        XCTAssertNil(FlipViews("sideways"))
        XCTAssertNil(FlipViews(""))
        XCTAssertEqual(FlipViews([.horizontal, .vertical, .both]).description, "horizontal,vertical,both")
        XCTAssertEqual(FlipViews([.vertical]).runsPerTile, 2)

        XCTAssertThrowsError(try ModelMetadata(properties: ["xrayscreen.flip_views": "sideways"])) { error in
            guard case .invalidMetadata(let key, _, _)? = error as? DetectionError else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "xrayscreen.flip_views")
        }
        let meta = try ModelMetadata(properties: ["xrayscreen.flip_views": "horizontal,vertical", "xrayscreen.threshold": "0.9"])
        XCTAssertEqual(meta.flipViews, [.horizontal, .vertical])
        XCTAssertEqual(try ModelMetadata(properties: meta.properties), meta)

        // Metadata sets the views, the configuration overrides them.
        let network = IdentityNetwork(metadata: meta.properties)
        XCTAssertEqual(try Detector(network: network).flipViews, [.horizontal, .vertical])
        var c = DetectorConfiguration(); c.flipViews = FlipViews.none
        XCTAssertEqual(try Detector(network: network, configuration: c).flipViews, FlipViews.none)

        // A profile records the views it was calibrated with; one made with others warns.
        let profile = try Calibrator.calibrate(
            detector: try Detector(network: network), normalScans: (0..<4).map { k in
                try XRayImage(width: 40, height: 40, channelMeanings: [.gray],
                              pixels: .uint16((0..<1600).map { UInt16(($0 * (31 + k)) % 50000 + 1000) }))
            }, target: .imageFalseAlarmRate(0.25))
        XCTAssertEqual(profile.flipViews, [.horizontal, .vertical])
        let decoded = try CalibrationProfile(jsonData: try profile.jsonData())
        XCTAssertEqual(decoded.flipViews, [.horizontal, .vertical])
        let mismatched = try Detector(network: network, configuration: c, profile: decoded)
        XCTAssertTrue(mismatched.warnings.contains { $0.contains("flip views") }, "\(mismatched.warnings)")
    }
}
