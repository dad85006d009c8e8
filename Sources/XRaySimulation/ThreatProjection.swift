import Foundation

/// One anomaly after insertion, in the working frame (before any final transposition).
struct InsertedAnomaly: Sendable {
    var cls: AnomalyClass
    var difficulty: Double
    var material: Material
    var depth: Double
    var rotation: Double
    var scale: Double
    /// x0, y0, width, height of the tight mask box, and the mask bits over it.
    var box: (x: Int, y: Int, w: Int, h: Int)
    var bits: [UInt8]
    var meanContrast: Double
    var peakContrast: Double
}

/// Threat image projection: inserts anomalies by adding their μ·t to the scene's line integrals
/// and cuts a ground-truth mask where the (noise-free, blurred) image changes by more than a
/// threshold on |Δ log I|.
struct ThreatProjection {
    let scene: Scene
    let config: SceneConfiguration
    let width: Int, height: Int
    /// Mask threshold on |Δ log I| (natural log units).
    let threshold: Double
    /// Channels the output shows: (low, high).
    let usesLow: Bool, usesHigh: Bool

    func insert(into integrals: inout LineIntegrals, count: Int, rng: inout SimulationRandom) -> [InsertedAnomaly] {
        let classes = config.anomalyClasses ?? AnomalyClass.defaults(for: config.kind)
        var result: [InsertedAnomaly] = []
        for _ in 0..<count {
            let cls = rng.pick(classes)
            let d = min(max(config.difficulty + rng.uniform(-0.08, 0.08), 0), 1)
            // Up to four tries to place it where it shows at all.
            for _ in 0..<4 {
                if let a = tryInsert(cls, difficulty: d, into: &integrals, rng: &rng) {
                    result.append(a)
                    break
                }
            }
        }
        return result
    }

    private func tryInsert(_ cls: AnomalyClass, difficulty d: Double, into L: inout LineIntegrals,
                           rng: inout SimulationRandom) -> InsertedAnomaly? {
        let contrast = Float(1 - 0.68 * d)
        let size = 1.12 - 0.4 * d
        let depth = rng.unit()
        let magnification = 0.92 + 0.16 * depth
        let rotation = rng.uniform(-Double.pi, Double.pi)
        var objects: [SceneObject]
        var material: Material
        var scale = size * magnification
        var rot = rotation
        switch cls {
        case .falseWall, .denseCore, .contradictoryGoods:
            guard let built = concealment(cls, contrast: contrast, difficulty: d, rng: &rng) else { return nil }
            (objects, material) = built
            scale = 1; rot = 0
        default:
            let built = ThreatShapes.build(cls, scene: scene, contrast: contrast, rng: &rng)
            material = built.material
            let position = placement(difficulty: d, integrals: L, rng: &rng)
            let s = Float(scale), cr = Float(cos(rotation)), sr = Float(sin(rotation))
            objects = built.objects.map { o in
                var t = o.scaled(by: s, about: .zero)
                t.center = position + SIMD2(cr * t.center.x - sr * t.center.y, sr * t.center.x + cr * t.center.y)
                t.rotation += Float(rotation)
                if scene.energies == .kiloVolt {
                    // Keep loose threats inside the bag.
                    var bag = scene.interior
                    bag.half += SIMD2(3, 3) * scene.pxPerCm
                    bag.corner = 4 * scene.pxPerCm
                    t.container = bag
                }
                return t
            }
        }
        guard !objects.isEmpty else { return nil }
        // Region: union of bounds, plus the blur footprint.
        var b = objects[0].bounds
        for o in objects.dropFirst() {
            let ob = o.bounds
            b = SIMD4(min(b.x, ob.x), min(b.y, ob.y), max(b.z, ob.z), max(b.w, ob.w))
        }
        let margin = Int((3 * config.blur).rounded(.up)) + 3
        let rx0 = max(Int(b.x) - margin, 0), ry0 = max(Int(b.y) - margin, 0)
        let rx1 = min(Int(b.z.rounded(.up)) + margin, width), ry1 = min(Int(b.w.rounded(.up)) + margin, height)
        guard rx1 > rx0 + 2, ry1 > ry0 + 2 else { return nil }
        let rw = rx1 - rx0, rh = ry1 - ry0
        var delta = LineIntegrals(x: rx0, y: ry0, width: rw, height: rh)
        delta.add(objects, energies: scene.energies)
        let base = L.crop(x: rx0, y: ry0, width: rw, height: rh)
        var with = base
        with.add(delta)
        // Per-pixel |Δ log I| of the noise-free output (largest over the channels shown).
        var change = [Float](repeating: 0, count: rw * rh)
        let off = ImageFormation.darkOffset, scaleOut = Float(config.airLevel) - off
        for (use, b0, b1) in [(usesLow, base.low, with.low), (usesHigh, base.high, with.high)] where use {
            let t0 = ImageFormation.cleanTransmission(b0, width: rw, height: rh, blurSigma: config.blur)
            let t1 = ImageFormation.cleanTransmission(b1, width: rw, height: rh, blurSigma: config.blur)
            for i in 0..<change.count {
                let v = abs(log((off + scaleOut * t0[i]) / (off + scaleOut * t1[i])))
                change[i] = max(change[i], v)
            }
        }
        // Tight box and mask.
        let tau = Float(threshold)
        var mx0 = rw, my0 = rh, mx1 = -1, my1 = -1
        var sum: Double = 0, peak: Float = 0, n = 0
        for y in 0..<rh {
            for x in 0..<rw where change[y * rw + x] > tau {
                mx0 = min(mx0, x); mx1 = max(mx1, x); my0 = min(my0, y); my1 = max(my1, y)
                sum += Double(change[y * rw + x]); peak = max(peak, change[y * rw + x]); n += 1
            }
        }
        // Reject anomalies that barely show (fewer than 12 pixels).
        guard n >= 12 else { return nil }
        let bw = mx1 - mx0 + 1, bh = my1 - my0 + 1
        var bits = [UInt8](repeating: 0, count: bw * bh)
        for y in 0..<bh {
            for x in 0..<bw where change[(y + my0) * rw + x + mx0] > tau { bits[y * bw + x] = 1 }
        }
        L.add(delta)
        return InsertedAnomaly(cls: cls, difficulty: d, material: material, depth: depth,
                               rotation: rot * 180 / .pi, scale: scale,
                               box: (rx0 + mx0, ry0 + my0, bw, bh), bits: bits,
                               meanContrast: sum / Double(n), peakContrast: Double(peak))
    }

