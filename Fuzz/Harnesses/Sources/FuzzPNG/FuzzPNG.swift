// libFuzzer harness: PNG decode from memory (and page counting, which sniffs the format).
import Foundation
import FuzzDriver
import XRayImaging

// Tighter than .standard so that a header which is merely large (but legal) does not
// trip libFuzzer's RSS limit; the checks under test are the same.
let limits = DecodeLimits(maxPixels: 16 << 20, maxBytes: 256 << 20)

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>>>) -> Int32 {
    // XRAY_FUZZ_WRITE_SEEDS=DIR: write the seed corpus with the project's encoder, then exit.
    if let dir = ProcessInfo.processInfo.environment["XRAY_FUZZ_WRITE_SEEDS"] {
        let url = URL(fileURLWithPath: dir)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        func img(_ w: Int, _ h: Int, _ ch: [XRayImage.ChannelMeaning], _ px: XRayImage.Pixels) -> XRayImage {
            try! XRayImage(width: w, height: h, channelMeanings: ch, pixels: px)
        }
        let seeds: [(String, XRayImage)] = [
            ("gray8", img(7, 5, [.gray], .uint8((0..<35).map { UInt8($0 * 7 & 255) }))),
            ("gray16", img(5, 4, [.gray], .uint16((0..<20).map { UInt16($0 * 3001 & 0xffff) }))),
            ("rgb8", img(3, 3, [.red, .green, .blue], .uint8((0..<27).map { UInt8($0 * 9) }))),
            ("rgba16", img(2, 3, [.red, .green, .blue, .alpha], .uint16((0..<24).map { UInt16($0 * 2000) }))),
            ("grayalpha8", img(4, 2, [.gray, .alpha], .uint8((0..<16).map { UInt8($0 * 16) }))),
        ]
        for (name, image) in seeds { try! ImageEncoder.png(image).write(to: url.appendingPathComponent("\(name).png")) }
        exit(0)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let data = Data(bytes: bytes, count: count)
    _ = try? ImageDecoder.pageCount(data: data)
    if let image = try? ImageDecoder.decode(data: data, limits: limits) {
        precondition(image.pixels.count == image.width * image.height * image.channels)
    }
    return 0
}

runFuzzer(fuzz)
