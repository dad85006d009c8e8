import Foundation

/// A freight container seen from the side by a MeV scanner, laid out in a landscape working frame
/// (the container's length along x). The beam crosses the container's width (≈235 cm).
enum CargoScene {
    static func make(width: Int, height: Int, clutter: Double, rng: inout SimulationRandom) -> Scene {
        // 20 ft (606 × 259 cm) or 40 ft (1219 × 259 cm): whichever suits the frame's aspect.
        let aspect = Double(width) / Double(height)
        let forty = aspect > 3.4 ? rng.bool(0.85) : rng.bool(0.1)
        let lengthCm = forty ? 1219.2 : 605.8, heightCm = rng.bool(0.3) ? 289.6 : 259.1
        let mmPerPx = max(lengthCm * 10 / (Double(width) * rng.uniform(0.9, 0.96)),
                          heightCm * 10 / (Double(height) * rng.uniform(0.86, 0.93)))
        let pxPerCm = Float(10 / mmPerPx)
        let centre = SIMD2(Float(width) * rng.f(0.48, 0.52), Float(height) * rng.f(0.47, 0.5))
        let half = SIMD2(Float(lengthCm), Float(heightCm)) * pxPerCm / 2
        let beamCm: Float = 235
        // Inner cargo space: above the floor, below the roof, inside the end walls.
        let x0 = centre.x - half.x + 12 * pxPerCm, x1 = centre.x + half.x - 14 * pxPerCm
        let floorY = centre.y + half.y - 18 * pxPerCm, roofY = centre.y - half.y + 10 * pxPerCm
        let interior = OrientedRect(center: SIMD2((x0 + x1) / 2, (floorY + roofY) / 2),
                                    half: SIMD2((x1 - x0) / 2, (floorY - roofY) / 2), rotation: 0)
        var b = Builder(scene: Scene(energies: .megaVolt, pxPerCm: pxPerCm, interior: interior, beamDepthCm: beamCm),
                        rng: rng, centre: centre, half: half, floorY: floorY, roofY: roofY, x0: x0, x1: x1)
        b.structure(forty: forty)
        b.load(clutter: clutter)
        rng = b.rng
        return b.scene
    }

    private struct Builder {
        var scene: Scene
        var rng: SimulationRandom
        let centre: SIMD2<Float>, half: SIMD2<Float>
        let floorY: Float, roofY: Float, x0: Float, x1: Float

        func px(_ cm: Double) -> Float { scene.px(cm) }
        var clip: SIMD4<Float> { SIMD4(x0, roofY, x1, floorY) }

        mutating func add(_ o: SceneObject) { scene.objects.append(o) }

        /// Axis-aligned box from its top-left corner and size in pixels.
        mutating func box(_ x: Float, _ y: Float, _ w: Float, _ h: Float, profile: ThicknessProfile = .flat,
                          thickness: Float, material: Material, density: Float? = nil,
                          modulation: Modulation = Modulation(), clipped: Bool = false, softness: Float = 1) {
            add(SceneObject(.roundedRect(hw: w / 2, hh: h / 2, corner: min(min(w, h) / 2, 1)),
                            at: SIMD2(x + w / 2, y + h / 2), profile: profile, softness: softness, thickness: thickness,
                            material: material, density: density, modulation: modulation, clip: clipped ? clip : nil))
        }

