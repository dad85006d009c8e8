import Foundation

/// Line-integral buffers Σ μ·t (dimensionless, natural-log units) for the low- and high-energy
/// channel over a rectangular region of the image. Beer–Lambert is applied later
/// (``ImageFormation``); accumulating in the log domain makes overlapping objects and threat
/// image projection simple additions.
struct LineIntegrals: Sendable {
    let originX: Int, originY: Int, width: Int, height: Int
    var low: [Float]
    var high: [Float]

    init(x: Int = 0, y: Int = 0, width: Int, height: Int) {
        originX = x; originY = y
        self.width = max(width, 0); self.height = max(height, 0)
        low = [Float](repeating: 0, count: self.width * self.height)
        high = low
    }

    /// Rasterises `object` (only inside its bounding box ∩ clip ∩ this region) and adds its
    /// μ·t, times `weight`, to both channels.
    mutating func add(_ object: SceneObject, energies: EnergyPair, weight: Float = 1) {
        let mu = object.material.linearAttenuation(energies, density: Double(object.density))
        let kLow = mu.low * object.thickness * weight, kHigh = mu.high * object.thickness * weight
        if kLow == 0 && kHigh == 0 { return }
        var b = object.bounds
        if let c = object.clip {
            b = SIMD4(max(b.x, c.x), max(b.y, c.y), min(b.z, c.z), min(b.w, c.w))
        }
        let x0 = max(Int(b.x.rounded(.down)), originX), x1 = min(Int(b.z.rounded(.up)), originX + width)
        let y0 = max(Int(b.y.rounded(.down)), originY), y1 = min(Int(b.w.rounded(.up)), originY + height)
        if x0 >= x1 || y0 >= y1 { return }
        let span = Span(x0: x0, x1: x1, y0: y0, y1: y1)
        // One specialised loop per outline type (no per-pixel enum dispatch or array retains).
        switch object.geometry {
        case let .ellipse(a, b):
            accumulate(EllipseField(a: a, b: b), object, span, kLow, kHigh)
        case let .roundedRect(hw, hh, r):
            accumulate(RoundedRectField(hw: hw, hh: hh, r: r), object, span, kLow, kHigh)
        case let .polygon(v):
            accumulate(PolygonField(v: v), object, span, kLow, kHigh)
        case let .ring(a, b, w):
            accumulate(RingField(a: a, b: b, w: w), object, span, kLow, kHigh)
        case let .polyline(pts, r):
            if pts.count <= 2 {
                accumulate(SegmentField(a: pts[0], b: pts.count > 1 ? pts[1] : pts[0], r: r), object, span, kLow, kHigh)
            } else {
                addPolyline(pts, radius: r, object, span, kLow, kHigh)
            }
        }
    }

    struct Span { var x0: Int, x1: Int, y0: Int, y1: Int }

    /// The per-pixel loop, specialised for each distance field.
    private mutating func accumulate<F: DistanceField>(_ field: F, _ object: SceneObject, _ s: Span,
                                                       _ kLow: Float, _ kHigh: Float) {
        let cosR = cos(object.rotation), sinR = sin(object.rotation)
        let profile = object.profile, soft = object.softness
        let mod = object.modulation, modIdentity = mod.isIdentity
        let foldDir = mod.foldDirection
        let c = object.center
        let hasContainer = object.container != nil
        let box = object.container ?? OrientedRect(center: .zero, half: .zero, rotation: 0)
        let boxCos = cos(box.rotation), boxSin = sin(box.rotation)
        let w = width, ox = originX, oy = originY
        let cutoff = 0.5 * soft
        low.withUnsafeMutableBufferPointer { lowBuf in
            high.withUnsafeMutableBufferPointer { highBuf in
                let lp = lowBuf.baseAddress!, hp = highBuf.baseAddress!
                for y in s.y0..<s.y1 {
                    let py = Float(y) + 0.5 - c.y
                    let row = (y - oy) * w - ox
                    for x in s.x0..<s.x1 {
                        let px = Float(x) + 0.5 - c.x
                        if hasContainer && !box.contains(Float(x) + 0.5, Float(y) + 0.5, cos: boxCos, sin: boxSin) { continue }
                        // Image → local frame (rotate by −rotation).
                        let sd = field.distance(SIMD2<Float>(cosR * px + sinR * py, -sinR * px + cosR * py))
                        if sd >= cutoff { continue }
                        var v = profile.value(depth: -sd, soft: soft)
                        if v == 0 { continue }
                        if !modIdentity { v *= mod.factor(x: x, y: y, px: px, py: py, foldDir: foldDir) }
                        lp[row + x] += v * kLow
                        hp[row + x] += v * kHigh
                    }
                }
            }
        }
    }

