import CCodecs
import Foundation
import XCTest
import XRayImaging

/// Deterministic test patterns and writers for file variants the public encoder
/// does not produce (palette, low bit depth, interlaced PNG; tiled, separate-plane,
/// big-endian, BigTIFF TIFF), straight through the CCodecs C writers.
enum Fixtures {
    /// Pseudo-random but reproducible values covering the whole range of `bits`.
    static func pattern(count: Int, bits: Int, seed: UInt64 = 1) -> [UInt64] {
        var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        let mask: UInt64 = bits >= 64 ? .max : (1 << UInt64(bits)) - 1
        return (0..<count).map { i in
            s ^= s << 13; s ^= s >> 7; s ^= s << 17
            // Put the extremes in as well: 0, max, and a byte-order probe.
            switch i % 97 {
            case 0: return 0
            case 1: return mask
            case 2: return 0x0102 & mask
            default: return s & mask
            }
        }
    }

    static func u8(_ n: Int, bits: Int = 8, seed: UInt64 = 1) -> [UInt8] { pattern(count: n, bits: bits, seed: seed).map { UInt8($0) } }
    static func u16(_ n: Int, seed: UInt64 = 1) -> [UInt16] { pattern(count: n, bits: 16, seed: seed).map { UInt16($0) } }
    static func f32(_ n: Int, seed: UInt64 = 1) -> [Float] {
        pattern(count: n, bits: 32, seed: seed).enumerated().map { i, v in
            i % 5 == 0 ? -Float(v) / 7 : Float(bitPattern: UInt32(v) & 0x7F7F_FFFF) // finite floats, exact bits
        }
    }

    static func gray16(_ w: Int, _ h: Int, seed: UInt64 = 1) -> XRayImage {
        try! XRayImage(width: w, height: h, channelMeanings: [.gray], pixels: .uint16(u16(w * h, seed: seed)))
    }

    static func planarToInterleaved<T>(_ p: [T], channels c: Int) -> [T] {
        let n = p.count / c
        return (0..<p.count).map { i in p[(i % c) * n + i / c] }
    }

    // MARK: PNG variants

