/// The normalised score scale every reported score uses.
///
/// `normalised = (raw − normalMean) / (threshold − normalMean)`, where `raw` is the network's
/// probability (after stitching and smoothing), `threshold` is the raw threshold and
/// `normalMean` the mean raw image score of normal scans (from calibration). So **0 is a typical
/// normal scan, 1 is the threshold** (a scan is flagged when its score is ≥ 1), and the scale is
/// comparable across models and calibrations. Without calibration statistics `normalMean` is 0 and
/// the scale is `raw / threshold`.
public struct ScoreScale: Sendable, Equatable, Codable {
    /// Raw (probability) threshold: maps to 1.
    public var threshold: Double
    /// Raw image score typical of normal scans: maps to 0.
    public var normalMean: Double

    public init(threshold: Double, normalMean: Double) {
        self.threshold = threshold
        self.normalMean = normalMean
    }

    /// `threshold − normalMean`, kept away from 0.
    var span: Double { max(threshold - normalMean, 1e-9) }

    /// Raw → normalised.
    public func normalise(_ raw: Double) -> Double { (raw - normalMean) / span }
    /// Normalised → raw.
    public func raw(_ normalised: Double) -> Double { normalised * span + normalMean }
}
