import CCodecs
import Foundation

/// PNG through CCodecs: all colour types and bit depths in, 8/16-bit gray,
/// gray+alpha, RGB and RGBA out.
enum PNGCodec {
    static func decode(_ source: ImageSource, limits: DecodeLimits) throws -> XRayImage {
        let file = source.path
        try checkHeader(source, limits: limits)
        return try source.withCSource { src in
            var reader: OpaquePointer?
            var info = ccodecs_png_info()
            let maxDim = UInt32(clamping: min(limits.maxPixels, Int(Int32.max)))
            try ccall(file: file) { ccodecs_png_open(src, maxDim, &reader, &info, $0, $1) }
            defer { ccodecs_png_close(reader) }
            let w = Int(info.width), h = Int(info.height), c = Int(info.channels)
            let sampleBytes = Int(info.sample_bytes)
            try limits.check(width: w, height: h, channels: c, bytesPerSample: sampleBytes, file: file)
            let count = w * h * c
            func read(_ p: UnsafeMutableRawPointer, _ n: Int) throws {
                try ccall(file: file) { ccodecs_png_read(reader, p, n, $0, $1) }
            }
            let pixels: XRayImage.Pixels = sampleBytes == 2
                ? .uint16(PlanarBuffers.deinterleave(try PlanarBuffers.make(UInt16.self, count: count, fill: read), channels: c))
                : .uint8(PlanarBuffers.deinterleave(try PlanarBuffers.make(UInt8.self, count: count, fill: read), channels: c))
            let meanings: [XRayImage.ChannelMeaning]
            switch c {
            case 1: meanings = [.gray]
            case 2: meanings = [.gray, .alpha]
            case 3: meanings = [.red, .green, .blue]
            default: meanings = [.red, .green, .blue, .alpha]
            }
            // Palette images expand to 8-bit RGB(A); report the depth we hand out.
            let depth = Int(info.color_type) == Int(CCODECS_PNG_PALETTE) ? 8 : Int(info.bit_depth)
            let ppm = info.ppm_x > 0 && info.ppm_y > 0 ? (x: info.ppm_x / 1000, y: info.ppm_y / 1000) : nil
            return try XRayImage(width: w, height: h, channelMeanings: meanings, pixels: pixels,
                                 bitDepth: depth, pixelsPerMillimetre: ppm)
        }
    }

    /// Applies the limits to the IHDR dimensions before libpng sees them, so an
    /// absurd header is reported as too large rather than as malformed.
    private static func checkHeader(_ source: ImageSource, limits: DecodeLimits) throws {
        let head = try source.prefix(26)
        guard head.count == 26, head[12..<16].elementsEqual("IHDR".utf8) else { return }
        func be32(_ i: Int) -> Int { head[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
        let w = be32(16), h = be32(20)
        guard w > 0, h > 0 else { return } // libpng names the problem
        try limits.check(width: w, height: h, channels: 1, bytesPerSample: 1, file: source.path)
        // The filtered scanlines (one filter byte per row) are a zlib stream inside the file;
        // deflate cannot expand more than 1032:1, so a tiny file with a large header is
        // refused here instead of after allocating the pixel buffer.
        let bitDepth = Int(head[24])
        let samples: Int
        switch head[25] {
        case 0, 3: samples = 1
        case 2: samples = 3
        case 4: samples = 2
        case 6: samples = 4
        default: return // libpng names the problem
        }
        guard [1, 2, 4, 8, 16].contains(bitDepth) else { return }
        let rawBytes = h * (1 + (w * samples * bitDepth + 7) / 8) // no overflow: w, h < 2^31 and w * h is within limits
        try limits.checkPlausible(rawBytes: rawBytes, sourceBytes: source.byteCount, maxRatio: 1100, file: source.path)
    }

    static func encode(_ image: XRayImage, compressionLevel: Int) throws -> Data {
        let colorType: Int32
        switch image.channels {
        case 1: colorType = Int32(CCODECS_PNG_GRAY)
        case 2: colorType = Int32(CCODECS_PNG_GRAY_ALPHA)
        case 3: colorType = Int32(CCODECS_PNG_RGB)
        case 4: colorType = Int32(CCODECS_PNG_RGBA)
        default:
            throw ImageCodecError(.invalidArgument, "PNG holds 1 to 4 channels, this image has \(image.channels)")
        }
        var params = ccodecs_png_write_params()
        params.width = UInt32(image.width)
        params.height = UInt32(image.height)
        params.color_type = colorType
        params.compression_level = Int32(compressionLevel)
        if let ppm = image.pixelsPerMillimetre {
            params.ppm_x = ppm.x * 1000
            params.ppm_y = ppm.y * 1000
        }
        guard image.width <= Int(UInt32.max), image.height <= Int(UInt32.max) else {
            throw ImageCodecError(.invalidArgument, "image too large for PNG")
        }
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        func run<T>(_ planes: [T], depth: Int32) throws {
            params.bit_depth = depth
            let interleaved = PlanarBuffers.interleave(planes, channels: image.channels)
            try interleaved.withUnsafeBytes { raw in
                try ccall(file: nil) { ccodecs_png_encode(&params, raw.baseAddress, &out, &size, $0, $1) }
            }
        }
        switch image.pixels {
        case .uint8(let p): try run(p, depth: 8)
        case .uint16(let p): try run(p, depth: 16)
        case .float32:
            throw ImageCodecError(.unsupported,
                "PNG cannot hold 32-bit float samples; convert first (e.g. windowed8Bit or a TIFF)")
        }
        defer { ccodecs_free(out) }
        return Data(bytes: out!, count: size)
    }
}
