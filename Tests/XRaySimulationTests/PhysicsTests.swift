import XCTest
import XRayImaging
import XRaySimulation

final class PhysicsTests: XCTestCase {
    func testAddingMaterialNeverBrightens() throws {
        let sim = ScanSimulator()
        for base in [smallBaggage(seed: 21, anomalies: 4, difficulty: 0.2), smallCargo(seed: 22, anomalies: 3)] {
            var config = base.noiseFree
            let with = try sim.generate(config)
            config.anomalyCount = 0
            let without = try sim.generate(config)
            XCTAssertFalse(with.groundTruth.anomalies.isEmpty)
            let pw = samples(with.image), po = samples(without.image)
            XCTAssertEqual(pw.count, po.count)
            var darker = 0
            for i in 0..<pw.count {
                XCTAssertLessThanOrEqual(pw[i], po[i], "adding an anomaly brightened pixel \(i)")
                if pw[i] > po[i] { return }
                if pw[i] < po[i] { darker += 1 }
            }
            XCTAssertGreaterThan(darker, 50)
        }
    }

    func testThickerIsDarkerOnStepWedge() throws {
        var config = SceneConfiguration(kind: .baggage).noiseFree
        config.blur = 0
        let wedge = try ScanSimulator().stepWedge(materials: Material.allCases.filter { $0 != .air },
                                                  thicknessesCm: [0.1, 0.5, 1, 2, 5, 10], patchSize: 16,
                                                  configuration: config)
        let p = samples(wedge)
        for r in 0..<6 {
            var previous = UInt16.max
            for c in 0..<6 {
                let v = p[(8 + r * 24 + 8) * wedge.width + 8 + c * 24 + 8]
                XCTAssertLessThanOrEqual(v, previous)
                previous = v
            }
        }
    }

    /// Log ratio R = ln(I_low/I0) / ln(I_high/I0) from patch centres of a step wedge.
    private func logRatios(_ materials: [Material], thickness: [Material: Double], kind: SceneKind) throws -> [Double] {
        var config = SceneConfiguration(kind: kind).noiseFree
        config.blur = 0
        let sim = ScanSimulator()
        var out: [Double] = []
        for m in materials {
            let wedge = try sim.stepWedge(materials: [m], thicknessesCm: [thickness[m]!], patchSize: 16, configuration: config)
            let p = samples(wedge), n = wedge.pixelCount
            let i = 16 * wedge.width + 16
            let air = config.airLevel, dark = 120.0
            let high = (Double(p[i]) - dark) / (air - dark), low = (Double(p[n + i]) - dark) / (air - dark)
            XCTAssertLessThan(high, 0.95, "\(m): patch too thin to measure")
            XCTAssertGreaterThan(low, 0.001, "\(m): patch too thick to measure")
            out.append(log(low) / log(high))
        }
        return out
    }

    func testDualEnergyLogRatioOrdersMaterialsByEffectiveZ() throws {
        // Thicknesses chosen so every patch attenuates measurably in both channels.
        let t: [Material: Double] = [.organic: 8, .water: 8, .aluminium: 3, .steel: 0.3, .lead: 0.05]
        let r = try logRatios([.organic, .aluminium, .steel, .lead], thickness: t, kind: .baggage)
        XCTAssertLessThan(r[0], r[1], "organic < aluminium")
        XCTAssertLessThan(r[1], r[2], "aluminium < steel")
        XCTAssertLessThan(r[2], r[3], "steel < lead")
        XCTAssertGreaterThan(r[0], 1.2)
        // Low-energy attenuation exceeds high-energy attenuation for every material at kV.
        XCTAssertTrue(r.allSatisfy { $0 > 1 })
    }

    func testMegaVoltRatioDecreasesWithZ() throws {
        let t: [Material: Double] = [.organic: 40, .aluminium: 15, .steel: 5, .lead: 3]
        let r = try logRatios([.organic, .aluminium, .steel, .lead], thickness: t, kind: .cargo)
        XCTAssertGreaterThan(r[0], r[2])
        XCTAssertGreaterThan(r[2], r[3])
    }

    func testNoSaturationAndAirLevel() throws {
        let sim = ScanSimulator()
        for config in [smallBaggage(seed: 31, anomalies: 3, difficulty: 0.1), smallCargo(seed: 32, anomalies: 3, difficulty: 0.1),
                       SceneConfiguration(kind: .baggage, width: 512, height: 384, dualEnergy: false, anomalyCount: 2,
                                          difficulty: 0, banding: 1, seed: 33)] {
            let scan = try sim.generate(config)
            let p = samples(scan.image)
            XCTAssertGreaterThan(p.min()!, 0)
            XCTAssertLessThan(p.max()!, 65535)
            // The image corner is air: close to the configured air level (banding moves it a little).
            var corner: [Int] = []
            for y in 0..<8 { for x in 0..<8 { corner.append(Int(p[y * config.width + x])) } }
            let mean = Double(corner.reduce(0, +)) / Double(corner.count)
            XCTAssertEqual(mean, config.airLevel, accuracy: config.airLevel * (0.02 + 0.04 * config.banding))
        }
    }

    func testNoiseIsRoughlyPoisson() throws {
        // Air pixels: relative standard deviation ≈ 1/sqrt(photons) (blur off), ±30 %.
        var config = SceneConfiguration(kind: .baggage, width: 256, height: 192, dualEnergy: false, blur: 0, banding: 0, seed: 3)
        config.noise = 1
        let wedge = try ScanSimulator().stepWedge(materials: [.organic], thicknessesCm: [1], patchSize: 8, configuration: config)
        let p = samples(wedge).suffix(from: 40 * wedge.width).map(Double.init)   // rows below the patch: air
        let mean = p.reduce(0, +) / Double(p.count)
        let sd = (p.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(p.count)).squareRoot()
        let expected = (config.airLevel - 120) / 6000.0.squareRoot()   // nominal kV high-energy photons in air
        XCTAssertEqual(sd, expected, accuracy: expected * 0.3)
    }
}
