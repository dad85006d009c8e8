import ArgumentParser
import Foundation
import XRayDetection
import XRayImaging
import XRaySimulation

struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure a model on scans with ground truth (synth output or masks).",
        discussion: """
        Ground truth per scan: NAME.json written by synth (objects with class, difficulty and \
        mask), else NAME.mask.png (non-zero = anomaly; its connected regions count as objects of \
        class "unknown"). Scans without either are skipped. Pixel metrics use the raw (probability) \
        anomaly map after stitching and smoothing; image scores are the raw image scores.

        Prints: image AUROC (anomalous vs normal scans); pixel AUROC; AUPRO up to 30% pixel FPR \
        (every object counts equally); pixel F1-max and its threshold; object recall at the \
        threshold that gives one false alarm per 10 normal scans (an object is found when the \
        map's peak inside its mask reaches that raw threshold), overall, per class and per \
        difficulty; image AUROC per difficulty (each anomalous scan under its most visible \
        object's difficulty, against all normal scans); and the false-alarm rate on normal scans \
        and the object recall at the calibrated threshold (--profile, else the model's own).

        Examples:
          xray-screen synth --count 200 --anomaly-rate 0.5 --seed 1000 --out val
          xray-screen eval val --model Models/bagnet.onnx --profile site.json
          xray-screen eval val --json --plots val-plots > val-metrics.json
        """
    )

    @Argument(help: ArgumentHelp("Folder(s) of scans with ground truth.", valueName: "dir"))
    var paths: [String]

    @OptionGroup var modelOptions: ModelOptions

    @Flag(help: "Machine-readable JSON on standard output.")
    var json = false

    @Option(help: ArgumentHelp("Write ROC curves (roc-image.png, roc-pixel.png) to this folder.", valueName: "dir"))
    var plots: String?

    @Option(name: .customLong("false-alarms-per-scan"), help: ArgumentHelp(
        "False alarms per normal scan allowed when choosing the recall threshold.", valueName: "rate"))
    var falseAlarmsPerScan: Double = 0.1

    @Option(name: .customLong("aupro-fpr"), help: ArgumentHelp("Upper pixel FPR of the AUPRO integral.", valueName: "fpr"))
    var auproLimit: Double = 0.3

    @Flag(help: "Descend into sub-folders.")
    var recursive = false

    @Flag(help: "No progress on standard error.")
    var quiet = false

    func validate() throws {
        guard falseAlarmsPerScan >= 0, falseAlarmsPerScan < 1 else { throw ValidationError("--false-alarms-per-scan must be in [0, 1)") }
        guard auproLimit > 0, auproLimit <= 1 else { throw ValidationError("--aupro-fpr must be in (0, 1]") }
    }

    /// What screening one scan with ground truth gave.
    enum ScanEvaluation: Sendable {
        case withoutTruth
        case failed(String)
        case evaluated(Detector.Detection, Truth)
    }

    static func evaluate(_ input: ScanInput, detector: Detector) async -> ScanEvaluation {
        do {
            return try await offload { () throws -> ScanEvaluation in
                guard let truth = try Truth.load(forScan: input.path) else { return .withoutTruth }
                let (image, _) = try ScanLoader.load(input)
                guard image.width == truth.width, image.height == truth.height else {
                    throw CLIError.input("ground truth is \(truth.width)×\(truth.height), the scan \(image.width)×\(image.height)")
                }
                return .evaluated(try detector.detectWithMap(image, file: input.path), truth)
            }
        } catch {
            return .failed(describe(error))
        }
    }

    func run() async throws {
        let inputs = try ScanInputs.discoverSome(paths, recursive: recursive)
        // One scan per core, as `scan` does (loading the ground truth and decoding run on one
        // thread per scan); the metrics are accumulated here, in input order, so the report does
        // not depend on which scan finished first.
        let jobs = ProcessInfo.processInfo.activeProcessorCount
        let detector = try modelOptions.makeDetector(threads: 1)
        if !json { for w in detector.warnings { printError("warning: \(w)") } }

        var state = EvalAccumulator(auproLimit: auproLimit)
        let progress = ProgressReporter(total: inputs.count, quiet: quiet)
        var failures: [(String, String)] = []
        var withoutTruth = 0
        func record(_ input: ScanInput, _ evaluation: ScanEvaluation) {
            switch evaluation {
            case .withoutTruth:
                withoutTruth += 1
                progress.finished(file: input.path, flagged: false, failed: false, detail: "skipped: no ground truth")
            case .failed(let message):
                failures.append((input.path, message))
                progress.finished(file: input.path, flagged: false, failed: true, detail: "FAILED: \(message)")
            case .evaluated(let detection, let truth):
                state.add(detection: detection, truth: truth)
                let r = detection.result
                progress.finished(file: input.path, flagged: r.flagged, failed: false,
                                  detail: String(format: "%@ raw %.4f, %d object(s)", truth.objects.isEmpty ? "normal" : "anomalous",
                                                 r.rawScore, truth.objects.count))
            }
        }
        await forEachInOrder(inputs, jobs: jobs, work: { await Self.evaluate($0, detector: detector) }, collect: record)
        for (file, message) in failures { printError("failed: \(file): \(message)") }
        guard state.images > 0 else { throw CLIError.input("no scan with ground truth could be evaluated") }

        var report = state.report(falseAlarmsPerScan: falseAlarmsPerScan, detector: detector)
        report.skippedWithoutGroundTruth = withoutTruth
        report.failed = failures.count
        if let plots {
            do {
                try FileManager.default.createDirectory(atPath: plots, withIntermediateDirectories: true)
                let folder = URL(fileURLWithPath: plots)
                if let image = state.imageROC() {
                    try ROCPlot.render(points: image, marker: falseAlarmsPerScan).write(to: folder.appendingPathComponent("roc-image.png"))
                }
                if let pixel = state.pixelROC() {
                    try ROCPlot.render(points: pixel, marker: nil).write(to: folder.appendingPathComponent("roc-pixel.png"))
                }
            } catch { throw CLIError.output("plots in \(plots): \(describe(error))") }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.text)
        }
        if !failures.isEmpty { throw ExitCode(2) }
    }
}

