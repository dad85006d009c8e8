import XRayImaging

extension ScanSimulator {
    /// Renders a calibration step wedge: one row of square patches per material, one column per
    /// thickness, on air, through the same image formation as scans (energies, noise, blur,
    /// banding and air level from `configuration`; its size, anomalies and seed-driven scene are
    /// ignored, the seed still drives the noise).
    ///
    /// Patch `(row r, column c)` covers pixels `x ∈ [pad + c·(patch+pad), +patch)`,
    /// `y ∈ [pad + r·(patch+pad), +patch)` with `pad = patchSize / 2`. Useful to calibrate
    /// dual-energy material colouring and to test detectors on known attenuations.
    public func stepWedge(materials: [Material], thicknessesCm: [Double], patchSize: Int = 32,
                          configuration: SceneConfiguration) throws -> XRayImage {
        guard !materials.isEmpty, !thicknessesCm.isEmpty, patchSize >= 4 else {
            throw SimulationError.invalidConfiguration("step wedge needs materials, thicknesses and patchSize ≥ 4")
        }
        let pad = patchSize / 2
        let w = pad + thicknessesCm.count * (patchSize + pad), h = pad + materials.count * (patchSize + pad)
        var config = configuration
        config.width = max(w, 64); config.height = max(h, 64)
        try config.validate()
        let energies: EnergyPair = config.kind == .baggage ? .kiloVolt : .megaVolt
        var L = LineIntegrals(width: config.width, height: config.height)
        for (r, m) in materials.enumerated() {
            for (c, t) in thicknessesCm.enumerated() {
                let x0 = Float(pad + c * (patchSize + pad)), y0 = Float(pad + r * (patchSize + pad))
                let half = Float(patchSize) / 2
                L.add(SceneObject(.roundedRect(hw: half, hh: half, corner: 0), at: SIMD2(x0 + half, y0 + half),
                                  thickness: Float(t), material: m), energies: energies)
            }
        }
        var noiseRNG = SimulationRandom(seed: config.seed, stream: 3)
        let artefacts = config.banding > 0
            ? ImageFormation.Artefacts(width: config.width, height: config.height, strength: config.banding, rng: &noiseRNG) : nil
        let photons = config.nominalPhotons
        func form(_ plane: [Float], _ n0: Double, _ stream: UInt64) -> [UInt16] {
            var rng = SimulationRandom(seed: config.seed, stream: stream)
            return ImageFormation.form(plane, width: config.width, height: config.height,
                                       photons: config.noise > 0 ? n0 / (config.noise * config.noise) : nil,
                                       airLevel: config.airLevel, artefacts: artefacts, blurSigma: config.blur,
                                       electronicNoise: Float(3 * config.noise), rng: &rng)
        }
        let high = form(L.high, photons.high, 4), low = form(L.low, photons.low, 5)
        if config.dualEnergy {
            return try XRayImage(width: config.width, height: config.height, channelMeanings: [.highEnergy, .lowEnergy],
                                 pixels: .uint16(high + low), bitDepth: 16)
        }
        return try XRayImage(width: config.width, height: config.height, channelMeanings: [.gray],
                             pixels: .uint16(config.singleEnergyChannel == .lowEnergy ? low : high), bitDepth: 16)
    }
}
