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

    /// Throws when `rawBytes` of decoded data cannot come out of `sourceBytes` of input even
    /// at the codec's best possible compression ratio.
    ///
    /// Why: a lying header inside the pixel limits (a 20 000 × 20 000 PNG or TIFF strip of a
    /// few hundred bytes, a zip-bomb-like page) would otherwise make the decoder allocate the
    /// whole pixel buffer before it finds that the data is not there. No allocation happens
    /// before this check.
    func checkPlausible(rawBytes: Int, sourceBytes: Int?, maxRatio: Int, file: String?) throws {
        guard let sourceBytes else { return }
        let (most, overflow) = sourceBytes.multipliedReportingOverflow(by: maxRatio)
        guard !overflow, rawBytes > most &+ 4096 else { return }
        throw ImageCodecError(.truncated,
            "header claims \(rawBytes) bytes of pixel data; \(sourceBytes) bytes of input cannot hold them even at \(maxRatio):1 compression",
            file: file)
    }
}
