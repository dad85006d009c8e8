import Foundation
import XCTest
import XRayImaging

/// Replays Regressions/: crafted and fuzzer-found inputs. None may crash, hang or
/// allocate its claimed size. Files named `ok_*` may decode; every other file must throw
/// an ImageCodecError from `decode`. Add each new crashing input here (see Fuzz/README.md).
final class RegressionCorpusTests: XCTestCase {
    static let directory = Bundle.module.url(forResource: "Regressions", withExtension: nil)!

    func testEveryRegressionInputIsHandled() throws {
        let files = try FileManager.default.contentsOfDirectory(at: Self.directory, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
        XCTAssertFalse(files.isEmpty)
        for url in files {
            let data = try Data(contentsOf: url)
            let name = url.lastPathComponent
            let start = Date()
            let pages = (try? ImageDecoder.pageCount(data: data)) ?? 1
            for page in 1..<min(max(pages, 1), 4) { _ = try? ImageDecoder.decode(data: data, page: page) }
            _ = try? ImageDecoder.decodeDualEnergy(data: data)
            _ = try? ImageDecoder.decode(contentsOf: url)
            if name.hasPrefix("ok_") {
                _ = try? ImageDecoder.decode(data: data)
            } else {
                assertCodecError { try ImageDecoder.decode(data: data) }
            }
            XCTAssertLessThan(Date().timeIntervalSince(start), 2, "\(name) took too long")
        }
    }

    /// Lying headers and decompression bombs inside the default pixel limits are refused
    /// from the header and the file size, before the pixel buffer is allocated.
    func testBombsAreRefusedBeforeAllocating() throws {
        for name in ["png_lying_header_20000x20000.png", "png_deflate_bomb_20000x19000.png",
                     "tiff_deflate_bomb_20000x10000.tiff", "tiff_lying_header_16000x16000.tiff",
                     "tiff_lzw_garbage_12000x12000.tiff"] {
            let url = Self.directory.appendingPathComponent(name)
            for body in [{ try ImageDecoder.decode(data: Data(contentsOf: url)) }, { try ImageDecoder.decode(contentsOf: url) }] {
                do {
                    _ = try body()
                    XCTFail("\(name) decoded")
                } catch let e as ImageCodecError {
                    XCTAssertEqual(e.kind, .truncated, "\(name): \(e)")
                    XCTAssertTrue("\(e)".contains("cannot hold"), "\(name) was not refused from the header: \(e)")
                }
            }
        }
    }

    /// Two pages that each fit the limits must not add up to more than `maxBytes`.
    func testDualEnergyRespectsTheByteLimitForBothPages() throws {
        let page = try XRayImage(width: 100, height: 100, channelMeanings: [.gray], pixels: .uint16(Array(repeating: 7, count: 10_000)))
        let data = try ImageEncoder.tiff([page, page], compression: .none)
        let limits = DecodeLimits(maxPixels: 1 << 20, maxBytes: 30_000)
        XCTAssertNoThrow(try ImageDecoder.decode(data: data, page: 1, limits: limits))
        assertCodecError(.tooLarge) { try ImageDecoder.decodeDualEnergy(data: data, limits: limits) }
        XCTAssertEqual(try ImageDecoder.decodeDualEnergy(data: data).channels, 2)
    }
}
