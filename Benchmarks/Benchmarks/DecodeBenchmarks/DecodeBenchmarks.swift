import Benchmark
import CDecodeLoop
import Foundation
import XRayImaging

// Decode of a 4096 × 4096 16-bit gray scan: the Swift API against a plain C loop
// over the same libpng/libtiff calls. Throughput × 16.78 = megapixels per second.
// On a shared machine compare CPU (total): wall clock swings with other load.

let side = 4096

/// A scan-like image: smooth attenuation gradients, a few dense blocks, noise.
let scan: XRayImage = {
    var state: UInt32 = 12345
    var px = [UInt16](repeating: 0, count: side * side)
    for y in 0..<side {
        for x in 0..<side {
            state = state &* 1_664_525 &+ 1_013_904_223
            var v = 40_000 - (x + y) * 4 + Int(state >> 26)
            if (x / 512 + y / 512) % 5 == 0 { v -= 20_000 }
            px[y * side + x] = UInt16(clamping: v)
        }
    }
    return try! XRayImage(width: side, height: side, channelMeanings: [.gray], pixels: .uint16(px))
}()

let pngData = try! ImageEncoder.png(scan, compressionLevel: 6)
let tiffLZW = try! ImageEncoder.tiff([scan], compression: .lzw)
let tiffRaw = try! ImageEncoder.tiff([scan], compression: .none)

func cDecode(_ data: Data, _ f: (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt16>?, Int) -> Int32) -> [UInt16] {
    // Uninitialised, like the Swift path: neither side pays for zero-filling.
    [UInt16](unsafeUninitializedCapacity: side * side) { out, n in
        let rc = data.withUnsafeBytes { raw in
            f(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, out.baseAddress, out.count)
        }
        precondition(rc == 0, "C baseline failed")
        n = side * side
    }
}

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
