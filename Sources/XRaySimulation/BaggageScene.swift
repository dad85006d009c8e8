import Foundation

/// A packed bag seen from above on a conveyor: shell, frame, zips and typical contents.
enum BaggageScene {
    static func make(width: Int, height: Int, clutter: Double, rng: inout SimulationRandom) -> Scene {
        // Physical bag size (cm) and a pixel pitch that fits it into the frame.
        let trolley = rng.bool(0.65)
        let lengthCm = trolley ? rng.uniform(55, 78) : rng.uniform(45, 65)
        let widthCm = lengthCm * rng.uniform(0.6, 0.72)
        let depthCm = trolley ? rng.uniform(22, 30) : rng.uniform(18, 28)
        let fillW = rng.uniform(0.74, 0.9) * Double(width), fillH = rng.uniform(0.7, 0.88) * Double(height)
        let mmPerPx = max(lengthCm * 10 / fillW, widthCm * 10 / fillH)
        let pxPerCm = Float(10 / mmPerPx)
        let center = SIMD2(Float(width) * rng.f(0.47, 0.53), Float(height) * rng.f(0.47, 0.53))
        let half = SIMD2(Float(lengthCm), Float(widthCm)) * pxPerCm / 2
        var bag = OrientedRect(center: center, half: half, rotation: rng.f(-0.06, 0.06))
        bag.corner = pxPerCm * rng.f(3, 7)
        let inner = OrientedRect(center: center, half: half - SIMD2(3, 3) * pxPerCm, rotation: bag.rotation)
        var scene = Scene(energies: .kiloVolt, pxPerCm: pxPerCm, interior: inner, beamDepthCm: Float(depthCm))
        var b = Builder(scene: scene, bag: bag, rng: rng)
        b.shell(trolley: trolley, depthCm: Float(depthCm))
        if trolley { b.trolleyFrame() } else { b.softBagStraps() }
        b.zips()
        let c = max(clutter, 0)
        b.clothing(count: Int((Double(b.rng.int(4...9)) * c).rounded()))
        if b.rng.bool(0.45 * c) { b.shoes() }
        if b.rng.bool(0.55 * c) { b.laptop() }
        for _ in 0..<Int((Double(b.rng.int(0...3)) * c).rounded()) { b.bottle() }
        for _ in 0..<Int((Double(b.rng.int(1...5)) * c).rounded()) { b.toiletry() }
        for _ in 0..<Int((Double(b.rng.int(0...2)) * c).rounded()) { b.book() }
        for _ in 0..<Int((Double(b.rng.int(0...3)) * c).rounded()) { b.cable() }
        if b.rng.bool(0.6 * c) { b.keysAndCoins() }
        for _ in 0..<Int((Double(b.rng.int(0...2)) * c).rounded()) { b.electronics() }
        if b.rng.bool(0.3 * c) { b.belt() }
        if b.rng.bool(0.2 * c) { b.umbrella() }
        rng = b.rng
        scene = b.scene
        return scene
    }

    private struct Builder {
        var scene: Scene
        let bag: OrientedRect
        var rng: SimulationRandom

        init(scene: Scene, bag: OrientedRect, rng: SimulationRandom) {
            self.scene = scene; self.bag = bag; self.rng = rng
        }

        func px(_ cm: Double) -> Float { scene.px(cm) }

        /// Adds an object given in the bag's local frame.
        mutating func add(_ g: ShapeGeometry, local: SIMD2<Float>, rotation: Float = 0,
                          profile: ThicknessProfile = .flat, softness: Float = 1, thickness: Float,
                          material: Material, density: Float? = nil, modulation: Modulation = Modulation()) {
            var o = SceneObject(g, at: bag.toImage(local), rotation: rotation + bag.rotation,
                                profile: profile, softness: softness, thickness: thickness,
                                material: material, density: density, modulation: modulation)
            o.container = OrientedRect(center: bag.center, half: bag.half + SIMD2(1, 1), rotation: bag.rotation, corner: bag.corner + 1)
            scene.objects.append(o)
        }

        /// Random position inside the packing space (bag-local pixels).
        mutating func spot(margin: Float = 0) -> SIMD2<Float> {
            let h = scene.interior.half
            let mx = max(h.x - margin, 1), my = max(h.y - margin, 1)
            return SIMD2(rng.f(-Double(mx), Double(mx)), rng.f(-Double(my), Double(my)))
        }

