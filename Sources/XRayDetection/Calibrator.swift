import Foundation
import XRayImaging

/// Calibrates a detector on normal scans only.
///
/// Feed normal scans one at a time with ``add(_:)`` (each is run through the detector's raw
/// pipeline: normalisation, tiles, stitching, smoothing, image score; or measure several at once
/// with ``measure(_:detector:)`` and add the measurements in order), then call
/// ``makeProfile(target:createdAt:)``. Image scores and a histogram of pixel scores are kept, not
/// the maps, so memory does not grow with the number of scans.
public struct Calibrator {
    public let detector: Detector
    /// Raw image scores of the scans added so far.
    public private(set) var imageScores: [Double] = []
    private var pixelHistogram = [Int](repeating: 0, count: 1 << 16)
    private var pixelSum = 0.0, pixelSumOfSquares = 0.0
    public private(set) var pixelCount = 0

    public init(detector: Detector) { self.detector = detector }

    /// What one normal scan contributes: its raw map (pixel scores) and image score.
    public struct Measurement: Sendable {
        public let imageScore: Double
        let map: [Float]
    }

    /// Runs one normal scan through `detector`'s raw pipeline (normalisation, tiles, stitching,
    /// smoothing, image score). Scans may be measured concurrently and added in any order;
    /// adding them in one order gives one profile, bit for bit.
    public static func measure(_ image: XRayImage, detector: Detector) throws -> Measurement {
        var timings = ScanResult.Timings()
        let (map, _) = try detector.rawMap(image, timings: &timings)
        let score = map.withUnsafeBufferPointer { ImageScore.compute($0, method: detector.imageScoreMethod) }
        return Measurement(imageScore: score, map: map)
    }

    /// Runs one normal scan; returns its raw image score.
    @discardableResult
    public mutating func add(_ image: XRayImage) throws -> Double {
        let m = try Self.measure(image, detector: detector)
        add(m)
        return m.imageScore
    }

    /// Adds a scan measured with this calibrator's detector.
    public mutating func add(_ measurement: Measurement) {
        imageScores.append(measurement.imageScore)
        let bins = pixelHistogram.count
        var s = 0.0, ss = 0.0
        measurement.map.withUnsafeBufferPointer { m in
            pixelHistogram.withUnsafeMutableBufferPointer { h in
                for v in m {
                    h[Int(min(max(v, 0), 1) * Float(bins - 1))] += 1
                    let d = Double(v)
                    s += d; ss += d * d
                }
            }
        }
        pixelSum += s; pixelSumOfSquares += ss; pixelCount += measurement.map.count
    }

    /// The lowest threshold that flags at most `rate × n` of `imageScores` (a scan is flagged
    /// when its score ≥ threshold): midway between the highest score kept below it and the lowest
    /// flagged one. With fewer than `1 / rate` scores it is just above the highest score.
    public static func threshold(imageScores: [Double], falseAlarmRate rate: Double) throws -> Double {
        guard !imageScores.isEmpty else { throw DetectionError.calibrationFailed("no normal scans") }
        guard rate >= 0, rate < 1 else { throw DetectionError.calibrationFailed("false-alarm rate must be in [0, 1), got \(rate)") }
        guard imageScores.allSatisfy(\.isFinite) else { throw DetectionError.calibrationFailed("non-finite image score") }
        let s = imageScores.sorted()
        let n = s.count
        let k = Int((rate * Double(n)).rounded(.down))
        if k == 0 { return s[n - 1].nextUp }
        let below = s[n - 1 - k], above = s[n - k]
        let mid = below + (above - below) / 2
        return mid > below ? mid : below.nextUp
    }

    /// Makes the profile; ``CalibrationProfile/Target/imageFalseAlarmRate(_:)`` uses the image
    /// scores, ``CalibrationProfile/Target/pixelQuantile(_:)`` the pixel histogram.
    public func makeProfile(target: CalibrationProfile.Target, createdAt: Date = Date()) throws -> CalibrationProfile {
        guard !imageScores.isEmpty else { throw DetectionError.calibrationFailed("no normal scans were added") }
        var warnings: [String] = []
        let threshold: Double
        switch target {
        case .imageFalseAlarmRate(let rate):
            threshold = try Self.threshold(imageScores: imageScores, falseAlarmRate: rate)
            if rate > 0, Double(imageScores.count) < 1 / rate {
                warnings.append("\(imageScores.count) scan(s) are too few for a false-alarm rate of \(rate) (need ≥ \(Int((1 / rate).rounded(.up)))); threshold set just above the highest normal score")
            }
        case .pixelQuantile(let q):
            guard q > 0, q < 1 else { throw DetectionError.calibrationFailed("pixel quantile must be in (0, 1), got \(q)") }
            let rank = Int((q * Double(pixelCount - 1)).rounded(.down))
            var cumulative = 0, b = 0
            while b < pixelHistogram.count { cumulative += pixelHistogram[b]; if cumulative > rank { break }; b += 1 }
            threshold = Double(b + 1) / Double(pixelHistogram.count - 1)
        }
        let n = Double(imageScores.count)
        let imageMean = imageScores.reduce(0, +) / n
        let imageStd = (imageScores.map { ($0 - imageMean) * ($0 - imageMean) }.reduce(0, +) / n).squareRoot()
        let pMean = pixelSum / Double(max(pixelCount, 1))
        let pStd = max(0, pixelSumOfSquares / Double(max(pixelCount, 1)) - pMean * pMean).squareRoot()
        // The scale's zero sits at the level the threshold was chosen on.
        let pixelLevel: Bool
        if case .pixelQuantile = target { pixelLevel = true } else { pixelLevel = false }
        let mean = pixelLevel ? pMean : imageMean, std = pixelLevel ? pStd : imageStd
        guard threshold > mean else {
            throw DetectionError.calibrationFailed("threshold \(threshold) is not above the normal mean score \(mean): pick a lower false-alarm rate or a higher pixel quantile")
        }
        let flagged = imageScores.filter { $0 >= threshold }.count
        return CalibrationProfile(
            modelName: detector.metadata.modelName, modelVersion: detector.metadata.version,
            modelSHA256: detector.network.modelSHA256, threshold: threshold, normalMean: mean, normalStd: std,
            pixelMean: pMean, pixelStd: pStd, imageCount: imageScores.count, pixelCount: pixelCount, target: target,
            achievedFalseAlarmRate: Double(flagged) / n, imageScoreMethod: detector.imageScoreMethod,
            smoothingSigma: detector.smoothingSigma, flipViews: detector.flipViews, createdAt: createdAt, warnings: warnings)
    }

    /// Calibrates on a sequence of normal scans in one call.
    public static func calibrate<S: Sequence>(detector: Detector, normalScans: S,
                                              target: CalibrationProfile.Target) throws -> CalibrationProfile
    where S.Element == XRayImage {
        var c = Calibrator(detector: detector)
        for scan in normalScans { try c.add(scan) }
        return try c.makeProfile(target: target)
    }
}
