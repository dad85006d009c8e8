/// 2-D max pooling without dilation, rows split over threads.
///
/// Why: the generic pooling loop checks window bounds per element and runs on one
/// thread; on a U-Net at 1024² it was ~17% of the run. Here each output row takes
/// the vertical maximum of its window rows (a loop the compiler vectorises) into a row buffer padded
/// with -inf (so no bounds checks), then the horizontal maximum per output.
/// NaN propagates as in the reference (a NaN in the window gives NaN).
enum MaxPool2D {
    struct Geometry {
        var inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
        var kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int
        var padTop: Int, padLeft: Int

        /// Floats of the padded row buffer.
        var rowCount: Int {
            let right = max(0, (outputWidth - 1) * strideWidth + kernelWidth - padLeft - inputWidth)
            // + 48: the stride-2 vector path reads 34 floats from its last window start.
            return (padLeft + inputWidth + right + 15) / 16 * 16 + 48
        }
    }

    @inline(__always)
    private static func pick(_ acc: SIMD16<Float>, _ v: SIMD16<Float>) -> SIMD16<Float> {
        acc.replacing(with: v, where: v .> acc).replacing(with: v, where: v .!= v)
    }

    @inline(__always)
    private static func pick(_ acc: Float, _ v: Float) -> Float {
        // Two selects rather than `||`: no branch to mispredict, and the loops vectorise.
        let m = v > acc ? v : acc
        return v != v ? v : m
    }


    static func run(_ g: Geometry, planes: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, threads: Int) {
        let bands = max(1, min(g.outputHeight, (threads * 4 + planes - 1) / planes))
        let rowsPerBand = (g.outputHeight + bands - 1) / bands
        ParallelFor.run(count: planes * bands, threads: threads) { task, _ in
            let p = task / bands, b = task % bands
            let y0 = b * rowsPerBand, y1 = min(g.outputHeight, y0 + rowsPerBand)
            guard y0 < y1 else { return }
            withUnsafeTemporaryAllocation(of: Float.self, capacity: g.rowCount) { buf in
                plane(g, input + p * g.inputHeight * g.inputWidth, output + p * g.outputHeight * g.outputWidth,
                      rows: y0..<y1, row: buf.baseAddress!)
            }
        }
    }

    private static func plane(_ g: Geometry, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                              rows: Range<Int>, row: UnsafeMutablePointer<Float>) {
        let iw = g.inputWidth, ih = g.inputHeight, ow = g.outputWidth
        let kw = g.kernelWidth, kh = g.kernelHeight, sx = g.strideWidth
        row.initialize(repeating: -Float.infinity, count: g.rowCount)
        let body = row + g.padLeft
        for oy in rows {
            let iy0 = oy * g.strideHeight - g.padTop
            let ky0 = max(0, -iy0), ky1 = min(kh, ih - iy0)
            let d = dst + oy * ow
            if ky1 <= ky0 { for ox in 0..<ow { d[ox] = -Float.infinity }; continue }
            // Vertical maximum of the window's rows.
            let first = src + (iy0 + ky0) * iw
            body.update(from: first, count: iw)
            for ky in (ky0 + 1)..<max(ky0 + 1, ky1) {
                let r = src + (iy0 + ky) * iw
                for i in 0..<iw { body[i] = pick(body[i], r[i]) }  // auto-vectorised
            }
            // Horizontal maximum (the buffer's -inf padding stands for out-of-range columns).
            if (kw == 2 || kw == 3) && sx == 2 {
                // 16 outputs at a time: de-interleave 32 floats into even and odd columns.
                var ox = 0
                while ox + 16 <= ow {
                    let w = UnsafeRawPointer(row + 2 * ox)
                    let pair = w.loadUnaligned(as: SIMD32<Float>.self)
                    var acc = pick(pair.evenHalf, pair.oddHalf)
                    if kw == 3 {
                        acc = pick(acc, w.loadUnaligned(fromByteOffset: 8, as: SIMD32<Float>.self).evenHalf)
                    }
                    storeVector(acc, d + ox)
                    ox += 16
                }
                while ox < ow {
                    var acc = pick(row[2 * ox], row[2 * ox + 1])
                    if kw == 3 { acc = pick(acc, row[2 * ox + 2]) }
                    d[ox] = acc
                    ox += 1
                }
            } else {
                for ox in 0..<ow {
                    let w = row + ox * sx
                    var acc = w[0]
                    for kx in 1..<max(1, kw) { acc = pick(acc, w[kx]) }
                    d[ox] = acc
                }
            }
        }
    }
}
