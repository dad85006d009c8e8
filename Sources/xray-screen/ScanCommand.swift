import ArgumentParser
import Foundation
import XRayDetection
import XRayImaging

struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Screen scans and write one report line per scan.",
        discussion: """
        Reads PNG and TIFF scans (files, or folders of them). A TIFF with two pages, or a pair \
        NAME.high.EXT + NAME.low.EXT, is one dual-energy scan; a single-channel model screens its \
        high-energy plane. Files named *.mask.* are skipped.

        Every finished scan appends one line to the report (JSON Lines by default: the ScanResult \
        fields of Sources/XRayDetection/README.md plus "status": "ok", or {"status": "failed", \
        "file", "error"}), flushed to disk before the next, so a killed run loses nothing and \
        --resume carries on. A scan that cannot be read or screened is reported as failed and \
        the batch goes on. Progress goes to standard error, the summary to standard output.

        Exit status: 0 nothing flagged; 1 at least one scan flagged (this run or, with --resume, \
        already in the report); 2 at least one scan failed, or the command could not run (no \
        model, unwritable or full report disk, bad arguments). 2 wins over 1.

        Examples:
          xray-screen scan bags/ --out run1
          xray-screen scan bags/ --profile site.json --overlays --out run1
          xray-screen scan /data/scans --recursive --shard $JOB_COMPLETION_INDEX/8 --resume --out /results
          xray-screen scan a.tiff b.png --format csv --out . --model Models/bagnet.onnx
        """
    )

    @Argument(help: ArgumentHelp("Scan files or folders.", valueName: "path"))
    var paths: [String]

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: ArgumentHelp("Output folder for the report and overlays (created if needed).", valueName: "dir"))
    var out: String = "xray-screen-out"

    @Option(help: ArgumentHelp("Report path (default: DIR/report.jsonl or .csv; with --shard, report.shard-I-of-N.*).",
                               valueName: "file"))
    var report: String?

    @Option(help: "Report format: jsonl or csv.")
    var format: ReportFormat = .jsonl

    @Flag(help: "Write an overlay PNG per scan (scan, heat map, region boxes) to DIR/overlays/.")
    var overlays = false

    @Option(help: ArgumentHelp("""
        Scans screened at once (default: one per core). Each scan's tiles use cores / jobs \
        threads, so the total stays about the core count; fewer jobs hold fewer huge scans in \
        memory at once.
        """, valueName: "n"))
    var jobs: Int?

    @Flag(help: "Descend into sub-folders.")
    var recursive = false

    @Option(help: ArgumentHelp("""
        Take only shard i of N (0 ≤ i < N), split by a hash of each path: N machines running the \
        same command with i = 0…N-1 screen every scan exactly once.
        """, valueName: "i/N"))
    var shard: String?

    @Flag(help: "Skip scans the report already lists as ok (failed ones are retried).")
    var resume = false

    @Flag(help: "No progress on standard error.")
    var quiet = false

    enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case jsonl, csv }

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be ≥ 1") }
        if let shard { _ = try Shard(parsing: shard) }
    }

    func run() async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        // One scan per core by default: decoding and region extraction run on one thread per scan,
        // and single-threaded tiles and smoothing need no hand-offs. On 2 cores, 2 jobs × 1
        // thread against 1 × 2: 28 held-out bags 3.54–3.70 vs 2.93–3.13 scans/s, 20 containers
        // (4096 × 1024) 0.75–0.76 vs 0.56–0.67, the same peak memory (229 MB).
        let jobCount = jobs ?? max(1, cores)
        let threads = max(1, cores / jobCount)
        let shard = try self.shard.map { try Shard(parsing: $0) }

        // Inputs, this shard's share of them.
        var inputs = try ScanInputs.discover(paths, recursive: recursive)
        if let shard { inputs = inputs.filter { shard.contains($0.path) } }

        // Report (open before the model loads: an unwritable report fails fast).
        try makeDirectory(out)
        let reportPath = report ?? (out as NSString).appendingPathComponent(
            (shard.map { "report.shard-\($0.index)-of-\($0.count)" } ?? "report") + "." + format.rawValue)
        let reportFolder = (reportPath as NSString).deletingLastPathComponent
        if !reportFolder.isEmpty { try makeDirectory(reportFolder) }
        var previous = ReportReader.Summary()
        if resume, FileManager.default.fileExists(atPath: reportPath) {
            previous = try ReportReader.read(path: reportPath, format: format)
        }
        let reportFile = try ReportFile(path: reportPath)
        if previous.endsWithoutNewline { try reportFile.append(line: "") }
        if format == .csv, reportFile.isEmpty { try reportFile.append(line: ReportLine.csvHeader) }

        let skipped = inputs.filter { previous.done.contains($0.path) }.count
        if resume { inputs = inputs.filter { !previous.done.contains($0.path) } }

        let overlayFolder = (out as NSString).appendingPathComponent("overlays")
        if overlays {
            try makeDirectory(overlayFolder)
        }

        let detector = try modelOptions.makeDetector(threads: threads)
        for warning in detector.warnings { printError("warning: \(warning)") }

        let progress = ProgressReporter(total: inputs.count, quiet: quiet)
        let started = Date()
        var scanned = 0, flagged = 0, failed = 0
        var reportError: (any Error)?
        let wantOverlays = overlays
        await withTaskGroup(of: ScanOutcome.self) { group in
            var next = 0
            func add() {
                let input = inputs[next]
                next += 1
                group.addTask {
                    await Self.screen(input, detector: detector, overlayFolder: wantOverlays ? overlayFolder : nil)
                }
            }
            for _ in 0..<min(jobCount, inputs.count) { add() }
            while let outcome = await group.next() {
                do {
                    try reportFile.append(line: format == .jsonl ? outcome.jsonLine : outcome.csvLine)
                } catch {
                    reportError = error
                    group.cancelAll()
                    break
                }
                scanned += 1
                if outcome.result?.flagged == true { flagged += 1 }
                if outcome.error != nil { failed += 1 }
                progress.finished(file: outcome.input.path, flagged: outcome.result?.flagged == true,
                                  failed: outcome.error != nil, detail: outcome.detail)
                if next < inputs.count { add() }
            }
        }
        if let reportError {
            let reason: String
            if case CLIError.output(let m) = reportError { reason = m } else { reason = "\(reportPath): \(describe(reportError))" }
            throw CLIError.output("\(reason) (stopped after \(scanned) scan(s); free space or fix the path, then rerun with --resume)")
        }

        let seconds = Date().timeIntervalSince(started)
        let rate = seconds > 0 ? Double(scanned) / seconds : 0
        var summary = String(format: "scanned %d, flagged %d, failed %d", scanned, flagged, failed)
        if resume { summary += ", skipped \(skipped) already in the report (\(previous.flagged) of them flagged)" }
        summary += String(format: " in %.1f s (%.2f img/s, %d job(s) × %d thread(s))", seconds, rate, jobCount, threads)
        print(summary)
        print("report: \(reportPath)")
        if overlays { print("overlays: \(overlayFolder)") }
        if failed > 0 { throw ExitCode(2) }
        if flagged + (resume ? previous.flagged : 0) > 0 { throw ExitCode(1) }
    }

    /// Decodes, screens and (optionally) renders one scan; never throws: failures are outcomes.
    static func screen(_ input: ScanInput, detector: Detector, overlayFolder: String?) async -> ScanOutcome {
        let started = Date()
        do {
            let result = try await offload { () throws -> ScanResult in
                let (image, notes) = try ScanLoader.load(input)
                var result: ScanResult
                if let overlayFolder {
                    let detection = try detector.detectWithMap(image, file: input.path)
                    result = detection.result
                    let overlay = try OverlayRenderer().render(image, detection: detection)
                    let path = (overlayFolder as NSString).appendingPathComponent(overlayName(for: input.path))
                    do { try overlay.write(to: URL(fileURLWithPath: path)) } catch {
                        throw CLIError.output("overlay \(path): \(describe(error))")
                    }
                } else {
                    result = try detector.detect(image, file: input.path)
                }
                result.warnings += notes
                return result
            }
            return ScanOutcome(input: input, result: result, error: nil, seconds: Date().timeIntervalSince(started))
        } catch {
            return ScanOutcome(input: input, result: nil, error: describe(error), seconds: Date().timeIntervalSince(started))
        }
    }

    /// `bags/sub/x.tiff` → `bags__sub__x.png` (unique per path, flat folder).
    static func overlayName(for path: String) -> String {
        var p = path
        while p.hasPrefix("./") { p.removeFirst(2) }
        while p.hasPrefix("/") { p.removeFirst() }
        let stem = (p as NSString).deletingPathExtension
        return stem.replacingOccurrences(of: "/", with: "__").replacingOccurrences(of: "..", with: "_") + ".png"
    }
}

