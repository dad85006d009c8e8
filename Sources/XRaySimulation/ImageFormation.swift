import Foundation

/// Turns line integrals into detector readings: Beer–Lambert `I = I0·exp(−Σμt)`, scanner gain
/// artefacts, quantum noise, detector blur, electronics offset and noise, 16-bit quantisation.
enum ImageFormation {
    /// Dark offset of the electronics in 16-bit grey levels: opaque regions read about this,
    /// never 0.
    static let darkOffset: Float = 120

    /// Per-detector-row gain (banding, bad lines) and per-scan-line source flicker.
    struct Artefacts: Sendable {
        var rowGain: [Float]
        var columnGain: [Float]

        init(width: Int, height: Int, strength: Double, rng: inout SimulationRandom) {
            rowGain = [Float](repeating: 1, count: height)
            columnGain = [Float](repeating: 1, count: width)
            guard strength > 0 else { return }
            let s = Float(strength)
            // Detector modules of 32–64 elements with residual gains after flat-field calibration
            // (±1 % at strength 1), plus element jitter.
            let module = rng.int(32...64)
            var moduleGain: Float = 1
            for y in 0..<height {
                if y % module == 0 { moduleGain = 1 + s * 0.01 * Float(rng.normal()) }
                rowGain[y] = moduleGain + s * 0.003 * Float(rng.normal())
            }
            // A few defective lines (weak or hot elements), more with stronger banding.
            let bad = Int((Double(rng.int(0...2)) * strength).rounded())
            for _ in 0..<bad {
                let y = rng.int(0...(height - 1))
                rowGain[y] *= 1 + s * Float(rng.bool() ? -0.08 : 0.05)
            }
            // Source output flicker along the scan: a smoothed random walk, ±0.3 % at strength 1.
            var f: Float = 0
            for x in 0..<width {
                f = 0.97 * f + 0.03 * Float(rng.normal())
                columnGain[x] = 1 + s * 0.012 * f
            }
        }
    }

    /// In place: v ← exp(−v), for v ≥ 0 (clamped to 0…80). Polynomial 2^x, rel. error < 2e-7.
    static func transmission(_ data: inout [Float]) {
        data.withUnsafeMutableBufferPointer { buf in
            let p = buf.baseAddress!
            for i in 0..<buf.count { p[i] = expNeg(p[i]) }
        }
    }

    @inline(__always)
    static func expNeg(_ v: Float) -> Float {
        let x = -min(max(v, 0), 80) * 1.442_695_04       // log2
        let fi = x.rounded(.down)
        let f = x - fi                                   // [0, 1)
        // 2^f on [0,1): degree-6 minimax-like Taylor in ln2·f.
        let t = f * 0.693_147_18
        let poly = 1 + t * (1 + t * (0.5 + t * (0.166_666_67 + t * (0.041_666_668 + t * (0.008_333_334 + t * 0.001_388_889)))))
        // fi ≥ −116 (v ≤ 80), so the biased exponent stays positive.
        let e = UInt32(Int32(fi) + 127)
        return poly * Float(bitPattern: e << 23)
    }

    /// Normalised Gaussian taps for σ (pixels); radius ⌈3σ⌉.
    static func gaussianKernel(_ sigma: Double) -> [Float] {
        let r = max(1, Int((3 * sigma).rounded(.up)))
        var k = (-r...r).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        let s = k.reduce(0, +)
        for i in k.indices { k[i] /= s }
        return k
    }

