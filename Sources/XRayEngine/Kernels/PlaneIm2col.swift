/// im2col over `StridePlanes`: row `k = (c, ky, kx)` of the im2col matrix reads channel
/// `c`'s planes at `tapOffset(ky, kx)` plus the output position, with no bounds checks (the
/// padding is in the planes; the gathering `Im2colPacker` spent ~40 % of a 64-channel 3 × 3
/// convolution packing). Two column layouts:
/// - *flat* columns `oy * pitch + ox`: each row of a B block is one contiguous stretch, plain
///   vector copies; the GEMM computes `outputHeight × pitch` columns and `scatterColumns`
///   drops the pitch's spare ones, so this pays where the pitch is close to the output width;
/// - *compact* columns `oy * outputWidth + ox` (the output's own): a copy per output row
///   piece, for small maps where the spare columns would cost too much (16 × 16: 12.5 %).
struct PlaneIm2colPacker: GemmBPacker {
    /// Planes of the group's first input channel; channel `c` starts `c * channelCount` later.
    let planes: UnsafePointer<Float>
    let geometry: StridePlanes
    /// Flat column of this packer's column 0 (a task's chunk start; 0 when compact).
    let columnOffset: Int
    let compact: Bool

    @inline(__always)
    func pack(k0: Int, kc: Int, n0: Int, nc: Int, into dst: UnsafeMutablePointer<Float>) {
        if compact { packCompact(k0: k0, kc: kc, n0: n0, nc: nc, into: dst); return }
        let nr = GemmTile.nr
        let kh = geometry.descriptor.kernelHeight, kw = geometry.descriptor.kernelWidth
        let taps = kh * kw
        let channelCount = geometry.channelCount
        let fullPanels = nc / nr, rest = nc - fullPanels * nr
        let panelStride = kc * nr
        var c = k0 / taps
        var ky = (k0 - c * taps) / kw
        var kx = k0 - c * taps - ky * kw
        for kk in 0..<kc {
            let src = planes + c * channelCount + geometry.tapOffset(ky, kx) + columnOffset + n0
            var d = dst + kk * nr
            var s = src
            for _ in 0..<fullPanels {
                storeVector(loadVector(s), d)
                storeVector(loadVector(s + 16), d + 16)
                s += nr
                d += panelStride
            }
            if rest > 0 {
                for j in 0..<rest { d[j] = s[j] }
                for j in rest..<nr { d[j] = 0 }
            }
            kx += 1
            if kx == kw { kx = 0; ky += 1; if ky == kh { ky = 0; c += 1 } }
        }
    }

    @inline(__always)
    func packCompact(k0: Int, kc: Int, n0: Int, nc: Int, into dst: UnsafeMutablePointer<Float>) {
        let nr = GemmTile.nr
        let kh = geometry.descriptor.kernelHeight, kw = geometry.descriptor.kernelWidth
        let taps = kh * kw
        let channelCount = geometry.channelCount, ow = geometry.outputWidth, pitch = geometry.pitch
        let oyStart = n0 / ow, oxStart = n0 - oyStart * ow
        var c = k0 / taps
        var ky = (k0 - c * taps) / kw
        var kx = k0 - c * taps - ky * kw
        for kk in 0..<kc {
            let base = planes + c * channelCount + geometry.tapOffset(ky, kx)
            var oy = oyStart, ox = oxStart
            var q = 0
            while q * nr < nc {
                let width = min(nr, nc - q * nr)
                let d = dst + q * kc * nr + kk * nr
                var j = 0
                while j < width {
                    let run = min(width &- j, ow &- ox)
                    StridePlanes.copy(base + (oy &* pitch &+ ox), d + j, run)
                    j &+= run
                    ox &+= run
                    if ox == ow { ox = 0; oy &+= 1 }
                }
                for t in width..<nr { d[t] = 0 }
                q += 1
            }
            kx += 1
            if kx == kw { kx = 0; ky += 1; if ky == kh { ky = 0; c += 1 } }
        }
    }

    /// Copies flat columns `n0 ..< n0 + count` of `rows` rows of `flat` (row stride `ld`,
    /// column 0 = flat column `n0`) into NCHW output planes of `outputHeight × outputWidth`,
    /// dropping the columns with `ox >= outputWidth`.
    static func scatterColumns(_ flat: UnsafePointer<Float>, ld: Int, rows: Int, n0: Int, count: Int,
                               geometry g: StridePlanes, into output: UnsafeMutablePointer<Float>) {
        let ow = g.outputWidth, plane = g.outputHeight * ow, pitch = g.pitch
        let n1 = n0 + count
        var oy = n0 / pitch
        while oy * pitch < n1 {
            let start = max(n0, oy * pitch), end = min(n1, oy * pitch + ow)
            if start < end {
                let length = end - start, ox = start - oy * pitch
                for r in 0..<rows {
                    StridePlanes.copy(flat + r * ld + (start - n0), output + r * plane + oy * ow + ox, length)
                }
            }
            oy += 1
        }
    }
}
