import Foundation

/// A decoded scan or rendering: planar pixels with their meaning and provenance.
///
/// Pixels are stored **planar**: all of channel 0 row by row, then all of channel 1,
/// and so on (`index = (c * height + y) * width + x`). Planar storage is what the
/// detector and the display code read, and it keeps dual-energy planes contiguous.
public struct XRayImage: Sendable, Equatable {
    /// Typed pixel storage, planar (see the type's documentation).
    public enum Pixels: Sendable, Equatable {
        case uint8([UInt8])
        case uint16([UInt16])
        case float32([Float])

        public var count: Int {
            switch self {
            case .uint8(let p): return p.count
            case .uint16(let p): return p.count
            case .float32(let p): return p.count
            }
        }
    }

    /// What a channel holds.
    public enum ChannelMeaning: String, Sendable, Codable, Equatable {
        case gray, highEnergy, lowEnergy, red, green, blue, alpha, other
    }

    public var width: Int
    public var height: Int
    public var pixels: Pixels
    public var channelMeanings: [ChannelMeaning]
    /// Bits per sample as stored in the source file (1...16 for integers, 32 for float).
    public var bitDepth: Int
    /// Pixels per millimetre (x, y), when the file says so.
    public var pixelsPerMillimetre: (x: Double, y: Double)?
    /// Zero-based page or directory index in the source file.
    public var sourcePage: Int

    public var channels: Int { channelMeanings.count }
    public var pixelCount: Int { width * height }

    /// Creates an image; throws when the pixel count does not match `width * height * channels`.
    public init(width: Int, height: Int, channelMeanings: [ChannelMeaning], pixels: Pixels,
                bitDepth: Int? = nil, pixelsPerMillimetre: (x: Double, y: Double)? = nil,
                sourcePage: Int = 0) throws {
        guard width > 0, height > 0, !channelMeanings.isEmpty else {
            throw XRayImageError.invalidDimensions(width: width, height: height, channels: channelMeanings.count)
        }
        let (expected, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, expected.multipliedReportingOverflow(by: channelMeanings.count).overflow == false,
              pixels.count == expected * channelMeanings.count else {
            throw XRayImageError.pixelCountMismatch(expected: width &* height &* channelMeanings.count, actual: pixels.count)
        }
        self.width = width
        self.height = height
        self.channelMeanings = channelMeanings
        self.pixels = pixels
        switch pixels {
        case .uint8: self.bitDepth = bitDepth ?? 8
        case .uint16: self.bitDepth = bitDepth ?? 16
        case .float32: self.bitDepth = 32
        }
        self.pixelsPerMillimetre = pixelsPerMillimetre
        self.sourcePage = sourcePage
    }

    public static func == (a: XRayImage, b: XRayImage) -> Bool {
        a.width == b.width && a.height == b.height && a.pixels == b.pixels
            && a.channelMeanings == b.channelMeanings && a.bitDepth == b.bitDepth
            && a.sourcePage == b.sourcePage
            && a.pixelsPerMillimetre?.x == b.pixelsPerMillimetre?.x
            && a.pixelsPerMillimetre?.y == b.pixelsPerMillimetre?.y
    }
}

/// Errors about an image's shape, independent of any file format.
public enum XRayImageError: Error, Equatable, CustomStringConvertible {
    case invalidDimensions(width: Int, height: Int, channels: Int)
    case pixelCountMismatch(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case let .invalidDimensions(w, h, c):
            return "invalid image dimensions \(w)×\(h) with \(c) channel(s): all must be positive"
        case let .pixelCountMismatch(e, a):
            return "pixel buffer holds \(a) samples, expected \(e) (width × height × channels)"
        }
    }
}
