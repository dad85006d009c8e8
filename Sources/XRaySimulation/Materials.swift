/// The two effective photon energies a scanner's detector channels see.
///
/// Baggage scanners (≈160 kVp tube, dual-layer detector) are modelled with effective energies of
/// ≈60 keV (front, low-energy layer) and ≈150 keV (rear, filtered high-energy layer). Cargo
/// scanners use MeV linear accelerators; their effective energies are modelled as ≈1.5 MeV (low)
/// and ≈3 MeV (high). Coefficients below are mass attenuation coefficients μ/ρ in cm²/g
/// (total, with coherent scattering) rounded from NIST XCOM.
public enum EnergyPair: String, Sendable, Codable, CaseIterable {
    /// ≈60 keV / ≈150 keV (baggage).
    case kiloVolt
    /// ≈1.5 MeV / ≈3 MeV (cargo, linac).
    case megaVolt
}

/// Materials the simulator knows, by effective atomic number.
///
/// Dual-energy behaviour: at baggage energies the ratio μ(low)/μ(high) — equivalently the ratio of
/// the log-attenuations of the low- and high-energy images — increases with effective Z:
/// organic ≈1.36 < water ≈1.37 < aluminium ≈2.0 < steel ≈6.1 < copper ≈7.2 < lead ≈10.7.
/// At MeV cargo energies Compton scattering dominates and pair production grows with Z, so the
/// ratio *decreases* with Z (organic ≈1.45 … lead ≈1.23), as in real MeV dual-energy systems.
public enum Material: String, Sendable, Codable, CaseIterable {
    case air
    /// Cellulose / plastics / textiles / food / explosives-like organics (Z_eff ≈ 6.5–7).
    case organic
    /// Water and water-based liquids (Z_eff ≈ 7.4).
    case water
    /// Aluminium; stands in for light inorganics (glass, ceramics, Z_eff ≈ 11–14).
    case aluminium
    /// Iron / steel (Z = 26).
    case steel
    /// Copper (Z = 29): cable cores, windings.
    case copper
    /// Lead and other high-Z metals (Z = 82).
    case lead

    /// Nominal density in g/cm³. Objects may override it (fabric, powders, foams).
    public var nominalDensity: Double {
        switch self {
        case .air: return 0.001205
        case .organic: return 1.0
        case .water: return 1.0
        case .aluminium: return 2.699
        case .steel: return 7.874
        case .copper: return 8.96
        case .lead: return 11.35
        }
    }

    /// Effective mass attenuation coefficients μ/ρ (cm²/g) at the low and high effective energy.
    public func massAttenuation(_ energies: EnergyPair) -> (low: Double, high: Double) {
        switch energies {
        case .kiloVolt:
            switch self {
            // NIST XCOM, dry air: 60 keV 0.1875, 150 keV 0.1356.
            case .air: return (0.1875, 0.1356)
            // Cellulose C6H10O5 from XCOM elemental values (H, C, O): ≈0.196 / ≈0.1435.
            case .organic: return (0.1956, 0.1435)
            // XCOM water: 60 keV 0.2059, 150 keV 0.1505.
            case .water: return (0.2059, 0.1505)
            // XCOM aluminium: 60 keV 0.2778, 150 keV 0.1378.
            case .aluminium: return (0.2778, 0.1378)
            // XCOM iron: 60 keV 1.205, 150 keV 0.1964.
            case .steel: return (1.205, 0.1964)
            // XCOM copper: 60 keV 1.593, 150 keV 0.2214.
            case .copper: return (1.593, 0.2214)
            // XCOM lead at 60 keV: 5.021. Monoenergetic XCOM at 150 keV (2.014) sits above the
            // 88 keV K-edge; a filtered polychromatic high channel is better described by the
            // two-basis (photoelectric + Compton) extrapolation used in dual-energy decomposition,
            // ≈0.34 photo + ≈0.13 Compton/coherent ≈ 0.47, which keeps the ratio monotone in Z.
            case .lead: return (5.021, 0.47)
            }
        case .megaVolt:
            switch self {
            // XCOM at 1.5 MeV / 3 MeV.
            case .air: return (0.05187, 0.03581)
            case .organic: return (0.0550, 0.0378)
            case .water: return (0.05754, 0.03969)
            case .aluminium: return (0.05008, 0.03541)
            case .steel: return (0.04972, 0.03621)
            case .copper: return (0.04955, 0.03676)
            case .lead: return (0.05222, 0.04234)
            }
        }
    }

    /// Linear attenuation coefficients μ (1/cm) at a density (g/cm³).
    func linearAttenuation(_ energies: EnergyPair, density: Double) -> (low: Float, high: Float) {
        let m = massAttenuation(energies)
        return (Float(m.low * density), Float(m.high * density))
    }
}