        mutating func structure(forty: Bool) {
            let left = centre.x - half.x, top = centre.y - half.y, w = 2 * half.x, h = 2 * half.y
            // Both corrugated side walls face-on: 2 × 1.6 mm steel; trapezoidal ribs every 27.8 cm
            // lengthen the path through the inclined faces.
            box(left, top, w, h, thickness: 0.4, material: .steel,
                modulation: Modulation(foldAmplitude: 0.6, foldPeriod: px(27.8), foldAngle: 0, foldPhase: rng.f(0, 1)))
            // Roof sheet edge-on plus top side rails (hollow 60 × 60 mm, both sides).
            box(left, top, w, px(1.2), thickness: 60, material: .steel, density: 7.87 * 0.35)
            box(left, top + px(1.2), w, px(6), profile: .rim(width: px(0.5), factor: 4), thickness: 1.6, material: .steel)
            // Bottom side rails (C-section 160 mm) and the plywood floor seen edge-on.
            box(left, centre.y + half.y - px(16), w, px(16), profile: .rim(width: px(0.6), factor: 5), thickness: 1.8,
                material: .steel)
            box(left, floorY, w, px(2.8), thickness: beamCm * 0.8, material: .organic, density: 0.7)
            // Floor cross members every ≈30 cm: C-beams running along the beam, seen end-on.
            var x = left + px(10)
            while x < left + w - px(10) {
                box(x, floorY + px(2.8), px(4.5), px(12), profile: .rim(width: px(0.5), factor: 3), thickness: 30,
                    material: .steel, density: 7.87 * 0.3)
                x += px(rng.uniform(28, 32))
            }
            // Gooseneck tunnel of a 40 ft box at the front end.
            if forty {
                box(left + px(5), floorY + px(2.8), px(330), px(12), profile: .rim(width: px(0.6), factor: 6), thickness: 1.0,
                    material: .steel)
            }
            // Corner posts and castings at both ends.
            for end in [left, left + w - px(16)] {
                box(end, top, px(16), h, profile: .rim(width: px(1), factor: 4), thickness: 3.0, material: .steel)
                for cy in [top, top + h - px(12)] {
                    box(end, cy, px(16), px(12), profile: .rim(width: px(1.2), factor: 2), thickness: 25, material: .steel,
                        density: 7.87 * 0.35)
                }
            }
            // Front end wall edge-on (corrugated, ≈ 10 cm deep band), rear doors with locking bars.
            box(left + px(4), top, px(7), h, thickness: beamCm, material: .steel, density: 7.87 * 0.02,
                modulation: Modulation(foldAmplitude: 0.5, foldPeriod: px(3.5), foldAngle: 0))
            let doorX = left + w - px(9)
            box(doorX, top, px(5), h, thickness: beamCm, material: .steel, density: 7.87 * 0.025)
            for k in 0..<4 {
                add(SceneObject(.roundedRect(hw: px(1.4), hh: h / 2 - px(6), corner: px(1.4)),
                                at: SIMD2(left + w + px(1.5) + Float(k % 2) * px(0.7), centre.y),
                                profile: .rounded(edge: px(1.4)), thickness: 2.7, material: .steel))
            }
            for hy in [top + h * 0.3, top + h * 0.7] {
                box(left + w - px(2), hy, px(6), px(5), thickness: 20, material: .steel, density: 4)
            }
        }

        mutating func load(clutter: Double) {
            let usable = x1 - x0
            let fill = Float(min(max(rng.uniform(0.45, 0.97) * min(clutter, 1.3), 0.05), 1))
            var x = x0 + px(rng.uniform(0, 20))
            let end = x0 + usable * fill
            let style = rng.weighted([5, 1.5, 1, 1, 1, 2])   // cartons, drums, machinery, tyres, bulk, mixed
            while x < end - px(40) {
                let kind = style == 5 ? rng.weighted([4, 1.5, 1, 1, 0.7]) : style
                let w: Float
                switch kind {
                case 0: w = palletStack(at: x, maxWidth: end - x)
                case 1: w = drums(at: x, maxWidth: end - x)
                case 2: w = machinery(at: x, maxWidth: end - x)
                case 3: w = tyres(at: x, maxWidth: end - x)
                default: w = bulk(at: x, maxWidth: end - x)
                }
                x += w + px(rng.uniform(2, 25))
            }
        }

