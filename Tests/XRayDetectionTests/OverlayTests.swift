import XCTest
import XRayImaging
import XRayDetection

final class OverlayTests: XCTestCase {
    func testOverlayHasBoxesHeatAndWindow() throws {
        let box = Region.Box(x: 40, y: 30, width: 30, height: 20)
        let scan = SyntheticScans.gray(width: 160, height: 120, boxes: [box])
        let detection = try SyntheticScans.detector().detectWithMap(scan)
        let overlay = try OverlayRenderer().render(scan, detection: detection)
        XCTAssertEqual(overlay.width, 160)
        XCTAssertEqual(overlay.channelMeanings, [.red, .green, .blue])
        guard case .uint8(let p) = overlay.pixels else { return XCTFail("not 8-bit") }
        let n = 160 * 120
        func rgb(_ x: Int, _ y: Int) -> [UInt8] { [p[y * 160 + x], p[n + y * 160 + x], p[2 * n + y * 160 + x]] }
        let b = detection.result.regions[0].boundingBox
        XCTAssertEqual(rgb(b.x, b.y), [255, 0, 0], "box corner is drawn")
        let background = rgb(120, 100)
        XCTAssertEqual(background[0], background[1], "background is gray")
        XCTAssertGreaterThan(Int(background[0]), 150, "air is light")
        let inside = rgb(55, 40)
        XCTAssertGreaterThan(Int(inside[0]), Int(inside[2]) + 50, "heat tints the dense block red")
    }

    func testDualEnergyColoursAndReduction() throws {
        let scan = SyntheticScans.dual(width: 300, height: 90, boxes: [.init(x: 100, y: 20, width: 40, height: 40)])
        var options = OverlayRenderer.Options()
        options.maximumDimension = 100
        let overlay = try OverlayRenderer(options: options).render(scan)
        XCTAssertEqual(overlay.width, 100)
        XCTAssertEqual(overlay.height, 30)
        guard case .uint8(let p) = overlay.pixels else { return XCTFail("not 8-bit") }
        let n = 100 * 30, i = 13 * 100 + 40
        XCTAssertNotEqual(p[i], p[2 * n + i], "dense matter is coloured")
    }
}
