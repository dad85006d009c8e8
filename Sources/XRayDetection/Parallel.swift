import Foundation
import Dispatch

/// A value passed into a parallel loop whose safety the loop guarantees (disjoint writes).
struct UncheckedSendable<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

/// Remembers the first error thrown by any worker.
final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Error?
    func record(_ error: Error) {
        lock.lock(); if stored == nil { stored = error }; lock.unlock()
    }
    var error: Error? { lock.lock(); defer { lock.unlock() }; return stored }
    func rethrow() throws { if let e = error { throw e } }
}

enum Parallel {
    /// Runs `body(worker, item)` for every item in `0..<count` on up to `workers` threads;
    /// worker `w` takes items `w, w + n, w + 2n, …` (deterministic assignment).
    static func forEachItem(workers: Int, count: Int, _ body: (_ worker: Int, _ item: Int) -> Void) {
        let n = max(1, min(workers, count))
        if n == 1 { for i in 0..<count { body(0, i) }; return }
        withoutActuallyEscaping(body) { escaping in
            let f = UncheckedSendable(escaping)
            DispatchQueue.concurrentPerform(iterations: n) { w in
                var i = w
                while i < count { f.value(w, i); i += n }
            }
        }
    }

    /// Splits `0..<count` into up to `workers` contiguous ranges and runs them in parallel.
    static func forEachRange(workers: Int, count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let n = max(1, min(workers, count / max(1, minimumChunk)))
        if n == 1 { body(0..<count); return }
        withoutActuallyEscaping(body) { escaping in
            let f = UncheckedSendable(escaping)
            DispatchQueue.concurrentPerform(iterations: n) { w in
                let lo = count * w / n, hi = count * (w + 1) / n
                if lo < hi { f.value(lo..<hi) }
            }
        }
    }
}

/// Milliseconds since `start` (monotonic clock).
@inline(__always) func milliseconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds &- start.uptimeNanoseconds) / 1e6
}
