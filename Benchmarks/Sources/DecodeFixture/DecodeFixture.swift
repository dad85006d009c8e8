import CDecodeLoop
import Foundation
import XRayImaging

/// The decode benchmarks' shared input and C baseline: a 4096 × 4096 16-bit gray scan.
public enum DecodeFixture {
    public static let side = 4096

    /// A scan-like image: smooth attenuation gradients, a few dense blocks, noise (fixed seed).
    public static func scan() -> XRayImage {
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
    }

    public typealias CLoop = (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt16>?, Int) -> Int32

    /// Decodes `data` with one of CDecodeLoop's plain C loops (`cdecodeloop_png_gray16`,
    /// `cdecodeloop_tiff_gray16`). Uninitialised output, like the Swift path: neither pays for zero-filling.
    public static func cDecode(_ data: Data, _ f: CLoop) -> [UInt16] {
        [UInt16](unsafeUninitializedCapacity: side * side) { out, n in
            let rc = data.withUnsafeBytes { raw in
                f(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, out.baseAddress, out.count)
            }
            precondition(rc == 0, "C baseline failed")
            n = side * side
        }
    }
}
