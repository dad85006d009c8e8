/// Ceilings a decoder enforces from the header, before it allocates pixel memory.
///
/// They protect against decompression bombs and lying headers: a file that claims
/// more is rejected with ``ImageCodecError/Kind/tooLarge``.
public struct DecodeLimits: Sendable, Equatable {
    /// Largest `width × height` accepted (default 400 000 000: a 10 000 × 40 000 scan).
    public var maxPixels: Int
    /// Largest decoded pixel buffer in bytes, all channels together (default 4 GiB).
    /// It also caps every single allocation libtiff makes while decoding.
    public var maxBytes: Int

    public init(maxPixels: Int = 400_000_000, maxBytes: Int = 4 << 30) {
        self.maxPixels = maxPixels
        self.maxBytes = maxBytes
    }

    /// The defaults.
    public static let standard = DecodeLimits()

    /// Throws when an image of this shape would break a limit.
    func check(width: Int, height: Int, channels: Int, bytesPerSample: Int, file: String?) throws {
        guard width > 0, height > 0, channels > 0 else {
            throw ImageCodecError(.zeroSize, "image is \(width)×\(height) with \(channels) channel(s)", file: file)
        }
        let (pixels, o1) = width.multipliedReportingOverflow(by: height)
        let (samples, o2) = pixels.multipliedReportingOverflow(by: channels)
        let (bytes, o3) = samples.multipliedReportingOverflow(by: bytesPerSample)
        guard !o1, !o2, !o3, pixels <= maxPixels, bytes <= maxBytes else {
            throw ImageCodecError(.tooLarge,
                "header claims \(width)×\(height)×\(channels), over the limit of \(maxPixels) pixels / \(maxBytes) bytes",
                file: file)
        }
    }
}
