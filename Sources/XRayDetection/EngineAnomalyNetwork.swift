import Foundation
import XRayEngine

/// An ONNX model run by XRayEngine, as the detector's ``AnomalyNetwork``.
///
/// The model is loaded and optimised once (immutable, shared); each runner owns one engine
/// `Session` (scratch buffers, single-threaded: the detector parallelises over tiles).
public final class EngineAnomalyNetwork: AnomalyNetwork {
    public let model: Model
    public let inputChannels: Int
    public let tileSize: Int
    public let metadata: [String: String]
    public let modelSHA256: String?
    let inputName: String
    let outputName: String?

    /// Loads `url`; the tile size comes from `xrayscreen.tile_size`, else `tileSize`, else 256;
    /// the channel count from `xrayscreen.input_channels`, else `inputChannels`, else 1.
    public init(contentsOf url: URL, tileSize: Int? = nil, inputChannels: Int? = nil) throws {
        let model = try Model(contentsOf: url)
        self.model = model
        self.metadata = model.metadata                                         
        self.modelSHA256 = try SHA256.hex(ofFileAt: url)
        let meta = try ModelMetadata(properties: metadata)
        self.tileSize = meta.tileSize ?? tileSize ?? 256
        self.inputChannels = meta.inputChannels?.count ?? inputChannels ?? 1
        self.inputName = meta.inputName ?? "input"
        self.outputName = meta.outputName
        // Fail at load time, not on the first tile, when the shapes do not fit.
        let probe = try model.makeSession(inputShapes: [inputName: [1, self.inputChannels, self.tileSize, self.tileSize]])
        scratchBytesPerRunner = probe.peakMemoryBytes
    }

    /// Activation memory one runner's session plans (measured once at load).
    public let scratchBytesPerRunner: Int

    public func makeRunner() throws -> any AnomalyNetworkRunner {
        let shape = [1, inputChannels, tileSize, tileSize]
        let session = try model.makeSession(inputShapes: [inputName: shape], threads: 1)
        return Runner(session: session, inputName: inputName, outputName: outputName,
                      input: Tensor(zeros: shape), plane: tileSize * tileSize)
    }

    struct Runner: AnomalyNetworkRunner {
        let session: Session
        let inputName: String
        let outputName: String?
        /// Reused for every tile: the copy in is the only per-tile work outside the session.
        var input: Tensor
        let plane: Int

        mutating func run(tile: UnsafePointer<Float>, into map: UnsafeMutablePointer<Float>) throws {
            input.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: tile, count: $0.count) }
            let outputs = try session.run([inputName: input])
            guard let out = outputName.flatMap({ outputs[$0] }) ?? (outputs.count == 1 ? outputs.first?.value : nil) else {
                throw DetectionError.networkFailed("model outputs \(outputs.keys.sorted()); set xrayscreen.output_name")
            }
            // Accept [1, 1, T, T] or [1, T, T] or [T, T]: exactly one plane.
            guard out.shape.reduce(1, *) == plane else {
                throw DetectionError.networkFailed("output shape \(out.shape) is not one \(input.shape[2])×\(input.shape[3]) plane")
            }
            out.withUnsafeBufferPointer { map.update(from: $0.baseAddress!, count: plane) }
        }
    }
}

extension Detector {
    /// Loads an ONNX model with XRayEngine and makes a detector for it.
    public convenience init(model url: URL, configuration: DetectorConfiguration = .init(),
                            profile: CalibrationProfile? = nil) throws {
        let channels = configuration.inputChannels?.count
        let network = try EngineAnomalyNetwork(contentsOf: url, tileSize: configuration.tileSize, inputChannels: channels)
        try self.init(network: network, configuration: configuration, profile: profile)
    }
}
