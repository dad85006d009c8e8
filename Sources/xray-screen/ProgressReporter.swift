import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress on standard error: a redrawn bar with images/s and ETA on a terminal,
/// one plain line per finished scan otherwise (logs, CI, `kubectl logs`).
final class ProgressReporter: @unchecked Sendable {
    private let total: Int
    private let isTerminal: Bool
    private let quiet: Bool
    private let start = Date()
    private var done = 0
    private var flagged = 0
    private var failed = 0
    private let lock = NSLock()

    init(total: Int, quiet: Bool = false) {
        self.total = total
        self.quiet = quiet
        isTerminal = isatty(STDERR_FILENO) == 1
    }

    func finished(file: String, flagged isFlagged: Bool, failed isFailed: Bool, detail: String) {
        lock.lock()
        defer { lock.unlock() }
        done += 1
        if isFlagged { flagged += 1 }
        if isFailed { failed += 1 }
        guard !quiet else { return }
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        if isTerminal {
            let width = 30
            let filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let line = String(format: "\r[%@] %d/%d  %.2f img/s  ETA %@  flagged %d  failed %d ",
                              bar, done, total, rate, Self.clock(eta), flagged, failed)
            FileHandle.standardError.write(Data(line.utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            let line = String(format: "[%d/%d] %@ %@ (%.2f img/s, ETA %@)\n", done, total, file, detail, rate, Self.clock(eta))
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }
}