        /// Goods in cartons: density and texture of one homogeneous commodity.
        mutating func commodity() -> (material: Material, density: Float, modulation: Modulation) {
            let seed = UInt32(truncatingIfNeeded: rng.next())
            switch rng.int(0...5) {
            case 0: // textiles / paper
                return (.organic, rng.f(0.12, 0.32), Modulation(textureAmplitude: 0.25, textureCell: px(6), textureSeed: seed))
            case 1: // bottled drinks in rows
                return (.water, rng.f(0.3, 0.55), Modulation(foldAmplitude: 0.45, foldPeriod: px(rng.uniform(6, 9)),
                                                              foldAngle: 0, textureAmplitude: 0.1, textureCell: px(8), textureSeed: seed))
            case 2: // canned food
                return (.water, rng.f(0.35, 0.6), Modulation(foldAmplitude: 0.35, foldPeriod: px(rng.uniform(7, 10)),
                                                            foldAngle: .pi / 2, textureAmplitude: 0.1, textureCell: px(5), textureSeed: seed))
            case 3: // household goods / plastics
                return (.organic, rng.f(0.15, 0.4), Modulation(textureAmplitude: 0.45, textureCell: px(10), textureSeed: seed))
            case 4: // tiles / glassware
                return (.aluminium, rng.f(0.2, 0.4), Modulation(foldAmplitude: 0.2, foldPeriod: px(2), foldAngle: 0,
                                                                  textureAmplitude: 0.1, textureCell: px(10), textureSeed: seed))
            default: // small hardware / appliances
                return (.steel, rng.f(0.04, 0.1), Modulation(textureAmplitude: 0.5, textureCell: px(4), textureSeed: seed))
            }
        }

        /// Pallets with stacks of cartons of one commodity. Returns the width used.
        mutating func palletStack(at x: Float, maxWidth: Float) -> Float {
            let palletW = min(px(rng.bool(0.5) ? 120 : 100), maxWidth)
            let n = max(1, min(Int(maxWidth / palletW), rng.int(1...4)))
            let goods = commodity()
            let depth = beamCm * rng.f(0.6, 0.95)
            let stackH = (floorY - roofY) * rng.f(0.45, 0.95)
            let cols = rng.int(2...4), rows = max(2, Int(stackH / px(rng.uniform(28, 55))))
            for k in 0..<n {
                let px0 = x + Float(k) * palletW
                // Pallet: deck boards and three blocks, wood along the beam.
                box(px0, floorY - px(2.2), palletW, px(2.2), thickness: depth * 0.6, material: .organic, density: 0.55)
                box(px0, floorY - px(14.4), palletW, px(2.2), thickness: depth * 0.6, material: .organic, density: 0.55)
                for bx in [Float(0), 0.5, 1] {
                    box(px0 + bx * (palletW - px(10)), floorY - px(12.2), px(10), px(10), thickness: depth, material: .organic, density: 0.5)
                }
                // Nails.
                for bx in [Float(0), 0.5, 1] {
                    box(px0 + bx * (palletW - px(10)) + px(4), floorY - px(14.4), px(0.6), px(14), thickness: 20, material: .steel,
                        density: 7.87 * 0.1)
                }
                let top = floorY - px(14.4) - stackH
                let cw = palletW / Float(cols), ch = stackH / Float(rows)
                for r in 0..<rows {
                    for c in 0..<cols {
                        let cx = px0 + Float(c) * cw, cy = top + Float(r) * ch
                        // Carton walls: face-on walls add a little everywhere; walls parallel to
                        // the beam are seen edge-on through the whole load and draw dark seams.
                        let face = Float(2 * 0.5 * 3)   // two walls × ≈3 cartons across the beam
                        box(cx, cy, cw, ch, profile: .rim(width: max(px(0.6), 1.2), factor: depth * 0.5 / face),
                            thickness: face, material: .organic, density: 0.7, clipped: true)
                        var mod = goods.modulation
                        mod.foldPhase = rng.f(0, 0.2)
                        box(cx + px(0.4), cy + px(0.4), cw - px(0.8), ch - px(0.8), profile: .rounded(edge: px(0.8)),
                            thickness: depth * rng.f(0.92, 1.0), material: goods.material, density: goods.density,
                            modulation: mod, clipped: true, softness: 1.2)
                    }
                }
                scene.blocks.append(CargoBlock(rect: SIMD4(px0, top, px0 + palletW, floorY - px(14.4)),
                                               material: goods.material, density: goods.density, depth: depth))
            }
            // Stretch wrap / banding straps: thin dense lines.
            return Float(n) * palletW
        }

