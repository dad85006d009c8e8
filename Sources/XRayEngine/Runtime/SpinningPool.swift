#if canImport(Synchronization)
import Foundation
import Synchronization

/// Helper threads for `ParallelFor` that spin for about 0.1 ms after a job before they park,
/// so that the next kernel (a network runs dozens back to back, many under 100 µs) starts
/// without a thread wake-up. With `DispatchQueue.concurrentPerform`
/// the helper thread usually joined a short job only after the caller had run every
/// iteration itself (measured: two 22 µs halves took 65 µs instead of 23), so small layers
/// ran slower on two threads than on one; MobileNetV2 on two threads: 3.7–4.1 → 3.1 ms.
///
/// One job at a time: a caller that finds the pool busy (another session, or a nested
/// `ParallelFor`) gets `false` from `run` and uses Dispatch instead. Threads are started on
/// first use, one fewer than the processors, and park on a condition when idle.
///
/// Protocol: the whole job state a helper needs before it owns a task lives in one atomic
/// word, `ticket` = generation (20 bits) | workers (6) | end (19) | next task (19): tasks
/// `next ..< end` are left. A worker takes one by compare-and-swap of that word, so it can
/// never take a task of a later job; once it owns a task the job cannot finish, so `job` still points at that job's body.
@available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, visionOS 2.0, *)
final class SpinningPool: @unchecked Sendable {
    static let shared = SpinningPool(helpers: ProcessInfo.processInfo.activeProcessorCount - 1)

    /// Spins (about 0.5 ns each here) before an idle helper parks. 20,000 (10 µs) was shorter
    /// than some gaps between a network's parallel steps: MobileNetV2's 7 × 7 blocks, two
    /// threads, then began with a 10 µs wake-up call and the helper's part 15–25 µs late; with
    /// 200,000 both parts start at once (whole net, 2 threads, six alternating runs of 300:
    /// median 4.20–4.79 → 4.05–4.42 ms, ResNet-18 49.3–52.2 → 48.1–49.8 ms).
    static let spinsBeforeParking = 200_000

    static let maxTasks = (1 << 19) - 1
    static let maxWorkers = (1 << 6) - 1

    private struct Job {
        let body: (Int, Int) -> Void
    }

    private let helpers: Int
    private let busy = Atomic<Bool>(false)
    private let ticket = Atomic<Int>(0)
    private let completed = Atomic<Int>(0)
    private let job = Atomic<Int>(0)          // address of the caller's `Job`
    private let sleepers = Atomic<Int>(0)
    private let condition = NSCondition()
    private var generation = 0                // written only by the job's owner
    private let started = Atomic<Bool>(false)

    private init(helpers: Int) {
        self.helpers = max(0, min(helpers, Self.maxWorkers - 1))
    }

    private static func encode(generation: Int, workers: Int, count: Int, next: Int) -> Int {
        (generation & 0xFFFFF) << 44 | workers << 38 | count << 19 | next
    }

    private static func decode(_ t: Int) -> (generation: Int, workers: Int, count: Int, next: Int) {
        ((t >> 44) & 0xFFFFF, (t >> 38) & 0x3F, (t >> 19) & 0x7FFFF, t & 0x7FFFF)
    }

    /// Runs `body(task, worker)` for every task with up to `workers` workers (the caller is
    /// worker 0); returns false, running nothing, when the pool cannot take the job.
    func run(count: Int, workers: Int, _ body: (Int, Int) -> Void) -> Bool {
        guard helpers > 0, count <= Self.maxTasks, workers <= helpers + 1, workers <= Self.maxWorkers else { return false }
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        startHelpersOnce()
        withoutActuallyEscaping(body) { body in
            var current = Job(body: body)
            withUnsafeMutablePointer(to: &current) { pointer in
                generation = (generation + 1) & 0xFFFFF
                completed.store(0, ordering: .relaxed)
                job.store(Int(bitPattern: UnsafeMutableRawPointer(pointer)), ordering: .releasing)
                ticket.store(Self.encode(generation: generation, workers: workers, count: count, next: 0),
                             ordering: .sequentiallyConsistent)
                if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                    condition.lock(); condition.broadcast(); condition.unlock()
                }
                work(as: 0, generation: generation)
                while completed.load(ordering: .acquiring) < count {}
            }
        }
        return true
    }

    /// Takes and runs tasks of job `generation` until none are left: the caller (worker 0)
    /// from the front, the helpers from the back, so that with two workers each takes the
    /// same half of every step's tasks run after run (a band of rows stays in the cache of the
    /// core that wrote it) and a worker that falls behind still has its share taken over.
    /// Against one shared counter (in-process A/B, alternate runs on two threads, median of
    /// the paired ratios): MobileNetV2 −1.2 % (three runs of 2000), ResNet-18 −1.3 %, U-Net ±0.4 %.
    private func work(as worker: Int, generation: Int) {
        var t = ticket.load(ordering: .acquiring)
        while true {
            let (g, workers, end, next) = Self.decode(t)
            guard g == generation, worker < workers, next < end else { return }
            let task = worker == 0 ? next : end - 1
            let taken = worker == 0 ? t + 1 : t - (1 << 19)
            let (exchanged, original) = ticket.compareExchange(expected: t, desired: taken, ordering: .acquiringAndReleasing)
            guard exchanged else { t = original; continue }
            Self.invoke(UnsafeRawPointer(bitPattern: job.load(ordering: .acquiring))!, task, worker)
            completed.add(1, ordering: .releasing)
            t = ticket.load(ordering: .acquiring)
        }
    }

    /// Calls the job's body; out of line so that any reference to the closure ends before
    /// the task is counted complete (the caller's `withoutActuallyEscaping` checks that).
    @inline(never)
    private static func invoke(_ job: UnsafeRawPointer, _ task: Int, _ worker: Int) {
        job.assumingMemoryBound(to: Job.self).pointee.body(task, worker)
    }

    private func startHelpersOnce() {
        guard started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        for index in 1...helpers {
            let thread = Thread { [unowned self] in self.helperLoop(worker: index) }
            thread.name = "XRayEngine worker \(index)"
            thread.start()
        }
    }

    private func helperLoop(worker: Int) {
        var seen = Self.decode(ticket.load(ordering: .acquiring)).generation
        while true {
            // Spin briefly for the next job, then park.
            var spins = 0
            var g = Self.decode(ticket.load(ordering: .acquiring)).generation
            while g == seen {
                spins += 1
                if spins > Self.spinsBeforeParking {
                    condition.lock()
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while Self.decode(ticket.load(ordering: .sequentiallyConsistent)).generation == seen {
                        condition.wait()
                    }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    condition.unlock()
                    spins = 0
                }
                g = Self.decode(ticket.load(ordering: .acquiring)).generation
            }
            seen = g
            work(as: worker, generation: g)
        }
    }
}
#endif
