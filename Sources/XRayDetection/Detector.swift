import Foundation
import Dispatch
import XRayImaging

/// Screens scans: scan → normalised input → tiles → network → stitched anomaly map → smoothing →
/// normalised score → verdict and regions.
///
/// A detector is immutable and thread-safe: make one per model and call ``detect(_:file:)`` from
/// as many threads or tasks as you like. Runners (engine sessions) are pooled between calls.
public final class Detector: Sendable {
    /// The network that maps tiles to anomaly planes.
    public let network: any AnomalyNetwork
    /// The model's metadata, parsed.
    public let metadata: ModelMetadata
    /// The configuration the detector was made with.
    public let configuration: DetectorConfiguration
    /// The calibration profile in use, if any.
    public let profile: CalibrationProfile?
    /// The normalised score scale in use.
    public let scale: ScoreScale
    /// `configuration`, `profile`, `metadata` or `default`.
    public let calibrationSource: String
    /// How the map becomes the image score.
    public let imageScoreMethod: ModelMetadata.ImageScoreMethod
    /// Gaussian smoothing of the map, pixels (0: off).
    public let smoothingSigma: Double
    /// Test-time flips averaged per tile.
    public let flipViews: FlipViews
    /// Overlap between neighbouring tiles, pixels.
    public let tileOverlap: Int
    /// Meaning of each model input plane.
    public let inputChannels: [XRayImage.ChannelMeaning]
    /// Fallbacks and mismatches found when the detector was made; repeated in every result.
    public let warnings: [String]

    let preprocessor: Preprocessor
    let inference: TiledInference
    let pool: RunnerPool

