/// Why an image could not be decoded or encoded, and which file it was.
public struct ImageCodecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure, for callers that branch on it.
    public enum Kind: String, Sendable, Equatable {
        /// The data ends before the image does.
        case truncated
        /// Neither a PNG nor a TIFF (wrong magic bytes).
        case unrecognizedFormat
        /// The container is damaged or inconsistent.
        case malformed
        /// A PNG chunk's CRC does not match.
        case badChecksum
        /// The header claims more pixels or bytes than ``DecodeLimits`` allow.
        case tooLarge
        /// Width, height or channel count is zero.
        case zeroSize
        /// A valid file in a variant not decoded or encoded here (bit depth, sample format, compression...).
        case unsupported
        /// Pages combined into one image differ in size or sample type.
        case mismatchedPages
        /// The requested page does not exist.
        case pageOutOfRange
        /// Reading or writing the file failed.
        case io
        /// Memory ran out.
        case outOfMemory
        /// The caller passed an image or option that cannot be honoured.
        case invalidArgument
    }

    public var kind: Kind
    /// Human-readable detail from the codec.
    public var detail: String
    /// Path of the file involved, when there is one.
    public var file: String?

    public init(_ kind: Kind, _ detail: String, file: String? = nil) {
        self.kind = kind
        self.detail = detail
        self.file = file
    }

    public var description: String {
        "\(file ?? "image data"): \(kind.summary): \(detail)"
    }
}

extension ImageCodecError.Kind {
    var summary: String {
        switch self {
        case .truncated: return "truncated file"
        case .unrecognizedFormat: return "not a PNG or TIFF file"
        case .malformed: return "malformed image"
        case .badChecksum: return "bad checksum"
        case .tooLarge: return "image too large"
        case .zeroSize: return "zero-sized image"
        case .unsupported: return "unsupported image variant"
        case .mismatchedPages: return "pages do not match"
        case .pageOutOfRange: return "no such page"
        case .io: return "I/O error"
        case .outOfMemory: return "out of memory"
        case .invalidArgument: return "invalid argument"
        }
    }
}
