import Foundation
import XRayImaging
import XRaySimulation

/// Small scenes keep the suite fast.
func smallBaggage(seed: UInt64, anomalies: Int = 0, difficulty: Double = 0.5) -> SceneConfiguration {
    SceneConfiguration(kind: .baggage, width: 384, height: 288, anomalyCount: anomalies, difficulty: difficulty, seed: seed)
}

func smallCargo(seed: UInt64, anomalies: Int = 0, difficulty: Double = 0.5) -> SceneConfiguration {
    SceneConfiguration(kind: .cargo, width: 1024, height: 256, anomalyCount: anomalies, difficulty: difficulty, seed: seed)
}

func samples(_ image: XRayImage) -> [UInt16] {
    guard case .uint16(let p) = image.pixels else { return [] }
    return p
}