    /// Makes a detector for `network`, reading its metadata and applying `configuration`
    /// overrides and a calibration `profile` (precedence: configuration, profile, metadata,
    /// fallback).
    public init(network: any AnomalyNetwork, configuration: DetectorConfiguration = .init(),
                profile: CalibrationProfile? = nil) throws {
        try configuration.validate()
        let meta = try ModelMetadata(properties: network.metadata)
        var warnings: [String] = []
        var fallbacks: [String] = []
        let C = network.inputChannels, T = network.tileSize
        guard C >= 1, T >= 1 else {
            throw DetectionError.invalidConfiguration("network reports \(C) channel(s) and tile size \(T)")
        }

        let channels = configuration.inputChannels ?? meta.inputChannels ?? {
            fallbacks.append("input channels")
            return C == 2 ? [.highEnergy, .lowEnergy] : Array(repeating: .gray, count: C)
        }()
        guard channels.count == C else {
            throw DetectionError.invalidConfiguration("input channels \(channels.map(\.rawValue)) do not match the network's \(C) input plane(s)")
        }
        if let t = meta.tileSize, t != T {
            warnings.append("model metadata tile size \(t) differs from the network's \(T); using \(T)")
        }
        let overlap = configuration.tileOverlap ?? meta.tileOverlap ?? { fallbacks.append("tile overlap"); return T / 4 }()
        guard overlap >= 0, overlap < T else {
            throw DetectionError.invalidConfiguration("tile overlap \(overlap) must be in 0..<\(T) (the tile size)")
        }
        let normalisation = configuration.normalisation ?? meta.normalisation ?? { fallbacks.append("normalisation"); return .logAttenuation }()
        let air = configuration.airIntensity ?? meta.airIntensity ?? .auto(percentile: 99.5)
        if normalisation == .logAttenuation, configuration.airIntensity == nil, meta.airIntensity == nil { fallbacks.append("air intensity") }
        let scale = configuration.scale ?? meta.scale ?? [1]
        let offset = configuration.offset ?? meta.offset ?? [0]
        guard scale.count == 1 || scale.count == C, offset.count == 1 || offset.count == C else {
            throw DetectionError.invalidConfiguration("scale and offset need 1 or \(C) value(s)")
        }
        if case .fixed(let v) = air, v.count != 1, v.count != C {
            throw DetectionError.invalidConfiguration("air intensity needs 1 or \(C) value(s), got \(v.count)")
        }
        let output = configuration.output ?? meta.output ?? { fallbacks.append("output kind (probability)"); return .probability }()

        // Threshold and normal mean come as a pair from one source.
        var source: String
        var threshold: Double, mean: Double
        if let t = configuration.threshold {
            source = "configuration"; threshold = t; mean = configuration.scoreMean ?? 0
        } else if let p = profile {
            source = "profile"; threshold = p.threshold; mean = p.normalMean
        } else if let t = meta.threshold {
            source = "metadata"; threshold = t; mean = meta.scoreMean ?? 0
        } else {
            source = "default"; threshold = 0.5; mean = 0
            warnings.append("uncalibrated: no threshold in the configuration, a profile or the model metadata; using 0.5")
        }
        if let m = configuration.scoreMean { mean = m }
        guard threshold.isFinite, mean.isFinite, threshold > mean else {
            throw DetectionError.invalidConfiguration("threshold \(threshold) must be above the normal score mean \(mean)")
        }
        if let p = profile {
            if let a = p.modelSHA256, let b = network.modelSHA256, a != b {
                warnings.append("calibration profile was made for model \(a.prefix(12))…, this model is \(b.prefix(12))…")
            }
        }
        let method = configuration.imageScore ?? profile?.imageScoreMethod ?? meta.imageScore ?? .peak
        let sigma = configuration.smoothingSigma ?? profile?.smoothingSigma ?? meta.smoothingSigma ?? 0
        let flips = configuration.flipViews ?? profile?.flipViews ?? meta.flipViews ?? .none
        if let p = profile, source == "profile",
           p.imageScoreMethod != method || p.smoothingSigma != sigma || (p.flipViews ?? .none) != flips {
            warnings.append("image score method, smoothing or flip views differ from the calibration profile's; scores are not on its scale")
        }
        if !fallbacks.isEmpty {
            warnings.append("model metadata lacks \(fallbacks.joined(separator: ", ")); using fallbacks")
        }

        self.network = network
        self.metadata = meta
        self.configuration = configuration
        self.profile = profile
        self.scale = ScoreScale(threshold: threshold, normalMean: mean)
        self.calibrationSource = source
        self.imageScoreMethod = method
        self.smoothingSigma = sigma
        self.flipViews = flips
        self.tileOverlap = overlap
        self.inputChannels = channels
        self.warnings = warnings
        self.preprocessor = Preprocessor(modelChannels: channels, normalisation: normalisation,
                                         airIntensity: air, scale: scale, offset: offset)
        self.inference = TiledInference(tile: T, overlap: overlap, channels: C, output: output,
                                        padding: configuration.padding, threads: configuration.threads,
                                        memoryBudgetBytes: configuration.memoryBudgetBytes,
                                        maximumTilesInFlight: configuration.maximumTilesInFlight,
                                        scratchBytesPerRunner: network.scratchBytesPerRunner, flips: flips)
        self.pool = RunnerPool(network: network, maximumIdle: max(2 * configuration.threads, 2))
    }

    /// A result with its full-resolution anomaly map (normalised units), for overlays.
    public struct Detection: Sendable {
        /// The report, as ``Detector/detect(_:file:)`` returns it.
        public var result: ScanResult
        /// The stitched, smoothed map in normalised score units (1 = threshold), scan resolution.
        public var anomalyMap: AnomalyMap
    }

    /// Screens one scan.
    public func detect(_ image: XRayImage, file: String? = nil) throws -> ScanResult {
        try run(image, file: file).result
    }

