import XCTest
import XRayImaging
import XRayDetection

final class DetectorTests: XCTestCase {
    let truth = [Region.Box(x: 40, y: 30, width: 30, height: 20), Region.Box(x: 200, y: 120, width: 16, height: 40)]

    func testRegionsCoverInsertedDenseBlocks() throws {
        let scan = SyntheticScans.gray(width: 300, height: 200, boxes: truth, pixelsPerMillimetre: (2, 2))
        let result = try SyntheticScans.detector().detect(scan, file: "bag.tiff")
        XCTAssertTrue(result.flagged)
        XCTAssertGreaterThan(result.score, 1)
        XCTAssertEqual(result.regions.count, 2, "\(result.regions)")
        for box in truth {
            let best = result.regions.map { $0.boundingBox.intersectionOverUnion(box) }.max() ?? 0
            XCTAssertGreaterThan(best, 0.5, "box \(box) found as \(result.regions.map(\.boundingBox))")
        }
        let first = try XCTUnwrap(result.regions.first)
        XCTAssertGreaterThanOrEqual(first.peakScore, result.regions.last!.peakScore)
        XCTAssertEqual(first.areaSquareMillimetres ?? 0, Double(first.areaPixels) / 4, accuracy: 1e-9)
        XCTAssertEqual(result.file, "bag.tiff")
        XCTAssertEqual(result.image.width, 300)
        XCTAssertEqual(result.model.name, "local-contrast-analytic")
        XCTAssertGreaterThan(result.timings.totalMs, 0)
    }

    func testCleanScanHasNoRegionsAndIsNotFlagged() throws {
        let result = try SyntheticScans.detector().detect(SyntheticScans.gray(width: 300, height: 200))
        XCTAssertFalse(result.flagged)
        XCTAssertTrue(result.regions.isEmpty)
        XCTAssertLessThan(result.score, 0.2)
    }

    func testSingleTileAndManyTilesGiveTheSameMap() throws {
        let scan = SyntheticScans.gray(width: 200, height: 150, boxes: [.init(x: 90, y: 40, width: 25, height: 50)], seed: 7)
        let single = try SyntheticScans.detector(tile: 256).detectWithMap(scan).anomalyMap
        let tiled = try SyntheticScans.detector(tile: 48, overlap: 16).detectWithMap(scan).anomalyMap
        var worst: Float = 0
        for i in single.values.indices { worst = max(worst, abs(single.values[i] - tiled.values[i])) }
        print("tiling invariance: worst difference \(worst)")
        XCTAssertLessThan(worst, 0.02, "normalised map differs by \(worst) between one tile and many")
    }

    func testNoSeamsAtTileBoundaries() throws {
        // A smooth ramp has small gradients everywhere, so any seam would stand out.
        let scan = SyntheticScans.ramp(width: 240, height: 96)
        let T = 48, overlap = 16
        let map = try SyntheticScans.detector(tile: T, overlap: overlap).detectWithMap(scan).anomalyMap
        let reference = try SyntheticScans.detector(tile: 256).detectWithMap(scan).anomalyMap
        // Tile edges along x: origins every T - overlap, last one flush with the right edge.
        var edges = Set<Int>()
        var o = 0
        while true {
            edges.insert(o); edges.insert(o + T - 1)
            if o + T >= scan.width { break }
            o = min(o + T - overlap, scan.width - T)
        }
        var atEdges: Float = 0, inside: Float = 0, excess: Float = 0
        for y in 0..<map.height {
            for x in 6..<(map.width - 1) {
                let g = abs(map[x: x + 1, y: y] - map[x: x, y: y])
                if edges.contains(x) || edges.contains(x + 1) {
                    atEdges = max(atEdges, g)
                    // How much steeper than the seamless single-tile map at the same place.
                    excess = max(excess, g - abs(reference[x: x + 1, y: y] - reference[x: x, y: y]))
                } else {
                    inside = max(inside, g)
                }
            }
        }
        print("seams: max gradient at tile edges \(atEdges), inside \(inside), excess over one tile \(excess)")
        XCTAssertGreaterThan(inside, 0)
        XCTAssertLessThanOrEqual(atEdges, inside * 1.05, "gradient at tile edges \(atEdges) vs inside \(inside)")
        XCTAssertLessThan(excess, inside * 0.02, "tile edges are steeper than the one-tile map by \(excess)")
    }

