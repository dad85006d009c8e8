/// Runs `work` on up to `jobs` inputs at once and hands each result to `collect` on the calling
/// task in input order, so a report does not depend on which input finished first. At most
/// `jobs` finished results wait for an earlier input, so memory stays bounded when one is slow.
/// (`eval` and `calibrate`: one scan per core, the metrics accumulated in order.)
func forEachInOrder<Input: Sendable, Output: Sendable>(_ inputs: [Input], jobs: Int,
                                                      work: @escaping @Sendable (Input) async -> Output,
                                                      collect: (Input, Output) -> Void) async {
    let jobs = max(1, jobs)
    await withTaskGroup(of: (Int, Output).self) { group in
        var next = 0, running = 0, collected = 0
        var finished: [Int: Output] = [:]   // done, waiting for an earlier input
        func fill() {
            while next < inputs.count, running < jobs, finished.count < jobs {
                let index = next, input = inputs[index]
                next += 1
                running += 1
                group.addTask { (index, await work(input)) }
            }
        }
        fill()
        while let (index, output) = await group.next() {
            running -= 1
            finished[index] = output
            while let ready = finished.removeValue(forKey: collected) {
                collect(inputs[collected], ready)
                collected += 1
            }
            fill()
        }
    }
}