    /// Screens one scan off the caller's task (the work runs on Dispatch worker threads).
    public func detect(_ image: XRayImage, file: String? = nil) async throws -> ScanResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try self.run(image, file: file).result })
            }
        }
    }

    /// Screens one scan and also returns the anomaly map.
    public func detectWithMap(_ image: XRayImage, file: String? = nil) throws -> Detection {
        try run(image, file: file)
    }

    /// The raw (probability) map after stitching and smoothing, with timings and scan warnings.
    func rawMap(_ image: XRayImage, timings: inout ScanResult.Timings) throws -> (map: [Float], warnings: [String]) {
        var t0 = DispatchTime.now()
        let scan = try preprocessor.prepare(image)
        timings.preprocessMs += milliseconds(since: t0)
        var stage = TiledInference.Timings()
        var map = try inference.run(image: image, scan: scan, preprocessor: preprocessor, pool: pool, timings: &stage)
        timings.preprocessMs += stage.preprocess
        timings.inferenceMs += stage.inference
        timings.stitchMs += stage.stitch
        t0 = DispatchTime.now()
        if smoothingSigma > 0 {
            GaussianBlur.apply(&map, width: image.width, height: image.height, sigma: smoothingSigma,
                               workers: configuration.threads)
        }
        timings.postprocessMs += milliseconds(since: t0)
        var warnings = scan.warnings
        if image.width < network.tileSize || image.height < network.tileSize {
            warnings.append("image \(image.width)×\(image.height) is smaller than the \(network.tileSize)-pixel tile; padded (\(configuration.padding.rawValue))")
        }
        return (map, warnings)
    }

    func run(_ image: XRayImage, file: String?) throws -> Detection {
        let start = DispatchTime.now()
        var timings = ScanResult.Timings()
        var (map, scanWarnings) = try rawMap(image, timings: &timings)

        var t0 = DispatchTime.now()
        let raw = map.withUnsafeBufferPointer { ImageScore.compute($0, method: imageScoreMethod) }
        let s = scale
        let span = Float(s.span), mean = Float(s.normalMean)
        map.withUnsafeMutableBufferPointer { b in
            let p = UncheckedSendable(b.baseAddress!)
            let inv = 1 / span
            Parallel.forEachRange(workers: configuration.threads, count: b.count, minimumChunk: 1 << 16) { r in
                for i in r { p.value[i] = (p.value[i] - mean) * inv }
            }
        }
        timings.postprocessMs += milliseconds(since: t0)

        t0 = DispatchTime.now()
        let extractor = RegionExtractor(threshold: Float(configuration.regionThreshold),
                                        minimumArea: configuration.minimumRegionArea,
                                        mergeDistance: configuration.mergeDistance,
                                        maximumCount: configuration.maximumRegionCount)
        let anomalyMap = AnomalyMap(width: image.width, height: image.height, values: map)
        let found = extractor.regions(in: anomalyMap, pixelsPerMillimetre: image.pixelsPerMillimetre)
        timings.regionsMs += milliseconds(since: t0)
        if found.droppedByCount > 0 {
            scanWarnings.append("\(found.droppedByCount) more region(s) above the threshold not reported (maximumRegionCount \(configuration.maximumRegionCount))")
        }
        timings.totalMs = milliseconds(since: start)

        let score = s.normalise(raw)
        let result = ScanResult(
            file: file,
            image: .init(width: image.width, height: image.height, channels: image.channelMeanings.map(\.rawValue),
                         bitDepth: image.bitDepth,
                         pixelsPerMillimetre: image.pixelsPerMillimetre.map { [$0.x, $0.y] }),
            model: .init(name: metadata.modelName ?? profile?.modelName, version: metadata.version ?? profile?.modelVersion,
                         sha256: network.modelSHA256),
            score: score, threshold: 1, flagged: score >= 1, rawScore: raw, scale: s,
            calibrationSource: calibrationSource, imageScoreMethod: imageScoreMethod.description,
            regions: found.regions, timings: timings, warnings: warnings + scanWarnings)
        return Detection(result: result, anomalyMap: anomalyMap)
    }
}
