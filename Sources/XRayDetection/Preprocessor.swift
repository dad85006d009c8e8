import Foundation
import XRayImaging

/// Turns raw scan intensities into normalised network input planes, a band of rows at a time.
struct Preprocessor: Sendable {
    let modelChannels: [XRayImage.ChannelMeaning]
    let normalisation: ModelMetadata.Normalisation
    let airIntensity: ModelMetadata.AirIntensity
    let scale: [Float]
    let offset: [Float]

    /// Per-scan values: which image plane feeds each model channel and how it maps.
    struct Scan {
        var sourceChannel: [Int]
        /// Air intensity per model channel (log attenuation only).
        var i0: [Float]
        /// Lookup tables for integer scans, one per model channel.
        var lookup: [[Float]]
        var warnings: [String]
    }

    /// Which image plane feeds each model channel; throws on any mismatch.
    ///
    /// A single-energy (`gray`) model reads a single-plane scan as it is and, from a
    /// dual-energy scan, the high-energy plane: single-energy scanners image at the high
    /// energy, and that is the plane such models are trained on.
    static func channelMapping(model: [XRayImage.ChannelMeaning], image: [XRayImage.ChannelMeaning]) throws -> [Int] {
        if model == [.gray] {
            if image.count == 1 { return [0] }
            if let gray = image.firstIndex(of: .gray), !image.contains(.highEnergy) { return [gray] }
            if let high = image.firstIndex(of: .highEnergy) { return [high] }
        }
        guard model.count == image.count else { throw DetectionError.channelMismatch(expected: model, found: image) }
        return try model.map { m in
            guard let i = image.firstIndex(of: m) else { throw DetectionError.channelMismatch(expected: model, found: image) }
            return i
        }
    }

    static func validate(_ image: XRayImage) throws {
        guard image.width > 0, image.height > 0, image.channels > 0, image.pixels.count > 0 else {
            throw DetectionError.emptyImage
        }
        let expected = image.width * image.height * image.channels
        guard image.pixels.count == expected else {
            throw DetectionError.malformedImage("pixel buffer holds \(image.pixels.count) samples, expected \(expected) (width × height × channels)")
        }
    }

    func prepare(_ image: XRayImage) throws -> Scan {
        try Self.validate(image)
        let source = try Self.channelMapping(model: modelChannels, image: image.channelMeanings)
        let plane = image.width * image.height
        var warnings: [String] = []
        if modelChannels == [.gray], image.channels > 1 {
            warnings.append("\(image.channels)-plane scan: the single-channel model screens plane \(source[0]) (\(image.channelMeanings[source[0]].rawValue))")
        }

        // Non-finite values in float scans are errors, reported at their first position.
        if case .float32(let p) = image.pixels {
            try p.withUnsafeBufferPointer { buf in
                for c in source {
                    let base = buf.baseAddress! + c * plane
                    var i = 0
                    while i < plane {
                        if !base[i].isFinite {
                            throw DetectionError.nonFiniteValue(x: i % image.width, y: i / image.width, channel: c)
                        }
                        i += 1
                    }
                }
            }
        }

        var i0 = [Float](repeating: 1, count: modelChannels.count)
        if normalisation == .logAttenuation {
            switch airIntensity {
            case .fixed(let values):
                guard values.count == 1 || values.count == modelChannels.count else {
                    throw DetectionError.invalidConfiguration("air intensity has \(values.count) values for \(modelChannels.count) channel(s)")
                }
                for c in 0..<modelChannels.count { i0[c] = Float(values.count == 1 ? values[0] : values[c]) }
            case .auto(let percentile):
                for c in 0..<modelChannels.count {
                    i0[c] = Self.percentile(of: image, channel: source[c], percentile: percentile)
                    if !(i0[c] > 0) {
                        warnings.append("channel \(c): estimated air intensity is \(i0[c]); the scan looks black, using 1")
                        i0[c] = 1
                    }
                }
            }
        }

        var lookup: [[Float]] = []
        let levels: Int?
        switch image.pixels {
        case .uint8: levels = 256
        case .uint16: levels = 65536
        case .float32: levels = nil
        }
        if let levels {
            let maxValue = Float((1 << min(max(image.bitDepth, 1), 16)) - 1)
            for c in 0..<modelChannels.count {
                var t = [Float](repeating: 0, count: levels)
                for v in 0..<levels { t[v] = map(Float(v), channel: c, i0: i0[c], maxValue: maxValue) }
                lookup.append(t)
            }
        }
        return Scan(sourceChannel: source, i0: i0, lookup: lookup, warnings: warnings)
    }

