extension XRayImage {
    /// Resampling filter for ``resized(width:height:filter:)``.
    public enum ResampleFilter: Sendable {
        /// Nearest sample: fast, keeps exact values.
        case nearest
        /// Bilinear interpolation between the four nearest samples (pixel centres aligned).
        case bilinear
    }

    /// The image scaled to `width × height`, every channel, same sample type
    /// (integers rounded). Meant for display and previews, not for measurement.
    public func resized(width newWidth: Int, height newHeight: Int, filter: ResampleFilter = .bilinear) -> XRayImage {
        precondition(newWidth > 0 && newHeight > 0, "target size must be positive")
        let resampled: Pixels
        switch pixels {
        case .uint8(let p): resampled = .uint8(resample(p, newWidth, newHeight, filter, max: 255))
        case .uint16(let p): resampled = .uint16(resample(p, newWidth, newHeight, filter, max: 65535))
        case .float32(let p): resampled = .float32(resample(p, newWidth, newHeight, filter))
        }
        var ppm = pixelsPerMillimetre
        if let r = ppm {
            ppm = (r.x * Double(newWidth) / Double(width), r.y * Double(newHeight) / Double(height))
        }
        return try! XRayImage(width: newWidth, height: newHeight, channelMeanings: channelMeanings, pixels: resampled,
                              bitDepth: bitDepth, pixelsPerMillimetre: ppm, sourcePage: sourcePage)
    }

    private func resample<T: BinaryInteger>(_ p: [T], _ w: Int, _ h: Int, _ f: ResampleFilter, max: Float) -> [T] {
        resample(p.map { Float($0) }, w, h, f).map { T(Swift.min(Swift.max($0.rounded(), 0), max)) }
    }

    private func resample(_ p: [Float], _ w: Int, _ h: Int, _ f: ResampleFilter) -> [Float] {
        var out = [Float](repeating: 0, count: w * h * channels)
        let sx = Float(width) / Float(w), sy = Float(height) / Float(h)
        for c in 0..<channels {
            let src = c * pixelCount, dst = c * w * h
            for y in 0..<h {
                let fy = (Float(y) + 0.5) * sy - 0.5
                for x in 0..<w {
                    let fx = (Float(x) + 0.5) * sx - 0.5
                    let v: Float
                    switch f {
                    case .nearest:
                        let ix = Swift.min(Int((Float(x) + 0.5) * sx), width - 1)
                        let iy = Swift.min(Int((Float(y) + 0.5) * sy), height - 1)
                        v = p[src + iy * width + ix]
                    case .bilinear:
                        let x0 = Swift.max(0, Swift.min(Int(fx.rounded(.down)), width - 1))
                        let y0 = Swift.max(0, Swift.min(Int(fy.rounded(.down)), height - 1))
                        let x1 = Swift.min(x0 + 1, width - 1), y1 = Swift.min(y0 + 1, height - 1)
                        let tx = Swift.min(Swift.max(fx - Float(x0), 0), 1), ty = Swift.min(Swift.max(fy - Float(y0), 0), 1)
                        let top = p[src + y0 * width + x0] * (1 - tx) + p[src + y0 * width + x1] * tx
                        let bottom = p[src + y1 * width + x0] * (1 - tx) + p[src + y1 * width + x1] * tx
                        v = top * (1 - ty) + bottom * ty
                    }
                    out[dst + y * w + x] = v
                }
            }
        }
        return out
    }
}