    func testReproducibleAcrossThreadCountsAndBudgets() throws {
        let scan = SyntheticScans.gray(width: 257, height: 190, boxes: truth, seed: 3)
        let a = try SyntheticScans.detector(threads: 1).detectWithMap(scan)
        let b = try SyntheticScans.detector(threads: 2) { $0.memoryBudgetBytes = 1 << 16; $0.maximumTilesInFlight = 3 }
            .detectWithMap(scan)
        XCTAssertEqual(a.anomalyMap.values, b.anomalyMap.values)
        XCTAssertEqual(a.result.regions, b.result.regions)
    }

    func testImageSmallerThanTileIsPadded() throws {
        let scan = SyntheticScans.gray(width: 30, height: 20, boxes: [.init(x: 10, y: 5, width: 10, height: 10)])
        for padding in [DetectorConfiguration.Padding.reflect, .edge] {
            let result = try SyntheticScans.detector { $0.padding = padding; $0.minimumRegionArea = 4 }.detect(scan)
            XCTAssertEqual(result.regions.count, 1)
            XCTAssertGreaterThan(result.regions[0].boundingBox.intersectionOverUnion(.init(x: 10, y: 5, width: 10, height: 10)), 0.5)
            XCTAssertTrue(result.warnings.contains { $0.contains("smaller than") })
        }
    }

    func testDualEnergyScan() throws {
        let scan = SyntheticScans.dual(width: 160, height: 120, boxes: [truth[0]])
        let result = try SyntheticScans.detector(channels: 2).detect(scan)
        XCTAssertEqual(result.regions.count, 1)
        XCTAssertGreaterThan(result.regions[0].boundingBox.intersectionOverUnion(truth[0]), 0.5)
    }

    func testSmoothingTopKAndMergeSettings() throws {
        let boxes = [Region.Box(x: 20, y: 20, width: 12, height: 12), Region.Box(x: 38, y: 20, width: 12, height: 12)]
        let scan = SyntheticScans.gray(width: 128, height: 96, boxes: boxes)
        let apart = try SyntheticScans.detector { $0.smoothingSigma = 1; $0.imageScore = .topKMean(50) }.detect(scan)
        XCTAssertEqual(apart.regions.count, 2)
        XCTAssertEqual(apart.imageScoreMethod, "top_k_mean:50")
        let merged = try SyntheticScans.detector { $0.smoothingSigma = 1; $0.mergeDistance = 10 }.detect(scan)
        XCTAssertEqual(merged.regions.count, 1)
        XCTAssertEqual(merged.regions[0].areaPixels, apart.regions.map(\.areaPixels).reduce(0, +))
    }

    func testConcurrentAndAsyncDetect() async throws {
        let detector = try SyntheticScans.detector()
        let scan = SyntheticScans.gray(width: 200, height: 100, boxes: [truth[0]])
        let expected = try await detector.detect(scan).regions
        try await withThrowingTaskGroup(of: [Region].self) { group in
            for _ in 0..<4 { group.addTask { try await detector.detect(scan).regions } }
            for try await regions in group { XCTAssertEqual(regions, expected) }
        }
    }

    func testModelWithoutMetadataUsesFallbacksAndWarns() throws {
        let network = LocalContrastNetwork(tileSize: 64, metadata: [:])
        let detector = try Detector(network: network)
        XCTAssertEqual(detector.calibrationSource, "default")
        XCTAssertEqual(detector.tileOverlap, 16)
        let result = try detector.detect(SyntheticScans.gray(width: 100, height: 80))
        XCTAssertTrue(result.warnings.contains { $0.contains("uncalibrated") })
        XCTAssertTrue(result.warnings.contains { $0.contains("lacks") })
    }
}

final class EdgeSizeTests: XCTestCase {
    func testOddSizesMatchTheOneTileMap() throws {
        let sizes = [(1, 1), (1, 77), (93, 1), (32, 32), (33, 31), (64, 65), (150, 40)]
        for (w, h) in sizes {
            let scan = SyntheticScans.gray(width: w, height: h, boxes: w > 20 && h > 20 ? [.init(x: 5, y: 5, width: 10, height: 10)] : [])
            let one = try SyntheticScans.detector(tile: 256) { $0.smoothingSigma = 1; $0.minimumRegionArea = 1 }.detectWithMap(scan)
            let many = try SyntheticScans.detector(tile: 32, overlap: 12) { $0.smoothingSigma = 1; $0.minimumRegionArea = 1 }.detectWithMap(scan)
            XCTAssertEqual(many.anomalyMap.values.count, w * h)
            var worst: Float = 0
            for i in 0..<(w * h) { worst = max(worst, abs(one.anomalyMap.values[i] - many.anomalyMap.values[i])) }
            XCTAssertLessThan(worst, 0.05, "\(w)×\(h)")
            XCTAssertEqual(one.result.regions.count, many.result.regions.count, "\(w)×\(h)")
        }
    }
}
