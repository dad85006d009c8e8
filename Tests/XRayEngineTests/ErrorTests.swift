import Foundation
import XCTest
import XRayEngine

/// Malformed and unsupported models throw named errors and never crash.
final class ErrorTests: XCTestCase {
    func url(_ name: String) -> URL { GoldenTests.goldens.appendingPathComponent(name) }

    func expectError(_ file: String, _ check: (EngineError) -> Bool, line: UInt = #line) {
        XCTAssertThrowsError(try Model(contentsOf: url(file)).makeSession(inputShapes: [:]), line: line) { error in
            guard let e = error as? EngineError else { return XCTFail("not an EngineError: \(error)", line: line) }
            XCTAssertTrue(check(e), "unexpected \(e)", line: line)
            XCTAssertFalse(e.description.isEmpty)
        }
    }

    func testTruncatedBytes() throws {
        let bytes = try Data(contentsOf: url("conv_3x3_pad1.onnx"))
        for cut in [1, 7, bytes.count / 3, bytes.count / 2, bytes.count - 3] {
            XCTAssertThrowsError(try Model(data: bytes.prefix(cut))) { error in
                guard case EngineError.malformedModel = error else { return XCTFail("cut \(cut): \(error)") }
            }
        }
    }

    func testGarbageAndEmpty() {
        XCTAssertThrowsError(try Model(data: Data())) { XCTAssertTrue($0 is EngineError) }
        XCTAssertThrowsError(try Model(data: Data((0..<500).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }))) { XCTAssertTrue($0 is EngineError) }
    }

    func testUnknownOperator() {
        expectError("bad_unknown_op.onnx") {
            guard case .unsupportedOperator(let node, let op) = $0 else { return false }
            return node == "mystery" && op == "FancyOp" && $0.description.contains("mystery")
        }
    }

    func testMissingInitializer() {
        expectError("bad_missing_initializer.onnx") {
            guard case .missingInput(let node, let op, let name) = $0 else { return false }
            return node == "conv0" && op == "Conv" && name == "W_missing"
        }
    }

    func testAbsurdTensorDeclaration() {
        expectError("bad_huge_dims.onnx") { if case .resourceLimit = $0 { return true }; return false }
    }

    func testShortRawData() {
        expectError("bad_short_raw_data.onnx") { if case .malformedModel = $0 { return true }; return false }
    }

    func testUnsupportedOpset() {
        expectError("bad_opset_99.onnx") { if case .unsupportedOpset(_, 99) = $0 { return true }; return false }
    }

    func testUnsupportedAttribute() {
        expectError("bad_bad_attribute.onnx") {
            guard case .unsupportedAttribute(let node, let op, _) = $0 else { return false }
            return node == "rs" && op == "Resize"
        }
    }

    func testChannelMismatch() {
        expectError("bad_conv_channel_mismatch.onnx") {
            guard case .shapeMismatch(let node, "Conv", _) = $0 else { return false }
            return node == "convA"
        }
    }

    func testWrongInputShape() throws {
        let model = try Model(contentsOf: url("conv_3x3_pad1.onnx"))
        XCTAssertThrowsError(try model.makeSession(inputShapes: ["x": [1, 2, 9, 11]])) { e in
            guard case EngineError.shapeMismatch = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try model.makeSession(inputShapes: ["nope": [1, 3, 9, 11]])) { e in
            guard case EngineError.invalidInput = e else { return XCTFail("\(e)") }
        }
        let session = try model.makeSession(inputShapes: ["x": [1, 3, 9, 11]])
        XCTAssertThrowsError(try session.run(Tensor(zeros: [1, 3, 9, 10]))) { e in
            guard case EngineError.shapeMismatch = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try session.run([:])) { e in
            guard case EngineError.invalidInput = e else { return XCTFail("\(e)") }
        }
        // Symbolic dims must be given.
        let ext = try Model(contentsOf: url("external_data.onnx"))
        XCTAssertThrowsError(try ext.makeSession()) { e in
            guard case EngineError.invalidInput = e else { return XCTFail("\(e)") }
        }
        // Too small for the kernel window.
        XCTAssertThrowsError(try Model(contentsOf: url("conv_valid.onnx")).makeSession(inputShapes: ["x": [1, 3, 2, 2]])) { e in
            guard case EngineError.shapeMismatch = e else { return XCTFail("\(e)") }
        }
    }
}
