import Foundation

/// 2-D outline of a projected object, in the object's local frame (pixels, centred on the pose).
enum ShapeGeometry: Sendable {
    /// Ellipse with semi-axes `a` (local x) and `b` (local y).
    case ellipse(a: Float, b: Float)
    /// Rectangle of half sizes `hw` × `hh` with corner radius `corner`.
    case roundedRect(hw: Float, hh: Float, corner: Float)
    /// Closed simple polygon (local vertices).
    case polygon([SIMD2<Float>])
    /// Chain of capsules of a common radius through the points (cables, rods, straps).
    case polyline([SIMD2<Float>], radius: Float)
    /// Elliptical ring (annulus) of semi-axes `a`, `b` measured to its mid-line.
    case ring(a: Float, b: Float, halfWidth: Float)

    /// Radius of a disc, centred on the local origin, that contains the shape.
    var boundingRadius: Float {
        switch self {
        case let .ellipse(a, b): return max(a, b)
        case let .roundedRect(hw, hh, _): return (hw * hw + hh * hh).squareRoot()
        case let .polygon(pts): return pts.map { ($0 * $0).sum().squareRoot() }.max() ?? 0
        case let .polyline(pts, r): return (pts.map { ($0 * $0).sum().squareRoot() }.max() ?? 0) + r
        case let .ring(a, b, w): return max(a, b) + w
        }
    }

    /// Local-frame axis-aligned extent (half sizes), tighter than the bounding radius.
    var localHalfExtent: SIMD2<Float> {
        switch self {
        case let .ellipse(a, b): return SIMD2(a, b)
        case let .roundedRect(hw, hh, _): return SIMD2(hw, hh)
        case let .polygon(pts):
            return pts.reduce(SIMD2<Float>(0, 0)) { simd_max2($0, SIMD2(abs($1.x), abs($1.y))) }
        case let .polyline(pts, r):
            return pts.reduce(SIMD2<Float>(0, 0)) { simd_max2($0, SIMD2(abs($1.x), abs($1.y))) } + SIMD2(r, r)
        case let .ring(a, b, w): return SIMD2(a + w, b + w)
        }
    }

    /// Signed distance (pixels, negative inside) at local point `p`.
    @inline(__always)
    func signedDistance(_ p: SIMD2<Float>) -> Float {
        switch self {
        case let .ellipse(a, b): return Self.ellipseDistance(p, a, b)
        case let .roundedRect(hw, hh, r):
            let qx = abs(p.x) - (hw - r), qy = abs(p.y) - (hh - r)
            let ox = max(qx, 0), oy = max(qy, 0)
            return (ox * ox + oy * oy).squareRoot() + min(max(qx, qy), 0) - r
        case let .polygon(v): return Self.polygonDistance(p, v)
        case let .polyline(pts, r):
            var best = Float.greatestFiniteMagnitude
            for i in 0..<(pts.count - 1) {
                best = min(best, Self.segmentDistanceSquared(p, pts[i], pts[i + 1]))
            }
            return best.squareRoot() - r
        case let .ring(a, b, w): return abs(Self.ellipseDistance(p, a, b)) - w
        }
    }

    /// First-order ellipse distance: (k − 1)/|∇k| with k the normalised radius; exact for circles.
    @inline(__always)
    static func ellipseDistance(_ p: SIMD2<Float>, _ a: Float, _ b: Float) -> Float {
        let ia = 1 / a, ib = 1 / b
        let ux = p.x * ia, uy = p.y * ib
        let k = (ux * ux + uy * uy).squareRoot()
        let gx = ux * ia, gy = uy * ib
        let g = (gx * gx + gy * gy).squareRoot()
        if g < 1e-6 { return -min(a, b) }
        return (k - 1) * k / g
    }

    @inline(__always)
    static func segmentDistanceSquared(_ p: SIMD2<Float>, _ a: SIMD2<Float>, _ b: SIMD2<Float>) -> Float {
        let pa = p - a, ba = b - a
        let den = (ba * ba).sum()
        let h = den > 0 ? min(max((pa * ba).sum() / den, 0), 1) : 0
        let d = pa - ba * h
        return (d * d).sum()
    }

