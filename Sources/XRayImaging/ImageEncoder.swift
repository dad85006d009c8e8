import Foundation

/// Encodes ``XRayImage`` values as PNG or TIFF bytes.
public enum ImageEncoder {
    /// PNG bytes: `.uint8` images as 8-bit, `.uint16` as 16-bit; 1 channel gray,
    /// 2 gray+alpha, 3 RGB, 4 RGBA. Float images throw ``ImageCodecError/Kind/unsupported``.
    /// - Parameter compressionLevel: zlib level 0...9, or -1 for libpng's default.
    public static func png(_ image: XRayImage, compressionLevel: Int = -1) throws -> Data {
        try PNGCodec.encode(image, compressionLevel: compressionLevel)
    }

    /// A TIFF with one page per image, in order (a dual-energy scan is
    /// `[high, low]`: see ``XRayImage/channelImages()``). 8/16-bit unsigned and
    /// 32-bit float samples, 1...8 channels each.
    public static func tiff(_ images: [XRayImage], compression: TIFFCompression = .lzw) throws -> Data {
        try TIFFEncoding.encode(images, compression: compression)
    }

    /// Encodes in `format` (TIFF: one page).
    public static func encode(_ image: XRayImage, as format: ImageFormat, tiffCompression: TIFFCompression = .lzw) throws -> Data {
        switch format {
        case .png: return try png(image)
        case .tiff: return try tiff([image], compression: tiffCompression)
        }
    }
}
