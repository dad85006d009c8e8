import CCodecs

/// Compression for TIFF output. All are lossless.
public enum TIFFCompression: String, Sendable, CaseIterable {
    case none
    case lzw
    case deflate
    case packBits

    var code: Int32 {
        switch self {
        case .none: return Int32(CCODECS_TIFF_COMPRESSION_NONE)
        case .lzw: return Int32(CCODECS_TIFF_COMPRESSION_LZW)
        case .deflate: return Int32(CCODECS_TIFF_COMPRESSION_DEFLATE)
        case .packBits: return Int32(CCODECS_TIFF_COMPRESSION_PACKBITS)
        }
    }
}
