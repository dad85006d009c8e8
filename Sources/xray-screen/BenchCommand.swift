import ArgumentParser
import Foundation
import XRayDetection
import XRayEngine
import XRayImaging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `xray-screen bench`: times one ONNX model in XRayEngine (the numbers
/// `Benchmarks/peers/run_peers.py` compares with ONNX Runtime and PyTorch), the
/// kernel micro-benchmarks, or the whole scan pipeline per stage.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time a model (median/min ms, GFLOP/s, memory), the kernels (--kernels) or the scan pipeline (--e2e).")

    @Argument(help: "The .onnx model to time.")
    var model: String?

    @Option(help: "Input shape, e.g. 1x1x1024x1024 (default: the model's static input shape).")
    var shape: String?

    @Option(help: "Threads the kernels may use.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Timed runs (with --kernels: per case and thread count, the best is kept).")
    var runs: Int = 10

    @Option(help: "Untimed runs before timing.")
    var warmup: Int = 2

    @Option(name: .customLong("warmup-seconds"),
            help: "Keep warming up until this much time has passed, too: a fresh process ran its first ~0.1 s of two-thread runs at about half speed on the benchmark host.")
    var warmupSeconds: Double = 0

    @Option(help: "Raw little-endian float32 input (default: a fixed pseudo-random input).")
    var input: String?

    @Option(name: .customLong("save-output"), help: "Write the first output of the last run as raw float32.")
    var saveOutput: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Also time every step of the plan (fastest and median of the runs) and print where the time goes.")
    var profile = false

    @Flag(help: "Run the kernel micro-benchmarks instead of a model.")
    var kernels = false

    @Option(help: "Only kernel cases whose name contains this.")
    var filter: String?

    @Option(help: "Time the whole scan pipeline per stage on the scans in this directory.")
    var e2e: String?

    @Option(name: .customLong("model"), help: "With --e2e: the detector model (.onnx).")
    var e2eModel: String?

    func run() async throws {
        if kernels {
            print(KernelMicroBenchmark.run(threads: threads == 1 ? [1] : [1, threads], repeats: runs, filter: filter), terminator: "")
            return
        }
        if let dir = e2e {
            try await EndToEndBenchmark(directory: dir, model: e2eModel ?? model, threads: threads, runs: runs).run()
            return
        }
        guard let model else { throw ValidationError("give a model (.onnx), --kernels or --e2e DIR") }
        try benchModel(path: model)
    }

    private func benchModel(path: String) throws {
        guard runs >= 1, warmup >= 0, warmupSeconds >= 0, threads >= 1 else {
            throw ValidationError("--runs and --threads must be at least 1, --warmup and --warmup-seconds not negative")
        }
        let loadStart = Date()
        let m = try Model(contentsOf: URL(fileURLWithPath: path))
        let loadSeconds = Date().timeIntervalSince(loadStart)
        guard m.inputs.count == 1 else { throw ValidationError("bench runs single-input models; this one has \(m.inputs.count)") }
        let inputShape: [Int]
        if let shape {
            let dims = shape.split(separator: "x").map { Int($0) }
            guard !dims.isEmpty, dims.allSatisfy({ ($0 ?? 0) > 0 }) else { throw ValidationError("--shape: expected e.g. 1x1x1024x1024, got '\(shape)'") }
            inputShape = dims.map { $0! }
        } else if m.inputs[0].isStatic {
            inputShape = m.inputs[0].shape.map { $0! }
        } else {
            throw ValidationError("the model's input has symbolic dimensions; give --shape")
        }
        let session = try m.makeSession(inputShape: inputShape, threads: threads)
        let count = inputShape.reduce(1, *)
        let x = try makeInput(count: count, shape: inputShape)
        let inputName = m.inputs[0].name

        var output: Tensor?
        let warmupEnd = DispatchTime.now().uptimeNanoseconds + UInt64(warmupSeconds * 1e9)
        var warmed = 0
        while warmed < warmup || DispatchTime.now().uptimeNanoseconds < warmupEnd {
            output = try session.run(x)
            warmed += 1
        }
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            output = try session.run(x)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-6)
        }
        var steps: [Session.StepTiming] = []
        if profile { steps = try session.profile([inputName: x], runs: max(3, runs)) }
        if let saveOutput, let output {
            let data = output.withUnsafeBufferPointer { Data(buffer: $0) }
            try data.write(to: URL(fileURLWithPath: saveOutput))
        }

        let sorted = times.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        let gflops = 2 * Double(session.macCount) / (median * 1e-3) * 1e-9
        let rss = peakRSSBytes()
        if json {
            var obj: [String: Any] = [
                "model": path, "shape": inputShape, "threads": threads, "runs_ms": times,
                "median_ms": median, "min_ms": sorted[0], "gflops": gflops, "macs": session.macCount,
                "planned_memory_bytes": session.peakMemoryBytes, "peak_rss_bytes": rss,
                "load_s": loadSeconds, "steps": session.stepCount,
            ]
            if profile { obj["profile"] = steps.map { ["step": $0.label, "ms": $0.seconds * 1e3, "median_ms": $0.medianSeconds * 1e3] } }
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("model      \(path)  input \(inputShape.map(String.init).joined(separator: "x"))  threads \(threads)")
        print(String(format: "load       %.2f s, %d steps, %.2f GMAC", loadSeconds, session.stepCount, Double(session.macCount) * 1e-9))
        print(String(format: "median     %.2f ms   min %.2f ms   (%d runs)", median, sorted[0], runs))
        print(String(format: "GFLOP/s    %.1f", gflops))
        print(String(format: "memory     planned %.1f MiB, peak RSS %.1f MiB",
                     Double(session.peakMemoryBytes) / 1048576, Double(rss) / 1048576))
        if profile { printProfile(steps) }
    }

    /// Steps grouped by op type, then the slowest steps.
    private func printProfile(_ steps: [Session.StepTiming]) {
        let total = steps.reduce(0) { $0 + $1.seconds }
        let medianTotal = steps.reduce(0) { $0 + $1.medianSeconds }
        var byOp: [String: (Double, Int)] = [:]
        for s in steps {
            let op = s.label.split(separator: "(").last.map { String($0.dropLast()) } ?? s.label
            byOp[op, default: (0, 0)].0 += s.seconds
            byOp[op, default: (0, 0)].1 += 1
        }
        print(String(format: "\nprofile    sum of per-step minima %.2f ms, of medians %.2f ms", total * 1e3, medianTotal * 1e3))
        for (op, (t, n)) in byOp.sorted(by: { $0.value.0 > $1.value.0 }) {
            print("  " + op.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "%4d steps %9.2f ms %5.1f%%", n, t * 1e3, 100 * t / total))
        }
        print("slowest steps")
        for s in steps.sorted(by: { $0.seconds > $1.seconds }).prefix(15) {
            print(String(format: "  %9.2f ms %5.1f%% (median %.2f)  %@", s.seconds * 1e3, 100 * s.seconds / total,
                         s.medianSeconds * 1e3, s.label as NSString))
        }
    }

    private func makeInput(count: Int, shape: [Int]) throws -> Tensor {
        if let input {
            let data = try Data(contentsOf: URL(fileURLWithPath: input))
            guard data.count == count * 4 else {
                throw ValidationError("--input: \(input) holds \(data.count) bytes, shape \(shape) needs \(count * 4)")
            }
            return Tensor(shape: shape) { buf in _ = data.copyBytes(to: buf) }
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return Tensor(shape: shape) { buf in
            for i in 0..<count {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                buf[i] = Float(Int32(truncatingIfNeeded: state >> 32)) / Float(Int32.max)
            }
        }
    }
}

