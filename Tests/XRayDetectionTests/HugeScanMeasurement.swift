import XCTest
import Foundation
import XRayImaging
import XRayDetection

/// A measurement, not a unit test: runs only with `XRAYSCREEN_HUGE=WxH` (e.g. `8000x30000`) and
/// prints the timings; run the test binary under `/usr/bin/time -v` for the peak RSS.
final class HugeScanMeasurement: XCTestCase {
    func testHugeScan() throws {
        guard let spec = ProcessInfo.processInfo.environment["XRAYSCREEN_HUGE"] else {
            throw XCTSkip("set XRAYSCREEN_HUGE=WxH to run the huge-scan measurement")
        }
        let parts = spec.split(separator: "x").compactMap { Int($0) }
        let W = parts[0], H = parts[1]
        var p = [UInt16](repeating: 0, count: W * H)
        var g = SyntheticScans.Generator(state: 9)
        p.withUnsafeMutableBufferPointer { b in
            for i in 0..<b.count { b[i] = UInt16(48_000 + 4_000 * g.next()) }
            for k in 0..<20 {   // dense blocks down the belt
                let y0 = (k * H) / 20 + 100, x0 = (k * 1237) % max(1, W - 200)
                for y in y0..<min(H, y0 + 80) { for x in x0..<min(W, x0 + 120) { b[y * W + x] = 5_000 } }
            }
        }
        let scan = try XRayImage(width: W, height: H, channelMeanings: [.gray], pixels: .uint16(p))
        p = []
        let network = LocalContrastNetwork(tileSize: 256)
        var c = DetectorConfiguration()
        c.threshold = 0.5
        c.smoothingSigma = 1.5
        c.memoryBudgetBytes = Int(ProcessInfo.processInfo.environment["XRAYSCREEN_BUDGET_MB"] ?? "256")! << 20
        let detector = try Detector(network: network, configuration: c)
        let start = Date()
        let result = try detector.detect(scan, file: "huge")
        print("HUGE \(W)x\(H): \(result.regions.count) regions, score \(result.score), wall \(Date().timeIntervalSince(start)) s")
        print("HUGE timings: \(String(decoding: try JSONEncoder().encode(result.timings), as: UTF8.self))")
        XCTAssertEqual(result.regions.count, 20)
        let t0 = Date()
        let detection = try detector.detectWithMap(scan)
        let t1 = Date()
        let overlay = try OverlayRenderer().render(scan, detection: detection)
        print("HUGE detectWithMap \(t1.timeIntervalSince(t0)) s, overlay \(overlay.width)x\(overlay.height) in \(Date().timeIntervalSince(t1)) s")
    }
}
