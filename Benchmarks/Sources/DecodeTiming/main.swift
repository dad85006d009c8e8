import CDecodeLoop
import DecodeFixture
import Foundation
import XRayImaging

// Usage: DecodeTiming [iterations] [png|lzw|none|all] [swift|c|both]
// Prints best and median thread CPU time and megapixels/s for each path.

let args = CommandLine.arguments
let iterations = args.count > 1 ? Int(args[1]) ?? 15 : 15
let which = args.count > 2 ? args[2] : "all"
let paths = args.count > 3 ? args[3] : "both"
let side = DecodeFixture.side
let scan = DecodeFixture.scan()
let cDecode = DecodeFixture.cDecode

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
var cases: [(String, Data, DecodeFixture.CLoop)] = []
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
