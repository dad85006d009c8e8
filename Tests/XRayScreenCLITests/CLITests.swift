import Foundation
import XCTest

/// Runs the built `xray-screen` binary (next to the test bundle) on synthetic scans made by its
/// own `synth`, plus broken files, with the tiny test model in Resources/.
final class XRayScreenCLITests: XCTestCase {
    /// Next to the test bundle (macOS: `X.xctest` is a bundle in the build folder; Linux: it is
    /// an executable there, and `Bundle.main` is that folder).
    static let binary: URL = {
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("xray-screen")
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appendingPathComponent("xray-screen")
    }()
    static let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Resources/tiny-unet.onnx").path

    /// The shared fixture: `good/` (single- and dual-energy scans with ground truth), `mixed/`
    /// (the same plus broken files) and `normal/` (normal scans for calibration).
    nonisolated(unsafe) static var root: URL!
    static let badFiles = ["corrupt.png", "dir.png", "notimage.png", "truncated.tiff"]

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    override class func setUp() {
        super.setUp()
        let fm = FileManager.default
        root = fm.temporaryDirectory.appendingPathComponent("xray-screen-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try! fm.createDirectory(at: root, withIntermediateDirectories: true)
        func synth(_ args: [String]) {
            let r = try! runBinary(["synth", "--width", "160", "--height", "128", "--jobs", "2"] + args, in: root)
            precondition(r.status == 0, "synth failed: \(r.stderr)")
        }
        synth(["--count", "6", "--anomaly-rate", "0.5", "--seed", "1", "--out", "good"])
        synth(["--count", "2", "--anomaly-rate", "0.5", "--dual-energy", "--seed", "40", "--out", "good"])
        synth(["--count", "10", "--anomaly-rate", "0", "--seed", "100", "--out", "normal"])
        let good = root.appendingPathComponent("good"), mixed = root.appendingPathComponent("mixed")
        try! fm.copyItem(at: good, to: mixed)
        let png = try! Data(contentsOf: good.appendingPathComponent("baggage-000001.png"))
        try! png.prefix(png.count / 3).write(to: mixed.appendingPathComponent("corrupt.png"))
        try! Data("this is a text file, not an image\n".utf8).write(to: mixed.appendingPathComponent("notimage.png"))
        try! fm.createDirectory(at: mixed.appendingPathComponent("dir.png"), withIntermediateDirectories: false)
        let tiff = try! Data(contentsOf: good.appendingPathComponent("baggage-000040.tiff"))
        try! tiff.prefix(600).write(to: mixed.appendingPathComponent("truncated.tiff"))
    }

    override class func tearDown() {
        if let root { try? FileManager.default.removeItem(at: root) }
        super.tearDown()
    }

    static func runBinary(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let id = UUID().uuidString
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("out-\(id)")
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("err-\(id)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outURL); try? FileManager.default.removeItem(at: errURL) }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try out.close(); try err.close()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                      stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        try Self.runBinary(arguments, in: Self.root, environment: environment)
    }

    func fresh(_ name: String) -> String {
        let path = Self.root.appendingPathComponent(name).path
        try? FileManager.default.removeItem(atPath: path)
        return name
    }

    func jsonLines(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try XCTUnwrap(object as? [String: Any], "not a JSON object: \(line)")
        }
    }

    /// Scans in `good/`: 6 PNGs and 2 two-page TIFFs.
    let goodCount = 8

    // MARK: scan

    func testScanReportsEveryScanAndFailuresWithoutStopping() throws {
        let out = fresh("scan-mixed")
        let r = try run(["scan", "mixed", "--model", Self.model, "--out", out, "--quiet"])
        XCTAssertEqual(r.status, 2, "a failed scan gives exit status 2\n\(r.stderr)")
        let lines = try jsonLines(out + "/report.jsonl")
        XCTAssertEqual(lines.count, goodCount + Self.badFiles.count)
        let failed = lines.filter { $0["status"] as? String == "failed" }
        XCTAssertEqual(Set(failed.compactMap { ($0["file"] as? String).map { ($0 as NSString).lastPathComponent } }),
                       Set(Self.badFiles))
        for f in failed { XCTAssertFalse((f["error"] as? String ?? "").isEmpty, "failure without a message: \(f)") }
        let ok = lines.filter { $0["status"] as? String == "ok" }
        XCTAssertEqual(ok.count, goodCount)
        for line in ok {
            XCTAssertEqual(line["schemaVersion"] as? Int, 1)
            XCTAssertNotNil(line["score"] as? Double)
            XCTAssertNotNil(line["flagged"] as? Bool)
            XCTAssertNotNil(line["regions"] as? [Any])
        }
        let tiffs = ok.filter { ($0["file"] as? String ?? "").hasSuffix(".tiff") }
        XCTAssertEqual(tiffs.count, 2)
        for t in tiffs {
            let image = try XCTUnwrap(t["image"] as? [String: Any])
            XCTAssertEqual(image["channels"] as? [String], ["highEnergy", "lowEnergy"])
            XCTAssertTrue((t["warnings"] as? [String] ?? []).contains { $0.contains("highEnergy") })
        }
        XCTAssertTrue(r.stdout.contains("scanned 12"), r.stdout)
        XCTAssertTrue(r.stdout.contains("failed 4"), r.stdout)
        XCTAssertTrue(r.stdout.contains("img/s"), r.stdout)
    }

    func testExitStatusZeroWhenNothingFlaggedAndOneWhenFlagged() throws {
        // A profile calibrated with zero false alarms on these very scans flags none of them.
        let profile = fresh("zero-fa.json")
        let c = try run(["calibrate", "normal", "--model", Self.model, "--target-fpr", "0", "--out", profile, "--quiet"])
        XCTAssertEqual(c.status, 0, c.stderr)
        XCTAssertTrue(c.stdout.contains("calibrated on 10 normal scan(s)"), c.stdout)
        let clean = fresh("scan-clean")
        let r0 = try run(["scan", "normal", "--model", Self.model, "--profile", profile, "--out", clean, "--quiet"])
        XCTAssertEqual(r0.status, 0, r0.stdout + r0.stderr)
        XCTAssertTrue(try jsonLines(clean + "/report.jsonl").allSatisfy { $0["flagged"] as? Bool == false })

        // Calibration takes normal scans only: synth scans with inserted objects are skipped.
        let skipping = try run(["calibrate", "good", "--model", Self.model, "--out", fresh("skip.json"), "--quiet"])
        XCTAssertEqual(skipping.status, 0, skipping.stderr)
        XCTAssertTrue(skipping.stderr.contains("skipped"), skipping.stderr)

        // A very low threshold flags everything.
        let low = Self.root.appendingPathComponent("low.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.root.appendingPathComponent(profile))) as! [String: Any]
        object["threshold"] = 1e-6
        object["normalMean"] = 0
        try JSONSerialization.data(withJSONObject: object).write(to: low)
        let flagged = fresh("scan-flagged")
        let r1 = try run(["scan", "good", "--model", Self.model, "--profile", "low.json", "--out", flagged, "--quiet", "--jobs", "2"])
        XCTAssertEqual(r1.status, 1, r1.stdout + r1.stderr)
        let lines = try jsonLines(flagged + "/report.jsonl")
        XCTAssertEqual(lines.count, goodCount)
        XCTAssertTrue(lines.allSatisfy { $0["flagged"] as? Bool == true })
        XCTAssertTrue(r1.stdout.contains("flagged \(goodCount)"), r1.stdout)
    }

    func testResumeSkipsScansAlreadyReportedOK() throws {
        let out = fresh("scan-resume")
        let first = try run(["scan", "mixed", "--model", Self.model, "--out", out, "--quiet"])
        XCTAssertEqual(first.status, 2)
        let report = Self.root.appendingPathComponent(out + "/report.jsonl")
        XCTAssertEqual(try jsonLines(out + "/report.jsonl").count, 12)

        // Nothing left but the failures, which are retried (and fail again).
        let second = try run(["scan", "mixed", "--model", Self.model, "--out", out, "--quiet", "--resume"])
        XCTAssertEqual(second.status, 2)
        XCTAssertTrue(second.stdout.contains("scanned 4,"), second.stdout)
        XCTAssertTrue(second.stdout.contains("skipped 8"), second.stdout)

        // A run killed mid-line: the last ok line is cut; resume redoes that scan (and retries
        // the failures, dropped here).
        let text = try String(contentsOf: report, encoding: .utf8)
        var lines = text.split(separator: "\n").filter { $0.contains("\"status\":\"ok\"") }.map(String.init)
        let cut = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any])["file"] as! String
        lines[lines.count - 1] = String(lines[lines.count - 1].prefix(40))
        try Data(lines.joined(separator: "\n").utf8).write(to: report)
        let third = try run(["scan", "mixed", "--model", Self.model, "--out", out, "--quiet", "--resume"])
        XCTAssertTrue(third.stdout.contains("scanned 5,"), third.stdout)
        XCTAssertTrue(third.stdout.contains("skipped 7"), third.stdout)
        let after = try String(contentsOf: report, encoding: .utf8).split(separator: "\n")
        let parsed = after.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(parsed.count, after.count - 1, "only the cut line is unreadable")
        let ok = parsed.filter { $0["status"] as? String == "ok" }.compactMap { $0["file"] as? String }
        XCTAssertEqual(ok.count, goodCount)
        XCTAssertEqual(Set(ok).count, goodCount)
        XCTAssertEqual(ok.filter { $0 == cut }.count, 1)
    }

