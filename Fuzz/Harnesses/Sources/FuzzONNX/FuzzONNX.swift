// libFuzzer harness: ONNX model load (protobuf parse, graph passes, operator creation),
// makeSession for a small input shape (shape inference, memory planning, weight packing)
// and one run on zeros when the plan is small.
import Foundation
import FuzzDriver
import XRayEngine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let data = Data(bytes: bytes, count: count)
    // No baseDirectory: external-data tensors must be rejected, never read from disk.
    guard let model = try? Model(data: data) else { return 0 }
    _ = model.summary
    var shapes: [String: [Int]] = [:]
    for input in model.inputs {
        // Symbolic dimensions get 8; declared ones are kept when small (a mismatch is
        // then rejected by makeSession, which is also worth exercising).
        shapes[input.name] = input.shape.map { min(max($0 ?? 8, 1), 32) }
    }
    guard let session = try? model.makeSession(inputShapes: shapes, maximumMemoryBytes: 64 << 20) else { return 0 }
    // The run itself is bounded by the plan; only skip plans that are merely slow.
    guard session.macCount < 50_000_000 else { return 0 }
    var feeds: [String: Tensor] = [:]
    for (name, shape) in session.inputShapes { feeds[name] = Tensor(zeros: shape) }
    _ = try? session.run(feeds)
    return 0
}

runFuzzer(fuzz)
