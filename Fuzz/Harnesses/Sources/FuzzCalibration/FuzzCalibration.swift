// libFuzzer harness: the detector's JSON calibration profile.
import Foundation
import FuzzDriver
import XRayDetection

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>>>) -> Int32 {
    // XRAY_FUZZ_WRITE_SEEDS=DIR: write the seed corpus with the project's encoder, then exit.
    if let dir = ProcessInfo.processInfo.environment["XRAY_FUZZ_WRITE_SEEDS"] {
        let url = URL(fileURLWithPath: dir)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let a = CalibrationProfile(modelName: "lcn", modelVersion: "1", modelSHA256: String(repeating: "ab", count: 32),
                                   threshold: 0.7, normalMean: 0.2, normalStd: 0.05, pixelMean: 0.1, pixelStd: 0.02,
                                   imageCount: 40, pixelCount: 1 << 20, target: .imageFalseAlarmRate(0.01),
                                   achievedFalseAlarmRate: 0.0, imageScoreMethod: .topKMean(16), smoothingSigma: 1.5,
                                   createdAt: Date(timeIntervalSince1970: 1_700_000_000), warnings: ["few scans"])
        var b = a
        b.target = .pixelQuantile(0.999); b.imageScoreMethod = .peak; b.modelName = nil; b.warnings = []
        try! a.jsonData().write(to: url.appendingPathComponent("image_far.json"))
        try! b.jsonData().write(to: url.appendingPathComponent("pixel_quantile.json"))
        exit(0)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let data = Data(bytes: bytes, count: count)
    if let profile = try? CalibrationProfile(jsonData: data) {
        // A profile that loads must round-trip.
        if let again = try? profile.jsonData() { _ = try? CalibrationProfile(jsonData: again) }
    }
    return 0
}

runFuzzer(fuzz)
