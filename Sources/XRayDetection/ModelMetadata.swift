import Foundation
import XRayImaging

/// The detector's keys in an ONNX model's `metadata_props`, parsed.
///
/// Every key is optional; a model without any of them still runs, with the fallbacks that
/// ``DetectorConfiguration`` documents (and a warning in each ``ScanResult``). Keys:
///
/// | key | value | meaning |
/// |---|---|---|
/// | `xrayscreen.format_version` | `1` | version of this key set |
/// | `xrayscreen.model_name` | text | model name, reported in every result |
/// | `xrayscreen.version` | text | model version |
/// | `xrayscreen.input_channels` | `gray` or `high,low` | meaning of each input plane, in the model's order |
/// | `xrayscreen.normalisation` | `log_attenuation` or `linear` | how raw intensities become inputs |
/// | `xrayscreen.i0` | `auto`, `65535` or `61000,59000` | air (unattenuated) intensity per channel; `auto` estimates it from the brightest pixels |
/// | `xrayscreen.i0_percentile` | `99.5` | percentile of intensities taken as air when `i0` is `auto` |
/// | `xrayscreen.scale`, `xrayscreen.offset` | number or one per channel | input = value × scale + offset |
/// | `xrayscreen.tile_size` | `256` | side of the square tile the model was exported for |
/// | `xrayscreen.tile_overlap` | `64` | overlap between neighbouring tiles, pixels |
/// | `xrayscreen.output` | `logits` or `probability` | what the output plane holds |
/// | `xrayscreen.threshold` | probability | raw score at which a scan is flagged |
/// | `xrayscreen.score_mean`, `xrayscreen.score_std` | probability | raw image scores of normal scans (calibration) |
/// | `xrayscreen.image_score` | `peak` or `top_k_mean:K` | how the map becomes one image score |
/// | `xrayscreen.smoothing_sigma` | pixels | Gaussian smoothing of the map before scoring |
/// | `xrayscreen.flip_views` | `none` or e.g. `horizontal,vertical` | test-time flips averaged per tile (``FlipViews``) |
/// | `xrayscreen.input_name`, `xrayscreen.output_name` | text | graph input and output to use (default: `input`, the only output) |
///
/// With `log_attenuation` the value is `−ln(max(I, I0/65536) / I0)`; with `linear` it is
/// `I / maxValue` (`2^bitDepth − 1` for integer scans, 1 for float scans). Any other key (for
/// instance `xrayscreen.training_recipe`, `xrayscreen.training_data`, `xrayscreen.trained_at`,
/// `xrayscreen.metrics`) is kept in ``provenance``.
public struct ModelMetadata: Sendable, Equatable {
    /// Metadata key names.
    public enum Key {
        public static let formatVersion = "xrayscreen.format_version"
        public static let modelName = "xrayscreen.model_name"
        public static let version = "xrayscreen.version"
        public static let inputChannels = "xrayscreen.input_channels"
        public static let normalisation = "xrayscreen.normalisation"
        public static let i0 = "xrayscreen.i0"
        public static let i0Percentile = "xrayscreen.i0_percentile"
        public static let scale = "xrayscreen.scale"
        public static let offset = "xrayscreen.offset"
        public static let tileSize = "xrayscreen.tile_size"
        public static let tileOverlap = "xrayscreen.tile_overlap"
        public static let output = "xrayscreen.output"
        public static let threshold = "xrayscreen.threshold"
        public static let scoreMean = "xrayscreen.score_mean"
        public static let scoreStd = "xrayscreen.score_std"
        public static let imageScore = "xrayscreen.image_score"
        public static let smoothingSigma = "xrayscreen.smoothing_sigma"
        public static let flipViews = "xrayscreen.flip_views"
        public static let inputName = "xrayscreen.input_name"
        public static let outputName = "xrayscreen.output_name"
        /// Prefix shared by all detector keys.
        public static let prefix = "xrayscreen."
    }

    /// How raw intensities become network inputs.
    public enum Normalisation: String, Sendable, Codable, Equatable {
        /// `−ln(max(I, I0/65536) / I0)`, then scale and offset.
        case logAttenuation = "log_attenuation"
        /// `I / maxValue`, then scale and offset.
        case linear
    }

    /// What the network's output plane holds.
    public enum OutputKind: String, Sendable, Codable, Equatable {
        case logits, probability
    }

