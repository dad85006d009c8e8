/// What the detector needs from a network: a function from one normalised input tile to one
/// anomaly plane of the same size.
///
/// A network is immutable and shared by every thread (`Sendable`); per-thread state such as an
/// engine `Session` and its scratch buffers lives in the runners it makes. The detector creates
/// one runner per worker thread, keeps them in a pool and never uses one runner from two threads
/// at once.
///
/// Input tiles are `inputChannels × tileSize × tileSize` floats, planar (channel 0 row by row,
/// then channel 1), already normalised as the model's metadata says (see ``ModelMetadata``).
/// The output is `tileSize × tileSize` floats: logits or probabilities, as the metadata key
/// `xrayscreen.output` says.
public protocol AnomalyNetwork: Sendable {
    /// Number of planes in an input tile (1 for single energy, 2 for high/low dual energy).
    var inputChannels: Int { get }
    /// Side of the square input and output tiles, in pixels.
    var tileSize: Int { get }
    /// The model's `metadata_props` (see ``ModelMetadata/Key``). Empty when the model has none.
    var metadata: [String: String] { get }
    /// Lower-case hexadecimal SHA-256 of the model file, when known (see ``SHA256``).
    var modelSHA256: String? { get }
    /// Bytes of scratch memory one runner holds while it runs; used to size the number of tiles
    /// in flight under ``DetectorConfiguration/memoryBudgetBytes``.
    var scratchBytesPerRunner: Int { get }
    /// Makes the per-thread state that runs tiles.
    func makeRunner() throws -> any AnomalyNetworkRunner
}

extension AnomalyNetwork {
    public var metadata: [String: String] { [:] }
    public var modelSHA256: String? { nil }
    public var scratchBytesPerRunner: Int { 0 }
}

/// Per-thread state that runs one tile at a time (for an engine model, one `Session`).
public protocol AnomalyNetworkRunner {
    /// Maps one tile (`inputChannels × tileSize × tileSize` floats, planar) to one anomaly plane
    /// (`tileSize × tileSize` floats) written to `map`.
    mutating func run(tile: UnsafePointer<Float>, into map: UnsafeMutablePointer<Float>) throws
}
