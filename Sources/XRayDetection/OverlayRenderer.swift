import Foundation
import XRayImaging

/// Renders a scan for display as an 8-bit RGB ``XRayImage`` (planar; write it with the imaging
/// module's PNG encoder): the scan windowed in the log-attenuation domain, optional dual-energy
/// material colours, the anomaly heat map and the region boxes.
public struct OverlayRenderer: Sendable {
    /// An 8-bit colour.
    public struct Colour: Sendable, Equatable {
        public var red: UInt8, green: UInt8, blue: UInt8
        public init(red: UInt8, green: UInt8, blue: UInt8) { self.red = red; self.green = green; self.blue = blue }
        public static let organic = Colour(red: 255, green: 150, blue: 20)
        public static let inorganic = Colour(red: 40, green: 190, blue: 70)
        public static let metal = Colour(red: 40, green: 90, blue: 255)
        public static let box = Colour(red: 255, green: 0, blue: 0)
    }

    public struct Options: Sendable {
        /// The longer side of the output is at most this; larger scans are reduced by an integer
        /// factor (intensities averaged, scores max-pooled so small hot spots stay visible).
        public var maximumDimension: Int = 4096
        /// Window of the display: these percentiles (0–100) of the log attenuation map to white and black.
        public var lowPercentile: Double = 0.5
        public var highPercentile: Double = 99.5
        /// Colour dual-energy scans by material (ignored for single-energy scans).
        public var materialColouring: Bool = true
        /// Low/high attenuation ratio below which matter is organic, and below which it is inorganic
        /// (above: metal). Matter whose high-energy attenuation exceeds `metalAttenuation` is metal too.
        public var organicRatioLimit: Double = 1.25
        public var inorganicRatioLimit: Double = 1.6
        public var metalAttenuation: Double = 4.0
        /// Heat is drawn where the normalised score exceeds this fraction of the threshold (1).
        public var heatFraction: Double = 0.5
        /// Opacity of the heat map at and above the threshold.
        public var heatOpacity: Double = 0.6
        /// Box line width in output pixels.
        public var boxThickness: Int = 2
        public var boxColour: Colour = .box
        public init() {}
    }

    public var options: Options

    public init(options: Options = .init()) { self.options = options }

    /// The reduction factor used for a scan of this size.
    public func reductionFactor(width: Int, height: Int) -> Int {
        max(1, (max(width, height) + options.maximumDimension - 1) / max(1, options.maximumDimension))
    }

