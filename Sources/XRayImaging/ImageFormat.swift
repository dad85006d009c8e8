import Foundation

/// An image container format this module reads and writes.
public enum ImageFormat: String, Sendable, CaseIterable {
    case png
    case tiff

    /// Identifies the format from the first bytes of a file (PNG signature, or
    /// TIFF/BigTIFF in either byte order); `nil` when neither matches.
    public init?(sniffing prefix: some Collection<UInt8>) {
        let b = Array(prefix.prefix(8))
        if b.count >= 8, b == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] {
            self = .png
        } else if b.count >= 4,
                  (b[0] == 0x49 && b[1] == 0x49 && (b[2] == 42 || b[2] == 43) && b[3] == 0)
                    || (b[0] == 0x4D && b[1] == 0x4D && b[2] == 0 && (b[3] == 42 || b[3] == 43)) {
            self = .tiff
        } else {
            return nil
        }
    }

    /// The format a file name suggests (`.png`, `.tif`, `.tiff`), if any.
    public init?(pathExtension: String) {
        switch pathExtension.lowercased() {
        case "png": self = .png
        case "tif", "tiff": self = .tiff
        default: return nil
        }
    }
}