/// Ground truth of one scan, from a synth JSON sidecar or a mask image.
struct Truth {
    struct Object {
        var anomalyClass: String
        var difficulty: String
        /// Pixel indices (y * width + x) of the object's mask.
        var pixels: [Int]
    }
    var width: Int
    var height: Int
    var objects: [Object]
    /// Region label per pixel: 0 normal, k = objects[k - 1] (later objects win where they overlap).
    var labels: [Int32]

    static func load(forScan scan: String) throws -> Truth? {
        let sidecar = GroundTruthFile.sidecarPath(forScan: scan)
        if let data = FileManager.default.contents(atPath: sidecar) {
            let g: GroundTruth
            do { g = try GroundTruth.decode(from: data) } catch { throw CLIError.input("ground truth \(sidecar): \(describe(error))") }
            return fromSynth(g)
        }
        var stem = (scan as NSString).deletingPathExtension
        if stem.hasSuffix(".high") { stem.removeLast(5) }
        let maskPath = stem + ".mask.png"
        guard FileManager.default.fileExists(atPath: maskPath) else { return nil }
        let mask = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: maskPath))
        return fromMask(mask)
    }

    static func fromSynth(_ g: GroundTruth) -> Truth {
        let W = g.width, H = g.height
        var labels = [Int32](repeating: 0, count: W * H)
        var objects: [Object] = []
        for a in g.anomalies {
            let bits = a.mask.decoded()
            var pixels: [Int] = []
            for yy in 0..<a.mask.height {
                let y = a.box.y + yy
                guard y >= 0, y < H else { continue }
                for xx in 0..<a.mask.width where bits[yy * a.mask.width + xx] != 0 {
                    let x = a.box.x + xx
                    guard x >= 0, x < W else { continue }
                    pixels.append(y * W + x)
                }
            }
            guard !pixels.isEmpty else { continue }
            objects.append(Object(anomalyClass: a.anomalyClass.rawValue, difficulty: a.difficultyLevel.rawValue, pixels: pixels))
            let k = Int32(objects.count)
            for p in pixels { labels[p] = k }
        }
        return Truth(width: W, height: H, objects: objects, labels: labels)
    }

    /// Connected regions (8-neighbourhood) of the non-zero pixels of channel 0.
    static func fromMask(_ mask: XRayImage) -> Truth {
        let W = mask.width, H = mask.height, n = W * H
        var on = [Bool](repeating: false, count: n)
        switch mask.pixels {
        case .uint8(let p): for i in 0..<n { on[i] = p[i] != 0 }
        case .uint16(let p): for i in 0..<n { on[i] = p[i] != 0 }
        case .float32(let p): for i in 0..<n { on[i] = p[i] != 0 }
        }
        var labels = [Int32](repeating: 0, count: n)
        var objects: [Object] = []
        var stack: [Int] = []
        for start in 0..<n where on[start] && labels[start] == 0 {
            let k = Int32(objects.count + 1)
            var pixels: [Int] = []
            labels[start] = k
            stack.append(start)
            while let i = stack.popLast() {
                pixels.append(i)
                let x = i % W, y = i / W
                for dy in -1...1 {
                    let yy = y + dy
                    guard yy >= 0, yy < H else { continue }
                    for dx in -1...1 {
                        let xx = x + dx
                        guard xx >= 0, xx < W else { continue }
                        let j = yy * W + xx
                        if on[j], labels[j] == 0 { labels[j] = k; stack.append(j) }
                    }
                }
            }
            objects.append(Object(anomalyClass: "unknown", difficulty: "unknown", pixels: pixels))
        }
        return Truth(width: W, height: H, objects: objects, labels: labels)
    }
}