        mutating func shell(trolley: Bool, depthCm: Float) {
            let wall: Float = trolley ? rng.f(0.25, 0.4) : rng.f(0.1, 0.2)
            let corner = bag.corner
            // Faces: front + back wall. Rim: the side walls seen edge-on.
            let rimFactor = min(depthCm / (2 * wall) * 0.35, 14)
            add(.roundedRect(hw: bag.half.x, hh: bag.half.y, corner: corner), local: .zero,
                profile: .rim(width: max(px(Double(wall) * 3), 2), factor: rimFactor), softness: 1.5,
                thickness: 2 * wall, material: .organic, density: trolley ? 1.15 : 0.9)
            // Lining and padding: a soft low-density layer with texture.
            add(.roundedRect(hw: bag.half.x - px(1), hh: bag.half.y - px(1), corner: corner), local: .zero,
                profile: .rounded(edge: px(2)), softness: 3, thickness: 0.6, material: .organic, density: 0.3,
                modulation: Modulation(textureAmplitude: 0.3, textureCell: px(1.5), textureSeed: UInt32(truncatingIfNeeded: rng.next())))
            // Corner protectors / feet.
            for sx in [Float(-1), 1] { for sy in [Float(-1), 1] where rng.bool(0.7) {
                add(.roundedRect(hw: px(3), hh: px(2), corner: px(1)),
                    local: SIMD2(sx * (bag.half.x - px(3.5)), sy * (bag.half.y - px(2.5))),
                    profile: .rounded(edge: px(1)), thickness: 1.2, material: .organic, density: 1.1)
            } }
        }

        mutating func trolleyFrame() {
            // Two telescopic aluminium tubes along the length, near one long side.
            let side: Float = rng.bool() ? 1 : -1
            let spacing = px(rng.uniform(20, 26))
            let y0 = side * (bag.half.y - px(rng.uniform(6, 10)))
            let len = bag.half.x * 1.85
            let y1 = y0 - side * spacing
            for y in [y0, y1] {
                // Outer tube along the whole length, inner telescopic tube over half of it.
                for (r, wallCm, l) in [(1.1, 0.12, len), (0.9, 0.1, len * 0.55)] as [(Double, Float, Float)] {
                    let rp = px(r)
                    add(.roundedRect(hw: l / 2, hh: rp, corner: rp), local: SIMD2(-bag.half.x + l / 2 + px(2), y),
                        profile: .tube(edge: rp, wall: max(px(Double(wallCm)), 0.8)), thickness: 2 * wallCm,
                        material: .aluminium)
                }
            }
            // Handle bar across the rail ends, with steel release mechanism.
            let hx = -bag.half.x + px(2.5)
            add(.roundedRect(hw: px(1.6), hh: abs(y1 - y0) / 2 + px(3), corner: px(1.5)), local: SIMD2(hx, (y0 + y1) / 2),
                profile: .rounded(edge: px(1.5)), thickness: 3, material: .organic, density: 1.2)
            add(.roundedRect(hw: px(0.6), hh: px(2.5), corner: px(0.3)), local: SIMD2(hx, (y0 + y1) / 2),
                thickness: 0.4, material: .steel)
            // Wheels at the far end (rubber tyre, steel axle and bearing).
            for y in [y0 + side * px(2), y1 - side * px(2)] {
                let wp = SIMD2(bag.half.x - px(4), y)
                add(.roundedRect(hw: px(3.5), hh: px(1.8), corner: px(1.7)), local: wp, profile: .rounded(edge: px(1.7)),
                    thickness: 5, material: .organic, density: 1.2)
                add(.ellipse(a: px(0.5), b: px(1.6)), local: wp, profile: .rounded(edge: px(0.5)), thickness: 1.0, material: .steel)
                add(.ring(a: px(1.2), b: px(1.2), halfWidth: px(0.25)), local: wp, thickness: 0.6, material: .steel)
            }
            // Rivets along the rails.
            for y in [y0, y1] {
                for k in 0..<4 {
                    add(.ellipse(a: px(0.3), b: px(0.3)), local: SIMD2(-bag.half.x + px(3) + Float(k) * len / 3.2, y),
                        profile: .rounded(edge: px(0.3)), thickness: 0.6, material: .steel)
                }
            }
            // Carry handle on the long side opposite the rails.
            let hy = -side * (bag.half.y - px(1.5))
            add(.roundedRect(hw: px(9), hh: px(1.2), corner: px(1.1)), local: SIMD2(rng.f(-5, 5), hy),
                profile: .rounded(edge: px(1.1)), thickness: 2.2, material: .organic, density: 1.1)
            for sx in [Float(-1), 1] {
                add(.roundedRect(hw: px(1.2), hh: px(1.2), corner: px(0.3)), local: SIMD2(sx * px(9.5), hy),
                    thickness: 0.3, material: .steel)
            }
        }

        mutating func softBagStraps() {
            // Webbing straps across the bag with steel buckles and D-rings.
            for _ in 0..<rng.int(1...2) {
                let x = rng.f(-Double(bag.half.x) * 0.6, Double(bag.half.x) * 0.6)
                add(.roundedRect(hw: px(1.8), hh: bag.half.y, corner: px(0.5)), local: SIMD2(x, 0),
                    thickness: 0.4, material: .organic, density: 0.9)
                add(.ring(a: px(1.8), b: px(1.2), halfWidth: px(0.25)), local: SIMD2(x, bag.half.y - px(4)),
                    profile: .rounded(edge: px(0.25)), thickness: 0.5, material: .steel)
            }
            add(.polyline([SIMD2(-px(12), 0), SIMD2(-px(6), -px(5)), SIMD2(px(6), -px(5)), SIMD2(px(12), 0)], radius: px(1.2)),
                local: SIMD2(0, -bag.half.y * 0.2), profile: .rounded(edge: px(1.2)), thickness: 2.4,
                material: .organic, density: 1.0)
        }