    /// Renders `image` with the optional map (normalised units, same size as the image) and regions.
    public func render(_ image: XRayImage, anomalyMap: AnomalyMap? = nil, regions: [Region] = []) throws -> XRayImage {
        try Preprocessor.validate(image)
        if let m = anomalyMap, m.width != image.width || m.height != image.height {
            throw DetectionError.invalidConfiguration("anomaly map is \(m.width)×\(m.height) but the image is \(image.width)×\(image.height)")
        }
        let W = image.width, H = image.height, plane = W * H
        let f = reductionFactor(width: W, height: H)
        let ow = (W + f - 1) / f, oh = (H + f - 1) / f, on = ow * oh

        let dual = image.channelMeanings.contains(.highEnergy) && image.channelMeanings.contains(.lowEnergy)
        let primary = image.channelMeanings.firstIndex(of: .highEnergy) ?? image.channelMeanings.firstIndex(of: .gray) ?? 0
        let secondary = image.channelMeanings.firstIndex(of: .lowEnergy)

        // Reduced attenuation planes: f × f block means of the intensities, rows of blocks in parallel.
        let workers = ProcessInfo.processInfo.activeProcessorCount
        func attenuation(channel c: Int) throws -> [Float] {
            let i0 = max(Preprocessor.percentile(of: image, channel: c, percentile: 99.5), 1e-6)
            let lnI0 = logf(i0), floor = i0 / 65536
            var out = [Float](repeating: 0, count: on)
            func reduce<T>(_ buffer: UnsafeBufferPointer<T>, _ value: (T) -> Float) {
                let src = UncheckedSendable(buffer.baseAddress! + c * plane)
                out.withUnsafeMutableBufferPointer { o in
                    let dst = UncheckedSendable(o.baseAddress!)
                    Parallel.forEachRange(workers: workers, count: oh) { rows in
                        for oy in rows {
                            let y0 = oy * f, y1 = min(H, y0 + f)
                            let row = dst.value + oy * ow
                            for ox in 0..<ow {
                                let x0 = ox * f, x1 = min(W, x0 + f)
                                var sum: Float = 0
                                for y in y0..<y1 {
                                    let p = src.value + y * W
                                    for x in x0..<x1 { sum += value(p[x]) }
                                }
                                let mean = sum / Float((y1 - y0) * (x1 - x0))
                                row[ox] = lnI0 - logf(max(mean, floor))
                            }
                        }
                    }
                }
            }
            switch image.pixels {
            case .uint8(let p): p.withUnsafeBufferPointer { reduce($0) { Float($0) } }
            case .uint16(let p): p.withUnsafeBufferPointer { reduce($0) { Float($0) } }
            case .float32(let p):
                if let bad = p[(c * plane)..<((c + 1) * plane)].firstIndex(where: { !$0.isFinite }) {
                    let k = bad - c * plane
                    throw DetectionError.nonFiniteValue(x: k % W, y: k / W, channel: c)
                }
                p.withUnsafeBufferPointer { reduce($0) { $0 } }
            }
            return out
        }
        let high = try attenuation(channel: primary)
        let low = try (dual && options.materialColouring) ? secondary.map { try attenuation(channel: $0) } : nil

        // Window.
        let step = max(1, high.count / (1 << 18))
        let sorted = stride(from: 0, to: high.count, by: step).map { high[$0] }.sorted()
        func pct(_ p: Double) -> Float { sorted[min(sorted.count - 1, max(0, Int(p / 100 * Double(sorted.count - 1))))] }
        let lo = pct(options.lowPercentile), hi = max(pct(options.highPercentile), lo + 1e-3)

        // Reduced score map (max-pooled).
        var score: [Float]? = nil
        if let m = anomalyMap {
            var s = [Float](repeating: -.infinity, count: on)
            m.values.withUnsafeBufferPointer { v in
                s.withUnsafeMutableBufferPointer { d in
                    let src = UncheckedSendable(v.baseAddress!), dst = UncheckedSendable(d.baseAddress!)
                    Parallel.forEachRange(workers: workers, count: oh) { rows in
                        for oy in rows {
                            let row = dst.value + oy * ow
                            for y in (oy * f)..<min(H, oy * f + f) {
                                let p = src.value + y * W
                                for ox in 0..<ow {
                                    var m = row[ox]
                                    for x in (ox * f)..<min(W, ox * f + f) { m = max(m, p[x]) }
                                    row[ox] = m
                                }
                            }
                        }
                    }
                }
            }
            score = s
        }

        var rgb = [UInt8](repeating: 0, count: 3 * on)
        let frac = Float(options.heatFraction), opacity = Float(options.heatOpacity)
        for i in 0..<on {
            let g = 1 - min(max((high[i] - lo) / (hi - lo), 0), 1)
            var r = g, gr = g, b = g
            if let low {
                let a = high[i]
                if a > lo + 0.05 * (hi - lo) {
                    let ratio = Double(low[i] / max(a, 1e-6))
                    let c: Colour = Double(a) > options.metalAttenuation || ratio >= options.inorganicRatioLimit ? .metal
                        : ratio >= options.organicRatioLimit ? .inorganic : .organic
                    let shade = 0.25 + 0.75 * g
                    r = Float(c.red) / 255 * shade; gr = Float(c.green) / 255 * shade; b = Float(c.blue) / 255 * shade
                }
            }
            if let s = score?[i], s > frac {
                let t = min(max((s - frac) / max(1 - frac, 1e-6), 0), 1)
                let alpha = opacity * (0.3 + 0.7 * t)
                r = r * (1 - alpha) + alpha
                gr = gr * (1 - alpha) + alpha * (1 - t)
                b = b * (1 - alpha)
            }
            rgb[i] = UInt8(min(max(r * 255, 0), 255).rounded())
            rgb[on + i] = UInt8(min(max(gr * 255, 0), 255).rounded())
            rgb[2 * on + i] = UInt8(min(max(b * 255, 0), 255).rounded())
        }

        // Boxes.
        let th = max(1, options.boxThickness), colour = options.boxColour
        for region in regions {
            let bb = region.boundingBox
            let x0 = bb.x / f, y0 = bb.y / f
            let x1 = min(ow - 1, (bb.x + bb.width - 1) / f), y1 = min(oh - 1, (bb.y + bb.height - 1) / f)
            guard x0 <= x1, y0 <= y1 else { continue }
            func put(_ x: Int, _ y: Int) {
                guard x >= 0, x < ow, y >= 0, y < oh else { return }
                let i = y * ow + x
                rgb[i] = colour.red; rgb[on + i] = colour.green; rgb[2 * on + i] = colour.blue
            }
            for k in 0..<th {
                for x in (x0 - k)...(x1 + k) { put(x, y0 - k); put(x, y1 + k) }
                for y in (y0 - k)...(y1 + k) { put(x0 - k, y); put(x1 + k, y) }
            }
        }
        return try XRayImage(width: ow, height: oh, channelMeanings: [.red, .green, .blue], pixels: .uint8(rgb), bitDepth: 8,
                             pixelsPerMillimetre: image.pixelsPerMillimetre.map { ($0.x / Double(f), $0.y / Double(f)) })
    }

    /// Renders a detection (its map and regions).
    public func render(_ image: XRayImage, detection: Detector.Detection) throws -> XRayImage {
        try render(image, anomalyMap: detection.anomalyMap, regions: detection.result.regions)
    }
}
