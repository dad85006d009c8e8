import Foundation

/// Decodes PNG and TIFF files into ``XRayImage`` values.
///
/// The format is sniffed from the magic bytes, never taken from the file name.
/// Every entry point is thread safe: decode different files on as many threads
/// as you like. Header dimensions are checked against ``DecodeLimits`` before
/// any pixel memory is allocated. Failures throw ``ImageCodecError``.
public enum ImageDecoder {
    /// Decodes one page (TIFF) or the image (PNG, page 0) of a file.
    ///
    /// PNG: 1/2/4/8/16-bit gray, gray+alpha, RGB(A), palette (decoded to 8-bit RGB(A)),
    /// Adam7 interlaced; gray below 8 bits keeps its raw values with `bitDepth` 1, 2 or 4.
    /// A PNG `tRNS` colour key on gray or RGB images is ignored (no alpha channel is added).
    /// TIFF: 8/16/32-bit unsigned (32-bit integers become `.float32`) and 32-bit float,
    /// 1...8 samples per pixel; MinIsWhite samples are returned as stored, not inverted.
    public static func decode(contentsOf url: URL, page: Int = 0, limits: DecodeLimits = .standard) throws -> XRayImage {
        try decode(.file(url), page: page, limits: limits)
    }

    /// Decodes one page of an in-memory PNG or TIFF.
    public static func decode(data: Data, page: Int = 0, limits: DecodeLimits = .standard) throws -> XRayImage {
        try decode(.memory(data), page: page, limits: limits)
    }

    /// The number of pages (TIFF directories) in a file; 1 for PNG.
    public static func pageCount(contentsOf url: URL) throws -> Int {
        try pageCount(.file(url))
    }

    /// The number of pages in an in-memory PNG or TIFF; 1 for PNG.
    public static func pageCount(data: Data) throws -> Int {
        try pageCount(.memory(data))
    }

    /// Decodes two single-channel TIFF pages of the same size and sample type as
    /// one two-channel image with `channelMeanings == [.highEnergy, .lowEnergy]`.
    /// Throws ``ImageCodecError/Kind/mismatchedPages`` when they differ.
    public static func decodeDualEnergy(contentsOf url: URL, highEnergyPage: Int = 0, lowEnergyPage: Int = 1,
                                        limits: DecodeLimits = .standard) throws -> XRayImage {
        try decodeDualEnergy(.file(url), high: highEnergyPage, low: lowEnergyPage, limits: limits)
    }

    /// In-memory variant of ``decodeDualEnergy(contentsOf:highEnergyPage:lowEnergyPage:limits:)``.
    public static func decodeDualEnergy(data: Data, highEnergyPage: Int = 0, lowEnergyPage: Int = 1,
                                        limits: DecodeLimits = .standard) throws -> XRayImage {
        try decodeDualEnergy(.memory(data), high: highEnergyPage, low: lowEnergyPage, limits: limits)
    }

    // MARK: - Implementation

    static func decode(_ source: ImageSource, page: Int, limits: DecodeLimits) throws -> XRayImage {
        switch try source.sniff() {
        case .png:
            guard page == 0 else {
                throw ImageCodecError(.pageOutOfRange, "page \(page) requested, a PNG has 1", file: source.path)
            }
            return try PNGCodec.decode(source, limits: limits)
        case .tiff:
            return try TIFFCodec.withReader(source, limits: limits) {
                try TIFFCodec.decodePage($0, page: page, limits: limits, file: source.path, sourceBytes: source.byteCount)
            }
        }
    }

    static func pageCount(_ source: ImageSource) throws -> Int {
        switch try source.sniff() {
        case .png: return 1
        case .tiff:
            return try TIFFCodec.withReader(source, limits: .standard) { try TIFFCodec.pageCount($0, file: source.path) }
        }
    }

    static func decodeDualEnergy(_ source: ImageSource, high: Int, low: Int, limits: DecodeLimits) throws -> XRayImage {
        let file = source.path
        guard try source.sniff() == .tiff else {
            throw ImageCodecError(.unsupported, "dual-energy images are read from two TIFF pages", file: file)
        }
        let size = source.byteCount
        let (a, b) = try TIFFCodec.withReader(source, limits: limits) { r in
            let a = try TIFFCodec.decodePage(r, page: high, limits: limits, file: file, sourceBytes: size)
            // Why: the result holds both pages, so a page pair that fits the limits one at a time
            // could still need twice `maxBytes`; check the combined image before decoding the second.
            let sampleBytes: Int
            switch a.pixels {
            case .uint8: sampleBytes = 1
            case .uint16: sampleBytes = 2
            case .float32: sampleBytes = 4
            }
            try limits.check(width: a.width, height: a.height, channels: 2 * a.channels, bytesPerSample: sampleBytes, file: file)
            return (a, try TIFFCodec.decodePage(r, page: low, limits: limits, file: file, sourceBytes: size))
        }
        guard a.channels == 1, b.channels == 1 else {
            throw ImageCodecError(.mismatchedPages, "pages \(high) and \(low) must be single-channel, they have \(a.channels) and \(b.channels)", file: file)
        }
        guard a.width == b.width, a.height == b.height, a.bitDepth == b.bitDepth else {
            throw ImageCodecError(.mismatchedPages,
                "page \(high) is \(a.width)×\(a.height) \(a.bitDepth)-bit, page \(low) is \(b.width)×\(b.height) \(b.bitDepth)-bit", file: file)
        }
        let pixels: XRayImage.Pixels
        switch (a.pixels, b.pixels) {
        case let (.uint8(x), .uint8(y)): pixels = .uint8(x + y)
        case let (.uint16(x), .uint16(y)): pixels = .uint16(x + y)
        case let (.float32(x), .float32(y)): pixels = .float32(x + y)
        default: throw ImageCodecError(.mismatchedPages, "pages \(high) and \(low) differ in sample type", file: file)
        }
        return try XRayImage(width: a.width, height: a.height, channelMeanings: [.highEnergy, .lowEnergy],
                             pixels: pixels, bitDepth: a.bitDepth, pixelsPerMillimetre: a.pixelsPerMillimetre,
                             sourcePage: high)
    }
}