        mutating func zips() {
            // Metal zip chain around the lid, inset from the edge: teeth by a fold modulation.
            let inset = px(rng.uniform(1.5, 3))
            let hx = bag.half.x - inset, hy = bag.half.y - inset
            let metal = rng.bool(0.6)
            let teeth = Modulation(foldAmplitude: 0.9, foldPeriod: max(px(0.35), 2.2), foldAngle: 0)
            var tv = teeth; tv.foldAngle = .pi / 2
            let r = max(px(0.3), 0.8)
            for (p, q, m) in [(SIMD2(-hx, -hy), SIMD2(hx, -hy), teeth), (SIMD2(-hx, hy), SIMD2(hx, hy), teeth),
                              (SIMD2(-hx, -hy), SIMD2(-hx, hy), tv), (SIMD2(hx, -hy), SIMD2(hx, hy), tv)] {
                var mm = m
                mm.foldAngle += bag.rotation
                add(.polyline([p, q], radius: r), local: .zero, profile: .flat, thickness: metal ? 0.12 : 0.4,
                    material: metal ? .copper : .organic, density: metal ? 8.5 : 1.2, modulation: mm)
            }
            // Sliders with pullers.
            for _ in 0..<2 {
                let x = rng.f(-Double(hx), Double(hx))
                let y: Float = rng.bool() ? -hy : hy
                add(.roundedRect(hw: px(1.0), hh: px(0.7), corner: px(0.2)), local: SIMD2(x, y), thickness: 0.35,
                    material: .steel, density: 7.0)
                add(.polygon([SIMD2(0, -px(0.5)), SIMD2(px(3), -px(0.35)), SIMD2(px(3), px(0.35)), SIMD2(0, px(0.5))]),
                    local: SIMD2(x, y), rotation: rng.angle(), thickness: 0.15, material: .steel)
            }
        }

        mutating func clothing(count: Int) {
            for _ in 0..<max(count, 1) {
                let p = spot(margin: px(6))
                let w = px(rng.uniform(10, 24)), h = px(rng.uniform(7, 16))
                let seed = UInt32(truncatingIfNeeded: rng.next())
                let mod = Modulation(foldAmplitude: rng.f(0.08, 0.3), foldPeriod: px(rng.uniform(2, 7)),
                                     foldAngle: rng.angle(), foldPhase: rng.f(0, 1),
                                     textureAmplitude: rng.f(0.15, 0.35), textureCell: px(rng.uniform(1, 4)), textureSeed: seed)
                let g: ShapeGeometry = rng.bool(0.6)
                    ? .roundedRect(hw: w, hh: h, corner: min(w, h) * rng.f(0.2, 0.7))
                    : .ellipse(a: w, b: h)
                add(g, local: p, rotation: rng.angle(), profile: .rounded(edge: min(w, h) * rng.f(0.3, 0.8)),
                    softness: px(rng.uniform(0.5, 2)), thickness: rng.f(4, 12), material: .organic,
                    density: rng.f(0.2, 0.5), modulation: mod)
                if rng.bool(0.4) {
                    // A rolled garment.
                    let q = spot(margin: px(8))
                    let len = px(rng.uniform(10, 25)), rad = px(rng.uniform(3, 6))
                    add(.polyline([SIMD2(-len, 0), SIMD2(len, 0)], radius: rad), local: q, rotation: rng.angle(),
                        profile: .rounded(edge: rad), softness: 2, thickness: Float(rad / scene.pxPerCm) * 2,
                        material: .organic, density: rng.f(0.2, 0.35),
                        modulation: Modulation(foldAmplitude: 0.25, foldPeriod: px(2.5), foldAngle: rng.angle()))
                }
                if rng.bool(0.25) {
                    // Buttons / a metal press stud.
                    let q = spot(margin: px(4))
                    for k in 0..<rng.int(2...5) {
                        add(.ellipse(a: px(0.6), b: px(0.6)), local: q + SIMD2(0, Float(k) * px(6)),
                            thickness: 0.25, material: rng.bool(0.3) ? .steel : .organic, density: rng.bool(0.3) ? 7 : 1.3)
                    }
                }
            }
        }