    /// Polylines: each capsule is rasterised within its own box into a scratch buffer combined by
    /// maximum (the profile is monotone in depth, so max over segments = profile of the union).
    private mutating func addPolyline(_ pts: [SIMD2<Float>], radius r: Float, _ object: SceneObject, _ s: Span,
                                      _ kLow: Float, _ kHigh: Float) {
        let sw = s.x1 - s.x0, sh = s.y1 - s.y0
        var scratch = [Float](repeating: 0, count: sw * sh)
        let cosR = cos(object.rotation), sinR = sin(object.rotation)
        let profile = object.profile, soft = object.softness
        let c = object.center
        let reach = r + soft + 1
        scratch.withUnsafeMutableBufferPointer { sb in
            let sp = sb.baseAddress!
            for i in 0..<(pts.count - 1) {
                // Segment endpoints in the image frame.
                func toImage(_ p: SIMD2<Float>) -> SIMD2<Float> {
                    c + SIMD2(cosR * p.x - sinR * p.y, sinR * p.x + cosR * p.y)
                }
                let a = toImage(pts[i]), b = toImage(pts[i + 1])
                let bx0 = max(Int((min(a.x, b.x) - reach).rounded(.down)), s.x0)
                let bx1 = min(Int((max(a.x, b.x) + reach).rounded(.up)), s.x1)
                let by0 = max(Int((min(a.y, b.y) - reach).rounded(.down)), s.y0)
                let by1 = min(Int((max(a.y, b.y) + reach).rounded(.up)), s.y1)
                if bx0 >= bx1 || by0 >= by1 { continue }
                let field = SegmentField(a: a, b: b, r: r)
                for y in by0..<by1 {
                    let row = sp + (y - s.y0) * sw - s.x0
                    for x in bx0..<bx1 {
                        let sd = field.distance(SIMD2(Float(x) + 0.5, Float(y) + 0.5))
                        if sd >= 0.5 * soft { continue }
                        let v = profile.value(depth: -sd, soft: soft)
                        if v > row[x] { row[x] = v }
                    }
                }
            }
        }
        let mod = object.modulation, modIdentity = mod.isIdentity
        let foldDir = mod.foldDirection
        let hasContainer = object.container != nil
        let box = object.container ?? OrientedRect(center: .zero, half: .zero, rotation: 0)
        let boxCos = cos(box.rotation), boxSin = sin(box.rotation)
        for y in s.y0..<s.y1 {
            let row = (y - originY) * width - originX, srow = (y - s.y0) * sw - s.x0
            for x in s.x0..<s.x1 {
                var v = scratch[srow + x]
                if v == 0 { continue }
                if hasContainer && !box.contains(Float(x) + 0.5, Float(y) + 0.5, cos: boxCos, sin: boxSin) { continue }
                if !modIdentity { v *= mod.factor(x: x, y: y, px: Float(x) + 0.5 - c.x, py: Float(y) + 0.5 - c.y, foldDir: foldDir) }
                low[row + x] += v * kLow
                high[row + x] += v * kHigh
            }
        }
    }

    mutating func add(_ objects: [SceneObject], energies: EnergyPair, weight: Float = 1) {
        for o in objects { add(o, energies: energies, weight: weight) }
    }

    /// Adds another region's integrals (the overlap only).
    mutating func add(_ other: LineIntegrals) {
        let x0 = max(originX, other.originX), x1 = min(originX + width, other.originX + other.width)
        let y0 = max(originY, other.originY), y1 = min(originY + height, other.originY + other.height)
        if x0 >= x1 || y0 >= y1 { return }
        for y in y0..<y1 {
            let a = (y - originY) * width - originX, b = (y - other.originY) * other.width - other.originX
            for x in x0..<x1 {
                low[a + x] += other.low[b + x]
                high[a + x] += other.high[b + x]
            }
        }
    }

    /// A copy of the sub-region (clamped to this buffer's region; outside reads as zero).
    func crop(x: Int, y: Int, width cw: Int, height ch: Int) -> LineIntegrals {
        var out = LineIntegrals(x: x, y: y, width: cw, height: ch)
        out.add(self)
        return out
    }
}

extension Modulation {
    /// Fold direction scaled to cycles per pixel.
    var foldDirection: SIMD2<Float> { SIMD2(cos(foldAngle), sin(foldAngle)) / foldPeriod }

    /// Multiplicative thickness factor at pixel (x, y); (px, py) is the offset from the object centre.
    @inline(__always)
    func factor(x: Int, y: Int, px: Float, py: Float, foldDir: SIMD2<Float>) -> Float {
        var m: Float = 1
        if foldAmplitude != 0 {
            let phase = px * foldDir.x + py * foldDir.y + foldPhase
            m += foldAmplitude * fastSinCycles(phase)
        }
        if textureAmplitude != 0 {
            let inv = 1 / textureCell
            let n = valueNoise(Float(x) * inv, Float(y) * inv, textureSeed)
            m += textureAmplitude * (2 * n - 1)
        }
        return max(m, 0)
    }
}

/// sin(2π·t) by a parabolic approximation with one refinement step (|error| < 0.001).
@inline(__always)
func fastSinCycles(_ t: Float) -> Float {
    let f = t - t.rounded()           // [-0.5, 0.5]
    let x = 2 * f                     // sin(πx), x in [-1, 1]
    let y = 4 * x * (1 - abs(x))
    return 0.225 * (y * abs(y) - y) + y
}

@inline(__always)
func hash2(_ x: Int32, _ y: Int32, _ seed: UInt32) -> Float {
    var h = UInt32(bitPattern: x) &* 0x8DA6_B343 ^ UInt32(bitPattern: y) &* 0xD816_3841 ^ seed &* 0xCB1A_B31F
    h ^= h >> 13; h = h &* 0x5BD1_E995; h ^= h >> 15
    return Float(h >> 8) * (1.0 / 16_777_216.0)
}

/// Smooth value noise in [0, 1) on a unit lattice.
@inline(__always)
func valueNoise(_ x: Float, _ y: Float, _ seed: UInt32) -> Float {
    let fx = x.rounded(.down), fy = y.rounded(.down)
    let ix = Int32(fx), iy = Int32(fy)
    var tx = x - fx, ty = y - fy
    tx = tx * tx * (3 - 2 * tx); ty = ty * ty * (3 - 2 * ty)
    let a = hash2(ix, iy, seed), b = hash2(ix + 1, iy, seed)
    let c = hash2(ix, iy + 1, seed), d = hash2(ix + 1, iy + 1, seed)
    let top = a + (b - a) * tx, bottom = c + (d - c) * tx
    return top + (bottom - top) * ty
}
