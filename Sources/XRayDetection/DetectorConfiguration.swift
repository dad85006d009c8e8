import Foundation
import XRayImaging

/// How the detector runs: overrides for the model's metadata and the detector's own settings.
///
/// Precedence for every model setting: a non-nil value here, then the ``CalibrationProfile``
/// (threshold and score statistics only), then the model's ``ModelMetadata``, then the fallback
/// named on each property. Each fallback used is reported in ``ScanResult/warnings``.
public struct DetectorConfiguration: Sendable {
    /// How an image is extended when it is smaller than a tile.
    public enum Padding: String, Sendable, Codable {
        /// Mirror about the edge pixel (`d c b | a b c d | c b a`).
        case reflect
        /// Repeat the edge pixel.
        case edge
    }

    // MARK: Overrides of model metadata

    /// Meaning of each model input plane. Fallback: `[.gray]` for 1-channel networks,
    /// `[.highEnergy, .lowEnergy]` for 2-channel networks.
    public var inputChannels: [XRayImage.ChannelMeaning]?
    /// Fallback: `.logAttenuation`.
    public var normalisation: ModelMetadata.Normalisation?
    /// Fallback: `.auto(percentile: 99.5)`.
    public var airIntensity: ModelMetadata.AirIntensity?
    /// Fallback: 1 for every channel.
    public var scale: [Float]?
    /// Fallback: 0 for every channel.
    public var offset: [Float]?
    /// Tile side for engine sessions made by `Detector(model:configuration:profile:)` (fallback when the
    /// model has no `xrayscreen.tile_size`: 256). Networks passed to ``Detector/init(network:configuration:profile:)``
    /// bring their own tile size and ignore this.
    public var tileSize: Int?
    /// Fallback: a quarter of the tile size.
    public var tileOverlap: Int?
    /// Fallback: `.probability`.
    public var output: ModelMetadata.OutputKind?
    /// Raw (probability) threshold. Fallback: 0.5.
    public var threshold: Double?
    /// Raw image score typical of normal scans. Fallback: 0.
    public var scoreMean: Double?
    /// Fallback: `.peak`.
    public var imageScore: ModelMetadata.ImageScoreMethod?
    /// Standard deviation, in pixels, of the Gaussian applied to the map before scoring;
    /// 0 turns smoothing off. Fallback: 0.
    public var smoothingSigma: Double?
    /// Test-time flips averaged per tile (each costs one more network run per tile).
    /// Fallback: ``FlipViews/none``.
    public var flipViews: FlipViews?

    // MARK: Detector settings

    /// Worker threads for tiles and post-processing. Default: the number of active cores.
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Memory the detector may use for work buffers (band of normalised input, tiles in flight,
    /// network scratch), excluding the full-resolution anomaly map (4 bytes per pixel).
    /// Default 256 MiB.
    public var memoryBudgetBytes: Int = 256 << 20
    /// Upper bound on tiles held in memory at once (nil: as many as the budget allows).
    public var maximumTilesInFlight: Int?
    /// Padding for images smaller than a tile. Default `.reflect`.
    public var padding: Padding = .reflect
    /// Map level, in normalised score units (1 = threshold), above which pixels form regions.
    public var regionThreshold: Double = 1.0
    /// Regions smaller than this many pixels are dropped (after merging).
    public var minimumRegionArea: Int = 16
    /// Regions whose bounding boxes are at most this many pixels apart are merged (0: only
    /// touching components, which 8-connectivity already joins, so no merging).
    public var mergeDistance: Int = 0
    /// At most this many regions are reported, highest peak first.
    public var maximumRegionCount: Int = 64

    /// Defaults: everything from the model's metadata.
    public init() {}

    func validate() throws {
        guard threads >= 1 else { throw DetectionError.invalidConfiguration("threads must be ≥ 1 (got \(threads))") }
        guard memoryBudgetBytes > 0 else { throw DetectionError.invalidConfiguration("memoryBudgetBytes must be > 0") }
        if let t = tileSize, t < 1 { throw DetectionError.invalidConfiguration("tileSize must be ≥ 1 (got \(t))") }
        if let m = maximumTilesInFlight, m < 1 {
            throw DetectionError.invalidConfiguration("maximumTilesInFlight must be ≥ 1 (got \(m))")
        }
        guard regionThreshold.isFinite else { throw DetectionError.invalidConfiguration("regionThreshold must be finite") }
        guard minimumRegionArea >= 1 else { throw DetectionError.invalidConfiguration("minimumRegionArea must be ≥ 1") }
        guard mergeDistance >= 0 else { throw DetectionError.invalidConfiguration("mergeDistance must be ≥ 0") }
        guard maximumRegionCount >= 0 else { throw DetectionError.invalidConfiguration("maximumRegionCount must be ≥ 0") }
        if let s = smoothingSigma, !(s >= 0 && s.isFinite) {
            throw DetectionError.invalidConfiguration("smoothingSigma must be ≥ 0 (got \(s))")
        }
        if case .topKMean(let k)? = imageScore, k < 1 {
            throw DetectionError.invalidConfiguration("top-k image score needs k ≥ 1")
        }
    }
}
