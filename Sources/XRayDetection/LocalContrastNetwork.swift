import Foundation

/// A deterministic analytic stand-in for a trained model: flags dense (high-attenuation) matter.
///
/// Output logit = `gain × (local mean − background)`, where the local mean is the mean over a
/// `(2·radius + 1)²` window of the input planes averaged over channels (with mirrored edges
/// inside the tile). With log-attenuation inputs, anything much denser than `background`
/// attenuation scores near 1. It lets the whole pipeline — tiling, stitching, calibration,
/// regions, overlays — run and be tested without a trained model, and it is a useful smoke test
/// for the CLI (`xray-screen scan --analytic`).
public struct LocalContrastNetwork: AnomalyNetwork {
    public let inputChannels: Int
    public let tileSize: Int
    public let radius: Int
    public let gain: Float
    public let background: Float
    public let metadata: [String: String]
    public var modelSHA256: String? { nil }

    /// - Parameters:
    ///   - metadata: the properties the network reports; by default log attenuation with auto
    ///     air intensity, logits out, a quarter-tile overlap and no threshold.
    public init(inputChannels: Int = 1, tileSize: Int = 128, radius: Int = 2, gain: Float = 4,
                background: Float = 1, metadata: [String: String]? = nil) {
        precondition(inputChannels >= 1 && tileSize > 2 * radius && radius >= 0)
        self.inputChannels = inputChannels
        self.tileSize = tileSize
        self.radius = radius
        self.gain = gain
        self.background = background
        self.metadata = metadata ?? [
            ModelMetadata.Key.formatVersion: "1",
            ModelMetadata.Key.modelName: "local-contrast-analytic",
            ModelMetadata.Key.version: "1",
            ModelMetadata.Key.inputChannels: inputChannels == 2 ? "high,low" : "gray",
            ModelMetadata.Key.normalisation: "log_attenuation",
            ModelMetadata.Key.i0: "auto",
            ModelMetadata.Key.tileSize: "\(tileSize)",
            ModelMetadata.Key.tileOverlap: "\(tileSize / 4)",
            ModelMetadata.Key.output: "logits",
        ]
    }

    public var scratchBytesPerRunner: Int { 2 * tileSize * tileSize * 4 }

    public func makeRunner() throws -> any AnomalyNetworkRunner {
        Runner(channels: inputChannels, tile: tileSize, radius: radius, gain: gain, background: background)
    }

    struct Runner: AnomalyNetworkRunner {
        let channels: Int, tile: Int, radius: Int, gain: Float, background: Float
        var mean: [Float]
        var rows: [Float]

        init(channels: Int, tile: Int, radius: Int, gain: Float, background: Float) {
            self.channels = channels; self.tile = tile; self.radius = radius
            self.gain = gain; self.background = background
            mean = [Float](repeating: 0, count: tile * tile)
            rows = [Float](repeating: 0, count: tile * tile)
        }

        mutating func run(tile input: UnsafePointer<Float>, into map: UnsafeMutablePointer<Float>) throws {
            let T = tile, r = radius, C = channels
            @inline(__always) func mirror(_ i: Int) -> Int { i < 0 ? -i : (i >= T ? 2 * (T - 1) - i : i) }
            let norm = 1 / Float(C * (2 * r + 1) * (2 * r + 1))
            let gain = self.gain, background = self.background
            mean.withUnsafeMutableBufferPointer { m in
                rows.withUnsafeMutableBufferPointer { h in
                    // Channel mean.
                    for i in 0..<(T * T) { m[i] = input[i] }
                    for c in 1..<max(C, 1) where c < C { for i in 0..<(T * T) { m[i] += input[c * T * T + i] } }
                    // Horizontal window sums (mirrored borders, contiguous interior).
                    for y in 0..<T {
                        let src = m.baseAddress! + y * T, dst = h.baseAddress! + y * T
                        for x in 0..<T { dst[x] = 0 }
                        for d in -r...r {
                            let lo = max(0, -d), hi = min(T, T - d)
                            for x in 0..<lo { dst[x] += src[mirror(x + d)] }
                            let s = src + d
                            for x in lo..<hi { dst[x] += s[x] }
                            for x in hi..<T { dst[x] += src[mirror(x + d)] }
                        }
                    }
                    // Vertical window sums, then the logit.
                    for y in 0..<T {
                        let out = map + y * T
                        for x in 0..<T { out[x] = 0 }
                        for d in -r...r {
                            let src = h.baseAddress! + mirror(y + d) * T
                            for x in 0..<T { out[x] += src[x] }
                        }
                        for x in 0..<T { out[x] = gain * (out[x] * norm - background) }
                    }
                }
            }
        }
    }
}