        mutating func shoes() {
            let p = spot(margin: px(16))
            let rot = rng.angle()
            let len = rng.uniform(25, 30), wid = len * 0.36
            for k in 0..<2 {
                let offset = SIMD2(cos(rot + .pi / 2), sin(rot + .pi / 2)) * px(wid * 1.05) * Float(k == 0 ? -1 : 1)
                let flip: Float = k == 0 ? 0 : .pi
                let r = rot + flip
                let l = px(len / 2), w = px(wid / 2)
                let sole: [SIMD2<Float>] = [SIMD2(-l, -w * 0.7), SIMD2(-l * 0.6, -w * 0.85), SIMD2(0, -w * 0.8),
                                             SIMD2(l * 0.55, -w), SIMD2(l * 0.9, -w * 0.75), SIMD2(l, 0),
                                             SIMD2(l * 0.9, w * 0.75), SIMD2(l * 0.55, w), SIMD2(0, w * 0.75),
                                             SIMD2(-l * 0.6, w * 0.85), SIMD2(-l, w * 0.7)]
                let c = p + offset
                add(.polygon(sole), local: c, rotation: r, profile: .rounded(edge: px(1.2)), softness: 1.5,
                    thickness: 2.5, material: .organic, density: 1.15,
                    modulation: Modulation(foldAmplitude: 0.2, foldPeriod: px(1.2), foldAngle: r))
                add(.ellipse(a: l * 0.8, b: w * 0.85), local: c, rotation: r, profile: .rounded(edge: w * 0.8),
                    softness: 2, thickness: 7, material: .organic, density: 0.35)
                // Heel block and steel shank.
                let heel = c + SIMD2(cos(r), sin(r)) * (-l * 0.72)
                add(.roundedRect(hw: px(3), hh: w * 0.75, corner: px(1)), local: heel, rotation: r,
                    profile: .rounded(edge: px(1)), thickness: 3, material: .organic, density: 1.1)
                if rng.bool(0.6) {
                    add(.roundedRect(hw: px(4.5), hh: px(0.6), corner: px(0.3)), local: c + SIMD2(cos(r), sin(r)) * (-l * 0.3),
                        rotation: r, thickness: 0.15, material: .steel)
                }
                // Eyelets.
                for e in 0..<rng.int(4...7) {
                    for s in [Float(-1), 1] {
                        let ep = c + SIMD2(cos(r), sin(r)) * (l * (0.05 + 0.09 * Float(e))) + SIMD2(-sin(r), cos(r)) * (s * w * 0.35)
                        add(.ring(a: px(0.3), b: px(0.3), halfWidth: px(0.1)), local: ep, thickness: 0.2, material: .steel)
                    }
                }
            }
        }

