import Foundation
import XRayImaging

/// A simulated scan: the 16-bit image, its ground truth and the union anomaly mask.
public struct SimulatedScan: Sendable {
    /// 16-bit planar image: `[.highEnergy, .lowEnergy]` (dual energy) or `[.gray]`.
    /// Air reads ≈ ``SceneConfiguration/airLevel``; opaque regions read ≈120, never 0 or 65535.
    public var image: XRayImage
    public var groundTruth: GroundTruth
    /// Union of all anomaly masks, row-major `width × height`: 255 = anomaly, 0 = background.
    public var anomalyMask: [UInt8]

    /// ``anomalyMask`` as an 8-bit single-channel image (for training data and overlays).
    public var maskImage: XRayImage {
        // Force-try is safe: the pixel count matches by construction.
        try! XRayImage(width: image.width, height: image.height, channelMeanings: [.other],
                       pixels: .uint8(anomalyMask), bitDepth: 8,
                       pixelsPerMillimetre: image.pixelsPerMillimetre)
    }

    /// An 8-bit display rendering of one plane (default: the first), log-scaled so that air is
    /// white and dense objects dark, as operators see single-energy greyscale.
    public func displayImage(plane: Int = 0) -> XRayImage {
        let n = image.pixelCount
        guard case .uint16(let px) = image.pixels, plane < image.channels else {
            return try! XRayImage(width: image.width, height: image.height, channelMeanings: [.gray],
                                  pixels: .uint8([UInt8](repeating: 0, count: n)))
        }
        let air = Float(groundTruth.configuration.airLevel)
        let lo = log(ImageFormation.darkOffset / air), span = -lo
        var out = [UInt8](repeating: 0, count: n)
        for i in 0..<n {
            let v = max(Float(px[plane * n + i]), 1)
            let t = (log(v / air) - lo) / span            // 0 = opaque, 1 = air
            out[i] = UInt8(min(max(pow(max(t, 0), 1.6) * 255, 0), 255).rounded())
        }
        return try! XRayImage(width: image.width, height: image.height, channelMeanings: [.gray], pixels: .uint8(out),
                              pixelsPerMillimetre: image.pixelsPerMillimetre)
    }
}

/// Generates physically based synthetic X-ray scans with threat image projection.
///
/// ```swift
/// let scan = try ScanSimulator().generate(.baggage(seed: 42, anomalies: 2, difficulty: 0.5))
/// let json = try scan.groundTruth.jsonData()
/// ```
///
/// Pipeline: a seeded scene (``SceneKind``) of objects with materials is rasterised into
/// line-integral buffers Σμ·t per energy; anomalies are projected by adding their μ·t
/// (ground-truth masks are cut where the noise-free image changes by more than
/// ``GroundTruth/maskThreshold`` in log intensity); Beer–Lambert, scanner artefacts, quantum noise
/// and detector blur form the 16-bit image. Same configuration → identical pixels and ground truth.
public struct ScanSimulator: Sendable {
    public init() {}

