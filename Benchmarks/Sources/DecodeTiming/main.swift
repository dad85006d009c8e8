import CDecodeLoop
import Foundation
import XRayImaging

// Usage: DecodeTiming [iterations] [png|lzw|none|all] [swift|c|both]
// Prints best and median thread CPU time and megapixels/s for each path.

let args = CommandLine.arguments
let iterations = args.count > 1 ? Int(args[1]) ?? 15 : 15
let which = args.count > 2 ? args[2] : "all"
let paths = args.count > 3 ? args[3] : "both"
let side = 4096

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
let scan = try! XRayImage(width: side, height: side, channelMeanings: [.gray], pixels: .uint16(px))

typealias CLoop = (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt16>?, Int) -> Int32
func cDecode(_ data: Data, _ f: CLoop) -> [UInt16] {
    [UInt16](unsafeUninitializedCapacity: side * side) { out, n in
        let rc = data.withUnsafeBytes { f($0.bindMemory(to: UInt8.self).baseAddress, $0.count, out.baseAddress, out.count) }
        precondition(rc == 0)
        n = side * side
    }
}

func time(_ body: () -> Void) -> (best: Double, median: Double) {
    var t: [Double] = []
    for _ in 0..<iterations {
        // Thread CPU time: on a shared, loaded machine it is far steadier than wall time.
        var a = timespec(), b = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a)
        body()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b)
        t.append(Double(b.tv_sec - a.tv_sec) + Double(b.tv_nsec - a.tv_nsec) / 1e9)
    }
    t.sort()
    return (t[0], t[t.count / 2])
}

let mp = Double(side * side) / 1e6
var cases: [(String, Data, CLoop)] = []
if which == "png" || which == "all" { cases.append(("PNG", try! ImageEncoder.png(scan, compressionLevel: 6), cdecodeloop_png_gray16)) }
if which == "lzw" || which == "all" { cases.append(("TIFF LZW", try! ImageEncoder.tiff([scan], compression: .lzw), cdecodeloop_tiff_gray16)) }
if which == "none" || which == "all" { cases.append(("TIFF none", try! ImageEncoder.tiff([scan], compression: .none), cdecodeloop_tiff_gray16)) }

for (name, data, loop) in cases {
    var sink = 0
    if paths != "c" {
        let s = time { sink &+= (try! ImageDecoder.decode(data: data)).width }
        print("\(name) Swift: best \(String(format: "%.1f", s.best * 1000)) ms (\(String(format: "%.0f", mp / s.best)) MP/s), median \(String(format: "%.1f", s.median * 1000)) ms")
    }
    if paths != "swift" {
        let c = time { sink &+= cDecode(data, loop).count }
        print("\(name) C:     best \(String(format: "%.1f", c.best * 1000)) ms (\(String(format: "%.0f", mp / c.best)) MP/s), median \(String(format: "%.1f", c.median * 1000)) ms")
    }
    if sink == 42 { print("") }
}
