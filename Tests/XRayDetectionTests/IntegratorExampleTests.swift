import Foundation
import XCTest
import XRayDetection
import XRayImaging

/// The README's integrator example, run on the shipped model and a sample scan, so the
/// documented API cannot drift from the real one.
final class IntegratorExampleTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func testReadmeExampleRunsOnTheShippedModel() throws {
        let detector = try Detector(
            model: root.appendingPathComponent("Models/xray-anomaly-unet.onnx"),
            configuration: DetectorConfiguration(),
            profile: nil)
        let scan = try ImageDecoder.decode(contentsOf: root.appendingPathComponent("SampleImages/baggage-000906.png"))
        let result = try detector.detect(scan, file: "baggage-000906.png")

        XCTAssertEqual(result.file, "baggage-000906.png")
        XCTAssertEqual(result.model.name, "xray-anomaly-unet")
        XCTAssertTrue(result.warnings.isEmpty, "\(result.warnings)")  // the shipped model carries its calibration
        XCTAssertEqual(result.flagged, result.score >= 1)
        for pair in zip(result.regions, result.regions.dropFirst()) {
            XCTAssertGreaterThanOrEqual(pair.0.peakScore, pair.1.peakScore)  // sorted by peak score
        }
        let decoded = try ScanResult(jsonData: try result.jsonData(prettyPrinted: false))
        XCTAssertEqual(decoded.file, result.file)
        XCTAssertEqual(decoded.score, result.score)
    }
}