        mutating func laptop() {
            let p = spot(margin: px(18))
            let r = rng.bool(0.7) ? rng.f(-0.3, 0.3) : rng.angle()
            let hw = px(rng.uniform(15, 18)), hh = px(rng.uniform(10, 12))
            func at(_ q: SIMD2<Float>) -> SIMD2<Float> { p + SIMD2(cos(r) * q.x - sin(r) * q.y, sin(r) * q.x + cos(r) * q.y) }
            let alu = rng.bool(0.6)
            // Chassis: two sheets, walls edge-on at the rim.
            add(.roundedRect(hw: hw, hh: hh, corner: px(1)), local: p, rotation: r, profile: .rim(width: px(0.4), factor: 5),
                thickness: alu ? 0.2 : 0.5, material: alu ? .aluminium : .organic, density: alu ? 2.7 : 1.2)
            // Screen (glass ≈ aluminium-like inorganic), keyboard plastics with key rows.
            add(.roundedRect(hw: hw - px(0.8), hh: hh - px(0.8), corner: px(0.5)), local: p, rotation: r,
                thickness: 0.15, material: .aluminium, density: 2.5)
            add(.roundedRect(hw: hw * 0.85, hh: hh * 0.45, corner: px(0.3)), local: at(SIMD2(0, -hh * 0.3)), rotation: r,
                thickness: 0.4, material: .organic, density: 1.1,
                modulation: Modulation(foldAmplitude: 0.6, foldPeriod: px(1.9), foldAngle: r))
            // Mainboard with chips, heat pipe and fan.
            let mb = at(SIMD2(0, hh * 0.25))
            add(.roundedRect(hw: hw * 0.8, hh: hh * 0.35, corner: px(0.3)), local: mb, rotation: r, thickness: 0.16,
                material: .aluminium, density: 1.9)
            for _ in 0..<rng.int(3...6) {
                let q = at(SIMD2(rng.f(-0.7, 0.7) * hw, hh * 0.25 + rng.f(-0.25, 0.25) * hh))
                let s = px(rng.uniform(0.8, 2.2))
                add(.roundedRect(hw: s, hh: s * rng.f(0.6, 1), corner: 0.5), local: q, rotation: r, thickness: 0.15,
                    material: .copper, density: 4)
            }
            add(.polyline([at(SIMD2(-hw * 0.4, hh * 0.3)) - p, at(SIMD2(hw * 0.45, hh * 0.15)) - p], radius: px(0.4)), local: p,
                profile: .rounded(edge: px(0.4)), thickness: 0.3, material: .copper)
            add(.ring(a: px(2.5), b: px(2.5), halfWidth: px(0.3)), local: at(SIMD2(hw * 0.6, hh * 0.25)), thickness: 0.4,
                material: .organic, density: 1.2)
            // Battery pack: cylindrical cells or flat pouch cells.
            let by = -hh * 0.62
            if rng.bool(0.5) {
                let n = rng.int(3...6), cw = px(1.8), cl = px(6.5)
                for k in 0..<n {
                    let q = at(SIMD2(-Float(n - 1) * cw / 2 * 1.05 + Float(k) * cw * 1.05, by))
                    add(.roundedRect(hw: cw / 2, hh: cl / 2, corner: cw / 2), local: q, rotation: r + .pi / 2 - .pi / 2,
                        profile: .tube(edge: cw / 2, wall: max(px(0.05), 0.7)), thickness: 0.05, material: .steel)
                    add(.roundedRect(hw: cw / 2 * 0.92, hh: cl / 2 * 0.97, corner: cw / 2 * 0.92), local: q, rotation: r,
                        profile: .rounded(edge: cw / 2 * 0.92), thickness: 1.65, material: .aluminium, density: 2.0)
                    add(.roundedRect(hw: cw / 2 * 0.92, hh: cl / 2 * 0.97, corner: cw / 2 * 0.92), local: q, rotation: r,
                        profile: .rounded(edge: cw / 2 * 0.92), thickness: 1.65, material: .copper, density: 0.45)
                }
            } else {
                let q = at(SIMD2(0, by))
                add(.roundedRect(hw: hw * 0.7, hh: px(3.5), corner: px(0.5)), local: q, rotation: r,
                    profile: .rim(width: px(0.3), factor: 2), thickness: 0.6, material: .aluminium, density: 2.2)
                add(.roundedRect(hw: hw * 0.7, hh: px(3.5), corner: px(0.5)), local: q, rotation: r,
                    thickness: 0.6, material: .copper, density: 0.35,
                    modulation: Modulation(foldAmplitude: 0.3, foldPeriod: hw * 0.47, foldAngle: r))
            }
            // Screws and hinge.
            for sx in [Float(-0.93), -0.3, 0.3, 0.93] {
                for sy in [Float(-0.9), 0.9] {
                    add(.ellipse(a: px(0.2), b: px(0.2)), local: at(SIMD2(sx * hw, sy * hh)), thickness: 0.35, material: .steel)
                }
            }
            add(.polyline([SIMD2(-hw * 0.9, 0), SIMD2(hw * 0.9, 0)], radius: px(0.35)), local: at(SIMD2(0, hh - px(0.6))),
                rotation: r, profile: .rounded(edge: px(0.35)), thickness: 0.7, material: .steel)
            // Charger brick with its cable.
            if rng.bool(0.6) { charger(near: spot(margin: px(8))) }
        }

        mutating func charger(near q: SIMD2<Float>) {
            let r = rng.angle()
            add(.roundedRect(hw: px(5.5), hh: px(3), corner: px(0.8)), local: q, rotation: r, profile: .rim(width: px(0.3), factor: 3),
                thickness: 0.6, material: .organic, density: 1.2)
            add(.roundedRect(hw: px(1.6), hh: px(1.4), corner: px(0.2)), local: q, rotation: r, thickness: 1.5,
                material: .steel, density: 5)
            add(.roundedRect(hw: px(1.2), hh: px(1.0), corner: px(0.2)), local: q + SIMD2(px(2.5), 0), rotation: r, thickness: 1.0,
                material: .copper, density: 4)
            add(.roundedRect(hw: px(3.8), hh: px(2.2), corner: px(0.2)), local: q, rotation: r, thickness: 0.16,
                material: .aluminium, density: 1.9)
            cable(from: q, length: 12)
        }

        mutating func cable(from start: SIMD2<Float>? = nil, length: Int? = nil) {
            let s = start ?? spot(margin: px(5))
            let n = length ?? rng.int(6...14)
            let pts = randomPath(&rng, start: s, count: n, step: px(rng.uniform(3, 6)),
                                 bounds: OrientedRect(center: .zero, half: scene.interior.half, rotation: 0))
            let (c, local) = centred(pts)
            let r = px(rng.uniform(0.22, 0.35))
            add(.polyline(local, radius: r), local: c, profile: .rounded(edge: r), thickness: 2 * r / scene.pxPerCm,
                material: .organic, density: 1.35)
            add(.polyline(local, radius: max(r * 0.35, 0.6)), local: c, profile: .rounded(edge: max(r * 0.35, 0.6)),
                thickness: 2 * r * 0.3 / scene.pxPerCm, material: .copper, density: 8.96 * 0.5)
            // Plug at the far end.
            if let last = pts.last {
                let d = pts[pts.count - 1] - pts[pts.count - 2]
                let a = atan2(d.y, d.x)
                add(.roundedRect(hw: px(1.5), hh: px(0.8), corner: px(0.3)), local: last, rotation: a,
                    profile: .rounded(edge: px(0.4)), thickness: 1.0, material: .organic, density: 1.3)
                add(.roundedRect(hw: px(0.9), hh: px(0.5), corner: px(0.1)), local: last + SIMD2(cos(a), sin(a)) * px(2),
                    rotation: a, thickness: 0.25, material: .steel)
            }
        }