/// Everything the metrics need, accumulated scan by scan (maps are not kept).
struct EvalAccumulator {
    struct ObjectRecord { var anomalyClass: String; var difficulty: String; var peak: Double }

    var imageScores: [Double] = []
    var imageLabels: [Bool] = []
    /// Per scan: the difficulty of its most visible object (what decides whether the scan is
    /// flagged at all); nil for normal scans.
    var imageDifficulties: [String?] = []
    static let difficultyOrder = ["obvious", "moderate", "subtle"]
    var normalFlagged = 0
    var objects: [ObjectRecord] = []
    var positives = ScoreHistogram(lower: 0, upper: 1, bins: 2000)
    var negatives = ScoreHistogram(lower: 0, upper: 1, bins: 2000)
    var overlap = RegionOverlapAccumulator(lower: 0, upper: 1, bins: 1000)
    let auproLimit: Double
    var scale: ScoreScale?

    init(auproLimit: Double) { self.auproLimit = auproLimit }

    var images: Int { imageScores.count }

    mutating func add(detection: Detector.Detection, truth: Truth) {
        let r = detection.result
        scale = r.scale
        // Back to raw probabilities: raw = normalised × (threshold − mean) + mean.
        let span = Float(r.scale.raw(1) - r.scale.raw(0)), mean = Float(r.scale.raw(0))
        let raw = detection.anomalyMap.values.map { $0 * span + mean }
        let anomalous = !truth.objects.isEmpty
        imageScores.append(r.rawScore)
        imageLabels.append(anomalous)
        let rank = { (d: String) in Self.difficultyOrder.firstIndex(of: d) ?? Self.difficultyOrder.count }
        imageDifficulties.append(truth.objects.map(\.difficulty).min { (rank($0), $0) < (rank($1), $1) })
        if !anomalous, r.flagged { normalFlagged += 1 }
        for (i, v) in raw.enumerated() {
            if truth.labels[i] != 0 { positives.add(v) } else { negatives.add(v) }
        }
        overlap.add(scores: raw, regionLabels: truth.labels, regionCount: truth.objects.count)
        for o in truth.objects {
            var peak = -Float.infinity
            for p in o.pixels { peak = max(peak, raw[p]) }
            objects.append(ObjectRecord(anomalyClass: o.anomalyClass, difficulty: o.difficulty, peak: Double(peak)))
        }
    }