    /// Exact signed distance to a polygon (winding by crossings).
    static func polygonDistance(_ p: SIMD2<Float>, _ v: [SIMD2<Float>]) -> Float {
        var d = ((p - v[0]) * (p - v[0])).sum()
        var inside = false
        var j = v.count - 1
        for i in 0..<v.count {
            let e = v[j] - v[i], w = p - v[i]
            let den = (e * e).sum()
            let h = den > 0 ? min(max((w * e).sum() / den, 0), 1) : 0
            let b = w - e * h
            d = min(d, (b * b).sum())
            let c1 = p.y >= v[i].y, c2 = p.y < v[j].y, c3 = e.x * w.y > e.y * w.x
            if (c1 && c2 && c3) || (!c1 && !c2 && !c3) { inside.toggle() }
            j = i
        }
        return (inside ? -1 : 1) * d.squareRoot()
    }
}

/// Signed distance (pixels, negative inside) of an outline in its local frame.
protocol DistanceField {
    func distance(_ p: SIMD2<Float>) -> Float
}

struct EllipseField: DistanceField {
    let a: Float, b: Float
    @inline(__always) func distance(_ p: SIMD2<Float>) -> Float { ShapeGeometry.ellipseDistance(p, a, b) }
}

struct RoundedRectField: DistanceField {
    let hw: Float, hh: Float, r: Float
    @inline(__always) func distance(_ p: SIMD2<Float>) -> Float {
        let qx = abs(p.x) - (hw - r), qy = abs(p.y) - (hh - r)
        let ox = max(qx, 0), oy = max(qy, 0)
        return (ox * ox + oy * oy).squareRoot() + min(max(qx, qy), 0) - r
    }
}

struct PolygonField: DistanceField {
    let v: [SIMD2<Float>]
    @inline(__always) func distance(_ p: SIMD2<Float>) -> Float { ShapeGeometry.polygonDistance(p, v) }
}

struct RingField: DistanceField {
    let a: Float, b: Float, w: Float
    @inline(__always) func distance(_ p: SIMD2<Float>) -> Float { abs(ShapeGeometry.ellipseDistance(p, a, b)) - w }
}

struct SegmentField: DistanceField {
    let a: SIMD2<Float>, ba: SIMD2<Float>, invDen: Float, r: Float
    init(a: SIMD2<Float>, b: SIMD2<Float>, r: Float) {
        self.a = a; ba = b - a; self.r = r
        let den = (ba * ba).sum()
        invDen = den > 0 ? 1 / den : 0
    }
    @inline(__always) func distance(_ p: SIMD2<Float>) -> Float {
        let pa = p - a
        let h = min(max((pa * ba).sum() * invDen, 0), 1)
        let d = pa - ba * h
        return (d * d).sum().squareRoot() - r
    }
}

@inline(__always) func simd_max2(_ a: SIMD2<Float>, _ b: SIMD2<Float>) -> SIMD2<Float> {
    SIMD2(max(a.x, b.x), max(a.y, b.y))
}

/// How projected thickness varies with the distance `d` (pixels) inside the outline.
enum ThicknessProfile: Sendable {
    /// Constant thickness (slabs, sheets, coins).
    case flat
    /// Cylindrical bevel of radius `edge` pixels: `edge` ≥ half the width gives a cylinder or
    /// ellipsoid (bottles lying down, cables, rods, rounded packs).
    case rounded(edge: Float)
    /// Hollow cylinder: outer bevel radius `edge`, wall `wall` pixels. Thickness means the
    /// projected thickness at the centre (both walls); walls seen edge-on at the rim are brighter.
    case tube(edge: Float, wall: Float)
    /// Box shell: `factor` × thickness within `width` pixels of the outline (side walls edge-on).
    case rim(width: Float, factor: Float)

    /// Relative thickness (1 = the object's nominal thickness) at inside depth `d` (pixels),
    /// with partial-volume anti-aliasing over `soft` pixels.
    @inline(__always)
    func value(depth d: Float, soft: Float) -> Float {
        let x = d + 0.5 * soft
        if x <= 0 { return 0 }
        let cov = min(x / soft, 1)
        switch self {
        case .flat:
            return cov
        case .rounded(let e):
            if x >= e { return 1 }
            return (x * (2 * e - x)).squareRoot() / e
        case let .tube(e, w):
            func chord(_ x: Float, _ r: Float) -> Float {
                if x <= 0 { return 0 }
                if x >= r { return 2 * r }
                return 2 * (x * (2 * r - x)).squareRoot()
            }
            return (chord(x, e) - chord(x - w, e - w)) / (2 * w)
        case let .rim(width, factor):
            let t = min(max(x - width, 0), 1)
            return cov * (factor + (1 - factor) * t)
        }
    }
}