        mutating func bottle() {
            let p = spot(margin: px(10))
            let r = rng.angle()
            let radius = px(rng.uniform(2.5, 4.5)), len = px(rng.uniform(8, 13))
            let glass = rng.bool(0.3)
            let wall: Float = glass ? rng.f(0.25, 0.4) : rng.f(0.03, 0.06)
            let wallPx = max(wall * scene.pxPerCm, 0.8)
            add(.roundedRect(hw: len, hh: radius, corner: radius * 0.9), local: p, rotation: r,
                profile: .tube(edge: radius, wall: wallPx), thickness: 2 * wall,
                material: glass ? .aluminium : .organic, density: glass ? 2.5 : 1.38)
            // Liquid, partly filled bottles look the same from above.
            let liquid: Material = rng.bool(0.75) ? .water : .organic
            let inner = radius - wallPx
            add(.roundedRect(hw: len - wallPx, hh: inner, corner: inner * 0.9), local: p, rotation: r,
                profile: .rounded(edge: inner), thickness: 2 * inner / scene.pxPerCm, material: liquid,
                density: liquid == .water ? rng.f(0.98, 1.05) : rng.f(0.79, 0.95))
            // Neck and cap.
            let dir = SIMD2(cos(r), sin(r))
            let neck = p + dir * (len + px(1.8))
            add(.roundedRect(hw: px(2), hh: px(1.3), corner: px(1)), local: neck, rotation: r,
                profile: .tube(edge: px(1.3), wall: wallPx), thickness: 2 * wall, material: glass ? .aluminium : .organic,
                density: glass ? 2.5 : 1.38)
            add(.roundedRect(hw: px(0.9), hh: px(1.5), corner: px(0.3)), local: neck + dir * px(2.6), rotation: r,
                profile: .rim(width: px(0.2), factor: 3), thickness: 0.3,
                material: rng.bool(0.3) ? .aluminium : .organic, density: rng.bool(0.3) ? 2.7 : 1.1)
        }

        mutating func toiletry() {
            let p = spot(margin: px(6))
            let r = rng.angle()
            switch rng.int(0...4) {
            case 0: // aerosol can: aluminium tube with liquid and a valve
                let rad = px(rng.uniform(2, 3)), len = px(rng.uniform(6, 9))
                add(.roundedRect(hw: len, hh: rad, corner: rad * 0.6), local: p, rotation: r,
                    profile: .tube(edge: rad, wall: max(px(0.05), 0.8)), thickness: 0.1, material: .aluminium)
                add(.roundedRect(hw: len * 0.95, hh: rad * 0.95, corner: rad * 0.6), local: p, rotation: r,
                    profile: .rounded(edge: rad), thickness: 2 * rad / scene.pxPerCm * 0.6, material: .organic, density: 0.9)
                add(.ellipse(a: px(0.6), b: px(0.6)), local: p + SIMD2(cos(r), sin(r)) * (len + px(0.5)), thickness: 0.4,
                    material: .steel)
            case 1: // tube of paste
                add(.polygon([SIMD2(-px(7), -px(2)), SIMD2(px(6), -px(1.3)), SIMD2(px(6), px(1.3)), SIMD2(-px(7), px(2))]),
                    local: p, rotation: r, profile: .rounded(edge: px(1.3)), thickness: 2, material: .organic, density: 1.3)
            case 2: // razor: handle plus thin steel blades
                add(.roundedRect(hw: px(6), hh: px(0.6), corner: px(0.5)), local: p, rotation: r,
                    profile: .rounded(edge: px(0.6)), thickness: 1.2, material: .organic, density: 1.1)
                add(.roundedRect(hw: px(0.5), hh: px(2), corner: px(0.1)), local: p + SIMD2(cos(r), sin(r)) * px(6.3),
                    rotation: r, thickness: 0.05, material: .steel)
            case 3: // jar of cream
                let rad = px(rng.uniform(2.5, 4))
                add(.ellipse(a: rad, b: rad), local: p, profile: .rim(width: px(0.3), factor: 8), thickness: 0.3,
                    material: rng.bool(0.5) ? .aluminium : .organic, density: 1.5)
                add(.ellipse(a: rad * 0.9, b: rad * 0.9), local: p, thickness: 3, material: .water, density: 0.95)
            default: // nail clippers / tweezers
                add(.polygon([SIMD2(-px(3), -px(0.6)), SIMD2(px(3), -px(0.4)), SIMD2(px(3), px(0.4)), SIMD2(-px(3), px(0.6))]),
                    local: p, rotation: r, thickness: 0.25, material: .steel)
            }
        }