    var normalScores: [Double] { zip(imageScores, imageLabels).filter { !$0.1 }.map(\.0) }

    func report(falseAlarmsPerScan rate: Double, detector: Detector) -> EvalReport {
        let normals = normalScores
        let pixel = PixelMetrics.bestF1(positives: positives, negatives: negatives)
        // Flag when score ≥ T; T just above the value that at most `rate` of normal scans exceed.
        let recallThreshold: Double? = normals.isEmpty ? nil
            : ReceiverOperatingCharacteristic.threshold(forFalsePositiveRate: rate, negativeScores: normals).nextUp
        let calibrated = detector.scale.threshold
        func recall(_ subset: [ObjectRecord], _ t: Double?) -> Double? {
            guard let t, !subset.isEmpty else { return nil }
            return Double(subset.filter { $0.peak >= t }.count) / Double(subset.count)
        }
        func groups(_ key: (ObjectRecord) -> String) -> [EvalReport.Group] {
            Dictionary(grouping: objects, by: key).sorted { $0.key < $1.key }.map { name, list in
                EvalReport.Group(name: name, objects: list.count, recall: recall(list, recallThreshold),
                                 recallAtCalibratedThreshold: recall(list, calibrated))
            }
        }
        // Image AUROC of the scans of one difficulty against all normal scans: subtle objects
        // reported separately, since where most misses are subtle the overall figure hides how the
        // model does on the rest.
        var perDifficulty = groups(\.difficulty)
        for i in perDifficulty.indices {
            let name = perDifficulty[i].name
            let subset = imageScores.indices.filter { !imageLabels[$0] || imageDifficulties[$0] == name }
            let scans = subset.filter { imageLabels[$0] }.count
            guard scans > 0 else { continue }
            perDifficulty[i].scans = scans
            perDifficulty[i].imageAUROC = ReceiverOperatingCharacteristic.area(scores: subset.map { imageScores[$0] },
                                                                              labels: subset.map { imageLabels[$0] })
        }
        let flaggedNormalsAtT = recallThreshold.map { t in normals.filter { $0 >= t }.count }
        return EvalReport(
            images: images, anomalousImages: imageLabels.filter { $0 }.count, normalImages: normals.count,
            objects: objects.count,
            imageAUROC: ReceiverOperatingCharacteristic.area(scores: imageScores, labels: imageLabels),
            pixelAUROC: PixelMetrics.auroc(positives: positives, negatives: negatives),
            aupro: overlap.area(maxFalsePositiveRate: auproLimit), auproMaxFPR: auproLimit,
            pixelF1Max: positives.total > 0 ? pixel.f1 : nil, pixelF1Threshold: positives.total > 0 ? pixel.threshold : nil,
            falseAlarmsPerScan: rate, recallThreshold: recallThreshold,
            falseAlarmRateAtRecallThreshold: flaggedNormalsAtT.map { Double($0) / Double(max(normals.count, 1)) },
            objectRecall: recall(objects, recallThreshold),
            calibratedThreshold: calibrated, calibrationSource: detector.calibrationSource,
            falseAlarmRateAtCalibratedThreshold: normals.isEmpty ? nil : Double(normalFlagged) / Double(normals.count),
            objectRecallAtCalibratedThreshold: recall(objects, calibrated),
            perClass: groups(\.anomalyClass), perDifficulty: perDifficulty,
            model: .init(name: detector.metadata.modelName, version: detector.metadata.version,
                         sha256: detector.network.modelSHA256))
    }

