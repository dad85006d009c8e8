import Foundation
import XCTest
import XRayImaging

/// A corpus of broken files built in the test: every one must throw an
/// ImageCodecError; none may crash (run under ASan as well).
final class MalformedInputTests: XCTestCase {
    private var validPNG: Data { Self.validPNG }
    private var validInterlaced: Data { Self.validInterlaced }
    private var validTIFFs: [Data] { Self.validTIFFs }

    // Static: corelibs XCTest never frees test-case instances, so instance
    // properties would show up as leaks under LeakSanitizer.
    private static let validPNG = try! ImageEncoder.png(Fixtures.gray16(23, 19))
    private static let validInterlaced = try! Fixtures.png(width: 17, height: 9, colorType: 6, bitDepth: 8, interlaced: true,
                                                    samples: Fixtures.u8(17 * 9 * 4))
    private static let validTIFFs: [Data] = TIFFCompression.allCases.map {
        try! ImageEncoder.tiff([Fixtures.gray16(23, 19)], compression: $0)
    } + [try! Fixtures.tiff([Fixtures.TIFFPage(width: 40, height: 33, channels: 2, bits: 16,
                                               planarData: Fixtures.bytes(Fixtures.u16(40 * 33 * 2)),
                                               separate: true, compression: 5, predictor: 2, tile: 16)],
                            bigEndian: true, bigTIFF: true)]

    func testEveryTruncationThrows() {
        for file in [validPNG, validInterlaced] + validTIFFs {
            for cut in 0..<file.count {
                let data = file.prefix(cut)
                assertCodecError { try ImageDecoder.decode(data: Data(data)) }
            }
        }
    }

    func testTruncationIsReportedAsSuch() {
        assertCodecError(.truncated) { try ImageDecoder.decode(data: self.validPNG.prefix(self.validPNG.count / 2)) }
        assertCodecError(.truncated) { try ImageDecoder.decode(data: Data()) }
    }

    func testByteFlipsInPNGAreCaughtByCRCOrParser() {
        var rng = SystemRandomNumberGenerator()
        for file in [validPNG, validInterlaced] {
            for offset in 8..<file.count {
                var d = file
                d[offset] ^= UInt8.random(in: 1...255, using: &rng)
                assertCodecError { try ImageDecoder.decode(data: d) }
            }
        }
        var d = validPNG
        d[30] ^= 0xFF // the IHDR CRC (IDAT is inflated while streaming, so zlib may notice first)
        assertCodecError(.badChecksum) { try ImageDecoder.decode(data: d) }
    }

    /// TIFF has no checksums: a flip in pixel data decodes to other pixels. What
    /// matters is that no flip crashes, and flips in the header throw.
    func testByteFlipsInTIFFNeverCrash() {
        for file in validTIFFs {
            for offset in 0..<file.count {
                for mask: UInt8 in [0x01, 0x80, 0xFF] {
                    var d = file
                    d[offset] ^= mask
                    _ = try? ImageDecoder.decode(data: d)
                    _ = try? ImageDecoder.pageCount(data: d)
                }
            }
            for offset in 0..<4 {
                var d = file
                d[offset] ^= 0xFF
                assertCodecError { try ImageDecoder.decode(data: d) }
            }
        }
    }

    func testWrongMagic() {
        assertCodecError(.unrecognizedFormat) { try ImageDecoder.decode(data: Data("GIF89a not an image".utf8)) }
        assertCodecError(.unrecognizedFormat) { try ImageDecoder.decode(data: Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0, 0])) }
    }

    func testLyingPNGHeaders() {
        // Over the pixel limit: refused from the header.
        assertCodecError(.tooLarge) { try ImageDecoder.decode(data: Fixtures.lyingPNG(width: 100_000, height: 100_000)) }
        assertCodecError(.tooLarge) { try ImageDecoder.decode(data: Fixtures.lyingPNG(width: 0x7FFF_FFFF, height: 0x7FFF_FFFF)) }
        let small = DecodeLimits(maxPixels: 1000, maxBytes: 1 << 20)
        assertCodecError(.tooLarge) { try ImageDecoder.decode(data: Fixtures.lyingPNG(width: 100, height: 100), limits: small) }
        assertCodecError(.tooLarge) {
            try ImageDecoder.decode(data: Fixtures.lyingPNG(width: 1000, height: 1000), limits: DecodeLimits(maxPixels: 10_000_000, maxBytes: 1000))
        }
        // Within limits but the data is not there.
        assertCodecError { try ImageDecoder.decode(data: Fixtures.lyingPNG(width: 3000, height: 2000)) }
        // Zero and invalid dimensions, bit depths.
        assertCodecError { try ImageDecoder.decode(data: Fixtures.lyingPNG(width: 0, height: 10)) }
        assertCodecError { try ImageDecoder.decode(data: Fixtures.lyingPNG(width: 10, height: 10, bitDepth: 3)) }
        assertCodecError { try ImageDecoder.decode(data: Fixtures.lyingPNG(width: 10, height: 10, bitDepth: 16, colorType: 3)) }
    }

    func testLyingTIFFHeaders() {
        func tiff(width: UInt32, height: UInt32, bits: UInt32 = 16, format: UInt32 = 1, spp: UInt32 = 1,
                  compression: UInt32 = 1) -> Data {
            Fixtures.handmadeTIFF([
                (256, 4, width), (257, 4, height), (258, 3, bits), (259, 3, compression), (262, 3, 1),
                (273, 4, 8), (277, 3, spp), (278, 4, height), (279, 4, 8), (339, 3, format),
            ])
        }
        assertCodecError(.tooLarge) { try ImageDecoder.decode(data: tiff(width: 1_000_000, height: 1_000_000)) }
        assertCodecError(.tooLarge) { try ImageDecoder.decode(data: tiff(width: 20_000, height: 30_000)) }
        assertCodecError { try ImageDecoder.decode(data: tiff(width: 0, height: 5)) }
        assertCodecError(.unsupported) { try ImageDecoder.decode(data: tiff(width: 2, height: 2, bits: 12)) }
        assertCodecError(.unsupported) { try ImageDecoder.decode(data: tiff(width: 2, height: 2, bits: 16, format: 2)) }
        assertCodecError(.unsupported) { try ImageDecoder.decode(data: tiff(width: 2, height: 2, bits: 16, format: 3)) }
        assertCodecError(.unsupported) { try ImageDecoder.decode(data: tiff(width: 2, height: 2, compression: 7)) }
        // Claims more strip data than the file holds.
        assertCodecError { try ImageDecoder.decode(data: tiff(width: 300, height: 200)) }
        // Sane: 2×2 16-bit with 8 bytes of data decodes.
        XCTAssertEqual(try? ImageDecoder.decode(data: tiff(width: 2, height: 2)).pixels, .uint16([0x0707, 0x0707, 0x0707, 0x0707]))
    }

    func testErrorNamesTheFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try validPNG.prefix(60).write(to: url)
        do {
            _ = try ImageDecoder.decode(contentsOf: url)
            XCTFail("expected failure")
        } catch let e as ImageCodecError {
            XCTAssertEqual(e.kind, .truncated)
            XCTAssertEqual(e.file, url.path)
            XCTAssertTrue(e.description.contains(url.lastPathComponent), e.description)
        }
        let missing = url.appendingPathExtension("missing")
        assertCodecError(.io) { try ImageDecoder.decode(contentsOf: missing) }
    }
}