#if canImport(Glibc)
private let RUSAGE_SELF_WHO = __rusage_who_t(RUSAGE_SELF.rawValue)
#else
private let RUSAGE_SELF_WHO = RUSAGE_SELF
#endif

/// Peak resident set size of this process. On Linux VmHWM from /proc/self/status:
/// getrusage's ru_maxrss survives exec, so a bench started from a large parent
/// (run_peers.py holds ONNX Runtime and PyTorch) would report the parent's peak.
/// Elsewhere getrusage (bytes on Darwin).
func peakRSSBytes() -> Int {
    #if os(Linux)
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
       let kb = Int(line.split(separator: " ").dropFirst().first ?? "") {
        return kb * 1024
    }
    #endif
    var usage = rusage()
    getrusage(RUSAGE_SELF_WHO, &usage)
    #if canImport(Darwin)
    return Int(usage.ru_maxrss)
    #else
    return Int(usage.ru_maxrss) * 1024
    #endif
}

/// `bench --e2e DIR`: every scan in DIR through decode → detect (its own per-stage
/// timings) → JSON report line, sequentially, `runs` passes; prints ms per stage and scans/s.
struct EndToEndBenchmark {
    let directory: String
    let model: String?
    let threads: Int
    let runs: Int

    func run() async throws {
        guard let model else { throw ValidationError("--e2e needs --model MODEL.onnx") }
        let dir = URL(fileURLWithPath: directory)
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { ["tif", "tiff", "png"].contains($0.pathExtension.lowercased()) && !$0.lastPathComponent.hasSuffix(".mask.png") }
            .sorted { $0.path < $1.path }
        guard !files.isEmpty else { throw ValidationError("no .tif/.tiff/.png scans in \(directory)") }
        var config = DetectorConfiguration()
        config.threads = threads
        // A model with a static spatial input size runs tiles of exactly that size.
        if config.tileSize == nil, let shape = try? Model(contentsOf: URL(fileURLWithPath: model)).inputs.first?.shape,
           shape.count == 4, let h = shape[2], let w = shape[3], h == w {
            config.tileSize = h
        }
        let detector = try Detector(model: URL(fileURLWithPath: model), configuration: config)
        var decode = 0.0, write = 0.0, scans = 0
        var stages = ScanResult.Timings()
        let encoder = JSONEncoder()
        let start = Date()
        for _ in 0..<max(1, runs) {
            for url in files {
                var t = Date()
                let image = try ImageDecoder.decode(contentsOf: url)
                decode += Date().timeIntervalSince(t) * 1e3
                let result = try await detector.detect(image, file: url.lastPathComponent)
                t = Date()
                _ = try encoder.encode(result)
                write += Date().timeIntervalSince(t) * 1e3
                stages.preprocessMs += result.timings.preprocessMs
                stages.inferenceMs += result.timings.inferenceMs
                stages.stitchMs += result.timings.stitchMs
                stages.postprocessMs += result.timings.postprocessMs
                stages.regionsMs += result.timings.regionsMs
                stages.totalMs += result.timings.totalMs
                scans += 1
            }
        }
        let wall = Date().timeIntervalSince(start)
        let n = Double(scans)
        print("e2e        \(files.count) scans × \(max(1, runs)) passes, model \(model), threads \(threads)")
        for (name, ms) in [("decode", decode), ("preprocess", stages.preprocessMs), ("infer", stages.inferenceMs),
                           ("stitch", stages.stitchMs), ("post-process", stages.postprocessMs + stages.regionsMs),
                           ("write (JSON)", write)] {
            print("  " + name.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%9.2f ms/scan", ms / n))
        }
        print(String(format: "throughput %.2f scans/s (%.1f ms/scan wall)", n / wall, wall * 1e3 / n))
    }
}
