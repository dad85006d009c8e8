import Foundation

/// The result of calibrating a model on normal scans: the threshold and the normal-score
/// statistics that define the normalised score scale (see ``ScoreScale``). Saved as small JSON.
public struct CalibrationProfile: Codable, Sendable, Equatable {
    /// Version of this file format.
    public static let currentFormatVersion = 1

    /// What the threshold was chosen for.
    public enum Target: Codable, Sendable, Equatable {
        /// Flag at most this fraction of normal scans (image level).
        case imageFalseAlarmRate(Double)
        /// The threshold is this quantile (0–1) of all normal pixel scores.
        case pixelQuantile(Double)

        private enum CodingKeys: String, CodingKey { case kind, value }

        /// JSON: `{"kind": "imageFalseAlarmRate" | "pixelQuantile", "value": number}`.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let kind = try c.decode(String.self, forKey: .kind), value = try c.decode(Double.self, forKey: .value)
            switch kind {
            case "imageFalseAlarmRate": self = .imageFalseAlarmRate(value)
            case "pixelQuantile": self = .pixelQuantile(value)
            default:
                throw DecodingError.dataCorruptedError(forKey: .kind, in: c,
                    debugDescription: "unknown calibration target \(kind): expected imageFalseAlarmRate or pixelQuantile")
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .imageFalseAlarmRate(let v): try c.encode("imageFalseAlarmRate", forKey: .kind); try c.encode(v, forKey: .value)
            case .pixelQuantile(let v): try c.encode("pixelQuantile", forKey: .kind); try c.encode(v, forKey: .value)
            }
        }
    }

    public var formatVersion: Int
    public var modelName: String?
    public var modelVersion: String?
    /// SHA-256 of the model file this profile was made for.
    public var modelSHA256: String?
    /// Raw (probability) threshold.
    public var threshold: Double
    /// Mean and standard deviation of the normal raw scores on the threshold's level: image
    /// scores for ``Target/imageFalseAlarmRate(_:)``, pixel scores for ``Target/pixelQuantile(_:)``.
    /// `normalMean` is the zero of the normalised scale.
    public var normalMean: Double
    public var normalStd: Double
    /// Mean and standard deviation of all raw pixel scores of the normal scans.
    public var pixelMean: Double
    public var pixelStd: Double
    public var imageCount: Int
    public var pixelCount: Int
    public var target: Target
    /// Fraction of the calibration scans the threshold flags.
    public var achievedFalseAlarmRate: Double
    /// Image score method and smoothing the scores were computed with; the detector uses the same.
    public var imageScoreMethod: ModelMetadata.ImageScoreMethod
    public var smoothingSigma: Double
    /// Test-time flips the scores were computed with (absent in profiles made before flips existed: none).
    public var flipViews: FlipViews?
    public var createdAt: Date
    /// Notes (for example, too few scans for the target rate).
    public var warnings: [String]

    public init(modelName: String?, modelVersion: String?, modelSHA256: String?, threshold: Double,
                normalMean: Double, normalStd: Double, pixelMean: Double, pixelStd: Double, imageCount: Int,
                pixelCount: Int, target: Target, achievedFalseAlarmRate: Double,
                imageScoreMethod: ModelMetadata.ImageScoreMethod, smoothingSigma: Double,
                flipViews: FlipViews = .none, createdAt: Date = Date(), warnings: [String] = []) {
        self.formatVersion = Self.currentFormatVersion
        self.modelName = modelName; self.modelVersion = modelVersion; self.modelSHA256 = modelSHA256
        self.threshold = threshold; self.normalMean = normalMean; self.normalStd = normalStd
        self.pixelMean = pixelMean; self.pixelStd = pixelStd; self.imageCount = imageCount
        self.pixelCount = pixelCount; self.target = target; self.achievedFalseAlarmRate = achievedFalseAlarmRate
        self.imageScoreMethod = imageScoreMethod; self.smoothingSigma = smoothingSigma
        self.flipViews = flipViews
        self.createdAt = createdAt; self.warnings = warnings
    }

    /// The scale this profile defines.
    public var scale: ScoreScale { ScoreScale(threshold: threshold, normalMean: normalMean) }

    /// Pretty JSON, sorted keys, ISO 8601 dates.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    public init(jsonData: Data) throws {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do { self = try decoder.decode(CalibrationProfile.self, from: jsonData) } catch {
            throw DetectionError.unreadableFile("not a calibration profile: \(error)")
        }
        guard formatVersion == Self.currentFormatVersion else {
            throw DetectionError.unreadableFile("calibration profile format \(formatVersion); this code reads \(Self.currentFormatVersion)")
        }
        guard threshold.isFinite, normalMean.isFinite, threshold > normalMean else {
            throw DetectionError.unreadableFile("calibration profile threshold \(threshold) must be finite and above its normal mean \(normalMean)")
        }
    }

    public func write(to url: URL) throws { try jsonData().write(to: url, options: .atomic) }

    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DetectionError.unreadableFile("\(url.path): \(error.localizedDescription)")
        }
        try self.init(jsonData: data)
    }
}
