import Foundation
import XRayImaging
import XRayDetection

/// Small deterministic scans: a uniform background with ±2 % noise and dense blocks.
enum SyntheticScans {
    struct Generator {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
    }

    static let air: Double = 50_000
    static let dense: Double = 5_000

    /// A 16-bit gray scan with `boxes` of dense material.
    static func gray(width: Int, height: Int, boxes: [Region.Box] = [], seed: UInt64 = 1,
                     pixelsPerMillimetre: (x: Double, y: Double)? = nil) -> XRayImage {
        var g = Generator(state: seed)
        var p = [UInt16](repeating: 0, count: width * height)
        for i in 0..<p.count { p[i] = UInt16(air * (0.98 + 0.04 * g.next())) }
        for b in boxes {
            for y in b.y..<(b.y + b.height) {
                for x in b.x..<(b.x + b.width) { p[y * width + x] = UInt16(dense * (0.98 + 0.04 * g.next())) }
            }
        }
        return try! XRayImage(width: width, height: height, channelMeanings: [.gray], pixels: .uint16(p),
                              pixelsPerMillimetre: pixelsPerMillimetre)
    }

    /// A dual-energy scan (high, low planes) with dense boxes that attenuate low energy more.
    static func dual(width: Int, height: Int, boxes: [Region.Box] = [], seed: UInt64 = 1) -> XRayImage {
        let high = gray(width: width, height: height, boxes: boxes, seed: seed)
        guard case .uint16(let h) = high.pixels else { fatalError() }
        let low = h.map { UInt16(Double($0) * 0.9) }
        return try! XRayImage(width: width, height: height, channelMeanings: [.highEnergy, .lowEnergy],
                              pixels: .uint16(h + low))
    }

    /// A float scan with a smooth horizontal attenuation ramp (no edges at all).
    static func ramp(width: Int, height: Int) -> XRayImage {
        var p = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let a = 0.3 + 1.6 * Double(x) / Double(width) + 0.3 * Double(y) / Double(height)
                p[y * width + x] = Float(air * exp(-a))
            }
        }
        // One bright "air" strip so the auto air intensity is the same everywhere.
        for y in 0..<height { for x in 0..<4 { p[y * width + x] = Float(air) } }
        return try! XRayImage(width: width, height: height, channelMeanings: [.gray], pixels: .float32(p))
    }

    static func detector(tile: Int = 64, overlap: Int? = nil, threads: Int = 2, channels: Int = 1,
                         configure: (inout DetectorConfiguration) -> Void = { _ in }) throws -> Detector {
        let network = LocalContrastNetwork(inputChannels: channels, tileSize: tile)
        var c = DetectorConfiguration()
        c.threads = threads
        c.tileOverlap = overlap
        c.threshold = 0.5
        configure(&c)
        return try Detector(network: network, configuration: c)
    }
}
