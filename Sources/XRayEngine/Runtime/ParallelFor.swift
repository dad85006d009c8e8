import Dispatch

/// Splits `count` independent tasks over up to `threads` workers.
///
/// Worker `w` runs the contiguous task range `[w*count/threads, (w+1)*count/threads)`
/// in order, so a caller can hand each worker its own scratch slice. With one worker
/// (or one task) everything runs on the calling thread; otherwise
/// `DispatchQueue.concurrentPerform` spreads the workers over the cores. Nothing is
/// allocated here beyond what Dispatch itself does.
public enum ParallelFor {
    /// Calls `body(task, worker)` for every `task` in `0..<count`.
    /// `worker` is in `0..<min(threads, count)`.
    public static func run(count: Int, threads: Int, _ body: (_ task: Int, _ worker: Int) -> Void) {
        guard count > 0 else { return }
        let workers = max(1, min(threads, count))
        if workers == 1 {
            for task in 0..<count { body(task, 0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBody(body: body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let start = worker * count / workers
                let end = (worker + 1) * count / workers
                for task in start..<end { box.body(task, worker) }
            }
        }
    }

    /// Number of workers `run(count:threads:_:)` will use.
    public static func workerCount(count: Int, threads: Int) -> Int { max(1, min(threads, count)) }
}

/// The kernels' closures capture raw pointers into disjoint regions; the caller
/// guarantees that tasks write disjoint memory.
private struct UncheckedBody: @unchecked Sendable {
    let body: (Int, Int) -> Void
}