        mutating func book() {
            let p = spot(margin: px(12))
            let r = rng.bool(0.5) ? rng.f(-0.2, 0.2) + bag.rotation * 0 : rng.angle()
            let hw = px(rng.uniform(7, 12)), hh = px(rng.uniform(10, 15))
            add(.roundedRect(hw: hw, hh: hh, corner: px(0.3)), local: p, rotation: r, profile: .rim(width: px(0.25), factor: 1.6),
                thickness: rng.f(1.5, 4), material: .organic, density: rng.f(0.7, 0.95),
                modulation: Modulation(textureAmplitude: 0.04, textureCell: px(1), textureSeed: UInt32(truncatingIfNeeded: rng.next())))
            if rng.bool(0.3) {
                // Spiral binding.
                add(.polyline([SIMD2(-hw, -hh), SIMD2(-hw, hh)], radius: px(0.4)), local: p, rotation: r,
                    thickness: 0.1, material: .steel,
                    modulation: Modulation(foldAmplitude: 1, foldPeriod: px(0.8), foldAngle: r + .pi / 2))
            }
        }

        mutating func keysAndCoins() {
            let p = spot(margin: px(6))
            if rng.bool(0.7) {
                add(.ring(a: px(1.4), b: px(1.4), halfWidth: px(0.12)), local: p, profile: .rounded(edge: px(0.12)),
                    thickness: 0.25, material: .steel)
                for k in 0..<rng.int(1...4) {
                    let a = rng.angle()
                    let l = px(rng.uniform(4.5, 6.5)), w = px(0.9)
                    let key: [SIMD2<Float>] = [SIMD2(0, -w * 1.6), SIMD2(px(2.2), -w * 1.6), SIMD2(px(2.4), -w * 0.5),
                                                SIMD2(l, -w * 0.5), SIMD2(l, 0), SIMD2(l * 0.85, w * 0.2),
                                                SIMD2(l * 0.75, -w * 0.05), SIMD2(l * 0.65, w * 0.5), SIMD2(px(2.4), w * 0.5),
                                                SIMD2(px(2.2), w * 1.6), SIMD2(0, w * 1.6)]
                    _ = k
                    add(.polygon(key), local: p + SIMD2(cos(a), sin(a)) * px(1.4), rotation: a, thickness: 0.22,
                        material: rng.bool(0.5) ? .steel : .copper, density: 8.4)
                }
            }
            let q = spot(margin: px(6))
            for _ in 0..<rng.int(2...8) {
                let rad = px(rng.uniform(0.9, 1.3))
                add(.ellipse(a: rad, b: rad), local: q + SIMD2(rng.f(-4, 4), rng.f(-4, 4)) * scene.pxPerCm,
                    profile: .rim(width: px(0.1), factor: 1.3), thickness: 0.18, material: rng.bool(0.5) ? .steel : .copper,
                    density: 8.5)
            }
        }

