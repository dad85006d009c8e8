import Foundation
import XRayImaging

/// What the detector reports for one scan; the JSON form is documented (and versioned) in
/// `Sources/XRayDetection/README.md`.
///
/// All scores are in normalised units (see ``ScoreScale``): 0 is a typical normal scan, 1 the
/// threshold. Optional fields are absent from the JSON when unknown.
public struct ScanResult: Codable, Sendable, Equatable {
    /// Version of this schema; bumped on any change that breaks readers.
    public static let currentSchemaVersion = 1

    /// The scanned image's shape.
    public struct ImageInfo: Codable, Sendable, Equatable {
        public var width: Int
        public var height: Int
        /// Channel meanings, e.g. `["gray"]` or `["highEnergy", "lowEnergy"]`.
        public var channels: [String]
        public var bitDepth: Int
        /// Pixels per millimetre along x and y, when the file says so.
        public var pixelsPerMillimetre: [Double]?

        public init(width: Int, height: Int, channels: [String], bitDepth: Int, pixelsPerMillimetre: [Double]? = nil) {
            self.width = width; self.height = height; self.channels = channels
            self.bitDepth = bitDepth; self.pixelsPerMillimetre = pixelsPerMillimetre
        }
    }

    /// Which model produced the result.
    public struct ModelInfo: Codable, Sendable, Equatable {
        public var name: String?
        public var version: String?
        /// Lower-case hexadecimal SHA-256 of the model file.
        public var sha256: String?
        public init(name: String? = nil, version: String? = nil, sha256: String? = nil) {
            self.name = name; self.version = version; self.sha256 = sha256
        }
    }

    /// Wall-clock milliseconds per stage.
    public struct Timings: Codable, Sendable, Equatable {
        /// Input validation, air-intensity estimation and normalisation of the bands.
        public var preprocessMs: Double = 0
        /// Gathering tiles and running the network (all workers, wall clock).
        public var inferenceMs: Double = 0
        /// Blending tiles into the map.
        public var stitchMs: Double = 0
        /// Smoothing, image score and normalisation of the map.
        public var postprocessMs: Double = 0
        /// Connected components and region statistics.
        public var regionsMs: Double = 0
        /// The whole `detect` call.
        public var totalMs: Double = 0
        public init() {}
    }

    public var schemaVersion: Int
    /// The scan's file name or path as the caller gave it.
    public var file: String?
    public var image: ImageInfo
    public var model: ModelInfo
    /// Image score, normalised (flagged when ≥ `threshold`).
    public var score: Double
    /// Always 1 on the normalised scale; kept so readers need not know the convention.
    public var threshold: Double
    /// Whether the scan is flagged for a closer look.
    public var flagged: Bool
    /// The raw image score (network probability) before normalisation.
    public var rawScore: Double
    /// How raw scores map to normalised ones.
    public var scale: ScoreScale
    /// Where the threshold came from: `configuration`, `profile`, `metadata` or `default`.
    public var calibrationSource: String
    /// How the map became the image score: `peak` or `top_k_mean:K`.
    public var imageScoreMethod: String
    /// Suspect regions, highest peak first.
    public var regions: [Region]
    public var timings: Timings
    /// Things the operator or integrator should know (fallbacks used, regions dropped, …).
    public var warnings: [String]

    public init(schemaVersion: Int = ScanResult.currentSchemaVersion, file: String?, image: ImageInfo, model: ModelInfo,
                score: Double, threshold: Double = 1, flagged: Bool, rawScore: Double, scale: ScoreScale,
                calibrationSource: String, imageScoreMethod: String, regions: [Region], timings: Timings,
                warnings: [String]) {
        self.schemaVersion = schemaVersion; self.file = file; self.image = image; self.model = model
        self.score = score; self.threshold = threshold; self.flagged = flagged; self.rawScore = rawScore
        self.scale = scale; self.calibrationSource = calibrationSource; self.imageScoreMethod = imageScoreMethod
        self.regions = regions; self.timings = timings; self.warnings = warnings
    }

    /// JSON with sorted keys (stable output); one line unless `prettyPrinted`.
    public func jsonData(prettyPrinted: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = prettyPrinted ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                                                 : [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads a result; throws ``DetectionError/unreadableFile(_:)`` for a schema this code cannot read.
    public init(jsonData: Data) throws {
        struct Version: Decodable { var schemaVersion: Int }
        let version: Int
        do { version = try JSONDecoder().decode(Version.self, from: jsonData).schemaVersion } catch {
            throw DetectionError.unreadableFile("not a scan result (no schemaVersion): \(error)")
        }
        guard version == Self.currentSchemaVersion else {
            throw DetectionError.unreadableFile("scan result schema version \(version); this code reads version \(Self.currentSchemaVersion)")
        }
        self = try JSONDecoder().decode(ScanResult.self, from: jsonData)
    }
}
