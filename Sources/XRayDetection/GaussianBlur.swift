import Foundation

/// Separable Gaussian smoothing of a single-plane float map, in place, edges clamped.
///
/// The horizontal pass runs row by row; the vertical pass runs on column strips (one per worker)
/// with a ring of `2r + 1` original rows, so no copy of the whole map is made.
enum GaussianBlur {
    static func kernel(sigma: Double) -> [Float] {
        let r = max(1, Int((3 * sigma).rounded(.up)))
        var k = (-r...r).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        let s = k.reduce(0, +)
        for i in k.indices { k[i] /= s }
        return k
    }

    static func apply(_ map: inout [Float], width W: Int, height H: Int, sigma: Double, workers: Int) {
        guard sigma > 0, W > 0, H > 0 else { return }
        let k = kernel(sigma: sigma)
        let r = k.count / 2, K = k.count
        map.withUnsafeMutableBufferPointer { buffer in
            let m = UncheckedSendable(buffer.baseAddress!)
            k.withUnsafeBufferPointer { kb in
                let kp = UncheckedSendable(kb.baseAddress!)
                // Horizontal pass.
                Parallel.forEachRange(workers: workers, count: H, minimumChunk: 16) { rows in
                    let padded = UnsafeMutablePointer<Float>.allocate(capacity: W + 2 * r)
                    defer { padded.deallocate() }
                    for y in rows {
                        let row = m.value + y * W
                        for i in 0..<r { padded[i] = row[0]; padded[W + r + i] = row[W - 1] }
                        (padded + r).update(from: row, count: W)
                        // Tap-outer, pixel-inner: the inner loop is a contiguous multiply-add over the row.
                        row.update(repeating: 0, count: W)
                        for j in 0..<K {
                            let kj = kp.value[j], p = padded + j
                            for x in 0..<W { row[x] += kj * p[x] }
                        }
                    }
                }
                // Vertical pass on column strips.
                Parallel.forEachRange(workers: workers, count: W, minimumChunk: 64) { cols in
                    let sw = cols.count, x0 = cols.lowerBound
                    let ring = UnsafeMutablePointer<Float>.allocate(capacity: K * sw)
                    let acc = UnsafeMutablePointer<Float>.allocate(capacity: sw)
                    defer { ring.deallocate(); acc.deallocate() }
                    for i in 0..<min(r, H) { (ring + (i % K) * sw).update(from: m.value + i * W + x0, count: sw) }
                    for y in 0..<H {
                        if y + r < H { (ring + ((y + r) % K) * sw).update(from: m.value + (y + r) * W + x0, count: sw) }
                        acc.update(repeating: 0, count: sw)
                        for j in 0..<K {
                            let ci = min(max(y + j - r, 0), H - 1)
                            let src = ring + (ci % K) * sw
                            let kj = kp.value[j]
                            for x in 0..<sw { acc[x] += kj * src[x] }
                        }
                        (m.value + y * W + x0).update(from: acc, count: sw)
                    }
                }
            }
        }
    }
}
