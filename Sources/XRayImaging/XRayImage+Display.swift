extension XRayImage {
    /// One channel mapped to 8-bit gray for display: `low` (raw units) → 0,
    /// `high` → 255, linear between, clamped outside.
    public func windowed8Bit(low: Float, high: Float, channel: Int = 0) -> XRayImage {
        precondition(channel >= 0 && channel < channels, "channel out of range")
        let span = high - low
        let scale: Float = span > 0 ? 255 / span : 0
        let n = pixelCount
        let base = channel * n
        func map(_ v: Float) -> UInt8 {
            let t = ((v - low) * scale).rounded()
            return t <= 0 ? 0 : t >= 255 ? 255 : UInt8(t)
        }
        var out = [UInt8](repeating: 0, count: n)
        switch pixels {
        case .uint8(let p): for i in 0..<n { out[i] = map(Float(p[base + i])) }
        case .uint16(let p): for i in 0..<n { out[i] = map(Float(p[base + i])) }
        case .float32(let p): for i in 0..<n { out[i] = map(p[base + i]) }
        }
        return try! XRayImage(width: width, height: height, channelMeanings: [.gray], pixels: .uint8(out),
                              bitDepth: 8, pixelsPerMillimetre: pixelsPerMillimetre, sourcePage: sourcePage)
    }

    /// Window given as centre and width (the radiology convention).
    public func windowed8Bit(center: Float, width windowWidth: Float, channel: Int = 0) -> XRayImage {
        windowed8Bit(low: center - windowWidth / 2, high: center + windowWidth / 2, channel: channel)
    }

    /// Window spanning the channel's own minimum and maximum.
    public func autoWindowed8Bit(channel: Int = 0) -> XRayImage {
        let plane = floatPlane(channel: channel)
        let lo = plane.min() ?? 0, hi = plane.max() ?? 0
        return windowed8Bit(low: lo, high: hi, channel: channel)
    }
}
