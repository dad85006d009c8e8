/// Kinds of inserted anomalies (threat image projection).
public enum AnomalyClass: String, Sendable, Codable, CaseIterable {
    /// A dense metal block (steel or lead-like).
    case metalBlock
    /// Handgun silhouette (steel).
    case gun
    /// Knife: steel blade with handle.
    case knife
    /// Thin blade: box-cutter or razor blade.
    case blade
    /// Explosive- or drug-like organic packet (density 1.2–1.8 g/cm³).
    case organicPacket
    /// Wires plus battery cluster (improvised-device-like).
    case wiresAndBattery
    /// Cargo: a false wall section hiding a compartment.
    case falseWall
    /// Cargo: a dense core hidden inside homogeneous cartons.
    case denseCore
    /// Cargo: goods that contradict the rest of the load.
    case contradictoryGoods

    /// Classes inserted into scenes of a kind when the configuration does not choose.
    public static func defaults(for kind: SceneKind) -> [AnomalyClass] {
        switch kind {
        case .baggage: return [.metalBlock, .gun, .knife, .blade, .organicPacket, .wiresAndBattery]
        case .cargo: return [.falseWall, .denseCore, .contradictoryGoods, .organicPacket, .metalBlock, .gun]
        }
    }
}

/// Axis-aligned box in image pixels: `x`, `y` of the top-left pixel, `width` × `height`.
public struct PixelBox: Sendable, Codable, Equatable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < x + width && py >= y && py < y + height
    }
}

/// A binary mask over a box, run-length encoded row-major (box-local): `counts` alternate runs of
/// 0 and 1, starting with a (possibly empty) run of 0; the counts sum to `width × height`.
public struct RunLengthMask: Sendable, Codable, Equatable {
    public var width: Int, height: Int
    public var counts: [Int]

    public init(width: Int, height: Int, counts: [Int]) {
        self.width = width; self.height = height; self.counts = counts
    }

    /// Encodes `bits` (row-major, `width × height`, non-zero = set).
    public init(width: Int, height: Int, bits: [UInt8]) {
        self.width = width; self.height = height
        var counts: [Int] = []
        var current: UInt8 = 0, run = 0
        for b in bits {
            let v: UInt8 = b != 0 ? 1 : 0
            if v == current { run += 1 } else { counts.append(run); current = v; run = 1 }
        }
        counts.append(run)
        self.counts = counts
    }

    /// Decodes to row-major 0/1 values.
    public func decoded() -> [UInt8] {
        var out = [UInt8](); out.reserveCapacity(width * height)
        var v: UInt8 = 0
        for c in counts { out.append(contentsOf: repeatElement(v, count: c)); v ^= 1 }
        return out
    }
}

/// One inserted anomaly.
public struct AnomalyAnnotation: Sendable, Codable, Equatable {
    /// 1-based index within the scan (the order of insertion).
    public var id: Int
    public var anomalyClass: AnomalyClass
    /// Tight box around ``mask`` in image pixels.
    public var box: PixelBox
    /// Continuous difficulty 0 (obvious) … 1 (subtle) actually used for this anomaly.
    public var difficulty: Double
    public var difficultyLevel: DifficultyLevel
    /// Dominant material of the inserted object.
    public var material: Material
    /// Position along the beam, 0 = at the detector … 1 = at the source; sets the fan-beam
    /// magnification (≈ ±8 %).
    public var depth: Double
    /// Rotation in degrees (counter-clockwise in image axes) and size scale.
    public var rotationDegrees: Double
    public var scale: Double
    /// Number of mask pixels.
    public var pixelCount: Int
    /// Mean and peak added attenuation Δ(−log I) over the mask (largest of the two energies).
    public var meanContrast: Double
    public var peakContrast: Double
    /// Pixels where the anomaly changes the noise-free image measurably, over ``box``.
    public var mask: RunLengthMask

    enum CodingKeys: String, CodingKey {
        case id, anomalyClass = "class", box, difficulty, difficultyLevel, material, depth
        case rotationDegrees, scale, pixelCount, meanContrast, peakContrast, mask
    }
}

/// Ground truth of a simulated scan; serialises to the JSON documented in
/// `Sources/XRaySimulation/README.md`.
public struct GroundTruth: Sendable, Codable, Equatable {
    /// Schema version of this structure; bumped on incompatible changes.
    public static let currentVersion = 1

    public var version: Int
    public var generator: String
    public var seed: UInt64
    public var kind: SceneKind
    public var width: Int
    public var height: Int
    /// Channel meanings of the image, in plane order (`"gray"` or `"highEnergy"`, `"lowEnergy"`).
    public var channels: [String]
    public var energies: EnergyPair
    /// Pixel pitch in millimetres (square pixels).
    public var pixelSizeMillimetres: Double
    /// Configured difficulty (0…1); each anomaly records the value it actually used.
    public var difficulty: Double
    /// Threshold on |Δ ln I| that defines the masks: 1.5 × the relative quantum noise of air in
    /// the high-energy channel at nominal dose.
    public var maskThreshold: Double
    /// Number of scene objects (excluding anomalies).
    public var sceneObjectCount: Int
    public var anomalies: [AnomalyAnnotation]
    /// The full configuration the scan came from.
    public var configuration: SceneConfiguration
}
