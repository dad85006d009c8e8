// libFuzzer harness: PNG decode from memory (and page counting, which sniffs the format).
import Foundation
import FuzzDriver
import ImageFuzzSupport
import XRayImaging

let limits = fuzzDecodeLimits

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>>>) -> Int32 {
    writeSeedsIfAsked { url in
        let seeds: [(String, XRayImage)] = [
            ("gray8", seedImage(7, 5, [.gray], .uint8((0..<35).map { UInt8($0 * 7 & 255) }))),
            ("gray16", seedImage(5, 4, [.gray], .uint16((0..<20).map { UInt16($0 * 3001 & 0xffff) }))),
            ("rgb8", seedImage(3, 3, [.red, .green, .blue], .uint8((0..<27).map { UInt8($0 * 9) }))),
            ("rgba16", seedImage(2, 3, [.red, .green, .blue, .alpha], .uint16((0..<24).map { UInt16($0 * 2000) }))),
            ("grayalpha8", seedImage(4, 2, [.gray, .alpha], .uint8((0..<16).map { UInt8($0 * 16) }))),
        ]
        for (name, image) in seeds { try ImageEncoder.png(image).write(to: url.appendingPathComponent("\(name).png")) }
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
