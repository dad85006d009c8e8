import Foundation
import XCTest
import XRayEngine

/// Replays Regressions/: crafted and fuzzer-found models. Each must be rejected with an
/// EngineError (by the loader or by makeSession) quickly and without allocating what it
/// declares; `ok_*` files may load and run. Add each new crashing input here (Fuzz/README.md).
final class RegressionCorpusTests: XCTestCase {
    static let directory = Bundle.module.url(forResource: "Regressions", withExtension: nil)!

    func testEveryRegressionModelIsRejected() throws {
        let files = try FileManager.default.contentsOfDirectory(at: Self.directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "onnx" }.sorted { $0.path < $1.path }
        XCTAssertFalse(files.isEmpty)
        for url in files {
            let name = url.lastPathComponent
            let start = Date()
            do {
                let model = try Model(data: Data(contentsOf: url))
                var shapes: [String: [Int]] = [:]
                for input in model.inputs { shapes[input.name] = input.shape.map { min(max($0 ?? 8, 1), 32) } }
                let session = try model.makeSession(inputShapes: shapes, maximumMemoryBytes: 64 << 20)
                var feeds: [String: Tensor] = [:]
                for (n, shape) in session.inputShapes { feeds[n] = Tensor(zeros: shape) }
                _ = try session.run(feeds)
                XCTAssertTrue(name.hasPrefix("ok_"), "\(name) loaded and ran")
            } catch let e as EngineError {
                XCTAssertFalse(name.hasPrefix("ok_"), "\(name): \(e)")
            }
            XCTAssertLessThan(Date().timeIntervalSince(start), 2, "\(name) took too long")
        }
    }

    /// A long chain listed in reverse order used to make the topological sort quadratic
    /// (minutes for a few hundred kilobytes). It must load in well under a second per 10k nodes.
    func testReversedLongChainLoadsQuickly() throws {
        let n = 20_000
        var nodes: [[UInt8]] = []
        for i in (0..<n).reversed() {
            let input = i == 0 ? "x" : "t\(i - 1)", output = i == n - 1 ? "y" : "t\(i)"
            nodes.append(Proto.bytes(1, input) + Proto.bytes(2, output) + Proto.bytes(4, "Relu"))
        }
        let shape = Proto.message(2, Proto.message(1, Proto.varint(1, 1)) + Proto.message(1, Proto.bytes(2, "N")))
        let tensorType = Proto.message(1, Proto.varint(1, 1) + shape)
        func valueInfo(_ name: String) -> [UInt8] { Proto.bytes(1, name) + Proto.message(2, tensorType) }
        var graph = nodes.flatMap { Proto.message(1, $0) }
        graph += Proto.bytes(2, "chain") + Proto.message(11, valueInfo("x")) + Proto.message(12, valueInfo("y"))
        let model = Proto.varint(1, 8) + Proto.message(8, Proto.varint(2, 13)) + Proto.message(7, graph)
        let start = Date()
        let loaded = try Model(data: Data(model))
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        let out = try loaded.makeSession(inputShape: [1, 4]).run(Tensor([-1, 2, -3, 4], shape: [1, 4]))
        XCTAssertEqual(out.toArray(), [0, 2, 0, 4])
    }
}

/// Just enough protobuf wire format to write an ONNX model in a test.
enum Proto {
    static func rawVarint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        return out + [UInt8(v)]
    }
    static func varint(_ field: Int, _ v: UInt64) -> [UInt8] { rawVarint(UInt64(field << 3)) + rawVarint(v) }
    static func message(_ field: Int, _ body: [UInt8]) -> [UInt8] {
        rawVarint(UInt64(field << 3 | 2)) + rawVarint(UInt64(body.count)) + body
    }
    static func bytes(_ field: Int, _ s: String) -> [UInt8] { message(field, Array(s.utf8)) }
}