/// Multiplicative thickness modulation: folds (a sinusoid across the object) and granular texture.
struct Modulation: Sendable {
    /// Relative amplitude of the sinusoidal folds (0 = none).
    var foldAmplitude: Float = 0
    /// Fold period in pixels.
    var foldPeriod: Float = 40
    /// Fold direction (radians, image frame) and phase (cycles).
    var foldAngle: Float = 0
    var foldPhase: Float = 0
    /// Relative amplitude of value-noise texture (0 = none) and its cell size in pixels.
    var textureAmplitude: Float = 0
    var textureCell: Float = 8
    var textureSeed: UInt32 = 0

    var isIdentity: Bool { foldAmplitude == 0 && textureAmplitude == 0 }
}

/// One object of a scene: an outline, a pose, a thickness profile and a material.
struct SceneObject: Sendable {
    var geometry: ShapeGeometry
    /// Centre (pixels, image frame) and rotation (radians, counter-clockwise in image axes).
    var center: SIMD2<Float>
    var rotation: Float = 0
    var profile: ThicknessProfile = .flat
    /// Edge softness in pixels (≥ 1; 1 = plain anti-aliasing).
    var softness: Float = 1
    /// Nominal projected thickness along the beam in centimetres.
    var thickness: Float
    var material: Material
    /// Density in g/cm³ (defaults to the material's nominal density).
    var density: Float
    var modulation: Modulation = Modulation()
    /// Optional clip rectangle in image pixels (x0, y0, x1, y1), e.g. goods inside a container.
    var clip: SIMD4<Float>? = nil
    /// Optional oriented clip region (e.g. the inside of a bag): nothing is drawn outside it.
    var container: OrientedRect? = nil

    init(_ geometry: ShapeGeometry, at center: SIMD2<Float>, rotation: Float = 0,
         profile: ThicknessProfile = .flat, softness: Float = 1, thickness: Float,
         material: Material, density: Float? = nil, modulation: Modulation = Modulation(),
         clip: SIMD4<Float>? = nil) {
        self.geometry = geometry
        self.center = center
        self.rotation = rotation
        self.profile = profile
        self.softness = max(softness, 1)
        self.thickness = thickness
        self.material = material
        self.density = density ?? Float(material.nominalDensity)
        self.modulation = modulation
        self.clip = clip
    }

    /// Image-frame bounding box (x0, y0, x1, y1), inclusive-exclusive, before clipping.
    var bounds: SIMD4<Float> {
        let h = geometry.localHalfExtent
        let c = abs(cos(rotation)), s = abs(sin(rotation))
        let ex = c * h.x + s * h.y + softness + 1
        let ey = s * h.x + c * h.y + softness + 1
        return SIMD4(center.x - ex, center.y - ey, center.x + ex, center.y + ey)
    }

    /// Returns a copy uniformly scaled about `origin` (used for fan-beam magnification).
    func scaled(by k: Float, about origin: SIMD2<Float>) -> SceneObject {
        var o = self
        o.center = origin + (center - origin) * k
        switch geometry {
        case let .ellipse(a, b): o.geometry = .ellipse(a: a * k, b: b * k)
        case let .roundedRect(hw, hh, r): o.geometry = .roundedRect(hw: hw * k, hh: hh * k, corner: r * k)
        case let .polygon(v): o.geometry = .polygon(v.map { $0 * k })
        case let .polyline(v, r): o.geometry = .polyline(v.map { $0 * k }, radius: r * k)
        case let .ring(a, b, w): o.geometry = .ring(a: a * k, b: b * k, halfWidth: w * k)
        }
        switch profile {
        case .flat: break
        case .rounded(let e): o.profile = .rounded(edge: e * k)
        case let .tube(e, w): o.profile = .tube(edge: e * k, wall: w * k)
        case let .rim(w, f): o.profile = .rim(width: w * k, factor: f)
        }
        return o
    }
}
