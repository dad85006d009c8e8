import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only report file where every completed line is on disk (fsync'd)
/// before the next scan is reported, so a crash or a kill loses nothing already
/// reported and `--resume` can pick up where a run stopped.
final class ReportFile {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CLIError.output("\(path): \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    /// Whether the file holds nothing yet (a CSV header is written only then).
    var isEmpty: Bool {
        var st = stat()
        return fstat(fd, &st) == 0 && st.st_size == 0
    }

    /// Appends one line (a newline is added) and flushes it to disk.
    func append(line: String) throws {
        var bytes = Array((line + "\n").utf8)
        try bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CLIError.output("\(path): \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw CLIError.output("\(path): fsync: \(String(cString: strerror(errno)))") }
    }
}
