import Benchmark
import CDecodeLoop
import DecodeFixture
import Foundation
import XRayImaging

// Decode of a 4096 × 4096 16-bit gray scan: the Swift API against a plain C loop
// over the same libpng/libtiff calls. Throughput × 16.78 = megapixels per second.
// On a shared machine compare CPU (total): wall clock swings with other load.

let side = DecodeFixture.side
let scan = DecodeFixture.scan()

let pngData = try! ImageEncoder.png(scan, compressionLevel: 6)
let tiffLZW = try! ImageEncoder.tiff([scan], compression: .lzw)
let tiffRaw = try! ImageEncoder.tiff([scan], compression: .none)

let cDecode = DecodeFixture.cDecode

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        scalingFactor: .one,
        maxDuration: .seconds(8),
        maxIterations: 25
    )
    let cases: [(String, Data, (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt16>?, Int) -> Int32)] = [
        ("PNG", pngData, cdecodeloop_png_gray16),
        ("TIFF LZW", tiffLZW, cdecodeloop_tiff_gray16),
        ("TIFF none", tiffRaw, cdecodeloop_tiff_gray16),
    ]
    for (name, data, cLoop) in cases {
        // Both paths must agree before they are timed.
        precondition(try! ImageDecoder.decode(data: data) == scan && cDecode(data, cLoop) == { if case .uint16(let p) = scan.pixels { return p }; return [] }())
        Benchmark("\(name) 4096² 16-bit, Swift ImageDecoder") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try ImageDecoder.decode(data: data)) }
        }
        Benchmark("\(name) 4096² 16-bit, C loop") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(cDecode(data, cLoop)) }
        }
    }
}