    func testShardsPartitionTheInputs() throws {
        let out = fresh("scan-shards")
        var files: [String] = []
        for i in 0..<3 {
            let r = try run(["scan", "mixed", "--model", Self.model, "--out", out, "--quiet", "--shard", "\(i)/3"])
            XCTAssertTrue([0, 1, 2].contains(r.status), r.stderr)
            files += try jsonLines("\(out)/report.shard-\(i)-of-3.jsonl").compactMap { $0["file"] as? String }
        }
        XCTAssertEqual(files.count, 12, "every scan exactly once: \(files.sorted())")
        XCTAssertEqual(Set(files).count, 12)
        let bad = try run(["scan", "mixed", "--model", Self.model, "--out", out, "--shard", "3/3"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("shard"), bad.stderr)
    }

    func testCSVReportParses() throws {
        let out = fresh("scan-csv")
        let r = try run(["scan", "mixed", "--model", Self.model, "--out", out, "--format", "csv", "--quiet"])
        XCTAssertEqual(r.status, 2)
        let text = try String(contentsOf: Self.root.appendingPathComponent(out + "/report.csv"), encoding: .utf8)
        let rows = text.split(separator: "\n").map(Self.csvFields)
        let header = try XCTUnwrap(rows.first)
        XCTAssertEqual(Array(header.prefix(3)), ["status", "error", "file"])
        XCTAssertEqual(rows.count, 13)
        for row in rows.dropFirst() { XCTAssertEqual(row.count, header.count, "\(row)") }
        XCTAssertEqual(rows.dropFirst().filter { $0[0] == "failed" }.count, 4)
        for row in rows.dropFirst() where row[0] == "ok" {
            XCTAssertNotNil(Double(row[header.firstIndex(of: "score")!]))
        }
        // Resume reads CSV too.
        let again = try run(["scan", "mixed", "--model", Self.model, "--out", out, "--format", "csv", "--quiet", "--resume"])
        XCTAssertTrue(again.stdout.contains("skipped 8"), again.stdout)
    }

    func testDualEnergyPairIsOneScan() throws {
        let fm = FileManager.default
        let pairs = Self.root.appendingPathComponent(fresh("pairs"))
        try fm.createDirectory(at: pairs, withIntermediateDirectories: true)
        let good = Self.root.appendingPathComponent("good")
        try fm.copyItem(at: good.appendingPathComponent("baggage-000001.png"), to: pairs.appendingPathComponent("bag.high.png"))
        try fm.copyItem(at: good.appendingPathComponent("baggage-000002.png"), to: pairs.appendingPathComponent("bag.low.png"))
        let out = fresh("scan-pairs")
        let r = try run(["scan", "pairs", "--model", Self.model, "--out", out, "--quiet"])
        XCTAssertNotEqual(r.status, 2, r.stderr)
        let lines = try jsonLines(out + "/report.jsonl")
        XCTAssertEqual(lines.count, 1)
        XCTAssertEqual(lines.first?["file"] as? String, "pairs/bag.high.png")
        XCTAssertEqual((lines.first?["image"] as? [String: Any])?["channels"] as? [String], ["highEnergy", "lowEnergy"])
    }

    func testCalibrateListsUnreadableScansAndStillWritesTheProfile() throws {
        let profile = fresh("mixed-profile.json")
        let r = try run(["calibrate", "mixed", "--model", Self.model, "--target-fpr", "0.5", "--out", profile, "--quiet"])
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        for bad in Self.badFiles { XCTAssertTrue(r.stderr.contains(bad), "\(bad) not listed:\n\(r.stderr)") }
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.root.appendingPathComponent(profile))) as? [String: Any]
        XCTAssertNotNil(object?["threshold"] as? Double)
        XCTAssertEqual(object?["formatVersion"] as? Int, 1)
    }

    func testOverlays() throws {
        let out = fresh("scan-overlays")
        let r = try run(["scan", "good", "--model", Self.model, "--out", out, "--overlays", "--quiet"])
        XCTAssertNotEqual(r.status, 2, r.stderr)
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent(out + "/overlays").path)
        XCTAssertEqual(names.filter { $0.hasSuffix(".png") }.count, goodCount)
    }

    func testMissingModelAndUnwritableReportExitTwo() throws {
        let r = try run(["scan", "good", "--out", fresh("scan-nomodel")], environment: ["XRAYSCREEN_MODEL": "/nonexistent/model.onnx"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("XRAYSCREEN_MODEL"), r.stderr)

        if FileManager.default.fileExists(atPath: "/dev/full") {
            let full = try run(["scan", "good", "--model", Self.model, "--report", "/dev/full", "--quiet"])
            XCTAssertEqual(full.status, 2)
            XCTAssertTrue(full.stderr.contains("No space left"), full.stderr)
        }
        let usage = try run(["scan", "--no-such-option"])
        XCTAssertEqual(usage.status, 2)
    }

    // MARK: eval, info, help

    func testEvalJSONAndPlots() throws {
        let plots = fresh("plots")
        let r = try run(["eval", "good", "--model", Self.model, "--json", "--plots", plots, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["images"] as? Int, goodCount)
        for key in ["imageAUROC", "pixelAUROC", "aupro", "pixelF1Max", "pixelF1Threshold", "recallThreshold", "objectRecall",
                    "falseAlarmRateAtCalibratedThreshold"] {
            XCTAssertNotNil(object[key] as? Double, "\(key) missing: \(r.stdout)")
        }
        XCTAssertFalse((object["perClass"] as? [Any] ?? []).isEmpty)
        // Image AUROC per difficulty: each anomalous scan counts under its most visible object's
        // difficulty, so the groups share out the anomalous scans; each is compared with all normals.
        let difficulties = try XCTUnwrap(object["perDifficulty"] as? [[String: Any]])
        XCTAssertFalse(difficulties.isEmpty)
        XCTAssertEqual(difficulties.compactMap { $0["scans"] as? Int }.reduce(0, +), object["anomalousImages"] as? Int)
        // The overall AUROC averages, over anomalous scans, the share of normal scans below each:
        // the per-difficulty figures weighted by their scans.
        // (A difficulty that is never a scan's most visible one has no scans and no image AUROC.)
        var weighted = 0.0
        for group in difficulties {
            guard let scans = group["scans"] as? Int else { XCTAssertNil(group["imageAUROC"]); continue }
            let auroc = try XCTUnwrap(group["imageAUROC"] as? Double, "\(group)")
            XCTAssertTrue((0...1).contains(auroc))
            weighted += auroc * Double(scans)
        }
        let anomalous = try XCTUnwrap(object["anomalousImages"] as? Int)
        XCTAssertEqual(weighted / Double(anomalous), try XCTUnwrap(object["imageAUROC"] as? Double), accuracy: 1e-9)
        for name in ["roc-image.png", "roc-pixel.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent("\(plots)/\(name)").path))
        }
        let text = try run(["eval", "good", "--model", Self.model, "--quiet"])
        XCTAssertTrue(text.stdout.contains("image AUROC"), text.stdout)
        XCTAssertTrue(text.stdout.contains("per difficulty"), text.stdout)
        XCTAssertTrue(text.stdout.contains("scans  image AUROC"), text.stdout)
    }

    func testInfoOnModelAndImages() throws {
        let m = try run(["info", Self.model])
        XCTAssertEqual(m.status, 0, m.stderr)
        for needle in ["opset 17", "input  input", "supported: yes", "GMAC", "xrayscreen.tile_size = 64"] {
            XCTAssertTrue(m.stdout.contains(needle), "\(needle) not in\n\(m.stdout)")
        }
        let png = try run(["info", "good/baggage-000001.png"])
        XCTAssertEqual(png.status, 0, png.stderr)
        XCTAssertTrue(png.stdout.contains("page 0: 160 × 128, 16-bit"), png.stdout)
        let tiff = try run(["info", "good/baggage-000040.tiff", "--json"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(tiff.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((object["pages"] as? [Any])?.count, 2)
        let bad = try run(["info", "mixed/notimage.png"])
        XCTAssertEqual(bad.status, 2)
    }

    func testBenchTimesTheModelAfterItsWarmUp() throws {
        let started = Date()
        let r = try run(["bench", Self.model, "--runs", "3", "--warmup", "0", "--warmup-seconds", "1", "--json",
                         "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((object["runs_ms"] as? [Double])?.count, 3)
        XCTAssertEqual(object["shape"] as? [Int], [1, 1, 64, 64])
        // The warm-up runs for the time given even with no warm-up runs asked for.
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 1)
        let bad = try run(["bench", Self.model, "--warmup-seconds", "-1"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--warmup-seconds"), bad.stderr)
    }

    func testEveryCommandHasHelpWithExamples() throws {
        for command in ["scan", "calibrate", "eval", "info"] {
            let r = try run([command, "--help"])
            XCTAssertEqual(r.status, 0, command)
            XCTAssertTrue(r.stdout.contains("Examples:"), "\(command) --help has no examples")
        }
        XCTAssertTrue(try run(["scan", "--help"]).stdout.contains("Exit status"))
    }

    /// RFC 4180 fields of one line (no embedded line breaks).
    static func csvFields(_ line: Substring) -> [String] {
        var fields: [String] = [], field = "", quoted = false
        var chars = Array(line)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { fields.append(field); field = "" } else { field.append(c) }
        }
        fields.append(field)
        return fields
    }
}
