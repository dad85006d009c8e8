import XCTest
import XRayDetection

final class RegionExtractorTests: XCTestCase {
    /// A map from rows of text: `#` = 1, `.` = 0, digits = that value.
    func map(_ rows: [String]) -> AnomalyMap {
        let w = rows[0].count
        var v: [Float] = []
        for r in rows {
            for ch in r {
                if ch == "#" { v.append(1) } else if let d = ch.wholeNumberValue { v.append(Float(d)) } else { v.append(0) }
            }
        }
        return AnomalyMap(width: w, height: rows.count, values: v)
    }

    func testDiagonalNeighboursJoin() {
        let m = map(["#...",
                     ".#..",
                     "..#.",
                     "...."])
        let out = RegionExtractor(threshold: 0.5).regions(in: m)
        XCTAssertEqual(out.regions.count, 1)
        XCTAssertEqual(out.regions[0].boundingBox, .init(x: 0, y: 0, width: 3, height: 3))
        XCTAssertEqual(out.regions[0].areaPixels, 3)
        XCTAssertEqual(out.regions[0].centroid, .init(x: 1, y: 1))
    }

    func testAntiDiagonalAndLateJoin() {
        // Two arms that only meet on the last row (a "U"), plus an anti-diagonal pair.
        let m = map(["#.#....#",
                     "#.#...#.",
                     "###.....",
                     "........"])
        let out = RegionExtractor(threshold: 0.5).regions(in: m)
        XCTAssertEqual(out.regions.count, 2)
        let areas = out.regions.map(\.areaPixels).sorted()
        XCTAssertEqual(areas, [2, 7])
    }

    func testSeparatedComponentsMinimumAreaAndMerge() {
        let m = map(["##...##..#",
                     "##...##...",
                     "..........",
                     ".........."])
        let all = RegionExtractor(threshold: 0.5).regions(in: m)
        XCTAssertEqual(all.regions.count, 3)
        let big = RegionExtractor(threshold: 0.5, minimumArea: 2).regions(in: m)
        XCTAssertEqual(big.regions.count, 2)
        // Gap between the 2×2 blocks is 3 columns; the single pixel is 2 columns right of the right block.
        let near = RegionExtractor(threshold: 0.5, minimumArea: 2, mergeDistance: 2).regions(in: m)
        XCTAssertEqual(near.regions.map(\.areaPixels).sorted(), [4, 5])
        let far = RegionExtractor(threshold: 0.5, minimumArea: 2, mergeDistance: 3).regions(in: m)
        XCTAssertEqual(far.regions.count, 1)
        XCTAssertEqual(far.regions[0].boundingBox, .init(x: 0, y: 0, width: 10, height: 2))
        XCTAssertEqual(far.regions[0].areaPixels, 9)
        let alone = RegionExtractor(threshold: 0.5, minimumArea: 5, mergeDistance: 1).regions(in: m)
        XCTAssertEqual(alone.regions.count, 0, "merging happens before the area filter, but nothing is within 1 pixel")
    }

    func testSortedByPeakAndCapped() {
        let m = map(["3..5..9",
                     "......."])
        let out = RegionExtractor(threshold: 1, maximumCount: 2).regions(in: m)
        XCTAssertEqual(out.regions.map(\.peakScore), [9, 5])
        XCTAssertEqual(out.droppedByCount, 1)
        XCTAssertEqual(out.regions[0].peak, .init(x: 6, y: 0))
    }

    func testMeanAndEmptyMap() {
        let m = map(["24", "00"])
        let r = RegionExtractor(threshold: 1).regions(in: m).regions
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(r[0].meanScore, 3)
        XCTAssertEqual(RegionExtractor(threshold: 5).regions(in: m).regions, [])
    }

    func testLargeSpiralIsOneComponent() {
        // A long snake forces many unions across rows.
        let w = 64, h = 64
        var v = [Float](repeating: 0, count: w * h)
        for y in stride(from: 0, to: h, by: 2) { for x in 0..<w { v[y * w + x] = 1 } }
        for y in stride(from: 1, to: h, by: 2) { v[y * w + ((y / 2) % 2 == 0 ? w - 1 : 0)] = 1 }
        let out = RegionExtractor(threshold: 0.5).regions(in: AnomalyMap(width: w, height: h, values: v))
        XCTAssertEqual(out.regions.count, 1)
        XCTAssertEqual(out.regions[0].areaPixels, v.filter { $0 > 0 }.count)
    }
}
