/// Assigns activation buffers offsets in one arena, reusing memory of values that are
/// no longer live (first fit by offset over the live set).
struct MemoryPlanner {
    struct Block { var offset: Int; var size: Int; var lastUse: Int }
    private var live: [Block] = []
    private(set) var peak = 0

    /// Alignment of every buffer, in floats (64 bytes).
    static let alignment = 16

    /// Frees buffers whose last use is before `step`.
    mutating func release(before step: Int) {
        live.removeAll { $0.lastUse < step }
    }

    /// Returns the offset (in floats) of a new buffer of `count` floats live through `lastUse`.
    mutating func allocate(count: Int, lastUse: Int) -> Int {
        let size = max(1, (count + Self.alignment - 1) / Self.alignment) * Self.alignment
        let sorted = live.sorted { $0.offset < $1.offset }
        var offset = 0
        for b in sorted {
            if b.offset - offset >= size { break }
            offset = max(offset, b.offset + b.size)
        }
        live.append(Block(offset: offset, size: size, lastUse: lastUse))
        peak = max(peak, offset + size)
        return offset
    }
}