    /// Where to put a loose threat: obvious ones in the open, subtle ones behind clutter.
    private func placement(difficulty d: Double, integrals L: LineIntegrals, rng: inout SimulationRandom) -> SIMD2<Float> {
        let margin = scene.px(scene.energies == .megaVolt ? 30 : 6)
        var candidates: [(SIMD2<Float>, Float)] = []
        for _ in 0..<8 {
            let p = scene.interior.randomPoint(&rng, margin: margin)
            let x = min(max(Int(p.x), 0), width - 1), y = min(max(Int(p.y), 0), height - 1)
            candidates.append((p, L.high[y * L.width + x]))
        }
        candidates.sort { $0.1 < $1.1 }
        // Rank by clutter: difficulty 0 → least cluttered spot, 1 → most cluttered (but not opaque).
        let usable = candidates.filter { $0.1 < 4.5 }
        let pool = usable.isEmpty ? candidates : usable
        let idx = min(Int((d * Double(pool.count - 1) + rng.uniform(-1, 1)).rounded()), pool.count - 1)
        return pool[max(idx, 0)].0
    }

    /// Cargo concealments, placed relative to the load.
    private func concealment(_ cls: AnomalyClass, contrast c: Float, difficulty d: Double,
                             rng: inout SimulationRandom) -> ([SceneObject], Material)? {
        let k = scene.pxPerCm
        let interior = scene.interior
        let clip = SIMD4(interior.center.x - interior.half.x, interior.center.y - interior.half.y,
                         interior.center.x + interior.half.x, interior.center.y + interior.half.y)
        func rect(_ x0: Float, _ y0: Float, _ x1: Float, _ y1: Float, profile: ThicknessProfile = .flat, t: Float,
                  _ m: Material, _ rho: Float, mod: Modulation = Modulation()) -> SceneObject {
            SceneObject(.roundedRect(hw: (x1 - x0) / 2, hh: (y1 - y0) / 2, corner: 1), at: SIMD2((x0 + x1) / 2, (y0 + y1) / 2),
                        profile: profile, softness: 1, thickness: t, material: m, density: rho, modulation: mod, clip: clip)
        }
        switch cls {
        case .falseWall:
            // A compartment at the front end (or behind the last goods): an extra wall panel seen
            // edge-on plus the packets stacked in the hidden space.
            let atFront = rng.bool(0.6)
            let w = Float(rng.uniform(30, 90)) * k * Float(1.1 - 0.3 * d)
            let x0 = atFront ? clip.x + k * 2 : min(clip.z - w - k * 5, (scene.blocks.map { $0.rect.z }.max() ?? clip.x) + k * 5)
            let x1 = x0 + w
            let steelPanel = rng.bool(0.5 * (1 - d) + 0.2)
            let panel = rect(x1 - 2 * k, clip.y, x1, clip.w, t: scene.beamDepthCm * 0.9,
                             steelPanel ? .steel : .organic, steelPanel ? 7.87 * 0.04 * c : 0.6 * c)
            let fillTop = clip.y + (clip.w - clip.y) * Float(rng.uniform(0.05, 0.4))
            let goods = rect(x0 + k, fillTop, x1 - 2 * k, clip.w, profile: .rounded(edge: 3 * k), t: scene.beamDepthCm * 0.8,
                             .organic, Float(rng.uniform(0.25, 0.6)) * c,
                             mod: Modulation(foldAmplitude: 0.25, foldPeriod: 25 * k, foldAngle: .pi / 2, textureAmplitude: 0.2,
                                             textureCell: 12 * k, textureSeed: UInt32(truncatingIfNeeded: rng.next())))
            return ([panel, goods], steelPanel ? .steel : .organic)
        case .denseCore, .contradictoryGoods:
            let blocks = scene.blocks.filter { $0.rect.z - $0.rect.x > 20 * k && $0.rect.w - $0.rect.y > 20 * k }
            guard !blocks.isEmpty else { return nil }
            let blk = rng.pick(blocks)
            let bw = blk.rect.z - blk.rect.x, bh = blk.rect.w - blk.rect.y
            if cls == .denseCore {
                let fw = Float(rng.uniform(0.25, 0.6)) * Float(1.1 - 0.4 * d), fh = Float(rng.uniform(0.25, 0.6)) * Float(1.1 - 0.4 * d)
                let cx = blk.rect.x + bw * Float(rng.uniform(Double(fw / 2 + 0.05), Double(1 - fw / 2 - 0.05)))
                let cy = blk.rect.y + bh * Float(rng.uniform(Double(fh / 2 + 0.05), Double(1 - fh / 2 - 0.05)))
                let metal = rng.bool(0.6 - 0.3 * d)
                let m: Material = metal ? (rng.bool(0.25) ? .lead : .steel) : .organic
                // Contrast enters squared: a subtle core adds only a few g/cm² along the beam.
                let t: Float = metal ? Float(rng.uniform(3, 15)) * c * c : Float(rng.uniform(20, 60)) * c * c
                let rho: Float = metal ? Float(m.nominalDensity) : Float(rng.uniform(1.1, 1.6))
                let o = rect(cx - bw * fw / 2, cy - bh * fh / 2, cx + bw * fw / 2, cy + bh * fh / 2,
                             profile: .rounded(edge: 2 * k), t: t, m, rho)
                return ([o], m)
            } else {
                // A carton-sized volume of goods unlike the block's commodity.
                let w = min(bw, Float(rng.uniform(35, 80)) * k), h = min(bh, Float(rng.uniform(30, 60)) * k)
                let x0 = blk.rect.x + Float(rng.uniform(0, Double(bw - w))), y0 = blk.rect.y + Float(rng.uniform(0, Double(bh - h)))
                let seed = UInt32(truncatingIfNeeded: rng.next())
                let m: Material
                let rho: Float
                let mod: Modulation
                if blk.material == .steel || blk.material == .aluminium {
                    m = .organic; rho = Float(rng.uniform(0.4, 0.8))
                    mod = Modulation(textureAmplitude: 0.2, textureCell: 4 * k, textureSeed: seed)
                } else {
                    m = rng.bool(0.6) ? .steel : .aluminium
                    rho = (m == .steel ? Float(rng.uniform(0.08, 0.25)) : Float(rng.uniform(0.3, 0.6)))
                    mod = Modulation(foldAmplitude: 0.6, foldPeriod: Float(rng.uniform(3, 8)) * k, foldAngle: rng.bool() ? 0 : .pi / 2,
                                     textureAmplitude: 0.3, textureCell: 5 * k, textureSeed: seed)
                }
                let o = rect(x0, y0, x0 + w, y0 + h, profile: .rounded(edge: 1.5 * k), t: blk.depth * 0.8 * c, m, rho, mod: mod)
                return ([o], m)
            }
        default:
            return nil
        }
    }
}