    @inline(__always)
    func map(_ v: Float, channel c: Int, i0: Float, maxValue: Float) -> Float {
        let s = scale.count == 1 ? scale[0] : scale[c]
        let o = offset.count == 1 ? offset[0] : offset[c]
        switch normalisation {
        case .logAttenuation:
            let floor = i0 / 65536
            return (logf(i0) - logf(max(v, floor))) * s + o
        case .linear:
            return v / maxValue * s + o
        }
    }

    /// Fills `dst` (model channels × rows.count × width, planar) with normalised rows.
    func fill(_ scan: Scan, image: XRayImage, rows: Range<Int>, into dst: UnsafeMutablePointer<Float>, workers: Int) {
        let w = image.width, plane = image.width * image.height, n = rows.count
        let out = UncheckedSendable(dst)
        for c in 0..<modelChannels.count {
            let srcOffset = scan.sourceChannel[c] * plane + rows.lowerBound * w
            let d = out.value + c * n * w
            // Integer scans: one table lookup per pixel.
            func lookUp<T: BinaryInteger>(_ p: [T]) {
                p.withUnsafeBufferPointer { src in
                    scan.lookup[c].withUnsafeBufferPointer { lut in
                        let s = src.baseAddress! + srcOffset, l = lut.baseAddress!
                        Parallel.forEachRange(workers: workers, count: n * w, minimumChunk: 1 << 16) { r in
                            for i in r { d[i] = l[Int(s[i])] }
                        }
                    }
                }
            }
            switch image.pixels {
            case .uint16(let p): lookUp(p)
            case .uint8(let p): lookUp(p)
            case .float32(let p):
                p.withUnsafeBufferPointer { src in
                    let s = src.baseAddress! + srcOffset
                    let i0 = scan.i0[c]
                    let sc = scale.count == 1 ? scale[0] : scale[c]
                    let of = offset.count == 1 ? offset[0] : offset[c]
                    let log = normalisation == .logAttenuation
                    let lnI0 = logf(i0), floor = i0 / 65536
                    Parallel.forEachRange(workers: workers, count: n * w, minimumChunk: 1 << 15) { r in
                        if log {
                            for i in r { d[i] = (lnI0 - logf(max(s[i], floor))) * sc + of }
                        } else {
                            for i in r { d[i] = s[i] * sc + of }
                        }
                    }
                }
            }
        }
    }

    /// The `percentile` (0–100) of one image plane: exact for integer scans (histogram), from an
    /// even subsample of at most 2^20 values for float scans.
    static func percentile(of image: XRayImage, channel: Int, percentile: Double) -> Float {
        let plane = image.width * image.height
        let q = min(max(percentile / 100, 0), 1)
        func fromHistogram<T: BinaryInteger>(_ p: [T], levels: Int) -> Float {
            var hist = [Int](repeating: 0, count: levels)
            p.withUnsafeBufferPointer { src in
                hist.withUnsafeMutableBufferPointer { h in
                    let s = src.baseAddress! + channel * plane
                    for i in 0..<plane { h[Int(s[i])] += 1 }
                }
            }
            let rank = Int((q * Double(plane - 1)).rounded(.down))
            var cumulative = 0
            for v in 0..<levels {
                cumulative += hist[v]
                if cumulative > rank { return Float(v) }
            }
            return Float(levels - 1)
        }
        switch image.pixels {
        case .uint8(let p): return fromHistogram(p, levels: 256)
        case .uint16(let p): return fromHistogram(p, levels: 65536)
        case .float32(let p):
            let step = max(1, plane / (1 << 20))
            var sample: [Float] = []
            sample.reserveCapacity(plane / step + 1)
            var i = 0
            while i < plane { sample.append(p[channel * plane + i]); i += step }
            sample.sort()
            return sample[Int((q * Double(sample.count - 1)).rounded(.down))]
        }
    }
}
