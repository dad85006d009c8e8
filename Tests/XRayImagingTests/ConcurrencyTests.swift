import Dispatch
import Foundation
import XCTest
import XRayImaging

final class ConcurrencyTests: XCTestCase {
    func testParallelDecodesMatchSerial() throws {
        var files: [Data] = []
        for i in 0..<4 {
            let img = Fixtures.gray16(128 + i, 96, seed: UInt64(i + 20))
            files.append(try ImageEncoder.png(img))
            files.append(try ImageEncoder.tiff([img, img], compression: TIFFCompression.allCases[i]))
        }
        // Include broken files: error paths must be thread safe too.
        files.append(files[0].prefix(200))
        files.append(files[1].prefix(300))
        let inputs = files
        let expected = inputs.map { try? ImageDecoder.decode(data: $0) }
        let rounds = 6
        let results = Results(count: inputs.count * rounds)
        DispatchQueue.concurrentPerform(iterations: inputs.count * rounds) { i in
            results.set(i, try? ImageDecoder.decode(data: inputs[i % inputs.count]))
        }
        for i in 0..<inputs.count * rounds {
            XCTAssertEqual(results.get(i), expected[i % files.count], "decode \(i)")
        }
        XCTAssertNil(expected[files.count - 1])
    }

    func testParallelFileDecodesMatchSerial() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xri-par-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var urls: [URL] = []
        for i in 0..<6 {
            let img = Fixtures.gray16(100 + i, 64, seed: UInt64(i + 40))
            let url = dir.appendingPathComponent("s\(i).\(i % 2 == 0 ? "png" : "tiff")")
            try img.write(to: url)
            urls.append(url)
        }
        let paths = urls
        let expected = try paths.map { try ImageDecoder.decode(contentsOf: $0) }
        let results = Results(count: paths.count * 8)
        DispatchQueue.concurrentPerform(iterations: paths.count * 8) { i in
            results.set(i, try? ImageDecoder.decode(contentsOf: paths[i % paths.count]))
        }
        for i in 0..<paths.count * 8 { XCTAssertEqual(results.get(i), expected[i % paths.count]) }
    }
}

/// Result slots written from many threads (each slot by one thread).
private final class Results: @unchecked Sendable {
    private var slots: [XRayImage?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: XRayImage?) { lock.lock(); slots[i] = v; lock.unlock() }
    func get(_ i: Int) -> XRayImage? { lock.lock(); defer { lock.unlock() }; return slots[i] }
}