/// The result of one scan in a batch.
struct ScanOutcome: Sendable {
    var input: ScanInput
    var result: ScanResult?
    var error: String?
    var seconds: Double

    var detail: String {
        if let error { return "FAILED: \(error)" }
        guard let r = result else { return "" }
        return r.flagged ? String(format: "FLAGGED score %.2f, %d region(s)", r.score, r.regions.count)
                         : String(format: "score %.2f", r.score)
    }

    var jsonLine: String { ReportLine.json(file: input.path, result: result, error: error) }
    var csvLine: String { ReportLine.csv(file: input.path, result: result, error: error) }
}

/// The report's line formats.
enum ReportLine {
    static let csvHeader = "status,error," + ScanResult.csvHeader

    private struct Failure: Encodable {
        var schemaVersion = ScanResult.currentSchemaVersion
        var status = "failed"
        var file: String
        var error: String
    }

    static func json(file: String, result: ScanResult?, error: String?) -> String {
        if let result, let data = try? result.jsonData(), let text = String(data: data, encoding: .utf8), text.hasPrefix("{") {
            return "{\"status\":\"ok\"," + text.dropFirst()
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let failure = Failure(file: file, error: error ?? "could not encode the result")
        return String(data: (try? encoder.encode(failure)) ?? Data("{}".utf8), encoding: .utf8) ?? "{}"
    }

    static func csv(file: String, result: ScanResult?, error: String?) -> String {
        if let result { return "ok,," + result.csvRow }
        let columns = ScanResult.csvHeader.split(separator: ",").count
        return "failed," + CSV.quote(error ?? "") + "," + CSV.quote(file) + String(repeating: ",", count: columns - 1)
    }
}

enum CSV {
    static func quote(_ s: String) -> String {
        let flat = s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if flat.contains(where: { $0 == "," || $0 == "\"" }) {
            return "\"" + flat.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return flat
    }

    /// Splits one RFC 4180 line (no embedded line breaks) into fields.
    static func fields(_ line: Substring) -> [String] {
        var fields: [String] = [], field = ""
        var quoted = false, i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
            if quoted {
                if c == "\"" {
                    let n = line.index(after: i)
                    if n < line.endIndex, line[n] == "\"" { field.append("\""); i = n } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { fields.append(field); field = "" } else { field.append(c) }
            i = line.index(after: i)
        }
        fields.append(field)
        return fields
    }
}

/// Reads an existing report for `--resume`.
enum ReportReader {
    struct Summary {
        /// Files reported ok.
        var done: Set<String> = []
        /// How many of them were flagged.
        var flagged = 0
        /// The last line was cut off (a killed run): a newline must be written before appending.
        var endsWithoutNewline = false
    }

    static func read(path: String, format: ScanCommand.ReportFormat) throws -> Summary {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CLIError.input("cannot read report \(path) to resume: \(describe(error))")
        }
        var summary = Summary()
        summary.endsWithoutNewline = !data.isEmpty && data.last != UInt8(ascii: "\n")
        let text = String(decoding: data, as: UTF8.self)
        var flaggedFiles = Set<String>()
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            switch format {
            case .jsonl:
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      object["status"] as? String == "ok", let file = object["file"] as? String else { continue }
                summary.done.insert(file)
                if object["flagged"] as? Bool == true { flaggedFiles.insert(file) } else { flaggedFiles.remove(file) }
            case .csv:
                let f = CSV.fields(line)
                // status, error, file, width, height, score, flagged, …
                guard f.count >= 7, f[0] == "ok" else { continue }
                summary.done.insert(f[2])
                if f[6] == "1" { flaggedFiles.insert(f[2]) } else { flaggedFiles.remove(f[2]) }
            }
        }
        summary.flagged = flaggedFiles.count
        return summary
    }
}
