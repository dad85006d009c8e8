import Foundation
import XCTest
import XRayEngine

/// Runs every model in Goldens/manifest.json and compares with ONNX Runtime's outputs.
final class GoldenTests: XCTestCase {
    struct Manifest: Decodable {
        struct Tensor: Decodable { let name: String; let shape: [Int]; let file: String }
        struct Case: Decodable { let name: String; let model: String; let inputs: [Tensor]; let outputs: [Tensor] }
        let cases: [Case]
    }

    static var goldens: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Goldens")
    }

    static func readFloats(_ file: String) throws -> [Float] {
        let data = try Data(contentsOf: goldens.appendingPathComponent(file))
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    /// Max abs error and tolerance `1e-4 * max(1, range)`.
    static func compare(_ got: [Float], _ want: [Float]) -> (Float, Float) {
        let lo = want.min() ?? 0, hi = want.max() ?? 0
        let tol = 1e-4 * max(1, hi - lo)
        var err: Float = 0
        for (a, b) in zip(got, want) { err = max(err, abs(a - b)); if a.isNaN != b.isNaN { err = .infinity } }
        return (err, tol)
    }

    static func manifest() throws -> Manifest {
        let data = try Data(contentsOf: goldens.appendingPathComponent("manifest.json"))
        return try JSONDecoder().decode(Manifest.self, from: data)
    }

    /// Runs one case on `threads` threads; false (after recording the failures) when an output differs.
    @discardableResult
    func check(_ c: Manifest.Case, threads: Int = 1) -> Bool {
        do {
            let model = try Model(contentsOf: Self.goldens.appendingPathComponent(c.model))
            var shapes: [String: [Int]] = [:]
            var feeds: [String: XRayEngine.Tensor] = [:]
            for i in c.inputs {
                shapes[i.name] = i.shape
                feeds[i.name] = XRayEngine.Tensor(try Self.readFloats(i.file), shape: i.shape)
            }
            let session = try model.makeSession(inputShapes: shapes, threads: threads)
            let outs = try session.run(feeds)
            var ok = true
            for o in c.outputs {
                guard let got = outs[o.name] else { XCTFail("\(c.name): missing output \(o.name)"); ok = false; continue }
                XCTAssertEqual(got.shape, o.shape, "\(c.name): output \(o.name) shape")
                guard got.shape == o.shape else { ok = false; continue }
                let (err, tol) = Self.compare(got.toArray(), try Self.readFloats(o.file))
                if !(err <= tol) {
                    XCTFail("\(c.name) (\(threads) threads): output \(o.name) max abs error \(err) > \(tol)")
                    ok = false
                }
            }
            return ok
        } catch {
            XCTFail("\(c.name): \(error)")
            return false
        }
    }

    func testAllGoldens() throws {
        let manifest = try Self.manifest()
        XCTAssertGreaterThan(manifest.cases.count, 50)
        let passed = manifest.cases.filter { check($0) }.map(\.name)
        print("goldens passed: \(passed.count)/\(manifest.cases.count)")
    }

    /// A Conv and the MaxPool that alone reads it become one step (ResNet's stem), pooled row by
    /// row where the convolution is the implicit GEMM. The goldens `conv_maxpool_*` run here
    /// also on 2 and 3 threads (bands of pooled rows, each starting with a recomputed row).
    func testConvMaxPoolIsFused() throws {
        let resnet = try Model(contentsOf: Self.goldens.appendingPathComponent("net_resnet.onnx"))
        XCTAssertEqual(resnet.optimizedOperatorCounts["XRayConvMaxPool"], 1)
        XCTAssertNil(resnet.optimizedOperatorCounts["MaxPool"])
        let cases = try Self.manifest().cases.filter { $0.name.hasPrefix("conv_maxpool_") }
        XCTAssertEqual(cases.count, 5)
        for c in cases {
            let model = try Model(contentsOf: Self.goldens.appendingPathComponent(c.model))
            // conv_maxpool_shared's convolution output is also a graph output: nothing to fuse.
            XCTAssertEqual(model.optimizedOperatorCounts["XRayConvMaxPool"], c.name == "conv_maxpool_shared" ? nil : 1,
                           c.name)
            for threads in [2, 3] { check(c, threads: threads) }
        }
    }

    /// A Conv and the GlobalAveragePool that alone reads it become one step (MobileNetV2's last
    /// convolution), averaged tile by tile where the convolution is the transposed 1×1 GEMM
    /// (`conv_gap_pointwise`); the goldens `conv_gap_*` run on 1–3 threads.
    func testConvGlobalAveragePoolIsFused() throws {
        let cases = try Self.manifest().cases.filter { $0.name.hasPrefix("conv_gap_") }
        XCTAssertEqual(cases.count, 3)
        for c in cases {
            let model = try Model(contentsOf: Self.goldens.appendingPathComponent(c.model))
            // conv_gap_shared's convolution output is also a graph output: nothing to fuse.
            XCTAssertEqual(model.optimizedOperatorCounts["XRayConvGlobalAveragePool"],
                           c.name == "conv_gap_shared" ? nil : 1, c.name)
            for threads in [1, 2, 3] { check(c, threads: threads) }
        }
    }

    func testConvAddIsFused() throws {
        // ResNet's eight residual Adds each end in their convolution (with the ReLU after them).
        let resnet = try Model(contentsOf: Self.goldens.appendingPathComponent("net_resnet.onnx"))
        XCTAssertGreaterThan(resnet.optimizedOperatorCounts["XRayConvAdd"] ?? 0, 0)
        XCTAssertNil(resnet.optimizedOperatorCounts["Add"])
        let cases = try Self.manifest().cases.filter { $0.name.hasPrefix("conv_add_") }
        XCTAssertEqual(cases.count, 5)
        for c in cases {
            let model = try Model(contentsOf: Self.goldens.appendingPathComponent(c.model))
            XCTAssertEqual(model.optimizedOperatorCounts["XRayConvAdd"], 1, c.name)
            // conv_add_two_convs: the 1 x 1 shortcut stays a Conv of its own.
            XCTAssertEqual(model.optimizedOperatorCounts["Conv"], c.name == "conv_add_two_convs" ? 1 : nil, c.name)
            for threads in [1, 2, 3] { check(c, threads: threads) }
        }
    }

    func testSessionsForSeveralSizesShareOneModel() throws {
        let model = try Model(contentsOf: Self.goldens.appendingPathComponent("net_unet_legacy.onnx"))
        XCTAssertEqual(model.inputs.first?.shape.count, 4)
        XCTAssertNil(model.inputs.first?.shape[2], "H is symbolic")
        XCTAssertEqual(model.opsetVersion, 13)
        for (h, w) in [(16, 24), (32, 32), (8, 40)] {
            let s = try model.makeSession(inputShapes: ["input": [1, 1, h, w]])
            XCTAssertEqual(s.outputShapes["output"], [1, 1, h, w])
            XCTAssertGreaterThan(s.macCount, 0)
            XCTAssertGreaterThan(s.peakMemoryBytes, 0)
            let y = try s.run(Tensor(zeros: [1, 1, h, w]))
            XCTAssertEqual(y.shape, [1, 1, h, w])
        }
    }

    /// A detector-sized input through the reference kernels: shapes, finiteness, timing.
    func testUNetAt256() throws {
        let model = try Model(contentsOf: Self.goldens.appendingPathComponent("net_unet_sized_opset11.onnx"))
        for shape in [[1, 1, 256, 256], [2, 1, 64, 48]] {
            let session = try model.makeSession(inputShapes: ["input": shape])
            let n = shape.reduce(1, *)
            let x = Tensor((0..<n).map { Float(($0 * 7919) % 1000) / 1000 }, shape: shape)
            let start = Date()
            let y = try session.run(x)
            let seconds = Date().timeIntervalSince(start)
            XCTAssertEqual(y.shape, shape)
            XCTAssertTrue(y.toArray().allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
            print("U-Net \(shape): \(Int(seconds * 1000)) ms, \(session.macCount) MACs, "
                  + "\(String(format: "%.2f", 2 * Double(session.macCount) / seconds / 1e9)) GFLOP/s, "
                  + "\(session.peakMemoryBytes / 1024) KiB activations, \(session.stepCount) steps")
        }
    }

    /// Shape chains (Shape → Concat → Resize) are re-folded for each prepared size.
    func testDynamicExportAtSeveralSizes() throws {
        for file in ["net_unet_sized_dynamo_dynamic", "net_unet_sized_opset11"] {
            let model = try Model(contentsOf: Self.goldens.appendingPathComponent(file + ".onnx"))
            for shape in [[1, 1, 24, 32], [1, 1, 64, 48], [1, 1, 128, 8]] {
                let y = try model.makeSession(inputShapes: ["input": shape]).run(Tensor(zeros: shape))
                XCTAssertEqual(y.shape, shape, file)
            }
        }
    }

    /// MobileNet's pointwise → depthwise → pointwise chains become one block, run in bands of
    /// rows (the goldens `pw_dw_pw_block_*` check it on images of one band, `pw_dw_pw_bands_*`
    /// on wide ones of several); so does a first layer with a small kernel before a depthwise
    /// convolution (`pw_dw_pw_stem_*`; on a map narrower than 8 pixels it runs unfused), and
    /// the residual `Add` that reads a block (`pw_dw_pw_residual_*`, `residual_broadcast_*`).
    func testPointwiseDepthwiseBlocksAreFused() throws {
        let model = try Model(contentsOf: Self.goldens.appendingPathComponent("net_mobilenetv2.onnx"))
        XCTAssertEqual(model.optimizedOperatorCounts["XRayPointwiseDepthwise"], 4)
        XCTAssertNil(model.optimizedOperatorCounts["Add"])
        for file in ["pw_dw_pw_block_small", "pw_dw_pw_block_large", "pw_dw_pw_block_dilated", "pw_dw_pw_bands_s2",
                     "pw_dw_pw_bands_5x5", "pw_dw_pw_bands_dilated", "pw_dw_pw_split_7rows", "pw_dw_pw_split_s2_deep",
                     "pw_dw_pw_stem_s2", "pw_dw_pw_stem_5x5", "pw_dw_pw_stem_narrow", "pw_dw_pw_residual_bands",
                     "pw_dw_pw_residual_7rows", "residual_broadcast_pw_dw_pw", "pw_dw_pw_split_one_thread"] {
            let m = try Model(contentsOf: Self.goldens.appendingPathComponent(file + ".onnx"))
            // pw_dw_pw_split_7rows has a 3 × 3 convolution before its block.
            XCTAssertEqual(m.optimizedOperatorCounts,
                           file == "pw_dw_pw_split_7rows" ? ["XRayPointwiseDepthwise": 1, "Conv": 1]
                                                          : ["XRayPointwiseDepthwise": 1], file)
        }
    }

    /// The pointwise-depthwise goldens with 2 and 3 threads: the block splits its output rows
    /// into one range per worker, each computing the input rows it shares with the next again;
    /// 7 rows (`pw_dw_pw_split_*`, `pw_dw_pw_residual_7rows`) it splits by expanded channels
    /// instead (`pw_dw_pw_split_one_thread` also on one thread).
    func testPointwiseDepthwiseBlocksWithThreads() throws {
        let data = try Data(contentsOf: Self.goldens.appendingPathComponent("manifest.json"))
        let cases = try JSONDecoder().decode(Manifest.self, from: data).cases.filter { $0.name.hasPrefix("pw_dw_pw_") }
        XCTAssertEqual(cases.count, 14)
        for c in cases {
            let model = try Model(contentsOf: Self.goldens.appendingPathComponent(c.model))
            let input = c.inputs[0], output = c.outputs[0]
            let x = Tensor(try Self.readFloats(input.file), shape: input.shape)
            let want = try Self.readFloats(output.file)
            for threads in [2, 3] {
                let session = try model.makeSession(inputShapes: [input.name: input.shape], threads: threads)
                let (err, tol) = Self.compare(try session.run(x).toArray(), want)
                XCTAssertLessThanOrEqual(err, tol, "\(c.name), \(threads) threads")
            }
        }
    }

    func testConcurrentSessions() throws {
        let model = try Model(contentsOf: Self.goldens.appendingPathComponent("net_mobilenetv2.onnx"))
        let x = Tensor((0..<1024).map { Float($0 % 17) / 17 }, shape: [1, 1, 32, 32])
        let reference = try model.makeSession(inputShapes: ["input": [1, 1, 32, 32]]).run(x).toArray()
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var ok = [Bool](repeating: false, count: 4)
            func set(_ i: Int, _ v: Bool) { lock.lock(); ok[i] = v; lock.unlock() }
        }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            guard let s = try? model.makeSession(inputShapes: ["input": [1, 1, 32, 32]]) else { return }
            var ok = true
            for _ in 0..<3 { ok = ok && ((try? s.run(x).toArray()) == reference) }
            results.set(i, ok)
        }
        XCTAssertTrue(results.ok.allSatisfy { $0 })
    }

    func testExternalDataAndMetadata() throws {
        let model = try Model(contentsOf: Self.goldens.appendingPathComponent("external_data.onnx"))
        XCTAssertEqual(model.metadata["author"], "make_goldens")
        XCTAssertEqual(model.inputs.first?.dimensionNames, ["batch", nil, "height", "width"])
        let session = try model.makeSession(inputShapes: ["x": [1, 2, 5, 6]])
        let y = try session.run(Tensor(try Self.readFloats("external_data.in.0.bin"), shape: [1, 2, 5, 6]))
        let (err, tol) = Self.compare(y.toArray(), try Self.readFloats("external_data.out.0.bin"))
        XCTAssertLessThanOrEqual(err, tol)
        // Without a directory the external file cannot be found.
        let bytes = try Data(contentsOf: Self.goldens.appendingPathComponent("external_data.onnx"))
        XCTAssertThrowsError(try Model(data: bytes)) { error in
            guard case EngineError.externalData = error else { return XCTFail("\(error)") }
        }
    }

    func testModelInfo() throws {
        let model = try Model(contentsOf: Self.goldens.appendingPathComponent("conv_bn_relu_fold_fuse.onnx"))
        XCTAssertEqual(model.operatorCounts, ["Conv": 1, "BatchNormalization": 1, "Relu": 1])
        XCTAssertEqual(model.optimizedOperatorCounts, ["Conv+Relu": 1])
        XCTAssertTrue(model.summary.contains("Conv+Relu×1"), model.summary)
        let s = try model.makeSession(inputShapes: ["x": [1, 3, 9, 11]])
        XCTAssertEqual(s.stepCount, 1)
        XCTAssertEqual(s.macCount, 1 * 4 * 9 * 11 * 3 * 9)
    }

    func testTensorBasics() {
        var t = Tensor([1, 2, 3, 4, 5, 6], shape: [1, 2, 3])
        let copy = t
        t.withUnsafeMutableBufferPointer { $0[0] = 10 }
        XCTAssertEqual(t.toArray()[0], 10)
        XCTAssertEqual(copy.toArray()[0], 1, "copy-on-write")
        t.withUnsafeBufferPointer { XCTAssertEqual(Int(bitPattern: $0.baseAddress!) % 64, 0) }
        XCTAssertEqual(t.reshaped([6]).shape, [6])
    }
}
