import CCodecs
import Foundation
import XCTest
import XRayImaging

final class TIFFRoundTripTests: XCTestCase {
    private let w = 45, h = 29

    func testEncoderVariantsAllCompressions() throws {
        let n = w * h
        let images = try [
            XRayImage(width: w, height: h, channelMeanings: [.gray], pixels: .uint8(Fixtures.u8(n))),
            XRayImage(width: w, height: h, channelMeanings: [.gray], pixels: .uint16(Fixtures.u16(n))),
            XRayImage(width: w, height: h, channelMeanings: [.gray], pixels: .float32(Fixtures.f32(n))),
            XRayImage(width: w, height: h, channelMeanings: [.red, .green, .blue], pixels: .uint8(Fixtures.u8(3 * n))),
            XRayImage(width: w, height: h, channelMeanings: [.red, .green, .blue, .alpha], pixels: .uint16(Fixtures.u16(4 * n))),
            XRayImage(width: w, height: h, channelMeanings: [.gray, .alpha], pixels: .uint16(Fixtures.u16(2 * n))),
        ]
        for compression in TIFFCompression.allCases {
            for image in images {
                let data = try ImageEncoder.tiff([image], compression: compression)
                XCTAssertEqual(ImageFormat(sniffing: data), .tiff)
                XCTAssertEqual(try ImageDecoder.decode(data: data), image, "\(compression) \(image.pixels.count)")
            }
        }
    }

    func testMultiPageAndDualEnergy() throws {
        let high = Fixtures.gray16(w, h, seed: 1), low = Fixtures.gray16(w, h, seed: 2)
        let data = try ImageEncoder.tiff([high, low], compression: .deflate)
        XCTAssertEqual(try ImageDecoder.pageCount(data: data), 2)
        var p1 = try ImageDecoder.decode(data: data, page: 1)
        XCTAssertEqual(p1.sourcePage, 1)
        p1.sourcePage = 0
        XCTAssertEqual(p1, low)
        assertCodecError(.pageOutOfRange) { try ImageDecoder.decode(data: data, page: 2) }

        let dual = try ImageDecoder.decodeDualEnergy(data: data)
        XCTAssertEqual(dual.channelMeanings, [.highEnergy, .lowEnergy])
        guard case .uint16(let hp) = high.pixels, case .uint16(let lp) = low.pixels else { return XCTFail() }
        XCTAssertEqual(dual.pixels, .uint16(hp + lp))
        // And back: a dual-energy image written as pages reads the same.
        let again = try ImageDecoder.decodeDualEnergy(data: try ImageEncoder.tiff(dual.channelImages()))
        XCTAssertEqual(again.pixels, dual.pixels)
    }

    func testMismatchedPagesThrow() throws {
        let a = Fixtures.gray16(w, h), b = Fixtures.gray16(w, h + 1)
        assertCodecError(.mismatchedPages) { try ImageDecoder.decodeDualEnergy(data: try ImageEncoder.tiff([a, b])) }
        let c = try XRayImage(width: w, height: h, channelMeanings: [.gray], pixels: .uint8(Fixtures.u8(w * h)))
        assertCodecError(.mismatchedPages) { try ImageDecoder.decodeDualEnergy(data: try ImageEncoder.tiff([a, c])) }
    }

    func testResolutionBecomesPixelsPerMillimetre() throws {
        var image = Fixtures.gray16(w, h)
        image.pixelsPerMillimetre = (x: 4, y: 8)
        let back = try ImageDecoder.decode(data: try ImageEncoder.tiff([image]))
        XCTAssertEqual(back.pixelsPerMillimetre?.x ?? 0, 4, accuracy: 1e-4)
        XCTAssertEqual(back.pixelsPerMillimetre?.y ?? 0, 8, accuracy: 1e-4)
    }

