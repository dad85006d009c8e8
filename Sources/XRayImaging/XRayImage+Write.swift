import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension XRayImage {
    /// Encodes the image and writes it atomically: the bytes go to a temporary
    /// file beside `url`, are flushed to disk, then renamed over `url`. A full disk
    /// or any other failure throws and leaves no partial file behind.
    /// - Parameter format: the container; `nil` picks it from the path extension.
    public func write(to url: URL, format: ImageFormat? = nil, tiffCompression: TIFFCompression = .lzw) throws {
        guard let format = format ?? ImageFormat(pathExtension: url.pathExtension) else {
            throw ImageCodecError(.invalidArgument, "cannot tell the format from the extension; pass format:", file: url.path)
        }
        let data = try ImageEncoder.encode(self, as: format, tiffCompression: tiffCompression)
        try AtomicFile.write(data, to: url)
    }

    /// Every channel as its own single-channel image, in order (e.g. to write
    /// a dual-energy image as a two-page TIFF).
    public func channelImages() -> [XRayImage] {
        (0..<channels).map { channel($0) }
    }

    /// Channel `index` as a single-channel image with the same metadata.
    public func channel(_ index: Int) -> XRayImage {
        precondition(index >= 0 && index < channels, "channel \(index) out of range 0..<\(channels)")
        let n = pixelCount
        let range = index * n..<(index + 1) * n
        let plane: Pixels
        switch pixels {
        case .uint8(let p): plane = .uint8(Array(p[range]))
        case .uint16(let p): plane = .uint16(Array(p[range]))
        case .float32(let p): plane = .float32(Array(p[range]))
        }
        // Shape is consistent by construction, so this cannot throw.
        return try! XRayImage(width: width, height: height, channelMeanings: [channelMeanings[index]], pixels: plane,
                              bitDepth: bitDepth, pixelsPerMillimetre: pixelsPerMillimetre, sourcePage: sourcePage)
    }
}

#if canImport(Glibc)
private let posixWrite = Glibc.write
#else
private let posixWrite = Darwin.write
#endif

/// Write-then-rename with POSIX calls so that every failure (ENOSPC included)
/// is seen and reported.
enum AtomicFile {
    static func write(_ data: Data, to url: URL) throws {
        let path = url.path
        let dir = url.deletingLastPathComponent().path
        // Renaming over a device or directory would replace it: refuse.
        var st = stat()
        if lstat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
            throw ImageCodecError(.invalidArgument, "exists and is not a regular file", file: path)
        }
        let tmp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        func fail(_ what: String) -> ImageCodecError {
            ImageCodecError(.io, "\(what): \(String(cString: strerror(errno)))", file: path)
        }
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw fail("cannot create temporary file in \(dir)") }
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        do {
            try data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = posixWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw fail("write failed")
                    }
                    offset += n
                }
            }
            guard fsync(fd) == 0 else { throw fail("fsync failed") }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw fail("close failed") }
        guard rename(tmp, path) == 0 else { throw fail("rename failed") }
        ok = true
        // Make the rename itself durable; failing here loses nothing already written.
        let dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            _ = fsync(dirfd)
            close(dirfd)
        }
    }
}
