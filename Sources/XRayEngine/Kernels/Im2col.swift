/// Packs the im2col matrix of one image (one group) straight into GEMM B panels,
/// without materialising it: row `k = (c, ky, kx)`, column `n = (oy, ox)` holds
/// `input[c][oy*sh - padTop + ky*dh][ox*sw - padLeft + kx*dw]`, zero outside the image.
///
/// Convolutions whose `StridePlanes` fit use `PlaneIm2colPacker` instead (contiguous copies);
/// this one serves the rest: huge images, and small maps where the planes' pitch would add
/// too much work.
struct Im2colPacker: GemmBPacker {
    let input: UnsafePointer<Float>   // the group's first input channel
    let height: Int, width: Int
    let outputWidth: Int
    let kernelHeight: Int, kernelWidth: Int
    let strideHeight: Int, strideWidth: Int
    let dilationHeight: Int, dilationWidth: Int
    let padTop: Int, padLeft: Int

    @inline(__always)
    func pack(k0: Int, kc: Int, n0: Int, nc: Int, into dst: UnsafeMutablePointer<Float>) {
        let nr = GemmTile.nr
        let taps = kernelHeight * kernelWidth
        let oyStart = n0 / outputWidth
        let oxStart = n0 - oyStart * outputWidth
        // (c, ky, kx) of row k0, then stepped without divisions. Rows outer, panels inner:
        // each row of the block reads one contiguous stretch of the input.
        var c = k0 / taps
        var ky = (k0 - c * taps) / kernelWidth
        var kx = k0 - c * taps - ky * kernelWidth
        for kk in 0..<kc {
            defer {
                kx += 1
                if kx == kernelWidth { kx = 0; ky += 1; if ky == kernelHeight { ky = 0; c += 1 } }
            }
            let channel = input + c * height * self.width
            let yOffset = ky * dilationHeight - padTop
            let xOffset = kx * dilationWidth - padLeft
            var oy = oyStart
            var ox = oxStart
            var q = 0
            while q * nr < nc {
                let width = min(nr, nc - q * nr)
                let d = dst + q * kc * nr + kk * nr
                var j = 0
                while j < width {
                    let run = min(width &- j, outputWidth &- ox)
                    let iy = oy &* strideHeight &+ yOffset
                    let dj = d + j
                    if iy < 0 || iy >= height {
                        for t in 0..<run { dj[t] = 0 }
                    } else {
                        let row = channel + iy &* self.width
                        // ix = (ox + t) * sw + xOffset must lie in [0, width)
                        var lo = 0
                        while lo < run && (ox &+ lo) &* strideWidth &+ xOffset < 0 { dj[lo] = 0; lo &+= 1 }
                        var hi = run
                        while hi > lo && (ox &+ hi &- 1) &* strideWidth &+ xOffset >= self.width { hi &-= 1; dj[hi] = 0 }
                        if strideWidth == 1 {
                            let src = row + (ox &+ xOffset)
                            var t = lo
                            while t &+ 16 <= hi { storeVector(loadVector(src + t), dj + t); t &+= 16 }
                            while t < hi { dj[t] = src[t]; t &+= 1 }
                        } else {
                            var ix = (ox &+ lo) &* strideWidth &+ xOffset
                            for t in lo..<hi { dj[t] = row[ix]; ix &+= strideWidth }
                        }
                    }
                    j &+= run
                    ox &+= run
                    if ox == outputWidth { ox = 0; oy &+= 1 }
                }
                for t in width..<nr { d[t] = 0 }
                q += 1
            }
        }
    }
}
