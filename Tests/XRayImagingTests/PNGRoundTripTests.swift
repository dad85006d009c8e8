import CCodecs
import Foundation
import XCTest
import XRayImaging

final class PNGRoundTripTests: XCTestCase {
    private func roundTrip(_ image: XRayImage, file: StaticString = #filePath, line: UInt = #line) throws {
        let data = try ImageEncoder.png(image)
        XCTAssertEqual(ImageFormat(sniffing: data), .png)
        let back = try ImageDecoder.decode(data: data)
        XCTAssertEqual(back, image, file: file, line: line)
    }

    func testEncoderVariantsRoundTripExactly() throws {
        let w = 37, h = 23, n = w * h
        let meanings: [[XRayImage.ChannelMeaning]] = [[.gray], [.gray, .alpha], [.red, .green, .blue], [.red, .green, .blue, .alpha]]
        for m in meanings {
            try roundTrip(XRayImage(width: w, height: h, channelMeanings: m, pixels: .uint8(Fixtures.u8(n * m.count))))
            try roundTrip(XRayImage(width: w, height: h, channelMeanings: m, pixels: .uint16(Fixtures.u16(n * m.count))))
        }
    }

    func testSixteenBitIsBigEndianOnDiskAndExactInMemory() throws {
        let image = try XRayImage(width: 2, height: 1, channelMeanings: [.gray], pixels: .uint16([0x0102, 0xFFFE]))
        let data = try ImageEncoder.png(image)
        XCTAssertEqual(try ImageDecoder.decode(data: data).pixels, .uint16([0x0102, 0xFFFE]))
        // Decoding the same samples written by libpng directly agrees too.
        let direct = try Fixtures.png(width: 2, height: 1, colorType: Int32(CCODECS_PNG_GRAY), bitDepth: 16,
                                      interlaced: false, samples: [UInt16(0x0102), 0xFFFE])
        XCTAssertEqual(try ImageDecoder.decode(data: direct).pixels, .uint16([0x0102, 0xFFFE]))
    }

    func testLowBitDepthGrayKeepsRawValues() throws {
        for depth in [1, 2, 4] {
            for interlaced in [false, true] {
                let w = 13, h = 11
                let v = Fixtures.u8(w * h, bits: depth, seed: UInt64(depth))
                let data = try Fixtures.png(width: w, height: h, colorType: Int32(CCODECS_PNG_GRAY), bitDepth: Int32(depth),
                                            interlaced: interlaced, samples: v)
                let img = try ImageDecoder.decode(data: data)
                XCTAssertEqual(img.pixels, .uint8(v), "depth \(depth) interlaced \(interlaced)")
                XCTAssertEqual(img.bitDepth, depth)
                XCTAssertEqual(img.channelMeanings, [.gray])
            }
        }
    }

    func testPaletteDecodesToRGBAndRGBA() throws {
        let w = 9, h = 7
        var palette: [UInt8] = []
        for i in 0..<16 { palette += [UInt8(i * 16), UInt8(255 - i * 16), UInt8(i * 7)] }
        for depth in [1, 2, 4, 8] {
            let entries = min(16, 1 << depth)
            let idx = Fixtures.u8(w * h, bits: min(depth, 4), seed: 9).map { $0 % UInt8(entries) }
            var rgb: [UInt8] = []
            for c in 0..<3 { rgb += idx.map { palette[Int($0) * 3 + c] } }
            let data = try Fixtures.png(width: w, height: h, colorType: Int32(CCODECS_PNG_PALETTE), bitDepth: Int32(depth),
                                        interlaced: depth == 4, samples: idx, palette: Array(palette.prefix(entries * 3)))
            let img = try ImageDecoder.decode(data: data)
            XCTAssertEqual(img.channelMeanings, [.red, .green, .blue])
            XCTAssertEqual(img.pixels, .uint8(rgb), "palette depth \(depth)")

            let alpha = (0..<entries).map { UInt8(255 - $0 * 10) }
            let withAlpha = try Fixtures.png(width: w, height: h, colorType: Int32(CCODECS_PNG_PALETTE), bitDepth: Int32(depth),
                                             interlaced: false, samples: idx, palette: Array(palette.prefix(entries * 3)),
                                             paletteAlpha: alpha)
            let rgba = try ImageDecoder.decode(data: withAlpha)
            XCTAssertEqual(rgba.channelMeanings, [.red, .green, .blue, .alpha])
            XCTAssertEqual(rgba.pixels, .uint8(rgb + idx.map { alpha[Int($0)] }))
        }
    }

    func testInterlacedEightAndSixteenBitAllColourTypes() throws {
        let w = 19, h = 17, n = w * h
        let types: [(Int32, [XRayImage.ChannelMeaning])] = [
            (Int32(CCODECS_PNG_GRAY), [.gray]), (Int32(CCODECS_PNG_GRAY_ALPHA), [.gray, .alpha]),
            (Int32(CCODECS_PNG_RGB), [.red, .green, .blue]), (Int32(CCODECS_PNG_RGBA), [.red, .green, .blue, .alpha]),
        ]
        for (type, meanings) in types {
            let c = meanings.count
            let p8 = Fixtures.u8(n * c, seed: 3)
            let d8 = try Fixtures.png(width: w, height: h, colorType: type, bitDepth: 8, interlaced: true,
                                      samples: Fixtures.planarToInterleaved(p8, channels: c))
            XCTAssertEqual(try ImageDecoder.decode(data: d8), try XRayImage(width: w, height: h, channelMeanings: meanings, pixels: .uint8(p8)))
            let p16 = Fixtures.u16(n * c, seed: 4)
            let d16 = try Fixtures.png(width: w, height: h, colorType: type, bitDepth: 16, interlaced: true,
                                       samples: Fixtures.planarToInterleaved(p16, channels: c))
            XCTAssertEqual(try ImageDecoder.decode(data: d16), try XRayImage(width: w, height: h, channelMeanings: meanings, pixels: .uint16(p16)))
        }
    }

    func testResolutionRoundTripsThroughPHYs() throws {
        var image = Fixtures.gray16(8, 8)
        image.pixelsPerMillimetre = (x: 5, y: 2.5)
        let back = try ImageDecoder.decode(data: try ImageEncoder.png(image))
        XCTAssertEqual(back.pixelsPerMillimetre?.x, 5)
        XCTAssertEqual(back.pixelsPerMillimetre?.y, 2.5)
    }

    func testFileDecodeAndPageCount() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("xri-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        let image = Fixtures.gray16(31, 5)
        try image.write(to: url)
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: url), image)
        XCTAssertEqual(try ImageDecoder.pageCount(contentsOf: url), 1)
        assertCodecError(.pageOutOfRange) { try ImageDecoder.decode(contentsOf: url, page: 1) }
    }

    func testFloatImagesAreRefused() throws {
        let f = try XRayImage(width: 2, height: 2, channelMeanings: [.gray], pixels: .float32([0, 1, 2, 3]))
        assertCodecError(.unsupported) { try ImageEncoder.png(f) }
    }
}
