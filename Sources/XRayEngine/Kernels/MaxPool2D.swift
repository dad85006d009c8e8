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

        /// The window rows `ky0 ..< ky1` of output row `oy` that lie inside the input
        /// (input row `oy * strideHeight - padTop + ky`); empty when `ky1 <= ky0`.
        func windowRows(_ oy: Int) -> (Int, Int) {
            let iy0 = oy * strideHeight - padTop
            return (max(0, -iy0), min(kernelHeight, inputHeight - iy0))
        }

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
        let iw = g.inputWidth
        prepareRowBuffer(g, row)
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: g.kernelHeight) { window in
            let w = window.baseAddress!
            for oy in rows {
                let (ky0, ky1) = g.windowRows(oy)
                let iy0 = oy * g.strideHeight - g.padTop
                for ky in ky0..<max(ky0, ky1) { w[ky - ky0] = src + (iy0 + ky) * iw }
                poolRow(g, window: w, count: ky1 - ky0, row: row, into: dst + oy * g.outputWidth)
            }
        }
    }

    /// Fills the row buffer's padding with -inf (once per buffer; `poolRow` writes only its body).
    static func prepareRowBuffer(_ g: Geometry, _ row: UnsafeMutablePointer<Float>) {
        row.initialize(repeating: -Float.infinity, count: g.rowCount)
    }

    /// One output row from the `count` input rows its window covers (`window[i]` is an input row
    /// of `inputWidth` floats; none when the window lies in the padding): their vertical maximum
    /// into `row`'s body (a buffer of `rowCount` floats set up by `prepareRowBuffer`), then the
    /// horizontal maximum per output.
    static func poolRow(_ g: Geometry, window: UnsafePointer<UnsafePointer<Float>>, count: Int,
                        row: UnsafeMutablePointer<Float>, into d: UnsafeMutablePointer<Float>) {
        let iw = g.inputWidth, ow = g.outputWidth
        let kw = g.kernelWidth, sx = g.strideWidth
        let body = row + g.padLeft
        if count <= 0 { for ox in 0..<ow { d[ox] = -Float.infinity }; return }
        // Vertical maximum of the window's rows; up to three rows in one pass (from L2, in the
        // fused convolution, copying the first row and re-reading the buffer per row cost
        // as much as the pooling's arithmetic).
        if count <= 3 {
            let r0 = window[0], r1 = window[min(1, count - 1)], r2 = window[count - 1]
            var x = 0
            while x &+ 16 <= iw {
                storeVector(pick(pick(loadVector(r0 + x), loadVector(r1 + x)), loadVector(r2 + x)), body + x)
                x &+= 16
            }
            while x < iw {
                body[x] = pick(pick(r0[x], r1[x]), r2[x])
                x &+= 1
            }
        } else {
            body.update(from: window[0], count: iw)
            for i in 1..<count {
                let r = window[i]
                for x in 0..<iw { body[x] = pick(body[x], r[x]) }  // auto-vectorised
            }
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
