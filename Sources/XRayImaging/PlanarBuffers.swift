/// Helpers that fill Swift arrays from C without zero-filling them first, and
/// move between interleaved (what PNG stores) and planar (what XRayImage stores).
enum PlanarBuffers {
    /// An array of `count` elements whose bytes `fill` writes.
    static func make<T>(_: T.Type, count: Int, fill: (UnsafeMutableRawPointer, Int) throws -> Void) rethrows -> [T] {
        try [T](unsafeUninitializedCapacity: count) { buf, initialized in
            try fill(UnsafeMutableRawPointer(buf.baseAddress!), count * MemoryLayout<T>.stride)
            initialized = count
        }
    }

    /// Interleaved pixels → planes (channel 0 first).
    static func deinterleave<T>(_ src: [T], channels c: Int) -> [T] {
        if c == 1 { return src }
        let n = src.count / c
        return [T](unsafeUninitializedCapacity: src.count) { out, initialized in
            src.withUnsafeBufferPointer { s in
                for ch in 0..<c {
                    let base = ch * n
                    for i in 0..<n { (out.baseAddress! + base + i).initialize(to: s[i * c + ch]) }
                }
            }
            initialized = src.count
        }
    }

    /// Planes → interleaved pixels.
    static func interleave<T>(_ src: [T], channels c: Int) -> [T] {
        if c == 1 { return src }
        let n = src.count / c
        return [T](unsafeUninitializedCapacity: src.count) { out, initialized in
            src.withUnsafeBufferPointer { s in
                for ch in 0..<c {
                    let base = ch * n
                    for i in 0..<n { (out.baseAddress! + i * c + ch).initialize(to: s[base + i]) }
                }
            }
            initialized = src.count
        }
    }
}