    /// Separable Gaussian blur, clamp-to-edge.
    static func blur(_ data: inout [Float], width: Int, height: Int, sigma: Double) {
        guard sigma > 0.05, width > 0, height > 0 else { return }
        let k = gaussianKernel(sigma), r = k.count / 2
        var tmp = [Float](repeating: 0, count: data.count)
        k.withUnsafeBufferPointer { kb in
            let kp = kb.baseAddress!
            data.withUnsafeMutableBufferPointer { db in
                tmp.withUnsafeMutableBufferPointer { tb in
                    let d = db.baseAddress!, t = tb.baseAddress!
                    // Horizontal: data → tmp.
                    var padded = [Float](repeating: 0, count: width + 2 * r)
                    padded.withUnsafeMutableBufferPointer { pb in
                        let pp = pb.baseAddress!
                        for y in 0..<height {
                            let row = d + y * width
                            for i in 0..<r { pp[i] = row[0]; pp[r + width + i] = row[width - 1] }
                            (pp + r).update(from: row, count: width)
                            let out = t + y * width
                            for x in 0..<width { out[x] = 0 }
                            for j in 0..<k.count {
                                let w = kp[j], src = pp + j
                                for x in 0..<width { out[x] += w * src[x] }
                            }
                        }
                    }
                    // Vertical: tmp → data, row by row (cache friendly).
                    for y in 0..<height {
                        let out = d + y * width
                        for x in 0..<width { out[x] = 0 }
                        for j in 0..<k.count {
                            let sy = min(max(y + j - r, 0), height - 1)
                            let w = kp[j], src = t + sy * width
                            for x in 0..<width { out[x] += w * src[x] }
                        }
                    }
                }
            }
        }
    }

    /// Forms one channel: line integrals → 16-bit detector values.
    /// - Parameters:
    ///   - photons: unattenuated photon count per pixel, `nil` for a noise-free image.
    static func form(_ integrals: [Float], width: Int, height: Int, photons: Double?, airLevel: Double,
                     artefacts: Artefacts?, blurSigma: Double, electronicNoise: Float,
                     rng: inout SimulationRandom) -> [UInt16] {
        var t = integrals
        transmission(&t)
        let table = NormalTable.values
        t.withUnsafeMutableBufferPointer { tb in
            let tp = tb.baseAddress!
            if let a = artefacts {
                for y in 0..<height {
                    let g = a.rowGain[y], row = tp + y * width
                    a.columnGain.withUnsafeBufferPointer { cg in
                        for x in 0..<width { row[x] *= g * cg[x] }
                    }
                }
            }
            if let n0 = photons {
                // Poisson counts by the normal approximation: T' = T + sqrt(T/I0)·z.
                let inv = Float(1 / n0)
                table.withUnsafeBufferPointer { zb in
                    let z = zb.baseAddress!
                    var i = 0
                    let n = tb.count
                    while i < n {
                        var bits = rng.next()
                        for _ in 0..<4 where i < n {
                            let v = tp[i]
                            tp[i] = max(v + (v * inv).squareRoot() * z[Int(bits & 0xFFFF)], 0)
                            bits >>= 16
                            i += 1
                        }
                    }
                }
            }
        }
        blur(&t, width: width, height: height, sigma: blurSigma)
        var out = [UInt16](repeating: 0, count: t.count)
        let scale = Float(airLevel) - darkOffset, off = darkOffset
        table.withUnsafeBufferPointer { zb in
            let z = zb.baseAddress!
            t.withUnsafeBufferPointer { tb in
                out.withUnsafeMutableBufferPointer { ob in
                    let tp = tb.baseAddress!, op = ob.baseAddress!
                    if electronicNoise > 0 {
                        var i = 0
                        let n = tb.count
                        while i < n {
                            var bits = rng.next()
                            for _ in 0..<4 where i < n {
                                let v = off + scale * tp[i] + electronicNoise * z[Int(bits & 0xFFFF)]
                                op[i] = UInt16(min(max(v.rounded(), 1), 65534))
                                bits >>= 16
                                i += 1
                            }
                        }
                    } else {
                        for i in 0..<tb.count {
                            op[i] = UInt16(min(max((off + scale * tp[i]).rounded(), 1), 65534))
                        }
                    }
                }
            }
        }
        return out
    }

    /// Noise-free, artefact-free blurred transmission of a region (for ground-truth masks).
    static func cleanTransmission(_ integrals: [Float], width: Int, height: Int, blurSigma: Double) -> [Float] {
        var t = integrals
        transmission(&t)
        blur(&t, width: width, height: height, sigma: blurSigma)
        return t
    }
}
