import CCodecs
import Foundation

/// TIFF writing through CCodecs: one page per image, contiguous strips,
/// little-endian classic TIFF, with a predictor where it helps compression.
enum TIFFEncoding {
    static func encode(_ images: [XRayImage], compression: TIFFCompression) throws -> Data {
        guard !images.isEmpty else { throw ImageCodecError(.invalidArgument, "no images to write") }
        var writer: OpaquePointer?
        try ccall(file: nil) { ccodecs_tiff_writer_open(0, 0, &writer, $0, $1) }
        defer { ccodecs_tiff_writer_free(writer) }
        for image in images { try writePage(image, to: writer!, compression: compression) }
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        try ccall(file: nil) { ccodecs_tiff_writer_finish(writer, &out, &size, $0, $1) }
        defer { ccodecs_free(out) }
        return Data(bytes: out!, count: size)
    }

    private static func writePage(_ image: XRayImage, to writer: OpaquePointer, compression: TIFFCompression) throws {
        guard image.channels <= 8, image.width <= Int(UInt32.max), image.height <= Int(UInt32.max) else {
            throw ImageCodecError(.invalidArgument, "TIFF pages here hold up to 8 channels and 2^32-1 rows/columns")
        }
        var p = ccodecs_tiff_page_params()
        p.width = UInt32(image.width)
        p.height = UInt32(image.height)
        p.samples_per_pixel = Int32(image.channels)
        p.planar = Int32(CCODECS_TIFF_PLANAR_CONTIG)
        let m = image.channelMeanings
        let rgb = m.count >= 3 && Array(m.prefix(3)) == [.red, .green, .blue]
        p.photometric = Int32(rgb ? CCODECS_TIFF_PHOTOMETRIC_RGB : CCODECS_TIFF_PHOTOMETRIC_MINISBLACK)
        p.last_sample_is_alpha = m.count > (rgb ? 3 : 1) && m.last == .alpha ? 1 : 0
        p.compression = compression.code
        if let ppm = image.pixelsPerMillimetre {
            p.res_x = ppm.x * 10
            p.res_y = ppm.y * 10
        }
        func write<T>(_ planes: [T], bits: Int32, format: Int32, predictor: Int32) throws {
            // About 64 KiB strips: the usual trade-off between overhead and memory.
            let rowBytes = image.width * image.channels * MemoryLayout<T>.size
            p.rows_per_strip = UInt32(max(1, min(image.height, 65536 / rowBytes)))
            p.bits_per_sample = bits
            p.sample_format = format
            p.predictor = compression == .lzw || compression == .deflate ? predictor : 1
            try planes.withUnsafeBytes { raw in
                try ccall(file: nil) { ccodecs_tiff_write_page(writer, &p, raw.baseAddress, $0, $1) }
            }
        }
        let uint = Int32(CCODECS_TIFF_SAMPLE_UINT)
        switch image.pixels {
        case .uint8(let px): try write(px, bits: 8, format: uint, predictor: 2)
        case .uint16(let px): try write(px, bits: 16, format: uint, predictor: 2)
        case .float32(let px): try write(px, bits: 32, format: Int32(CCODECS_TIFF_SAMPLE_FLOAT), predictor: 3)
        }
    }
}
