import ArgumentParser
import Foundation
import XRayDetection
import XRayImaging
import XRaySimulation

struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Choose the threshold from normal scans (no threats) and save it as a profile.",
        discussion: """
        Runs the model over scans known to be normal (cleared bags or containers from your own \
        scanners) and sets the threshold so that at most --target-fpr of them would be flagged \
        (or, with --pixel-quantile, at that quantile of all their pixel scores). The profile \
        (JSON, format in Sources/XRayDetection/README.md) also fixes the score scale: 0 = a \
        typical normal scan, 1 = the threshold. Pass it to scan and eval with --profile.

        Use at least 1 / FPR scans (100 for 0.01); with fewer, the threshold sits just above the \
        highest normal score and the profile carries a warning. Scans with a ground-truth sidecar \
        (NAME.json from synth) that lists inserted anomalies are skipped. A scan that cannot be \
        read is listed and skipped; the profile is still written, and the exit status is then 2.

        Examples:
          xray-screen calibrate cleared/ --model Models/bagnet.onnx --target-fpr 0.01 --out site.json
          xray-screen calibrate cleared/ --recursive --pixel-quantile 0.9995 --out site-pixel.json
        """
    )

    @Argument(help: ArgumentHelp("Folder (or files) of normal scans.", valueName: "normal-dir"))
    var paths: [String]

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customLong("target-fpr"), help: ArgumentHelp(
        "Image false-alarm rate to calibrate for: fraction of normal scans flagged.", valueName: "rate"))
    var targetFPR: Double = 0.01

    @Option(help: ArgumentHelp(
        "Calibrate on pixels instead: the threshold is this quantile (0…1) of all normal pixel scores.", valueName: "q"))
    var pixelQuantile: Double?

    @Option(help: ArgumentHelp("Where to write the profile.", valueName: "profile.json"))
    var out: String

    @Flag(help: "Descend into sub-folders.")
    var recursive = false

    @Flag(help: "No progress on standard error.")
    var quiet = false

    func validate() throws {
        guard targetFPR >= 0, targetFPR < 1 else { throw ValidationError("--target-fpr must be in [0, 1)") }
        if let q = pixelQuantile, !(q > 0 && q < 1) { throw ValidationError("--pixel-quantile must be in (0, 1)") }
    }

    /// What one input gave.
    enum Measured: Sendable {
        case hasAnomalies
        case failed(String)
        case measured(Calibrator.Measurement)
    }

    static func measure(_ input: ScanInput, detector: Detector) async -> Measured {
        if let truth = GroundTruthFile.load(forScan: input.path), !truth.isNormal { return .hasAnomalies }
        do {
            return .measured(try await offload {
                let (image, _) = try ScanLoader.load(input)
                return try Calibrator.measure(image, detector: detector)
            })
        } catch {
            return .failed(describe(error))
        }
    }

    func run() async throws {
        let inputs = try ScanInputs.discoverSome(paths, recursive: recursive)
        // Calibration must not take the profile's own threshold; the model's metadata is enough.
        // One scan per core, as `scan` and `eval` do; the scans are added in input order, so the
        // profile does not depend on which finished first.
        let detector = try modelOptions.makeDetector(threads: 1)
        var calibrator = Calibrator(detector: detector)
        let progress = ProgressReporter(total: inputs.count, quiet: quiet)
        var failures: [(String, String)] = []
        var skipped: [String] = []
        func record(_ input: ScanInput, _ result: Measured) {
            switch result {
            case .hasAnomalies:
                skipped.append(input.path)
                progress.finished(file: input.path, flagged: false, failed: false, detail: "skipped: has inserted anomalies")
            case .failed(let message):
                failures.append((input.path, message))
                progress.finished(file: input.path, flagged: false, failed: true, detail: "FAILED: \(message)")
            case .measured(let m):
                calibrator.add(m)
                progress.finished(file: input.path, flagged: false, failed: false,
                                  detail: String(format: "raw score %.4f", m.imageScore))
            }
        }
        await forEachInOrder(inputs, jobs: ProcessInfo.processInfo.activeProcessorCount,
                             work: { await Self.measure($0, detector: detector) }, collect: record)
        for (file, message) in failures { printError("failed: \(file): \(message)") }
        if !skipped.isEmpty { printError("skipped \(skipped.count) scan(s) with inserted anomalies (calibration needs normal scans)") }
        guard !calibrator.imageScores.isEmpty else { throw CLIError.input("no normal scan could be used; no profile written") }

        let target: CalibrationProfile.Target = pixelQuantile.map { .pixelQuantile($0) } ?? .imageFalseAlarmRate(targetFPR)
        let profile: CalibrationProfile
        do { profile = try calibrator.makeProfile(target: target) } catch { throw CLIError.input(describe(error)) }
        do { try profile.write(to: URL(fileURLWithPath: out)) } catch {
            throw CLIError.output("\(out): \(describe(error))")
        }
        for w in profile.warnings { printError("warning: \(w)") }
        print(String(format: "calibrated on %d normal scan(s): threshold %.6g (raw), normal mean %.6g ± %.3g, false alarms on these scans %.2f%%",
                     profile.imageCount, profile.threshold, profile.normalMean, profile.normalStd,
                     100 * profile.achievedFalseAlarmRate))
        print("profile: \(out)")
        if !failures.isEmpty { throw ExitCode(2) }
    }
}

/// Ground truth next to a scan: `NAME.json` written by `synth`.
enum GroundTruthFile {
    /// The sidecar of `scan` (`bags/x.png` → `bags/x.json`; a pair's `x.high.png` → `x.json` too).
    static func sidecarPath(forScan scan: String) -> String {
        var stem = (scan as NSString).deletingPathExtension
        if stem.hasSuffix(".high") { stem.removeLast(5) }
        return stem + ".json"
    }

    static func load(forScan scan: String) -> GroundTruth? {
        guard let data = FileManager.default.contents(atPath: sidecarPath(forScan: scan)) else { return nil }
        return try? GroundTruth.decode(from: data)
    }
}

extension GroundTruth {
    var isNormal: Bool { anomalies.isEmpty }
}