        mutating func drums(at x: Float, maxWidth: Float) -> Float {
            let d = px(58), h = px(88)
            let cols = max(1, min(Int(maxWidth / d), rng.int(2...6)))
            let tiers = (floorY - roofY) > 2 * h + px(20) && rng.bool(0.5) ? 2 : 1
            let across = Float(rng.int(2...4))
            let liquid: Material = rng.bool(0.6) ? .water : .organic
            let rho = liquid == .water ? rng.f(0.9, 1.3) : rng.f(0.7, 0.95)
            let fillFrac = rng.f(0.8, 0.95)
            for t in 0..<tiers {
                let base = floorY - Float(t) * (h + px(15)) - px(14.4)
                if t > 0 || rng.bool(0.5) {
                    box(x, base, Float(cols) * d, px(14.4), thickness: beamCm * 0.5, material: .organic, density: 0.5,
                        modulation: Modulation(foldAmplitude: 0.6, foldPeriod: px(30), foldAngle: 0))
                }
                for c in 0..<cols {
                    let cx = x + Float(c) * d + d / 2, cy = base - h / 2
                    add(SceneObject(.roundedRect(hw: d / 2 - 1, hh: h / 2, corner: px(2)), at: SIMD2(cx, cy),
                                    profile: .tube(edge: d / 2 - 1, wall: max(px(0.12), 0.8)), thickness: 0.24 * across,
                                    material: .steel, clip: clip))
                    // Contents up to the fill level.
                    let lh = h * fillFrac
                    add(SceneObject(.roundedRect(hw: d / 2 - 2, hh: lh / 2, corner: px(1)), at: SIMD2(cx, cy + (h - lh) / 2),
                                    profile: .rounded(edge: d / 2 - 2), thickness: 56 * across, material: liquid, density: rho,
                                    clip: clip))
                    // Rolling hoops and chimes.
                    for f in [Float(-0.5), -0.17, 0.17, 0.5] {
                        add(SceneObject(.roundedRect(hw: d / 2, hh: px(0.6), corner: px(0.3)), at: SIMD2(cx, cy + f * h),
                                        profile: .flat, thickness: 0.24 * across * 8, material: .steel, clip: clip))
                    }
                }
            }
            return Float(cols) * d
        }

        mutating func machinery(at x: Float, maxWidth: Float) -> Float {
            let w = min(maxWidth, px(rng.uniform(90, 220)))
            let h = min((floorY - roofY) * 0.9, px(rng.uniform(70, 180)))
            let base = floorY
            // Crate / skid.
            box(x, base - px(12), w, px(12), thickness: 120, material: .organic, density: 0.5)
            box(x, base - h, w, h - px(12), profile: .rim(width: px(2), factor: 8), thickness: 8, material: .organic, density: 0.5,
                clipped: true)
            // Housing, shafts, flanges, a motor with windings.
            let bw = w * rng.f(0.5, 0.8), bh = (h - px(14)) * rng.f(0.5, 0.85)
            let bx = x + (w - bw) / 2
            box(bx, base - px(12) - bh, bw, bh, profile: .rim(width: px(3), factor: 4), thickness: rng.f(3, 8), material: .steel,
                clipped: true)
            for _ in 0..<rng.int(2...5) {
                let r = px(rng.uniform(4, 15))
                let c = SIMD2(bx + rng.f(0.2, 0.8) * bw, base - px(12) - rng.f(0.2, 0.8) * bh)
                add(SceneObject(.ring(a: r, b: r, halfWidth: r * 0.25), at: c, profile: .rounded(edge: r * 0.25),
                                thickness: rng.f(5, 20), material: .steel, clip: clip))
                add(SceneObject(.polyline([SIMD2(-r * 3, 0), SIMD2(r * 3, 0)], radius: r * 0.3), at: c, rotation: rng.f(-0.2, 0.2),
                                profile: .rounded(edge: r * 0.3), thickness: rng.f(10, 40), material: .steel, clip: clip))
            }
            if rng.bool(0.6) {
                let r = px(rng.uniform(15, 30))
                let c = SIMD2(bx + bw * 0.8, base - px(12) - r - px(2))
                add(SceneObject(.ellipse(a: r, b: r), at: c, profile: .rounded(edge: r), thickness: 2 * Float(r / scene.pxPerCm) * 0.5,
                                material: .copper, density: 4, clip: clip))
            }
            scene.blocks.append(CargoBlock(rect: SIMD4(x, base - h, x + w, base), material: .steel, density: 1, depth: 10))
            return w
        }

