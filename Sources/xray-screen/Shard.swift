/// `--shard i/N`: machine `i` (0-based) of `N` takes the inputs whose path hashes to `i`.
///
/// The split depends only on each path, not on listing order or on which other files
/// exist, so N machines listing the same share agree on who does what; every file
/// lands in exactly one shard. Use `$JOB_COMPLETION_INDEX` (Kubernetes Indexed Job)
/// or `$SLURM_ARRAY_TASK_ID` (Slurm array `--array=0-(N-1)`) for `i`.
struct Shard: Equatable, Sendable {
    var index: Int
    var count: Int

    init(index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else {
            throw CLIError.usage("shard must be i/N with 0 ≤ i < N, got \(index)/\(count)")
        }
        self.index = index
        self.count = count
    }

    init(parsing text: String) throws {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw CLIError.usage("shard must look like 3/8 (index/count, index from 0), got '\(text)'")
        }
        try self.init(index: i, count: n)
    }

    func contains(_ path: String) -> Bool {
        Int(Self.fnv1a(path) % UInt64(count)) == index
    }

    /// FNV-1a, 64-bit: stable across runs and machines, unlike `Hasher`.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return hash
    }
}
