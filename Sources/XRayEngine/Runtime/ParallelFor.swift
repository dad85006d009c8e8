import Dispatch
#if canImport(Synchronization)
import Synchronization
#endif

/// Splits `count` independent tasks over up to `threads` workers.
///
/// Each worker has an index in `0..<min(threads, count)` that it passes to every task
/// it runs, so a caller can hand each worker its own scratch slice. Workers take the
/// next task from a shared atomic counter, so a worker whose core is busy with another
/// process does not hold the others up (where `Synchronization.Atomic` is unavailable,
/// worker `w` runs the contiguous range `[w*count/workers, (w+1)*count/workers)`).
/// With one worker (or one task) everything runs on the calling thread; otherwise the
/// process's `SpinningPool` helpers join the caller, and where the pool is taken (another
/// session's job, a nested call) or unavailable, `DispatchQueue.concurrentPerform` spreads
/// the workers over the cores. Nothing is allocated here beyond what Dispatch itself does.
public enum ParallelFor {
    /// Calls `body(task, worker)` once for every `task` in `0..<count`.
    public static func run(count: Int, threads: Int, _ body: (_ task: Int, _ worker: Int) -> Void) {
        guard count > 0 else { return }
        let workers = workerCount(count: count, threads: threads)
        if workers == 1 {
            for task in 0..<count { body(task, 0) }
            return
        }
        // Many tiny tasks (a depthwise layer's channels on a 7 x 7 map take ~60 ns each) are
        // handed out in runs, so the workers do not contend for the shared counter per task.
        let run = max(1, count / (workers * 16))
        if run > 1 {
            let groups = (count + run - 1) / run
            spread(count: groups, workers: workers) { group, worker in
                for task in group * run..<min(count, (group + 1) * run) { body(task, worker) }
            }
        } else {
            spread(count: count, workers: workers, body)
        }
    }

    private static func spread(count: Int, workers: Int, _ body: (_ task: Int, _ worker: Int) -> Void) {
        #if canImport(Synchronization)
        if #available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, visionOS 2.0, *) {
            if SpinningPool.shared.run(count: count, workers: workers, body) { return }
        }
        #endif
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBody(body: body)
            #if canImport(Synchronization)
            if #available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, visionOS 2.0, *) {
                let next = Atomic<Int>(0)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    while true {
                        let task = next.wrappingAdd(1, ordering: .relaxed).oldValue
                        if task >= count { break }
                        box.body(task, worker)
                    }
                }
                return
            }
            #endif
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let start = worker * count / workers
                let end = (worker + 1) * count / workers
                for task in start..<end { box.body(task, worker) }
            }
        }
    }

    /// Number of workers `run(count:threads:_:)` uses: scratch must be sized for this many.
    public static func workerCount(count: Int, threads: Int) -> Int { max(1, min(threads, count)) }
}

/// The kernels' closures capture raw pointers into disjoint regions; the caller
/// guarantees that tasks write disjoint memory.
private struct UncheckedBody: @unchecked Sendable {
    let body: (Int, Int) -> Void
}
