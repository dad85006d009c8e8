import Foundation
import XCTest
import XRayEngine

/// Randomly corrupted models must throw `EngineError` (or load and run), never crash.
final class FuzzTests: XCTestCase {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func testCorruptedModelsNeverCrash() throws {
        var rng = SplitMix64(state: UInt64(ProcessInfo.processInfo.environment["FUZZ_SEED"] ?? "42")!)
        let files = ["conv_3x3_pad1", "torch_shape_chain", "resize_linear_half_pixel_x2", "slice_steps", "pad_reflect",
                     "maxpool_ceil", "split_input_opset13", "gemm_transb_bias", "net_mobilenet_opset11"]
        var loaded = 0, ran = 0, rejected = 0
        for file in files {
            let url = GoldenTests.goldens.appendingPathComponent(file + ".onnx")
            let original = try Data(contentsOf: url)
            for _ in 0..<300 {
                var bytes = [UInt8](original)
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                    case 1: bytes[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                    default: bytes[i] = [0, 1, 0x7f, 0x80, 0xff].randomElement(using: &rng)!
                    }
                }
                do {
                    let model = try Model(data: Data(bytes))
                    loaded += 1
                    var shapes: [String: [Int]] = [:]
                    for input in model.inputs {
                        shapes[input.name] = input.shape.map { min(max($0 ?? 8, 1), 64) }
                    }
                    let session = try model.makeSession(inputShapes: shapes, maximumMemoryBytes: 256 << 20)
                    var feeds: [String: Tensor] = [:]
                    for (name, shape) in session.inputShapes { feeds[name] = Tensor(zeros: shape) }
                    _ = try session.run(feeds)
                    ran += 1
                } catch is EngineError {
                    rejected += 1
                }
            }
        }
        print("fuzz: \(loaded) loaded, \(ran) ran, \(rejected) rejected with EngineError")
        XCTAssertGreaterThan(rejected, 0)
    }
}