        /// Everyday electronics that share features with threats (cells, boards, coils, wires).
        mutating func electronics() {
            let p = spot(margin: px(10))
            let r = rng.angle()
            func at(_ q: SIMD2<Float>) -> SIMD2<Float> { p + SIMD2(cos(r) * q.x - sin(r) * q.y, sin(r) * q.x + cos(r) * q.y) }
            switch rng.int(0...3) {
            case 0: // phone: glass, aluminium frame, pouch cell, board, camera
                add(.roundedRect(hw: px(7.5), hh: px(3.6), corner: px(0.9)), local: p, rotation: r,
                    profile: .rim(width: px(0.3), factor: 6), thickness: 0.15, material: .aluminium, density: 2.6)
                add(.roundedRect(hw: px(4), hh: px(3), corner: px(0.3)), local: at(SIMD2(-px(1.5), 0)), rotation: r,
                    thickness: 0.45, material: .aluminium, density: 2.0)
                add(.roundedRect(hw: px(4), hh: px(3), corner: px(0.3)), local: at(SIMD2(-px(1.5), 0)), rotation: r,
                    thickness: 0.45, material: .copper, density: 0.4)
                add(.roundedRect(hw: px(2), hh: px(3), corner: px(0.2)), local: at(SIMD2(px(4.5), 0)), rotation: r,
                    thickness: 0.12, material: .copper, density: 3)
                add(.ellipse(a: px(0.5), b: px(0.5)), local: at(SIMD2(px(6.3), px(2.3))), thickness: 0.4, material: .steel, density: 4)
            case 1: // power bank: cylindrical cells, board, USB sockets
                add(.roundedRect(hw: px(5), hh: px(3.8), corner: px(0.6)), local: p, rotation: r,
                    profile: .rim(width: px(0.3), factor: 4), thickness: 0.3, material: .organic, density: 1.2)
                for k in 0..<rng.int(2...3) {
                    let q = at(SIMD2(-px(1), (Float(k) - 1) * px(1.9)))
                    add(.roundedRect(hw: px(3.25), hh: px(0.9), corner: px(0.9)), local: q, rotation: r,
                        profile: .tube(edge: px(0.9), wall: max(px(0.05), 0.7)), thickness: 0.05, material: .steel)
                    add(.roundedRect(hw: px(3.2), hh: px(0.85), corner: px(0.85)), local: q, rotation: r,
                        profile: .rounded(edge: px(0.85)), thickness: 1.6, material: .aluminium, density: 2.0)
                    add(.roundedRect(hw: px(3.2), hh: px(0.85), corner: px(0.85)), local: q, rotation: r,
                        profile: .rounded(edge: px(0.85)), thickness: 1.6, material: .copper, density: 0.45)
                }
                add(.roundedRect(hw: px(1), hh: px(3.2), corner: px(0.1)), local: at(SIMD2(px(3.6), 0)), rotation: r,
                    thickness: 0.16, material: .copper, density: 2.5)
                add(.roundedRect(hw: px(0.5), hh: px(0.8), corner: px(0.1)), local: at(SIMD2(px(4.7), px(1.2))), rotation: r,
                    profile: .rim(width: 0.8, factor: 3), thickness: 0.1, material: .steel)
            case 2: // over-ear headphones: band, two cups with magnets
                add(.ring(a: px(8), b: px(7), halfWidth: px(0.8)), local: p, rotation: r, profile: .rounded(edge: px(0.8)),
                    thickness: 1.2, material: .organic, density: 1.2)
                add(.ring(a: px(8), b: px(7), halfWidth: px(0.15)), local: p, rotation: r, thickness: 0.1, material: .steel)
                for sx in [Float(-1), 1] {
                    let q = at(SIMD2(sx * px(8), px(3)))
                    add(.ellipse(a: px(3.5), b: px(4.2)), local: q, rotation: r, profile: .rounded(edge: px(2)),
                        thickness: 3, material: .organic, density: 0.6)
                    add(.ellipse(a: px(1.2), b: px(1.2)), local: q, profile: .rounded(edge: px(0.4)), thickness: 0.6,
                        material: .steel, density: 7.4)
                }
                cable(from: at(SIMD2(px(8), px(6))), length: 6)
            default: // hair dryer: motor, heating coil, handle
                add(.roundedRect(hw: px(9), hh: px(3.5), corner: px(3.4)), local: p, rotation: r,
                    profile: .tube(edge: px(3.5), wall: max(px(0.25), 1)), thickness: 0.5, material: .organic, density: 1.2)
                add(.polyline([SIMD2(-px(6), 0), SIMD2(px(6), 0)], radius: px(2.4)), local: p, rotation: r,
                    profile: .flat, thickness: 0.12, material: .copper, density: 6,
                    modulation: Modulation(foldAmplitude: 0.9, foldPeriod: px(0.5), foldAngle: r))
                add(.roundedRect(hw: px(1.8), hh: px(1.6), corner: px(0.5)), local: at(SIMD2(-px(6.5), 0)), rotation: r,
                    thickness: 2.5, material: .steel, density: 4.5)
                add(.roundedRect(hw: px(1.6), hh: px(5), corner: px(1.5)), local: at(SIMD2(-px(4), px(7))), rotation: r + 0.2,
                    profile: .rounded(edge: px(1.5)), thickness: 2.5, material: .organic, density: 0.8)
                cable(from: at(SIMD2(-px(4), px(12))), length: 8)
            }
        }

        mutating func belt() {
            let pts = randomPath(&rng, start: spot(margin: px(10)), count: rng.int(5...9), step: px(6),
                                 bounds: OrientedRect(center: .zero, half: scene.interior.half, rotation: 0))
            let (c, local) = centred(pts)
            add(.polyline(local, radius: px(1.7)), local: c, thickness: 0.4, material: .organic, density: 1.0)
            add(.ring(a: px(2.2), b: px(2.0), halfWidth: px(0.25)), local: pts[0], thickness: 0.4, material: .steel)
        }

        mutating func umbrella() {
            let p = spot(margin: px(14))
            let r = rng.angle(), l = px(rng.uniform(12, 16))
            add(.polyline([SIMD2(-l, 0), SIMD2(l, 0)], radius: px(2)), local: p, rotation: r, profile: .rounded(edge: px(2)),
                softness: 2, thickness: 3, material: .organic, density: 0.4)
            add(.polyline([SIMD2(-l, 0), SIMD2(l, 0)], radius: px(0.4)), local: p, rotation: r, profile: .tube(edge: px(0.4), wall: 0.8),
                thickness: 0.1, material: .steel)
            for k in 0..<6 {
                let off = Float(k - 3) * px(0.5)
                add(.polyline([SIMD2(-l * 0.9, off), SIMD2(l * 0.8, off * 0.3)], radius: 0.7), local: p, rotation: r,
                    thickness: 0.1, material: .steel)
            }
        }
    }
}
