import Foundation
import XCTest
import XRayImaging

final class ConversionTests: XCTestCase {
    func testFloatPlanes() throws {
        let img = try XRayImage(width: 2, height: 1, channelMeanings: [.gray], pixels: .uint16([0, 65535]))
        XCTAssertEqual(img.floatPlanes(scale: .raw), [0, 65535])
        XCTAssertEqual(img.floatPlanes(scale: .unitRange), [0, 1])
        let twelve = try XRayImage(width: 1, height: 1, channelMeanings: [.gray], pixels: .uint16([4095]), bitDepth: 12)
        XCTAssertEqual(twelve.floatPlanes(scale: .unitRange), [1])
        let dual = try XRayImage(width: 1, height: 1, channelMeanings: [.highEnergy, .lowEnergy], pixels: .uint8([3, 255]))
        XCTAssertEqual(dual.floatPlane(channel: 1, scale: .unitRange), [1])
    }

    func testWindowLevel() throws {
        let img = try XRayImage(width: 4, height: 1, channelMeanings: [.gray], pixels: .uint16([0, 1000, 1500, 3000]))
        XCTAssertEqual(img.windowed8Bit(low: 1000, high: 2000).pixels, .uint8([0, 0, 128, 255]))
        XCTAssertEqual(img.windowed8Bit(center: 1500, width: 1000).pixels, .uint8([0, 0, 128, 255]))
        XCTAssertEqual(img.autoWindowed8Bit().pixels, .uint8([0, 85, 128, 255]))
    }

    func testResize() throws {
        let img = try XRayImage(width: 4, height: 2, channelMeanings: [.gray], pixels: .uint16([0, 10, 20, 30, 40, 50, 60, 70]))
        let near = img.resized(width: 2, height: 1, filter: .nearest)
        XCTAssertEqual(near.pixels, .uint16([50, 70]))
        let bil = img.resized(width: 2, height: 1, filter: .bilinear)
        XCTAssertEqual(bil.pixels, .uint16([25, 45]))
        let same = img.resized(width: 4, height: 2, filter: .bilinear)
        XCTAssertEqual(same.pixels, img.pixels)
    }

    func testCanvasDrawsAndClips() throws {
        let gray = try XRayImage(width: 5, height: 4, channelMeanings: [.gray], pixels: .uint8([UInt8](repeating: 100, count: 20)))
        var canvas = RGBCanvas(background: gray)
        canvas.strokeRectangle(x: 1, y: 1, width: 3, height: 3, .red)
        canvas.fillRectangle(x: -10, y: -10, width: 11, height: 11, .green) // only (0,0)
        canvas.setPixel(x: 99, y: 99, .white) // ignored
        XCTAssertEqual(canvas[0, 0], .green)
        XCTAssertEqual(canvas[1, 1], .red)
        XCTAssertEqual(canvas[2, 2], RGBColor(red: 100, green: 100, blue: 100))
        XCTAssertEqual(canvas[3, 3], .red)
        XCTAssertEqual(canvas[4, 0], RGBColor(red: 100, green: 100, blue: 100))
        let png = try ImageEncoder.png(canvas.image)
        XCTAssertEqual(try ImageDecoder.decode(data: png), canvas.image)
    }

    func testAtomicWriteAndErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xri-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let img = Fixtures.gray16(10, 10)
        let url = dir.appendingPathComponent("a.tiff")
        try img.write(to: url)
        try img.write(to: url, format: .tiff, tiffCompression: .none) // replaces
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: url), img)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["a.tiff"]) // no temp left
        assertCodecError(.io) { try img.write(to: dir.appendingPathComponent("missing/b.png")) }
        assertCodecError(.invalidArgument) { try img.write(to: dir.appendingPathComponent("c.bmp")) }
        // Never replaces something that is not a regular file (a device, a directory).
        assertCodecError(.invalidArgument) { try img.write(to: URL(fileURLWithPath: "/dev/null"), format: .png) }
        assertCodecError(.invalidArgument) { try img.write(to: dir, format: .png) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["a.tiff"])
    }

    /// A full disk must throw and leave no file behind. Needs a small file system:
    /// `mount -t tmpfs -o size=64k tmpfs DIR` and `XRAYIMAGING_SMALL_FS=DIR`.
    func testFullDiskLeavesNothingBehind() throws {
        guard let dir = ProcessInfo.processInfo.environment["XRAYIMAGING_SMALL_FS"] else {
            throw XCTSkip("set XRAYIMAGING_SMALL_FS to a small mounted file system")
        }
        let big = Fixtures.gray16(512, 512) // ~512 KiB of noise: does not fit
        let url = URL(fileURLWithPath: dir).appendingPathComponent("full-\(UUID().uuidString).tiff")
        assertCodecError(.io) { try big.write(to: url, tiffCompression: .none) }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains("full-") }
        XCTAssertEqual(left, [])
    }

    func testChannelSplit() throws {
        let dual = try XRayImage(width: 1, height: 2, channelMeanings: [.highEnergy, .lowEnergy], pixels: .uint16([1, 2, 3, 4]))
        let parts = dual.channelImages()
        XCTAssertEqual(parts.map(\.pixels), [.uint16([1, 2]), .uint16([3, 4])])
        XCTAssertEqual(parts.map(\.channelMeanings), [[.highEnergy], [.lowEnergy]])
    }
}

