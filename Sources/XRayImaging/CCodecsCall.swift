import Foundation
import CCodecs

/// Runs one CCodecs call with a stack error buffer and turns a failure into an
/// ``ImageCodecError`` naming `file`.
@inline(__always)
func ccall(file: String?, _ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws {
    try withUnsafeTemporaryAllocation(of: CChar.self, capacity: 512) { buf in
        let base = buf.baseAddress!
        base[0] = 0
        let status = body(base, buf.count)
        guard status != 0 else { return }
        base[buf.count - 1] = 0
        let message = String(cString: base)
        throw ImageCodecError(ImageCodecError.Kind(status: status), message.isEmpty ? "codec status \(status)" : message, file: file)
    }
}

extension ImageCodecError.Kind {
    init(status: Int32) {
        switch ccodecs_status(rawValue: UInt32(bitPattern: status)) {
        case CCODECS_ERR_TRUNCATED: self = .truncated
        case CCODECS_ERR_CRC: self = .badChecksum
        case CCODECS_ERR_UNSUPPORTED: self = .unsupported
        case CCODECS_ERR_IO: self = .io
        case CCODECS_ERR_MEMORY: self = .outOfMemory
        case CCODECS_ERR_ARGUMENT: self = .invalidArgument
        default: self = .malformed
        }
    }
}

/// Where encoded bytes come from: a file on disk or a buffer in memory.
enum ImageSource {
    case file(URL)
    case memory(Data)

    var path: String? {
        if case .file(let url) = self { return url.path }
        return nil
    }

    /// Calls `body` with a C source that stays valid for the whole call.
    func withCSource<R>(_ body: (UnsafePointer<ccodecs_source>) throws -> R) throws -> R {
        switch self {
        case .file(let url):
            return try url.path.withCString { p in
                var s = ccodecs_source(data: nil, size: 0, path: p)
                return try body(&s)
            }
        case .memory(let data):
            return try data.withUnsafeBytes { raw in
                var s = ccodecs_source(data: raw.bindMemory(to: UInt8.self).baseAddress, size: raw.count, path: nil)
                return try body(&s)
            }
        }
    }

    /// The first `count` bytes (fewer when the input is shorter).
    func prefix(_ count: Int) throws -> [UInt8] {
        switch self {
        case .memory(let data):
            return Array(data.prefix(count))
        case .file(let url):
            do {
                let h = try FileHandle(forReadingFrom: url)
                defer { try? h.close() }
                return Array(try h.read(upToCount: count) ?? Data())
            } catch {
                throw ImageCodecError(.io, "cannot open: \(error.localizedDescription)", file: path)
            }
        }
    }

    /// Size of the encoded input in bytes (nil when a file's size cannot be read).
    var byteCount: Int? {
        switch self {
        case .memory(let data): return data.count
        case .file(let url): return (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue
        }
    }

    /// Identifies PNG or TIFF from the magic bytes.
    func sniff() throws -> ImageFormat {
        let prefix = try self.prefix(8)
        if prefix.isEmpty { throw ImageCodecError(.truncated, "empty file", file: path) }
        guard let format = ImageFormat(sniffing: prefix) else {
            throw ImageCodecError(.unrecognizedFormat, "magic bytes \(prefix.prefix(4).map { String(format: "%02x", $0) }.joined(separator: " "))", file: path)
        }
        return format
    }
}