        mutating func tyres(at x: Float, maxWidth: Float) -> Float {
            let r = px(rng.uniform(30, 40)), tw = r * 0.28
            let cols = max(1, min(Int(maxWidth / (2 * r + 2)), rng.int(2...6)))
            let layers = max(1, Int((floorY - roofY) / (2 * r + 4)))
            let across = Float(rng.int(3...7))
            for c in 0..<cols {
                for l in 0..<layers where rng.bool(0.9) {
                    let centreP = SIMD2(x + r + Float(c) * (2 * r + 2), floorY - r - Float(l) * (2 * r + 4))
                    add(SceneObject(.ring(a: r - tw, b: r - tw, halfWidth: tw), at: centreP, profile: .rounded(edge: tw),
                                    thickness: 20 * across * 0.5, material: .organic, density: 1.15, clip: clip))
                    add(SceneObject(.ring(a: r - px(2), b: r - px(2), halfWidth: px(1.2)), at: centreP, thickness: 0.3 * across,
                                    material: .steel, clip: clip))
                    add(SceneObject(.ring(a: r - 2 * tw + px(1), b: r - 2 * tw + px(1), halfWidth: px(0.8)), at: centreP,
                                    profile: .rounded(edge: px(0.8)), thickness: 1.5 * across, material: .steel, clip: clip))
                }
            }
            return Float(cols) * (2 * r + 2)
        }

        mutating func bulk(at x: Float, maxWidth: Float) -> Float {
            let w = min(maxWidth, px(rng.uniform(150, 450)))
            let h = (floorY - roofY) * rng.f(0.4, 0.85)
            let slope = w * rng.f(0.1, 0.3)
            // A heap of sacks or loose material: trapezoid with a bumpy top.
            var pts: [SIMD2<Float>] = [SIMD2(0, 0), SIMD2(w, 0), SIMD2(w - slope * 0.3, -h * 0.7)]
            for k in stride(from: 6, through: 1, by: -1) {
                pts.append(SIMD2(slope + (w - 2 * slope) * Float(k) / 7, -h * rng.f(0.88, 1)))
            }
            pts.append(SIMD2(slope * 0.3, -h * 0.6))
            let (c, local) = centred(pts.map { $0 + SIMD2(x, floorY) })
            let sacks = rng.bool(0.6)
            let material: Material = rng.bool(0.7) ? .organic : .aluminium
            let seed = UInt32(truncatingIfNeeded: rng.next())
            let mod = sacks
                ? Modulation(foldAmplitude: 0.3, foldPeriod: px(35), foldAngle: .pi / 2, textureAmplitude: 0.35,
                             textureCell: px(25), textureSeed: seed)
                : Modulation(textureAmplitude: 0.3, textureCell: px(3), textureSeed: seed)
            add(SceneObject(.polygon(local), at: c, profile: .rounded(edge: px(20)), softness: 2, thickness: beamCm * rng.f(0.6, 0.9),
                            material: material, density: material == .organic ? rng.f(0.25, 0.55) : rng.f(0.15, 0.3),
                            modulation: mod, clip: clip))
            scene.blocks.append(CargoBlock(rect: SIMD4(x + slope, floorY - h * 0.8, x + w - slope, floorY),
                                           material: material, density: 0.4, depth: beamCm * 0.7))
            return w
        }

        var beamCm: Float { scene.beamDepthCm }
    }
}
