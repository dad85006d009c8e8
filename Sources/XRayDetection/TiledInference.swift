import Foundation
import XRayImaging

/// Runs a network over a scan of any size: bands of tile rows are normalised, their tiles run in
/// parallel (each worker owns one runner), and the outputs are blended into the full-resolution
/// map with ``TileGrid`` weights. Only one band of input and the tiles in flight are held at once.
/// With test-time ``FlipViews`` each tile also runs mirrored, and its plane is the mean of the views.
struct TiledInference {
    let tile: Int
    let overlap: Int
    let channels: Int
    let output: ModelMetadata.OutputKind
    let padding: DetectorConfiguration.Padding
    let threads: Int
    let memoryBudgetBytes: Int
    let maximumTilesInFlight: Int?
    let scratchBytesPerRunner: Int
    let flips: FlipViews

    struct Timings { var preprocess = 0.0, inference = 0.0, stitch = 0.0 }

    /// How many tiles one chunk holds for an image of this width, under the memory budget.
    func tilesPerChunk(grid gx: TileGrid, rows gy: TileGrid, width: Int) -> Int {
        let tileBytes = tile * tile * 4
        let viewBytes = flips.isEmpty ? 0 : (channels + 1) * tileBytes  // mirrored input and output
        let fixed = threads * (channels * tileBytes + viewBytes + scratchBytesPerRunner)
        let stride = max(1, tile - overlap)
        let bandRowBytes = channels * width * 4
        // Tile rows per chunk: the band grows by `stride` rows per extra tile row.
        let firstRow = bandRowBytes * min(tile, gy.length) + gx.count * tileBytes
        let perExtraRow = bandRowBytes * stride + gx.count * tileBytes
        var perChunk: Int
        let room = memoryBudgetBytes - fixed - firstRow
        if room >= 0 {
            let rows = 1 + room / max(1, perExtraRow)
            perChunk = min(rows, gy.count) * gx.count
        } else {
            // One tile row is already over budget: split it into groups of columns.
            let left = memoryBudgetBytes - fixed - bandRowBytes * min(tile, gy.length)
            perChunk = max(threads, left / tileBytes)
        }
        if let m = maximumTilesInFlight { perChunk = min(perChunk, m) }
        return max(1, min(perChunk, gx.count * gy.count))
    }

    @inline(__always)
    static func padIndex(_ i: Int, _ n: Int, _ mode: DetectorConfiguration.Padding) -> Int {
        if i < n { return i }
        if n == 1 || mode == .edge { return n - 1 }
        let period = 2 * (n - 1)
        let m = i % period
        return m < n ? m : period - m
    }