    /// Every layout libtiff can write that the encoder does not: tiles, separate
    /// planes, big-endian, BigTIFF, PackBits/LZW with and without predictor, 32-bit
    /// unsigned. Every pixel compared.
    func testLayoutMatrix() throws {
        let compressions: [(Int32, Int32)] = [
            (Int32(CCODECS_TIFF_COMPRESSION_NONE), 1), (Int32(CCODECS_TIFF_COMPRESSION_LZW), 1),
            (Int32(CCODECS_TIFF_COMPRESSION_LZW), 2), (Int32(CCODECS_TIFF_COMPRESSION_DEFLATE), 2),
            (Int32(CCODECS_TIFF_COMPRESSION_PACKBITS), 1),
        ]
        var checked = 0
        for (bits, channels) in [(8, 1), (16, 1), (16, 3), (8, 2), (16, 4), (32, 1), (32, 2)] {
            for isFloat in bits == 32 ? [false, true] : [false] {
                let n = w * h * channels
                let expected: XRayImage.Pixels
                let raw: Data
                if bits == 8 { let v = Fixtures.u8(n, seed: 5); raw = Fixtures.bytes(v); expected = .uint8(v) }
                else if bits == 16 { let v = Fixtures.u16(n, seed: 6); raw = Fixtures.bytes(v); expected = .uint16(v) }
                else if isFloat { let v = Fixtures.f32(n, seed: 7); raw = Fixtures.bytes(v); expected = .float32(v) }
                else {
                    let v = Fixtures.pattern(count: n, bits: 24, seed: 8).map { UInt32($0) } // exact as Float
                    raw = Fixtures.bytes(v); expected = .float32(v.map { Float($0) })
                }
                for (compression, predictor) in compressions {
                    let predictorUsed = isFloat && predictor == 2 ? Int32(3) : predictor
                    for tile in [0, 16] {
                        for separate in channels > 1 ? [false, true] : [false] {
                            for (bigEndian, bigTIFF) in [(false, false), (true, false), (false, true), (true, true)] {
                                // A big-endian file with the float predictor, written and read back by
                                // libtiff 4.5, does not round-trip (libtiff byte-swaps the caller's
                                // buffer before differencing on write). The public encoder writes
                                // little-endian only, so this pair is left out here.
                                if bigEndian && predictorUsed == 3 { continue }
                                var page = Fixtures.TIFFPage(width: w, height: h, channels: channels, bits: Int32(bits), planarData: raw)
                                page.format = Int32(isFloat ? CCODECS_TIFF_SAMPLE_FLOAT : CCODECS_TIFF_SAMPLE_UINT)
                                page.separate = separate
                                page.compression = compression
                                page.predictor = predictorUsed
                                page.tile = tile
                                page.rowsPerStrip = 7
                                page.photometric = Int32(channels >= 3 ? CCODECS_TIFF_PHOTOMETRIC_RGB : CCODECS_TIFF_PHOTOMETRIC_MINISBLACK)
                                let data = try Fixtures.tiff([page], bigEndian: bigEndian, bigTIFF: bigTIFF)
                                let what = "bits \(bits) float \(isFloat) c \(channels) comp \(compression)/\(predictorUsed) tile \(tile) sep \(separate) be \(bigEndian) big \(bigTIFF)"
                                let img = try ImageDecoder.decode(data: data)
                                XCTAssertEqual(img.pixels, expected, what)
                                XCTAssertEqual(img.bitDepth, bits, what)
                                XCTAssertEqual(img.width, w)
                                XCTAssertEqual(img.height, h)
                                checked += 1
                            }
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 300)
    }

    func testChannelMeaningsFromPhotometric() throws {
        let n = w * h
        var rgb = Fixtures.TIFFPage(width: w, height: h, channels: 3, bits: 8, planarData: Fixtures.bytes(Fixtures.u8(3 * n)))
        rgb.photometric = Int32(CCODECS_TIFF_PHOTOMETRIC_RGB)
        XCTAssertEqual(try ImageDecoder.decode(data: try Fixtures.tiff([rgb])).channelMeanings, [.red, .green, .blue])
        let two = Fixtures.TIFFPage(width: w, height: h, channels: 2, bits: 8, planarData: Fixtures.bytes(Fixtures.u8(2 * n)))
        XCTAssertEqual(try ImageDecoder.decode(data: try Fixtures.tiff([two])).channelMeanings, [.gray, .other])
    }

    func testFileDecodeMultiPage() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("xri-\(UUID().uuidString).tiff")
        defer { try? FileManager.default.removeItem(at: url) }
        let a = Fixtures.gray16(w, h, seed: 11), b = Fixtures.gray16(w, h, seed: 12)
        try AtomicWriteHelper.write(try ImageEncoder.tiff([a, b], compression: .lzw), to: url)
        XCTAssertEqual(try ImageDecoder.pageCount(contentsOf: url), 2)
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: url), a)
        XCTAssertEqual(try ImageDecoder.decodeDualEnergy(contentsOf: url).channels, 2)
    }
}

enum AtomicWriteHelper {
    static func write(_ data: Data, to url: URL) throws { try data.write(to: url) }
}
