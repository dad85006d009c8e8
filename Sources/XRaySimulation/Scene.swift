import Foundation

/// An oriented rectangle in image pixels (centre, half sizes, rotation).
struct OrientedRect: Sendable {
    var center: SIMD2<Float>
    var half: SIMD2<Float>
    var rotation: Float
    /// Corner radius (pixels) when used as a clip region.
    var corner: Float = 0

    /// Whether an image point lies inside (rounded corners respected).
    @inline(__always)
    func contains(_ x: Float, _ y: Float, cos c: Float, sin s: Float) -> Bool {
        let qx = x - center.x, qy = y - center.y
        let u = abs(c * qx + s * qy), v = abs(-s * qx + c * qy)
        if u > half.x || v > half.y { return false }
        let cx = u - (half.x - corner), cy = v - (half.y - corner)
        return cx <= 0 || cy <= 0 || cx * cx + cy * cy <= corner * corner
    }

    /// Maps a point of the rectangle's local frame (pixels from its centre) to the image.
    func toImage(_ p: SIMD2<Float>) -> SIMD2<Float> {
        let c = cos(rotation), s = sin(rotation)
        return center + SIMD2(c * p.x - s * p.y, s * p.x + c * p.y)
    }

    /// A uniformly random point, `margin` pixels inside the edges.
    func randomPoint(_ rng: inout SimulationRandom, margin: Float = 0) -> SIMD2<Float> {
        let hx = max(half.x - margin, 1), hy = max(half.y - margin, 1)
        return toImage(SIMD2(Float(rng.uniform(-Double(hx), Double(hx))), Float(rng.uniform(-Double(hy), Double(hy)))))
    }
}

/// A block of homogeneous cargo (a pallet stack or row) that concealments can target.
struct CargoBlock: Sendable {
    /// x0, y0, x1, y1 in image pixels.
    var rect: SIMD4<Float>
    var material: Material
    var density: Float
    /// Path length of goods along the beam (cm).
    var depth: Float
}

/// A generated scene: objects to rasterise plus what threat projection needs to know.
struct Scene: Sendable {
    var objects: [SceneObject] = []
    var energies: EnergyPair
    /// Pixels per centimetre (square pixels).
    var pxPerCm: Float
    /// Region where loose items (and threats) can sit.
    var interior: OrientedRect
    /// Cargo only: homogeneous blocks of goods and the container's inner extent along its length.
    var blocks: [CargoBlock] = []
    var beamDepthCm: Float

    @inline(__always) func px(_ cm: Double) -> Float { Float(cm) * pxPerCm }
}

/// Small helpers shared by the scene and threat builders.
extension SimulationRandom {
    mutating func f(_ lo: Double, _ hi: Double) -> Float { Float(uniform(lo, hi)) }
    mutating func angle() -> Float { Float(uniform(-Double.pi, Double.pi)) }
}

/// A smooth random path of `count` points starting at `start` (local or image pixels).
func randomPath(_ rng: inout SimulationRandom, start: SIMD2<Float>, count: Int, step: Float,
                bounds: OrientedRect? = nil) -> [SIMD2<Float>] {
    var pts = [start]
    var heading = rng.angle()
    var p = start
    for _ in 1..<count {
        heading += rng.f(-0.9, 0.9)
        p += SIMD2(cos(heading), sin(heading)) * step
        if let b = bounds {
            // Reflect back towards the centre when leaving the region.
            let d = p - b.center
            if abs(d.x) > b.half.x * 0.95 || abs(d.y) > b.half.y * 0.95 {
                heading += .pi * 0.8
                p = b.center + d * 0.9
            }
        }
        pts.append(p)
    }
    return pts
}

/// Points relative to their centroid (polylines and polygons are stored in a local frame).
func centred(_ pts: [SIMD2<Float>]) -> (center: SIMD2<Float>, local: [SIMD2<Float>]) {
    let c = pts.reduce(SIMD2<Float>(0, 0), +) / Float(pts.count)
    return (c, pts.map { $0 - c })
}
