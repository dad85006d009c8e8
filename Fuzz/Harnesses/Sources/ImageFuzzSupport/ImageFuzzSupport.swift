// What the PNG and TIFF harnesses share: their decode limits and the seed-writing mode.
import Foundation
import XRayImaging

/// Tighter than .standard so that a header which is merely large (but legal) does not
/// trip libFuzzer's RSS limit; the checks under test are the same.
public let fuzzDecodeLimits = DecodeLimits(maxPixels: 16 << 20, maxBytes: 256 << 20)

/// `XRAY_FUZZ_WRITE_SEEDS=DIR`: creates DIR, lets `write` put the seed corpus there with the
/// project's encoder, then exits. Without the variable it returns and fuzzing goes on.
public func writeSeedsIfAsked(_ write: (URL) throws -> Void) {
    guard let dir = ProcessInfo.processInfo.environment["XRAY_FUZZ_WRITE_SEEDS"] else { return }
    let url = URL(fileURLWithPath: dir)
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    try! write(url)
    exit(0)
}

/// A small seed image (the inputs are valid by construction).
public func seedImage(_ w: Int, _ h: Int, _ channels: [XRayImage.ChannelMeaning], _ pixels: XRayImage.Pixels) -> XRayImage {
    try! XRayImage(width: w, height: h, channelMeanings: channels, pixels: pixels)
}
