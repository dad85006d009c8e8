import Foundation

/// Builders of anomaly objects in a local frame (pixels, centred near the origin, unrotated).
/// `c` is the contrast factor (1 = obvious … ≈0.3 = subtle) that scales thickness or density.
enum ThreatShapes {
    static func build(_ cls: AnomalyClass, scene: Scene, contrast c: Float,
                      rng: inout SimulationRandom) -> (objects: [SceneObject], material: Material) {
        let k = scene.pxPerCm
        func p(_ x: Float, _ y: Float) -> SIMD2<Float> { SIMD2(x, y) * k }
        let cargo = scene.energies == .megaVolt
        var out: [SceneObject] = []
        var main: Material = .steel
        switch cls {
        case .metalBlock:
            let lead = rng.bool(0.3)
            main = lead ? .lead : .steel
            let sz: Float = cargo ? rng.f(15, 45) : rng.f(3, 8)
            let w = sz * k, h = sz * rng.f(0.5, 1) * k
            let t = (cargo ? rng.f(10, 30) : rng.f(0.6, 3)) * c * c
            out.append(SceneObject(.roundedRect(hw: w / 2, hh: h / 2, corner: min(w, h) * 0.08), at: .zero,
                                   profile: .rounded(edge: max(1, min(w, h) * 0.05)), thickness: t, material: main))
        case .gun:
            main = .steel
            let polymer = rng.bool(0.5)
            let t = c
            // Slide and barrel.
            out.append(SceneObject(.roundedRect(hw: 9.2 * k, hh: 1.5 * k, corner: 0.4 * k), at: p(0, -3),
                                   profile: .rounded(edge: 0.6 * k), thickness: 2.3 * t, material: .steel))
            // Grip / frame, slanted.
            let grip: [SIMD2<Float>] = [p(-8.6, -1.5), p(-3.4, -1.5), p(-3.6, 0.3), p(-4.6, 8.8), p(-9.2, 8.2), p(-8.4, 0.5)]
            out.append(SceneObject(.polygon(grip), at: .zero, profile: .rounded(edge: 0.8 * k), thickness: 2.9 * t,
                                   material: polymer ? .organic : .steel, density: polymer ? 1.4 : 7.8))
            // Magazine inside the grip (steel walls, cartridges).
            let mag: [SIMD2<Float>] = [p(-7.9, -0.8), p(-4.6, -0.8), p(-5.3, 8.2), p(-8.6, 7.8)]
            out.append(SceneObject(.polygon(mag), at: .zero, thickness: 0.5 * t, material: .steel))
            out.append(SceneObject(.polygon(mag.map { $0 * 0.9 + p(-0.6, 0.3) }), at: .zero, thickness: 1.0 * t,
                                   material: .copper, density: 5))
            // Trigger guard and trigger; frame rail under the slide.
            out.append(SceneObject(.ring(a: 2.0 * k, b: 1.4 * k, halfWidth: 0.3 * k), at: p(-1.6, 0.2), thickness: 1.0 * t,
                                   material: polymer ? .organic : .steel, density: polymer ? 1.4 : 7.8))
            out.append(SceneObject(.polygon([p(-2, -1.2), p(-1.2, -1.2), p(-1.6, 1.0), p(-2.1, 0.9)]), at: .zero,
                                   thickness: 0.6 * t, material: .steel))
            out.append(SceneObject(.roundedRect(hw: 5.5 * k, hh: 0.7 * k, corner: 0.2 * k), at: p(-3, -1.2),
                                   thickness: 2 * t, material: polymer ? .organic : .steel, density: polymer ? 1.4 : 7.8))
            // Barrel bore inside the slide (extra steel along the axis) and the recoil spring.
            out.append(SceneObject(.roundedRect(hw: 8 * k, hh: 0.55 * k, corner: 0.5 * k), at: p(0.8, -3.1),
                                   profile: .rounded(edge: 0.55 * k), thickness: 1.1 * t, material: .steel))
        case .knife:
            main = .steel
            let len = rng.f(10, 20), wid = rng.f(2.2, 3.8)
            let blade: [SIMD2<Float>] = [p(0, -wid * 0.5), p(len * 0.75, -wid * 0.45), p(len, wid * 0.1),
                                         p(len * 0.8, wid * 0.5), p(0, wid * 0.5)]
            out.append(SceneObject(.polygon(blade), at: .zero, profile: .rounded(edge: max(1, 0.5 * k)),
                                   thickness: rng.f(0.2, 0.35) * c, material: .steel))
            let hl = rng.f(9, 12)
            let steelHandle = rng.bool(0.25)
            out.append(SceneObject(.roundedRect(hw: hl / 2 * k, hh: wid * 0.42 * k, corner: wid * 0.4 * k),
                                   at: p(-hl / 2 - 0.3, 0), profile: .rounded(edge: wid * 0.4 * k), thickness: steelHandle ? 0.6 * c : 2,
                                   material: steelHandle ? .steel : .organic, density: steelHandle ? 7.8 : 1.25))
            // Tang and rivets.
            out.append(SceneObject(.roundedRect(hw: hl * 0.45 * k, hh: wid * 0.2 * k, corner: 0.2 * k), at: p(-hl / 2, 0),
                                   thickness: 0.25 * c, material: .steel))
            for r in 0..<3 {
                out.append(SceneObject(.ellipse(a: 0.25 * k, b: 0.25 * k), at: p(-hl * (0.2 + 0.3 * Float(r)), 0),
                                       thickness: 1.2 * c, material: .steel))
            }
            // Bolster.
            out.append(SceneObject(.roundedRect(hw: 0.4 * k, hh: wid * 0.55 * k, corner: 0.2 * k), at: p(-0.2, 0),
                                   thickness: 1.0 * c, material: .steel))
        case .blade:
            main = .steel
            if rng.bool(0.6) {
                // Box cutter: plastic or aluminium body, segmented steel blade.
                let metalBody = rng.bool(0.4)
                out.append(SceneObject(.roundedRect(hw: 7 * k, hh: 1.0 * k, corner: 0.6 * k), at: .zero,
                                       profile: .rounded(edge: 0.5 * k), thickness: metalBody ? 0.3 * c : 1.5,
                                       material: metalBody ? .aluminium : .organic, density: metalBody ? 2.7 : 1.2))
                out.append(SceneObject(.polygon([p(-3, -0.45), p(9.5, -0.45), p(8.5, 0.45), p(-3, 0.45)]), at: .zero,
                                       thickness: 0.06 * c * 1.5, material: .steel,
                                       modulation: Modulation(foldAmplitude: 0.25, foldPeriod: 0.9 * k, foldAngle: 0.7)))
            } else {
                // Double-edged razor blade with its slot.
                out.append(SceneObject(.roundedRect(hw: 2.2 * k, hh: 1.1 * k, corner: 0.2 * k), at: .zero,
                                       thickness: 0.012 * (1 + 2 * c), material: .steel,
                                       modulation: Modulation(foldAmplitude: 0.0)))
                out.append(SceneObject(.roundedRect(hw: 1.4 * k, hh: 0.15 * k, corner: 0.1 * k), at: .zero,
                                       thickness: 0.02, material: .steel))
            }
        case .organicPacket:
            main = .organic
            let explosive = rng.bool(0.55)
            let rho = explosive ? rng.f(1.45, 1.8) : rng.f(1.1, 1.35)
            let n = cargo ? rng.int(4...12) : rng.int(1...3)
            let bw: Float = cargo ? rng.f(20, 32) : rng.f(6, 16), bh = bw * rng.f(0.5, 0.8)
            let t: Float = cargo ? rng.f(15, 50) * c * c : rng.f(2.5, 5.5) * c
            let cols = Int(Float(n).squareRoot().rounded(.up))
            for i in 0..<n {
                let cx = Float(i % cols) * bw * 1.02, cy = Float(i / cols) * bh * 1.02
                out.append(SceneObject(.roundedRect(hw: bw / 2 * k, hh: bh / 2 * k, corner: 0.15 * bh * k),
                                       at: p(cx, cy), rotation: rng.f(-0.05, 0.05), profile: .rounded(edge: 0.25 * bh * k),
                                       softness: 1.2, thickness: t, material: .organic, density: rho,
                                       modulation: Modulation(foldAmplitude: 0.06, foldPeriod: 1.5 * k, foldAngle: rng.angle())))
            }
            if !cargo && explosive && rng.bool(0.3) {
                // A detonator pushed into the charge.
                out.append(SceneObject(.roundedRect(hw: 2.5 * k, hh: 0.35 * k, corner: 0.35 * k), at: p(bw * 0.4, 0),
                                       profile: .tube(edge: 0.35 * k, wall: max(1, 0.05 * k)), thickness: 0.1 * c,
                                       material: .aluminium))
                out.append(SceneObject(.ellipse(a: 0.6 * k, b: 0.3 * k), at: p(bw * 0.4 + 2, 0), thickness: 0.5 * c,
                                       material: .lead, density: 4))
            }
        case .wiresAndBattery:
            main = .copper
            // Battery: a 9 V block or a pack of AA cells (steel cans, zinc/manganese dioxide cores).
            if rng.bool(0.5) {
                out.append(SceneObject(.roundedRect(hw: 2.4 * k, hh: 1.3 * k, corner: 0.2 * k), at: .zero,
                                       profile: .rim(width: max(1, 0.1 * k), factor: 6), thickness: 0.05 * 2, material: .steel))
                out.append(SceneObject(.roundedRect(hw: 2.2 * k, hh: 1.1 * k, corner: 0.2 * k), at: .zero,
                                       thickness: 1.5 * c, material: .copper, density: 3.0))
            } else {
                let n = rng.int(2...4)
                for i in 0..<n {
                    let at = p(0, (Float(i) - Float(n - 1) / 2) * 1.45)
                    out.append(SceneObject(.roundedRect(hw: 2.5 * k, hh: 0.7 * k, corner: 0.7 * k), at: at,
                                           profile: .tube(edge: 0.7 * k, wall: max(1, 0.03 * k)), thickness: 0.06, material: .steel))
                    out.append(SceneObject(.roundedRect(hw: 2.4 * k, hh: 0.6 * k, corner: 0.6 * k), at: at,
                                           profile: .rounded(edge: 0.6 * k), thickness: 1.2 * c, material: .copper, density: 3.2))
                }
            }
            // A small circuit board (timer / switch).
            let board = p(rng.f(5, 8), rng.f(-3, 3))
            out.append(SceneObject(.roundedRect(hw: 2.5 * k, hh: 1.8 * k, corner: 0.1 * k), at: board, rotation: rng.f(-0.5, 0.5),
                                   thickness: 0.16, material: .aluminium, density: 1.9))
            for _ in 0..<3 {
                out.append(SceneObject(.roundedRect(hw: 0.5 * k, hh: 0.4 * k, corner: 0.05 * k),
                                       at: board + p(rng.f(-1.8, 1.8), rng.f(-1.2, 1.2)), thickness: 0.3 * c, material: .copper,
                                       density: 5))
            }
            // Wires: battery → board → away.
            for _ in 0..<rng.int(2...4) {
                var pts = [p(rng.f(-2, 2), rng.f(-1, 1))]
                pts += randomPath(&rng, start: board, count: rng.int(2...4), step: rng.f(1, 2) * k)
                let (cc, local) = centred(pts)
                let r = max(0.1 * k, 0.7)
                out.append(SceneObject(.polyline(local, radius: r * 1.8), at: cc, profile: .rounded(edge: r * 1.8),
                                       thickness: 0.25, material: .organic, density: 1.35))
                out.append(SceneObject(.polyline(local, radius: r), at: cc, profile: .rounded(edge: r),
                                       thickness: 0.1 * (0.5 + c), material: .copper))
            }
            if rng.bool(0.5) {
                // Main charge next to it.
                out.append(SceneObject(.roundedRect(hw: 5 * k, hh: 3.5 * k, corner: 0.8 * k), at: p(-7, rng.f(-2, 2)),
                                       profile: .rounded(edge: 1.5 * k), thickness: 4 * c, material: .organic, density: 1.6))
            }
        case .falseWall, .denseCore, .contradictoryGoods:
            // Placed relative to the load; built by ThreatProjection.
            break
        }
        return (out, main)
    }
}