    /// (FPR, TPR) points of the image-level ROC, threshold from high to low.
    func imageROC() -> [(Double, Double)]? {
        let p = imageLabels.filter { $0 }.count, n = imageLabels.count - p
        guard p > 0, n > 0 else { return nil }
        let order = imageScores.indices.sorted { imageScores[$0] > imageScores[$1] }
        var points: [(Double, Double)] = [(0, 0)]
        var tp = 0, fp = 0, i = 0
        while i < order.count {
            var j = i
            while j < order.count, imageScores[order[j]] == imageScores[order[i]] {
                if imageLabels[order[j]] { tp += 1 } else { fp += 1 }
                j += 1
            }
            points.append((Double(fp) / Double(n), Double(tp) / Double(p)))
            i = j
        }
        return points
    }

    /// (FPR, TPR) points of the pixel-level ROC at the histogram's bin edges.
    func pixelROC() -> [(Double, Double)]? {
        let p = Double(positives.total), n = Double(negatives.total)
        guard p > 0, n > 0 else { return nil }
        let tp = positives.countsAtOrAbove(), fp = negatives.countsAtOrAbove()
        return stride(from: tp.count - 1, through: 0, by: -1).map { (Double(fp[$0]) / n, Double(tp[$0]) / p) }
    }
}

/// What `eval` prints (`--json` writes this structure).
struct EvalReport: Encodable {
    struct Group: Encodable {
        var name: String
        var objects: Int
        var recall: Double?
        var recallAtCalibratedThreshold: Double?
        /// Per difficulty: the anomalous scans whose most visible object has it, and their image
        /// AUROC against every normal scan.
        var scans: Int? = nil
        var imageAUROC: Double? = nil
    }
    var images: Int
    var anomalousImages: Int
    var normalImages: Int
    var objects: Int
    var imageAUROC: Double?
    var pixelAUROC: Double?
    var aupro: Double?
    var auproMaxFPR: Double
    var pixelF1Max: Double?
    /// Raw (probability) threshold of the best pixel F1.
    var pixelF1Threshold: Double?
    var falseAlarmsPerScan: Double
    /// Raw image-score threshold giving at most `falseAlarmsPerScan` false alarms per normal scan.
    var recallThreshold: Double?
    var falseAlarmRateAtRecallThreshold: Double?
    var objectRecall: Double?
    var calibratedThreshold: Double
    var calibrationSource: String
    var falseAlarmRateAtCalibratedThreshold: Double?
    var objectRecallAtCalibratedThreshold: Double?
    var perClass: [Group]
    var perDifficulty: [Group]
    var model: ScanResult.ModelInfo
    var skippedWithoutGroundTruth = 0
    var failed = 0