    /// A PNG written by libpng with any colour type / depth / interlace. `samples`
    /// is interleaved, one element per sample (UInt8 or host-order UInt16).
    static func png<T>(width: Int, height: Int, colorType: Int32, bitDepth: Int32, interlaced: Bool,
                       samples: [T], palette: [UInt8] = [], paletteAlpha: [UInt8] = []) throws -> Data {
        var p = ccodecs_png_write_params()
        p.width = UInt32(width)
        p.height = UInt32(height)
        p.bit_depth = bitDepth
        p.color_type = colorType
        p.interlaced = interlaced ? 1 : 0
        p.compression_level = -1
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var err = [CChar](repeating: 0, count: 256)
        let st = palette.withUnsafeBufferPointer { pal in
            paletteAlpha.withUnsafeBufferPointer { alpha in
                samples.withUnsafeBytes { raw -> Int32 in
                    p.palette_rgb = pal.baseAddress
                    p.palette_entries = Int32(palette.count / 3)
                    p.palette_alpha = alpha.baseAddress
                    p.palette_alpha_count = Int32(paletteAlpha.count)
                    return ccodecs_png_encode(&p, raw.baseAddress, &out, &size, &err, err.count)
                }
            }
        }
        guard st == 0 else { throw ImageCodecError(.invalidArgument, String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
        defer { ccodecs_free(out) }
        return Data(bytes: out!, count: size)
    }

    // MARK: TIFF variants

    struct TIFFPage {
        var width: Int, height: Int, channels: Int
        var bits: Int32, format: Int32 = Int32(CCODECS_TIFF_SAMPLE_UINT)
        var planarData: Data // planar, host order
        var separate = false
        var photometric: Int32 = Int32(CCODECS_TIFF_PHOTOMETRIC_MINISBLACK)
        var compression: Int32 = Int32(CCODECS_TIFF_COMPRESSION_NONE)
        var predictor: Int32 = 1
        var tile: Int = 0 // tile edge (multiple of 16), 0 = strips
        var rowsPerStrip: UInt32 = 0
        var resolutionPerCm: Double = 0
    }

    static func tiff(_ pages: [TIFFPage], bigEndian: Bool = false, bigTIFF: Bool = false) throws -> Data {
        var err = [CChar](repeating: 0, count: 256)
        var w: OpaquePointer?
        func check(_ st: Int32) throws {
            guard st == 0 else { throw ImageCodecError(.invalidArgument, String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
        }
        try check(ccodecs_tiff_writer_open(bigEndian ? 1 : 0, bigTIFF ? 1 : 0, &w, &err, err.count))
        defer { ccodecs_tiff_writer_free(w) }
        for page in pages {
            var p = ccodecs_tiff_page_params()
            p.width = UInt32(page.width)
            p.height = UInt32(page.height)
            p.bits_per_sample = page.bits
            p.sample_format = page.format
            p.samples_per_pixel = Int32(page.channels)
            p.planar = Int32(page.separate ? CCODECS_TIFF_PLANAR_SEPARATE : CCODECS_TIFF_PLANAR_CONTIG)
            p.photometric = page.photometric
            p.compression = page.compression
            p.predictor = page.predictor
            p.tile_width = UInt32(page.tile)
            p.tile_height = UInt32(page.tile)
            p.rows_per_strip = page.rowsPerStrip
            p.res_x = page.resolutionPerCm
            p.res_y = page.resolutionPerCm
            try check(page.planarData.withUnsafeBytes { ccodecs_tiff_write_page(w, &p, $0.baseAddress, &err, err.count) })
        }
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        try check(ccodecs_tiff_writer_finish(w, &out, &size, &err, err.count))
        defer { ccodecs_free(out) }
        return Data(bytes: out!, count: size)
    }

    static func bytes<T>(_ a: [T]) -> Data { a.withUnsafeBytes { Data($0) } }

    // MARK: Hand-made containers

    /// CRC-32 as PNG uses it, for hand-built chunks.
    static func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c >> 1) ^ (0xEDB8_8320 & (0 &- (c & 1))) }
        }
        return ~c
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static func pngChunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let t = Array(type.utf8)
        return be32(UInt32(body.count)) + t + body + be32(crc32(t + body))
    }

    /// A PNG whose IHDR claims `width × height` but carries only a tiny IDAT.
    static func lyingPNG(width: UInt32, height: UInt32, bitDepth: UInt8 = 16, colorType: UInt8 = 0) -> Data {
        let sig: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let ihdr = be32(width) + be32(height) + [bitDepth, colorType, 0, 0, 0]
        // zlib stream of a few zero bytes (stored block).
        let idat: [UInt8] = [0x78, 0x01, 0x01, 0x04, 0x00, 0xFB, 0xFF, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x01]
        return Data(sig + pngChunk("IHDR", ihdr) + pngChunk("IDAT", idat) + pngChunk("IEND", []))
    }

    /// A little-endian classic TIFF with one IFD of (tag, type, value) entries and
    /// a few bytes of "pixel data" at offset 8.
    static func handmadeTIFF(_ entries: [(tag: UInt16, type: UInt16, value: UInt32)]) -> Data {
        func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
        var out: [UInt8] = [0x49, 0x49, 42, 0] + le32(16) + [UInt8](repeating: 7, count: 8)
        out += le16(UInt16(entries.count))
        for e in entries.sorted(by: { $0.tag < $1.tag }) {
            out += le16(e.tag) + le16(e.type) + le32(1)
            out += e.type == 3 ? le16(UInt16(e.value)) + [0, 0] : le32(e.value)
        }
        out += le32(0)
        return Data(out)
    }
}

/// Asserts that `body` throws an ImageCodecError (of `kind` when given).
func assertCodecError(_ kind: ImageCodecError.Kind? = nil, file: StaticString = #filePath, line: UInt = #line,
                      _ body: () throws -> Any) {
    do {
        _ = try body()
        XCTFail("expected an ImageCodecError", file: file, line: line)
    } catch let e as ImageCodecError {
        if let kind { XCTAssertEqual(e.kind, kind, "\(e)", file: file, line: line) }
    } catch {
        XCTFail("unexpected error type \(error)", file: file, line: line)
    }
}
