import Foundation
import XCTest
import XRayEngine

/// The shipped model (`Models/xray-anomaly-unet.onnx`) gives ONNX Runtime's output on a tile
/// of a sample scan (golden from `Models/training/make_parity_golden.py`).
final class ShippedModelParityTests: XCTestCase {
    func testShippedModelMatchesONNXRuntime() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let modelURL = root.appendingPathComponent("Models/xray-anomaly-unet.onnx")
        let golden = try XCTUnwrap(Bundle.module.url(forResource: "Goldens/shipped", withExtension: nil))
        let input = try floats(golden.appendingPathComponent("input.bin"))
        let expected = try floats(golden.appendingPathComponent("output.bin"))
        let model = try Model(contentsOf: modelURL)
        for threads in [1, 2] {
            let session = try model.makeSession(inputShape: [1, 1, 256, 256], threads: threads)
            let output = try session.run(Tensor(input, shape: [1, 1, 256, 256])).toArray()
            XCTAssertEqual(output.count, expected.count)
            let range = Double((expected.max() ?? 0) - (expected.min() ?? 0))
            let worst = zip(output, expected).map { Double(abs($0 - $1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-4 * max(1, range), "threads \(threads)")
        }
    }

    private func floats(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}
