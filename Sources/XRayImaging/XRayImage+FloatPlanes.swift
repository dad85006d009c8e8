extension XRayImage {
    /// How integer samples map to `Float`.
    public enum FloatScale: Sendable, Equatable {
        /// The stored value as is (a 16-bit 4000 becomes 4000.0).
        case raw
        /// Divided by the largest value of ``XRayImage/bitDepth`` (`2^bitDepth − 1`),
        /// so integers land in 0...1. Float images are passed through unchanged.
        case unitRange
    }

    /// All channels as `Float`, planar like ``pixels``
    /// (`index = (c * height + y) * width + x`).
    public func floatPlanes(scale: FloatScale = .raw) -> [Float] {
        let factor: Float = scale == .unitRange ? 1 / Float((1 << min(max(bitDepth, 1), 31)) - 1) : 1
        switch pixels {
        case .uint8(let p): return factor == 1 ? p.map { Float($0) } : p.map { Float($0) * factor }
        case .uint16(let p): return factor == 1 ? p.map { Float($0) } : p.map { Float($0) * factor }
        case .float32(let p): return p
        }
    }

    /// One channel as `Float` (see ``floatPlanes(scale:)``).
    public func floatPlane(channel: Int, scale: FloatScale = .raw) -> [Float] {
        self.channel(channel).floatPlanes(scale: scale)
    }

    /// The value of one sample as `Float`, for spot checks and drawing code.
    public func sample(x: Int, y: Int, channel: Int = 0) -> Float {
        let i = (channel * height + y) * width + x
        switch pixels {
        case .uint8(let p): return Float(p[i])
        case .uint16(let p): return Float(p[i])
        case .float32(let p): return p[i]
        }
    }
}