    /// The air (unattenuated) intensity `I0` used by log-attenuation normalisation.
    public enum AirIntensity: Sendable, Equatable {
        /// Estimated per scan and channel as this percentile (0–100) of the intensities.
        case auto(percentile: Double)
        /// One value for all channels, or one per model channel.
        case fixed([Double])
    }

    /// How an anomaly map becomes one image score.
    public enum ImageScoreMethod: Sendable, Equatable, Codable, CustomStringConvertible {
        /// The highest map value.
        case peak
        /// The mean of the `k` highest map values (robust to single hot pixels).
        case topKMean(Int)

        public var description: String {
            switch self {
            case .peak: return "peak"
            case .topKMean(let k): return "top_k_mean:\(k)"
            }
        }

        /// Parses `peak` or `top_k_mean:K`.
        public init?(_ text: String) {
            let t = text.trimmingCharacters(in: .whitespaces).lowercased()
            if t == "peak" { self = .peak; return }
            if t.hasPrefix("top_k_mean:"), let k = Int(t.dropFirst("top_k_mean:".count)), k > 0 {
                self = .topKMean(k); return
            }
            return nil
        }

        public init(from decoder: Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let m = ImageScoreMethod(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "expected peak or top_k_mean:K, found \(text)"))
            }
            self = m
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(description)
        }
    }

    public var formatVersion: Int?
    public var modelName: String?
    public var version: String?
    public var inputChannels: [XRayImage.ChannelMeaning]?
    public var normalisation: Normalisation?
    public var airIntensity: AirIntensity?
    public var scale: [Float]?
    public var offset: [Float]?
    public var tileSize: Int?
    public var tileOverlap: Int?
    public var output: OutputKind?
    public var threshold: Double?
    public var scoreMean: Double?
    public var scoreStd: Double?
    public var imageScore: ImageScoreMethod?
    public var smoothingSigma: Double?
    public var flipViews: FlipViews?
    public var inputName: String?
    public var outputName: String?
    /// Every property that is not one of the keys above (training recipe, data, metrics, …).
    public var provenance: [String: String] = [:]

    /// Metadata with no keys set.
    public init() {}

    /// Parses `metadata_props`; throws ``DetectionError/invalidMetadata(key:value:expected:)`` for
    /// a detector key whose value cannot be read.
    public init(properties: [String: String]) throws {
        func value(_ key: String) -> String? {
            properties[key].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        func bad(_ key: String, _ expected: String) -> DetectionError {
            .invalidMetadata(key: key, value: properties[key] ?? "", expected: expected)
        }
        func int(_ key: String, min: Int) throws -> Int? {
            guard let v = value(key) else { return nil }
            guard let i = Int(v), i >= min else { throw bad(key, "an integer ≥ \(min)") }
            return i
        }
        func double(_ key: String) throws -> Double? {
            guard let v = value(key) else { return nil }
            guard let d = Double(v), d.isFinite else { throw bad(key, "a finite number") }
            return d
        }
        func floats(_ key: String) throws -> [Float]? {
            guard let v = value(key) else { return nil }
            let parts = v.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.allSatisfy({ $0?.isFinite == true }) else {
                throw bad(key, "a number or comma-separated numbers, one per channel")
            }
            return parts.map { $0! }
        }

        formatVersion = try int(Key.formatVersion, min: 1)
        if let v = formatVersion, v > 1 {
            throw bad(Key.formatVersion, "1 (this detector reads metadata format 1; update XRayScreen)")
        }
        modelName = value(Key.modelName)
        version = value(Key.version)
        if let v = value(Key.inputChannels) {
            var meanings: [XRayImage.ChannelMeaning] = []
            for part in v.lowercased().split(separator: ",") {
                switch part.trimmingCharacters(in: .whitespaces) {
                case "gray", "grey": meanings.append(.gray)
                case "high", "high_energy", "highenergy": meanings.append(.highEnergy)
                case "low", "low_energy", "lowenergy": meanings.append(.lowEnergy)
                default: throw bad(Key.inputChannels, "\"gray\" or \"high,low\"")
                }
            }
            guard !meanings.isEmpty, Set(meanings).count == meanings.count else {
                throw bad(Key.inputChannels, "\"gray\" or \"high,low\"")
            }
            inputChannels = meanings
        }
        if let v = value(Key.normalisation) {
            guard let n = Normalisation(rawValue: v.lowercased()) else { throw bad(Key.normalisation, "log_attenuation or linear") }
            normalisation = n
        }
        let percentile = try double(Key.i0Percentile)
        if let p = percentile, !(p > 0 && p <= 100) { throw bad(Key.i0Percentile, "a percentile in (0, 100]") }
        if let v = value(Key.i0) {
            if v.lowercased() == "auto" {
                airIntensity = .auto(percentile: percentile ?? 99.5)
            } else {
                guard let values = try floats(Key.i0), values.allSatisfy({ $0 > 0 }) else {
                    throw bad(Key.i0, "auto, or a positive number or one per channel")
                }
                airIntensity = .fixed(values.map(Double.init))
            }
        } else if let p = percentile {
            airIntensity = .auto(percentile: p)
        }
        scale = try floats(Key.scale)
        offset = try floats(Key.offset)
        tileSize = try int(Key.tileSize, min: 1)
        tileOverlap = try int(Key.tileOverlap, min: 0)
        if let v = value(Key.output) {
            guard let o = OutputKind(rawValue: v.lowercased()) else { throw bad(Key.output, "logits or probability") }
            output = o
        }
        threshold = try double(Key.threshold)
        scoreMean = try double(Key.scoreMean)
        scoreStd = try double(Key.scoreStd)
        if let v = value(Key.imageScore) {
            guard let m = ImageScoreMethod(v) else { throw bad(Key.imageScore, "peak or top_k_mean:K with K ≥ 1") }
            imageScore = m
        }
        smoothingSigma = try double(Key.smoothingSigma)
        if let v = value(Key.flipViews) {
            guard let f = FlipViews(v) else { throw bad(Key.flipViews, "none, or a comma list of horizontal, vertical, both") }
            flipViews = f
        }
        inputName = value(Key.inputName)
        outputName = value(Key.outputName)
        if let s = smoothingSigma, s < 0 { throw bad(Key.smoothingSigma, "a number ≥ 0") }

        let known: Set<String> = [Key.formatVersion, Key.modelName, Key.version, Key.inputChannels, Key.normalisation,
                                  Key.i0, Key.i0Percentile, Key.scale, Key.offset, Key.tileSize, Key.tileOverlap,
                                  Key.output, Key.threshold, Key.scoreMean, Key.scoreStd, Key.imageScore, Key.smoothingSigma,
                                  Key.flipViews, Key.inputName, Key.outputName]
        provenance = properties.filter { !known.contains($0.key) }
        hasDetectorKeys = properties.keys.contains { known.contains($0) }
    }

    /// Whether the properties held at least one of the detector's keys.
    public private(set) var hasDetectorKeys = false

    /// The properties that describe this metadata (the inverse of ``init(properties:)``), for
    /// export tooling that writes them into a model.
    public var properties: [String: String] {
        var p = provenance
        func fmt(_ values: [Float]) -> String { values.map { "\($0)" }.joined(separator: ",") }
        if let v = formatVersion { p[Key.formatVersion] = "\(v)" }
        if let v = modelName { p[Key.modelName] = v }
        if let v = version { p[Key.version] = v }
        if let v = inputChannels {
            p[Key.inputChannels] = v.map { $0 == .highEnergy ? "high" : $0 == .lowEnergy ? "low" : "gray" }.joined(separator: ",")
        }
        if let v = normalisation { p[Key.normalisation] = v.rawValue }
        switch airIntensity {
        case .auto(let pc)?: p[Key.i0] = "auto"; p[Key.i0Percentile] = "\(pc)"
        case .fixed(let v)?: p[Key.i0] = v.map { "\($0)" }.joined(separator: ",")
        case nil: break
        }
        if let v = scale { p[Key.scale] = fmt(v) }
        if let v = offset { p[Key.offset] = fmt(v) }
        if let v = tileSize { p[Key.tileSize] = "\(v)" }
        if let v = tileOverlap { p[Key.tileOverlap] = "\(v)" }
        if let v = output { p[Key.output] = v.rawValue }
        if let v = threshold { p[Key.threshold] = "\(v)" }
        if let v = scoreMean { p[Key.scoreMean] = "\(v)" }
        if let v = scoreStd { p[Key.scoreStd] = "\(v)" }
        if let v = imageScore { p[Key.imageScore] = v.description }
        if let v = smoothingSigma { p[Key.smoothingSigma] = "\(v)" }
        if let v = flipViews { p[Key.flipViews] = v.description }
        if let v = inputName { p[Key.inputName] = v }
        if let v = outputName { p[Key.outputName] = v }
        return p
    }
}