    func run(image: XRayImage, scan: Preprocessor.Scan, preprocessor: Preprocessor,
             pool: RunnerPool, timings: inout Timings) throws -> [Float] {
        let W = image.width, H = image.height, T = tile, C = channels
        let gx = TileGrid(length: W, tile: T, overlap: overlap)
        let gy = TileGrid(length: H, tile: T, overlap: overlap)
        let total = gx.count * gy.count
        let perChunk = tilesPerChunk(grid: gx, rows: gy, width: W)
        let workers = max(1, min(threads, perChunk))

        let allocation = DispatchTime.now()
        var map = [Float](repeating: 0, count: W * H)
        timings.stitch += milliseconds(since: allocation)
        var runners = try pool.take(workers)
        defer { pool.give(runners) }

        let tilePlane = T * T
        let inputs = UnsafeMutablePointer<Float>.allocate(capacity: workers * C * tilePlane)
        defer { inputs.deallocate() }
        let outputs = UnsafeMutablePointer<Float>.allocate(capacity: perChunk * tilePlane)
        defer { outputs.deallocate() }
        // Per worker, for the flipped views: the mirrored input and that view's output.
        let viewScratch = flips.isEmpty ? 0 : (C + 1) * tilePlane
        let views = UnsafeMutablePointer<Float>.allocate(capacity: max(1, workers * viewScratch))
        defer { views.deallocate() }
        let mirrors = flips.mirrors, viewWeight = 1 / Float(flips.runsPerTile)
        var band: [Float] = []
        var bandRows: Range<Int> = 0..<0

        try runners.withUnsafeMutableBufferPointer { runnerBuffer in
            try map.withUnsafeMutableBufferPointer { mapBuffer in
                let runnerPtr = UncheckedSendable(runnerBuffer.baseAddress!)
                let mapPtr = UncheckedSendable(mapBuffer.baseAddress!)
                let inPtr = UncheckedSendable(inputs), outPtr = UncheckedSendable(outputs)
                let viewPtr = UncheckedSendable(views)
                var first = 0
                while first < total {
                    let last = min(total, first + perChunk)   // tiles first..<last
                    let rowLo = first / gx.count, rowHi = (last - 1) / gx.count
                    let rows = gy.origins[rowLo]..<min(H, gy.origins[rowHi] + T)

                    // 1. Normalise the band of rows this chunk reads.
                    var t0 = DispatchTime.now()
                    if rows != bandRows {
                        let need = C * rows.count * W
                        if band.count < need { band = [Float](repeating: 0, count: need) }
                        band.withUnsafeMutableBufferPointer {
                            preprocessor.fill(scan, image: image, rows: rows, into: $0.baseAddress!, workers: threads)
                        }
                        bandRows = rows
                    }
                    timings.preprocess += milliseconds(since: t0)

                    // 2. Run the chunk's tiles in parallel.
                    t0 = DispatchTime.now()
                    let errors = FirstError()
                    band.withUnsafeBufferPointer { bandBuffer in
                        let b = UncheckedSendable(bandBuffer.baseAddress!)
                        let bandRowCount = rows.count, bandStart = rows.lowerBound
                        let output = self.output, padding = self.padding
                        Parallel.forEachItem(workers: workers, count: last - first) { w, item in
                            if errors.error != nil { return }
                            let index = first + item
                            let ox = gx.origins[index % gx.count], oy = gy.origins[index / gx.count]
                            let input = inPtr.value + w * C * tilePlane
                            let out = outPtr.value + item * tilePlane
                            // Gather the tile (padding only where the image is shorter than a tile).
                            for c in 0..<C {
                                let plane = b.value + c * bandRowCount * W
                                for j in 0..<T {
                                    let sy = Self.padIndex(oy + j, H, padding) - bandStart
                                    let src = plane + sy * W
                                    let dst = input + (c * T + j) * T
                                    if ox + T <= W {
                                        dst.update(from: src + ox, count: T)
                                    } else {
                                        for i in 0..<T { dst[i] = src[Self.padIndex(ox + i, W, padding)] }
                                    }
                                }
                            }
                            /// Runs one view into `plane` as probabilities; false when the network failed.
                            func runView(_ tile: UnsafePointer<Float>, into plane: UnsafeMutablePointer<Float>) -> Bool {
                                do {
                                    try runnerPtr.value[w].run(tile: tile, into: plane)
                                } catch {
                                    errors.record(DetectionError.networkFailed("tile at x=\(ox), y=\(oy): \(error)"))
                                    return false
                                }
                                var finite = true
                                if output == .logits {
                                    for i in 0..<tilePlane {
                                        let v = plane[i]
                                        finite = finite && v.isFinite
                                        plane[i] = 1 / (1 + expf(-v))
                                    }
                                } else {
                                    for i in 0..<tilePlane { finite = finite && plane[i].isFinite }
                                }
                                if !finite { errors.record(DetectionError.nonFiniteOutput(tileX: ox, tileY: oy)) }
                                return finite
                            }
                            guard runView(UnsafePointer(input), into: out) else { return }
                            guard !mirrors.isEmpty else { return }
                            let mirrored = viewPtr.value + w * viewScratch
                            let viewOut = mirrored + C * tilePlane
                            for m in mirrors {
                                for c in 0..<C {
                                    FlipViews.mirror(input + c * tilePlane, into: mirrored + c * tilePlane, side: T,
                                                     x: m.x, y: m.y)
                                }
                                guard runView(UnsafePointer(mirrored), into: viewOut) else { return }
                                FlipViews.addMirrored(viewOut, to: out, side: T, x: m.x, y: m.y)
                            }
                            for i in 0..<tilePlane { out[i] *= viewWeight }
                        }
                    }
                    timings.inference += milliseconds(since: t0)
                    try errors.rethrow()

                    // 3. Blend the chunk's tiles into the map, rows split across workers.
                    t0 = DispatchTime.now()
                    Parallel.forEachRange(workers: threads, count: rows.count, minimumChunk: 8) { r in
                        for y in (rows.lowerBound + r.lowerBound)..<(rows.lowerBound + r.upperBound) {
                            let mrow = mapPtr.value + y * W
                            for index in first..<last {
                                let ty = index / gx.count, tx = index % gx.count
                                let oy = gy.origins[ty]
                                guard y >= oy, y < oy + T else { continue }
                                let ox = gx.origins[tx]
                                let wy = gy.weights[ty][y - oy]
                                let src = outPtr.value + (index - first) * tilePlane + (y - oy) * T
                                let n = min(T, W - ox)
                                gx.weights[tx].withUnsafeBufferPointer { wx in
                                    let dst = mrow + ox
                                    for i in 0..<n { dst[i] += wy * wx[i] * src[i] }
                                }
                            }
                        }
                    }
                    timings.stitch += milliseconds(since: t0)
                    first = last
                }

                // 4. Divide by the summed weights.
                let t0 = DispatchTime.now()
                gx.inverseWeightSum.withUnsafeBufferPointer { ix in
                    let ixp = UncheckedSendable(ix.baseAddress!)
                    Parallel.forEachRange(workers: threads, count: H, minimumChunk: 16) { r in
                        for y in r {
                            let s = gy.inverseWeightSum[y]
                            let row = mapPtr.value + y * W
                            for x in 0..<W { row[x] *= s * ixp.value[x] }
                        }
                    }
                }
                timings.stitch += milliseconds(since: t0)
            }
        }
        return map
    }
}
