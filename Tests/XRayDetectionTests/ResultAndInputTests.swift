import XCTest
import Foundation
import XRayImaging
import XRayDetection

final class ResultAndInputTests: XCTestCase {
    func testScanResultJSONRoundTripWithSortedKeys() throws {
        let scan = SyntheticScans.gray(width: 120, height: 90, boxes: [.init(x: 10, y: 10, width: 20, height: 20)],
                                       pixelsPerMillimetre: (1.5, 1.5))
        let result = try SyntheticScans.detector().detect(scan, file: "a/b.tiff")
        let data = try result.jsonData()
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("{\"calibrationSource\""), text)
        XCTAssertTrue(text.contains("\"schemaVersion\":1"))
        XCTAssertTrue(text.contains("\"file\":\"a/b.tiff\""))
        let back = try ScanResult(jsonData: data)
        XCTAssertEqual(back, result)
        XCTAssertEqual(try result.jsonData(), data, "encoding is stable")

        let csv = result.csvRow
        XCTAssertEqual(csv.split(separator: ",", omittingEmptySubsequences: false).count,
                       ScanResult.csvHeader.split(separator: ",").count)
        XCTAssertTrue(csv.hasPrefix("a/b.tiff,120,90,"), csv)

        let future = text.replacingOccurrences(of: "\"schemaVersion\":1", with: "\"schemaVersion\":2")
        XCTAssertThrowsError(try ScanResult(jsonData: Data(future.utf8))) { error in
            XCTAssertTrue("\(error)".contains("schema version 2"))
        }
    }

    func testWrongChannelsAreATypedError() throws {
        let rgb = try XRayImage(width: 8, height: 8, channelMeanings: [.red, .green, .blue],
                                pixels: .uint8([UInt8](repeating: 9, count: 8 * 8 * 3)))
        XCTAssertThrowsError(try SyntheticScans.detector().detect(rgb)) { error in
            XCTAssertEqual(error as? DetectionError, .channelMismatch(expected: [.gray], found: [.red, .green, .blue]))
            XCTAssertTrue("\(error)".contains("takes 1 channel"))
        }
        let gray = SyntheticScans.gray(width: 64, height: 64)
        XCTAssertThrowsError(try SyntheticScans.detector(channels: 2).detect(gray)) { error in
            guard case .channelMismatch? = error as? DetectionError else { return XCTFail("\(error)") }
        }
    }

    func testSingleEnergyModelReadsTheHighEnergyPlaneOfADualScan() throws {
        let dual = SyntheticScans.dual(width: 64, height: 64)
        let high = try XRayImage(width: 64, height: 64, channelMeanings: [.gray],
                                 pixels: dual.channel(0).pixels)
        let detector = try SyntheticScans.detector()
        XCTAssertEqual(try detector.detect(dual).rawScore, try detector.detect(high).rawScore)
    }

    func testNonFiniteFloatPixelsAreATypedError() throws {
        var p = [Float](repeating: 1000, count: 40 * 30)
        p[7 * 40 + 5] = .nan
        let image = try XRayImage(width: 40, height: 30, channelMeanings: [.gray], pixels: .float32(p))
        XCTAssertThrowsError(try SyntheticScans.detector().detect(image)) { error in
            XCTAssertEqual(error as? DetectionError, .nonFiniteValue(x: 5, y: 7, channel: 0))
            XCTAssertTrue("\(error)".contains("NaN"))
        }
        p[7 * 40 + 5] = .infinity
        let inf = try XRayImage(width: 40, height: 30, channelMeanings: [.gray], pixels: .float32(p))
        XCTAssertThrowsError(try SyntheticScans.detector().detect(inf))
    }

    func testEmptyImageIsATypedError() throws {
        var image = try XRayImage(width: 1, height: 1, channelMeanings: [.gray], pixels: .uint16([1]))
        image.width = 0
        image.pixels = .uint16([])
        XCTAssertThrowsError(try SyntheticScans.detector().detect(image)) { error in
            XCTAssertEqual(error as? DetectionError, .emptyImage)
        }
    }

    func testMetadataParsingAndErrors() throws {
        let props = [
            "xrayscreen.input_channels": "high,low", "xrayscreen.normalisation": "linear",
            "xrayscreen.i0": "60000,58000", "xrayscreen.scale": "2", "xrayscreen.tile_size": "256",
            "xrayscreen.tile_overlap": "32", "xrayscreen.output": "probability", "xrayscreen.threshold": "0.7",
            "xrayscreen.score_mean": "0.1", "xrayscreen.image_score": "top_k_mean:100",
            "xrayscreen.model_name": "bagnet", "xrayscreen.training_data": "synth-v3",
        ]
        let m = try ModelMetadata(properties: props)
        XCTAssertEqual(m.inputChannels, [.highEnergy, .lowEnergy])
        XCTAssertEqual(m.normalisation, .linear)
        XCTAssertEqual(m.airIntensity, .fixed([60000, 58000]))
        XCTAssertEqual(m.imageScore, .topKMean(100))
        XCTAssertEqual(m.provenance["xrayscreen.training_data"], "synth-v3")
        XCTAssertTrue(m.hasDetectorKeys)
        XCTAssertEqual(try ModelMetadata(properties: m.properties), m)

        XCTAssertThrowsError(try ModelMetadata(properties: ["xrayscreen.output": "softmax"])) { error in
            XCTAssertEqual(error as? DetectionError,
                           .invalidMetadata(key: "xrayscreen.output", value: "softmax", expected: "logits or probability"))
        }
        XCTAssertThrowsError(try ModelMetadata(properties: ["xrayscreen.tile_size": "-4"]))
        XCTAssertThrowsError(try ModelMetadata(properties: ["xrayscreen.input_channels": "red"]))
        XCTAssertThrowsError(try ModelMetadata(properties: ["xrayscreen.format_version": "2"]))
    }

    func testInvalidConfigurationIsRejected() {
        XCTAssertThrowsError(try SyntheticScans.detector(tile: 64, overlap: 64))
        XCTAssertThrowsError(try SyntheticScans.detector(threads: 0))
        XCTAssertThrowsError(try SyntheticScans.detector { $0.scoreMean = 0.9 })   // mean above threshold 0.5
    }

    func testSHA256Vectors() {
        XCTAssertEqual(SHA256.hex(of: Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(of: [UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(of: [UInt8](repeating: 0x61, count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
