// libFuzzer harness: TIFF decode from memory: page counting, every page (up to 4),
// and the two-page dual-energy decode.
import Foundation
import FuzzDriver
import ImageFuzzSupport
import XRayImaging

let limits = fuzzDecodeLimits

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>>>) -> Int32 {
    writeSeedsIfAsked { url in
        let g8 = seedImage(7, 5, [.gray], .uint8((0..<35).map { UInt8($0 * 7 & 255) }))
        let g16a = seedImage(6, 4, [.gray], .uint16((0..<24).map { UInt16($0 * 2711 & 0xffff) }))
        let g16b = seedImage(6, 4, [.gray], .uint16((0..<24).map { UInt16(60000 - $0 * 1000) }))
        let f32 = seedImage(3, 4, [.gray], .float32((0..<12).map { Float($0) * 0.25 - 1 }))
        let rgb = seedImage(3, 2, [.red, .green, .blue], .uint8((0..<18).map { UInt8($0 * 13) }))
        let seeds: [(String, [XRayImage], TIFFCompression)] = [
            ("gray8_none", [g8], .none), ("gray8_lzw", [g8], .lzw),
            ("gray16_deflate", [g16a], .deflate), ("gray16_packbits", [g16a], .packBits),
            ("float32_none", [f32], .none), ("rgb8_lzw", [rgb], .lzw),
            ("dual16_lzw", [g16a, g16b], .lzw), ("dual16_none", [g16a, g16b], .none),
            ("three_pages_deflate", [g8, g16a, f32], .deflate),
        ]
        for (name, images, compression) in seeds {
            try ImageEncoder.tiff(images, compression: compression).write(to: url.appendingPathComponent("\(name).tiff"))
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let data = Data(bytes: bytes, count: count)
    let pages = (try? ImageDecoder.pageCount(data: data)) ?? 1
    for page in 0..<min(max(pages, 1), 4) {
        if let image = try? ImageDecoder.decode(data: data, page: page, limits: limits) {
            precondition(image.pixels.count == image.width * image.height * image.channels)
        }
    }
    if let dual = try? ImageDecoder.decodeDualEnergy(data: data, limits: limits) {
        precondition(dual.channels == 2 && dual.pixels.count == dual.width * dual.height * 2)
    }
    return 0
}

runFuzzer(fuzz)