    /// Generates one scan. Throws ``SimulationError/invalidConfiguration(_:)`` for bad settings.
    public func generate(_ config: SceneConfiguration) throws -> SimulatedScan {
        try config.validate()
        // Work in a landscape frame; portrait outputs are transposed at the end.
        let transpose = config.height > config.width
        let w = transpose ? config.height : config.width, h = transpose ? config.width : config.height

        var sceneRNG = SimulationRandom(seed: config.seed, stream: 1)
        let scene: Scene = config.kind == .baggage
            ? BaggageScene.make(width: w, height: h, clutter: config.clutter, rng: &sceneRNG)
            : CargoScene.make(width: w, height: h, clutter: config.clutter, rng: &sceneRNG)
        var integrals = LineIntegrals(width: w, height: h)
        integrals.add(scene.objects, energies: scene.energies)

        // Anomalies: their own stream, so the scene is the same with or without them.
        var threatRNG = SimulationRandom(seed: config.seed, stream: 2)
        let receives = config.anomalyCount > 0 && threatRNG.unit() < config.anomalyProbability
        let photons = config.nominalPhotons
        let usesLow = config.dualEnergy || config.singleEnergyChannel == .lowEnergy
        let usesHigh = config.dualEnergy || config.singleEnergyChannel != .lowEnergy
        let threshold = 1.5 / photons.high.squareRoot()
        let projection = ThreatProjection(scene: scene, config: config, width: w, height: h, threshold: threshold,
                                          usesLow: usesLow, usesHigh: usesHigh)
        let inserted = receives ? projection.insert(into: &integrals, count: config.anomalyCount, rng: &threatRNG) : []

        // Image formation, channel by channel.
        var noiseRNG = SimulationRandom(seed: config.seed, stream: 3)
        let artefacts = config.banding > 0
            ? ImageFormation.Artefacts(width: w, height: h, strength: config.banding, rng: &noiseRNG) : nil
        func form(_ L: [Float], photons n0: Double, stream: UInt64) -> [UInt16] {
            var rng = SimulationRandom(seed: config.seed, stream: stream)
            let n = config.noise > 0 ? n0 / (config.noise * config.noise) : nil
            return ImageFormation.form(L, width: w, height: h, photons: n, airLevel: config.airLevel,
                                       artefacts: artefacts, blurSigma: config.blur,
                                       electronicNoise: Float(3 * config.noise), rng: &rng)
        }
        var planes: [[UInt16]] = []
        var meanings: [XRayImage.ChannelMeaning] = []
        if usesHigh { planes.append(form(integrals.high, photons: photons.high, stream: 4)); meanings.append(config.dualEnergy ? .highEnergy : .gray) }
        if usesLow { planes.append(form(integrals.low, photons: photons.low, stream: 5)); meanings.append(config.dualEnergy ? .lowEnergy : .gray) }

        // Union mask and annotations in the working frame, then transpose if needed.
        var mask = [UInt8](repeating: 0, count: w * h)
        for a in inserted {
            for y in 0..<a.box.h {
                for x in 0..<a.box.w where a.bits[y * a.box.w + x] != 0 {
                    mask[(a.box.y + y) * w + a.box.x + x] = 255
                }
            }
        }
        var annotations: [AnomalyAnnotation] = []
        for (i, a) in inserted.enumerated() {
            var box = PixelBox(x: a.box.x, y: a.box.y, width: a.box.w, height: a.box.h)
            var bits = a.bits
            var rotation = a.rotation
            if transpose {
                box = PixelBox(x: a.box.y, y: a.box.x, width: a.box.h, height: a.box.w)
                bits = Self.transposed(a.bits, width: a.box.w, height: a.box.h)
                rotation = 90 - rotation   // reflection about the diagonal
            }
            annotations.append(AnomalyAnnotation(
                id: i + 1, anomalyClass: a.cls, box: box, difficulty: a.difficulty,
                difficultyLevel: DifficultyLevel(a.difficulty), material: a.material, depth: a.depth,
                rotationDegrees: rotation, scale: a.scale, pixelCount: bits.reduce(0) { $0 + Int($1) },
                meanContrast: a.meanContrast, peakContrast: a.peakContrast,
                mask: RunLengthMask(width: box.width, height: box.height, bits: bits)))
        }
        if transpose {
            planes = planes.map { Self.transposed($0, width: w, height: h) }
            mask = Self.transposed(mask, width: w, height: h)
        }
        let ppmm = Double(scene.pxPerCm) / 10
        let image = try XRayImage(width: config.width, height: config.height, channelMeanings: meanings,
                                  pixels: .uint16(planes.flatMap { $0 }), bitDepth: 16,
                                  pixelsPerMillimetre: (ppmm, ppmm))
        let truth = GroundTruth(
            version: GroundTruth.currentVersion, generator: "XRaySimulation", seed: config.seed, kind: config.kind,
            width: config.width, height: config.height, channels: meanings.map(\.rawValue), energies: scene.energies,
            pixelSizeMillimetres: 1 / ppmm, difficulty: config.difficulty, maskThreshold: threshold,
            sceneObjectCount: scene.objects.count, anomalies: annotations, configuration: config)
        return SimulatedScan(image: image, groundTruth: truth, anomalyMask: mask)
    }

    static func transposed<T>(_ a: [T], width: Int, height: Int) -> [T] {
        guard let first = a.first else { return a }
        var out = [T](repeating: first, count: a.count)
        a.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                // Blocked for cache friendliness.
                let bs = 32
                for by in stride(from: 0, to: height, by: bs) {
                    for bx in stride(from: 0, to: width, by: bs) {
                        for y in by..<min(by + bs, height) {
                            for x in bx..<min(bx + bs, width) { dst[x * height + y] = src[y * width + x] }
                        }
                    }
                }
            }
        }
        return out
    }
}

extension GroundTruth {
    /// JSON encoding with sorted keys (stable diffs); pretty-printed by default.
    public func jsonData(pretty: Bool = true) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        return try e.encode(self)
    }

    /// Decodes ground truth; throws when the JSON's `version` is newer than this library reads.
    public static func decode(from data: Data) throws -> GroundTruth {
        let g = try JSONDecoder().decode(GroundTruth.self, from: data)
        guard g.version <= GroundTruth.currentVersion else {
            throw SimulationError.invalidConfiguration("ground truth version \(g.version) is newer than supported \(GroundTruth.currentVersion)")
        }
        return g
    }
}
