import XRayImaging

/// Errors the detector, the calibrator and their helpers throw. Each message says what to do.
public enum DetectionError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A metadata property has a value the detector cannot read.
    case invalidMetadata(key: String, value: String, expected: String)
    /// A configuration value is out of range.
    case invalidConfiguration(String)
    /// The image's channels do not match what the model takes.
    case channelMismatch(expected: [XRayImage.ChannelMeaning], found: [XRayImage.ChannelMeaning])
    /// The image has no pixels.
    case emptyImage
    /// The image's pixel buffer does not match its declared size.
    case malformedImage(String)
    /// A float image holds NaN or infinity.
    case nonFiniteValue(x: Int, y: Int, channel: Int)
    /// The network's output had NaN or infinity.
    case nonFiniteOutput(tileX: Int, tileY: Int)
    /// The network threw while running a tile.
    case networkFailed(String)
    /// Calibration could not be done.
    case calibrationFailed(String)
    /// A calibration profile or result file could not be read.
    case unreadableFile(String)

    public var description: String {
        switch self {
        case let .invalidMetadata(key, value, expected):
            return "model metadata \(key) = \"\(value)\" is not valid: expected \(expected)"
        case let .invalidConfiguration(message):
            return "invalid detector configuration: \(message)"
        case let .channelMismatch(expected, found):
            let e = expected.map(\.rawValue).joined(separator: ","), f = found.map(\.rawValue).joined(separator: ",")
            return "the model takes \(expected.count) channel(s) [\(e)] but the image has \(found.count) [\(f)]: "
                + "use a model trained for this scanner's channels, or set DetectorConfiguration.inputChannels"
        case .emptyImage:
            return "the image is empty (0 pixels): nothing to screen"
        case let .malformedImage(message):
            return "malformed image: \(message)"
        case let .nonFiniteValue(x, y, c):
            return "the float image holds NaN or infinity at x=\(x), y=\(y), channel \(c): fix or mask the scan before screening"
        case let .nonFiniteOutput(tx, ty):
            return "the network produced NaN or infinity in the tile at x=\(tx), y=\(ty): check the model and its normalisation metadata"
        case let .networkFailed(message):
            return "the network failed: \(message)"
        case let .calibrationFailed(message):
            return "calibration failed: \(message)"
        case let .unreadableFile(message):
            return "cannot read file: \(message)"
        }
    }
}
