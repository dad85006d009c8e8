import CCodecs
import Foundation

/// TIFF reading through CCodecs: 8/16/32-bit unsigned and 32-bit float samples,
/// strips or tiles, contiguous or separate planes, classic or BigTIFF, any page.
enum TIFFCodec {
    /// Opens `source`, runs `body` with the reader, always closes it.
    static func withReader<R>(_ source: ImageSource, limits: DecodeLimits,
                              _ body: (OpaquePointer) throws -> R) throws -> R {
        try source.withCSource { src in
            var reader: OpaquePointer?
            try ccall(file: source.path) { ccodecs_tiff_open(src, UInt64(max(limits.maxBytes, 1)), &reader, $0, $1) }
            defer { ccodecs_tiff_close(reader) }
            return try body(reader!)
        }
    }

    static func pageCount(_ reader: OpaquePointer, file: String?) throws -> Int {
        var n: Int32 = 0
        try ccall(file: file) { ccodecs_tiff_page_count(reader, &n, $0, $1) }
        return Int(n)
    }

    static func decodePage(_ reader: OpaquePointer, page: Int, limits: DecodeLimits, file: String?,
                           sourceBytes: Int?) throws -> XRayImage {
        let count = try pageCount(reader, file: file)
        guard page >= 0, page < count else {
            throw ImageCodecError(.pageOutOfRange, "page \(page) requested, the file has \(count)", file: file)
        }
        var info = ccodecs_tiff_page_info()
        try ccall(file: file) { ccodecs_tiff_get_page_info(reader, Int32(page), &info, $0, $1) }
        let w = Int(info.width), h = Int(info.height), c = Int(info.samples_per_pixel)
        let bits = Int(info.bits_per_sample)
        let isFloat = info.sample_format == Int32(CCODECS_TIFF_SAMPLE_FLOAT)
        guard [8, 16, 32].contains(bits), isFloat ? bits == 32 : info.sample_format == Int32(CCODECS_TIFF_SAMPLE_UINT) else {
            throw ImageCodecError(.unsupported,
                "\(bits)-bit samples of format \(info.sample_format) (need 8/16/32-bit unsigned or 32-bit float)", file: file)
        }
        guard (1...8).contains(c) else {
            throw ImageCodecError(.unsupported, "\(c) samples per pixel", file: file)
        }
        try limits.check(width: w, height: h, channels: c, bytesPerSample: bits / 8, file: file)
        let n = w * h * c
        // Strips and tiles must come out of the file's bytes: refuse a page that claims more
        // than the codec could expand the whole file to (a zip-bomb-like or lying header)
        // before allocating its pixel buffer. Bounds: none 1:1, PackBits 64:1 (2 bytes make
        // 128), deflate 1032:1, LZW under 4096:1 (a 12-bit code yields at most 4096 bytes).
        let maxRatio: Int?
        switch Int(info.compression) {
        case Int(CCODECS_TIFF_COMPRESSION_NONE): maxRatio = 1
        case Int(CCODECS_TIFF_COMPRESSION_PACKBITS): maxRatio = 64
        case Int(CCODECS_TIFF_COMPRESSION_DEFLATE), 32946: maxRatio = 1100 // 32946: Adobe-style deflate
        case Int(CCODECS_TIFF_COMPRESSION_LZW): maxRatio = 4096
        default: maxRatio = nil // refused as unsupported by the reader
        }
        if let maxRatio {
            try limits.checkPlausible(rawBytes: n * (bits / 8), sourceBytes: sourceBytes, maxRatio: maxRatio, file: file)
        }
        func read(_ p: UnsafeMutableRawPointer, _ size: Int) throws {
            try ccall(file: file) { ccodecs_tiff_read_page(reader, Int32(page), p, size, $0, $1) }
        }
        let pixels: XRayImage.Pixels
        switch (bits, isFloat) {
        case (8, _): pixels = .uint8(try PlanarBuffers.make(UInt8.self, count: n, fill: read))
        case (16, _): pixels = .uint16(try PlanarBuffers.make(UInt16.self, count: n, fill: read))
        case (_, true): pixels = .float32(try PlanarBuffers.make(Float.self, count: n, fill: read))
        default:
            // XRayImage has no 32-bit integer storage: such samples become Float
            // (exact up to 2^24).
            pixels = .float32(try PlanarBuffers.make(UInt32.self, count: n, fill: read).map { Float($0) })
        }
        return try XRayImage(width: w, height: h, channelMeanings: meanings(info), pixels: pixels,
                             bitDepth: bits, pixelsPerMillimetre: resolution(info), sourcePage: page)
    }

    private static func meanings(_ info: ccodecs_tiff_page_info) -> [XRayImage.ChannelMeaning] {
        let c = Int(info.samples_per_pixel)
        let rgb = info.photometric == Int32(CCODECS_TIFF_PHOTOMETRIC_RGB) && c >= 3
        var m: [XRayImage.ChannelMeaning] = rgb ? [.red, .green, .blue] : [.gray]
        while m.count < c { m.append(.other) }
        if c > (rgb ? 3 : 1), info.last_sample_is_alpha != 0 { m[c - 1] = .alpha }
        return m
    }

    private static func resolution(_ info: ccodecs_tiff_page_info) -> (x: Double, y: Double)? {
        guard info.res_x > 0, info.res_y > 0 else { return nil }
        switch info.res_unit {
        case 2: return (info.res_x / 25.4, info.res_y / 25.4)
        case 3: return (info.res_x / 10, info.res_y / 10)
        default: return nil
        }
    }
}
