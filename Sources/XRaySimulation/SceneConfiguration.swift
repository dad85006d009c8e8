import XRayImaging

/// What kind of scan to simulate.
public enum SceneKind: String, Sendable, Codable, CaseIterable {
    /// A checked bag or carry-on on a conveyor (kV scanner, ≈60/150 keV).
    case baggage
    /// A loaded freight container seen from the side (MeV linac, ≈1.5/3 MeV).
    case cargo
}

/// Named difficulty levels; the simulator works on a continuous difficulty in 0…1.
public enum DifficultyLevel: String, Sendable, Codable, CaseIterable {
    case obvious, moderate, subtle

    /// The representative continuous difficulty of the level.
    public var value: Double {
        switch self {
        case .obvious: return 0.1
        case .moderate: return 0.5
        case .subtle: return 0.9
        }
    }

    /// The level a continuous difficulty falls into (< 1/3 obvious, < 2/3 moderate, else subtle).
    public init(_ difficulty: Double) {
        self = difficulty < 1.0 / 3 ? .obvious : (difficulty < 2.0 / 3 ? .moderate : .subtle)
    }
}

/// Everything that determines a simulated scan. Two equal configurations give identical scans.
public struct SceneConfiguration: Sendable, Codable, Equatable {
    public var kind: SceneKind
    public var width: Int
    public var height: Int
    /// `true`: two planes `[.highEnergy, .lowEnergy]`; `false`: one `.gray` plane taken from
    /// ``singleEnergyChannel``.
    public var dualEnergy: Bool
    /// Which energy a single-energy image shows (`.highEnergy` or `.lowEnergy`).
    public var singleEnergyChannel: XRayImage.ChannelMeaning
    /// Number of anomalies inserted when the scan receives anomalies.
    public var anomalyCount: Int
    /// Probability (0…1) that the scan receives anomalies at all; 1 = always, 0 = never.
    /// Lets one seeded stream of configurations mix normal and anomalous scans.
    public var anomalyProbability: Double
    /// Anomaly classes to draw from; `nil` = every class suited to ``kind``.
    public var anomalyClasses: [AnomalyClass]?
    /// 0 = obvious (large, dense, in the open) … 1 = subtle (small, thin, behind clutter).
    public var difficulty: Double
    /// Quantum-noise scale: 1 = nominal photon counts, 0 = noise off, 2 = noisier (¼ the dose).
    public var noise: Double
    /// Detector blur (Gaussian σ in pixels; 0 = off).
    public var blur: Double
    /// Strength of scanner artefacts (0 = off, 1 = typical): per-detector-row gain banding,
    /// source flicker along the scan, the occasional bad detector line.
    public var banding: Double
    /// Scene clutter: 0 = nearly empty, 1 = typical, 2 = packed.
    public var clutter: Double
    /// Grey level of unattenuated air in the 16-bit output (full-scale 65535).
    public var airLevel: Double
    /// Seed of every random choice: scene, anomalies and noise use independent streams from it.
    public var seed: UInt64

    public init(kind: SceneKind = .baggage, width: Int? = nil, height: Int? = nil,
                dualEnergy: Bool = true, singleEnergyChannel: XRayImage.ChannelMeaning = .highEnergy,
                anomalyCount: Int = 0, anomalyProbability: Double = 1, anomalyClasses: [AnomalyClass]? = nil,
                difficulty: Double = 0.5, noise: Double = 1, blur: Double = 0.8, banding: Double = 0.3,
                clutter: Double = 1, airLevel: Double = 60000, seed: UInt64 = 0) {
        self.kind = kind
        self.width = width ?? (kind == .baggage ? 1024 : 4096)
        self.height = height ?? (kind == .baggage ? 768 : 1024)
        self.dualEnergy = dualEnergy
        self.singleEnergyChannel = singleEnergyChannel
        self.anomalyCount = anomalyCount
        self.anomalyProbability = anomalyProbability
        self.anomalyClasses = anomalyClasses
        self.difficulty = difficulty
        self.noise = noise
        self.blur = blur
        self.banding = banding
        self.clutter = clutter
        self.airLevel = airLevel
        self.seed = seed
    }

    /// A 1024 × 768 dual-energy bag.
    public static func baggage(seed: UInt64, anomalies: Int = 0, difficulty: Double = 0.5) -> SceneConfiguration {
        SceneConfiguration(kind: .baggage, anomalyCount: anomalies, difficulty: difficulty, seed: seed)
    }

    /// A 4096 × 1024 dual-energy container (the container runs along the longer image axis, so
    /// 1024 × 4096 gives the same scene standing upright).
    public static func cargo(seed: UInt64, anomalies: Int = 0, difficulty: Double = 0.5) -> SceneConfiguration {
        SceneConfiguration(kind: .cargo, anomalyCount: anomalies, difficulty: difficulty, seed: seed)
    }

    /// The same scene with noise, banding and blur switched off (for tests and references).
    public var noiseFree: SceneConfiguration {
        var c = self
        c.noise = 0; c.banding = 0
        return c
    }

    /// Photon counts per pixel of unattenuated beam (high, low) at `noise` = 1.
    var nominalPhotons: (high: Double, low: Double) {
        kind == .baggage ? (6000, 3000) : (20000, 10000)
    }

    /// Checks the configuration, throwing a message that says what to change.
    public func validate() throws {
        func fail(_ m: String) -> SimulationError { .invalidConfiguration(m) }
        guard width >= 64, height >= 64 else { throw fail("width and height must be at least 64 (got \(width)×\(height))") }
        guard width.multipliedReportingOverflow(by: height).partialValue <= 1 << 28 else {
            throw fail("image too large: at most 2^28 pixels")
        }
        guard anomalyCount >= 0, anomalyCount <= 64 else { throw fail("anomalyCount must be in 0…64") }
        guard (0...1).contains(anomalyProbability) else { throw fail("anomalyProbability must be in 0…1") }
        guard (0...1).contains(difficulty) else { throw fail("difficulty must be in 0…1") }
        guard noise >= 0, noise <= 10 else { throw fail("noise must be in 0…10") }
        guard blur >= 0, blur <= 8 else { throw fail("blur must be in 0…8 pixels") }
        guard banding >= 0, banding <= 5 else { throw fail("banding must be in 0…5") }
        guard clutter >= 0, clutter <= 3 else { throw fail("clutter must be in 0…3") }
        guard airLevel >= 1000, airLevel <= 64000 else { throw fail("airLevel must be in 1000…64000") }
        guard singleEnergyChannel == .highEnergy || singleEnergyChannel == .lowEnergy else {
            throw fail("singleEnergyChannel must be .highEnergy or .lowEnergy")
        }
        if let classes = anomalyClasses {
            guard !classes.isEmpty else { throw fail("anomalyClasses must not be empty (use nil for all)") }
        }
    }
}

/// Errors from the simulator.
public enum SimulationError: Error, Equatable, CustomStringConvertible {
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let m): return "invalid scene configuration: \(m)"
        }
    }
}