    var text: String {
        func f(_ v: Double?, _ format: String = "%.4f") -> String { v.map { String(format: format, $0) } ?? "n/a" }
        func pct(_ v: Double?) -> String { v.map { String(format: "%.1f%%", 100 * $0) } ?? "n/a" }
        var lines: [String] = []
        lines.append("model: \(model.name ?? "?") \(model.version ?? "") \(model.sha256.map { String($0.prefix(12)) } ?? "")")
        lines.append("scans: \(images) (\(anomalousImages) with objects, \(normalImages) normal), \(objects) object(s)"
                     + (skippedWithoutGroundTruth > 0 ? ", \(skippedWithoutGroundTruth) skipped without ground truth" : "")
                     + (failed > 0 ? ", \(failed) failed" : ""))
        func label(_ s: String) -> String { s.padding(toLength: 23, withPad: " ", startingAt: 0) }
        lines.append(label("image AUROC") + f(imageAUROC))
        lines.append(label("pixel AUROC") + f(pixelAUROC))
        lines.append(label("AUPRO@\(Int((auproMaxFPR * 100).rounded()))%FPR") + f(aupro))
        lines.append(label("pixel F1-max") + "\(f(pixelF1Max)) at raw threshold \(f(pixelF1Threshold))")
        lines.append(label("object recall") + "\(pct(objectRecall)) at raw threshold \(f(recallThreshold, "%.6g")) (\(f(falseAlarmsPerScan, "%g")) false alarms per normal scan allowed, \(pct(falseAlarmRateAtRecallThreshold)) observed)")
        lines.append(label("calibrated threshold") + "\(f(calibratedThreshold, "%.6g")) raw (\(calibrationSource)): false alarms on normal scans \(pct(falseAlarmRateAtCalibratedThreshold)), object recall \(pct(objectRecallAtCalibratedThreshold))")
        func table(_ title: String, _ groups: [Group]) {
            guard !groups.isEmpty else { return }
            lines.append("")
            let imageColumns = groups.contains { $0.scans != nil }
            lines.append(title.padding(toLength: 22, withPad: " ", startingAt: 0) + "objects  recall@FA  recall@calibrated"
                         + (imageColumns ? "  scans  image AUROC" : ""))
            for g in groups {
                var line = "  " + g.name.padding(toLength: 20, withPad: " ", startingAt: 0)
                    + String(format: "%7d", g.objects) + "  " + pct(g.recall).padding(toLength: 9, withPad: " ", startingAt: 0)
                    + "  " + pct(g.recallAtCalibratedThreshold)
                if imageColumns {
                    line = line.padding(toLength: 60, withPad: " ", startingAt: 0)
                        + (g.scans.map { String(format: "%5d", $0) } ?? "    -") + "  " + f(g.imageAUROC)
                }
                lines.append(line)
            }
        }
        table("per class", perClass)
        table("per difficulty", perDifficulty)
        return lines.joined(separator: "\n")
    }
}

/// ROC curves as small PNGs (no text: axes are FPR → right, TPR ↑ up, grid every 0.1).
enum ROCPlot {
    static func render(points: [(Double, Double)], marker: Double?, size: Int = 400) -> XRayImage {
        let margin = 20, side = size - 2 * margin
        var canvas = RGBCanvas(width: size, height: size, fill: .white)
        let grid = RGBColor(red: 225, green: 225, blue: 225)
        func px(_ fpr: Double, _ tpr: Double) -> (Int, Int) {
            (margin + Int((fpr * Double(side)).rounded()), margin + side - Int((tpr * Double(side)).rounded()))
        }
        for k in 0...10 {
            let t = Double(k) / 10
            let (x, _) = px(t, 0), (_, y) = px(0, t)
            canvas.fillRectangle(x: x, y: margin, width: 1, height: side + 1, grid)
            canvas.fillRectangle(x: margin, y: y, width: side + 1, height: 1, grid)
        }
        canvas.strokeRectangle(x: margin, y: margin, width: side + 1, height: side + 1, .black)
        let diagonal = RGBColor(red: 160, green: 160, blue: 160)
        line(&canvas, px(0, 0), px(1, 1), diagonal, thickness: 1)
        if let marker {
            let (x, _) = px(marker, 0)
            canvas.fillRectangle(x: x, y: margin, width: 1, height: side + 1, RGBColor(red: 60, green: 140, blue: 255))
        }
        let curve = RGBColor(red: 220, green: 30, blue: 30)
        for k in 1..<max(points.count, 1) {
            line(&canvas, px(points[k - 1].0, points[k - 1].1), px(points[k].0, points[k].1), curve, thickness: 2)
        }
        return canvas.image
    }

    static func line(_ canvas: inout RGBCanvas, _ a: (Int, Int), _ b: (Int, Int), _ colour: RGBColor, thickness: Int) {
        var (x0, y0) = a
        let (x1, y1) = b
        let dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            canvas.fillRectangle(x: x0 - thickness / 2, y: y0 - thickness / 2, width: thickness, height: thickness, colour)
            if x0 == x1 && y0 == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x0 += sx }
            if e2 <= dx { err += dx; y0 += sy }
        }
    }
}
