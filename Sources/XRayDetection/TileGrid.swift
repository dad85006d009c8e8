import Foundation

/// Tile origins and blending weights along one axis.
///
/// Tiles start every `tile − overlap` pixels; the last one is moved back to end at the image
/// edge, so only images shorter than a tile need padding. Each tile's weight rises along a
/// raised-cosine ramp of `overlap` pixels on every side that has a neighbour, and is 1 elsewhere
/// (also on sides at the image edge). Weights are never zero, and the stitched value is the
/// weighted sum divided by the sum of weights, so the blend is seamless and exact where tiles agree.
struct TileGrid: Sendable {
    let length: Int
    let tile: Int
    let overlap: Int
    let origins: [Int]
    /// `weights[i][p]`: weight of position `p` of tile `i`.
    let weights: [[Float]]
    /// Reciprocal of the summed weight at each image position.
    let inverseWeightSum: [Float]

    init(length: Int, tile: Int, overlap: Int) {
        self.length = length
        self.tile = tile
        self.overlap = overlap
        var o = [0]
        if length > tile {
            let stride = tile - overlap
            while o.last! + tile < length { o.append(min(o.last! + stride, length - tile)) }
        }
        origins = o
        let ramp = (0..<max(overlap, 0)).map { p -> Float in
            Float(0.5 - 0.5 * cos(Double.pi * (Double(p) + 0.5) / Double(overlap)))
        }
        var w: [[Float]] = []
        for i in 0..<o.count {
            var t = [Float](repeating: 1, count: tile)
            if overlap > 0 {
                for p in 0..<overlap {
                    if i > 0 { t[p] = min(t[p], ramp[p]) }
                    if i < o.count - 1 { t[tile - 1 - p] = min(t[tile - 1 - p], ramp[p]) }
                }
            }
            w.append(t)
        }
        weights = w
        var sum = [Double](repeating: 0, count: length)
        for i in 0..<o.count {
            for p in 0..<min(tile, length - o[i]) { sum[o[i] + p] += Double(w[i][p]) }
        }
        inverseWeightSum = sum.map { Float(1 / $0) }
    }

    var count: Int { origins.count }
}
