import ArgumentParser
import Foundation
import XRayDetection
import XRayImaging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--model` and `--profile`, shared by `scan`, `calibrate` and `eval`.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "ONNX model (default: $XRAYSCREEN_MODEL, else the one .onnx file in the package's Models/ folder).",
        valueName: "model.onnx"))
    var model: String?

    @Option(name: .long, help: ArgumentHelp(
        "Calibration profile made by 'calibrate' (threshold and normal-score scale); overrides the model's own threshold.",
        valueName: "profile.json"))
    var profile: String?

    @Option(name: .long, help: ArgumentHelp(
        "Test-time flips averaged per tile: none, or a comma list of horizontal, vertical, both; each costs one more network run per tile (default: the model's metadata, else none).",
        valueName: "views"))
    var flips: String?

    /// The model file to load: `--model`, `$XRAYSCREEN_MODEL`, or the shipped model.
    func modelURL() throws -> URL {
        try ModelLocator.resolve(explicit: model)
    }

    func loadProfile() throws -> CalibrationProfile? {
        guard let profile else { return nil }
        do { return try CalibrationProfile(contentsOf: URL(fileURLWithPath: profile)) } catch {
            throw CLIError.input("cannot read calibration profile \(profile): \(describe(error))")
        }
    }

    /// Loads the model (and profile) into a detector whose tiles use `threads` workers.
    func makeDetector(threads: Int, configure: (inout DetectorConfiguration) -> Void = { _ in }) throws -> Detector {
        let url = try modelURL()
        let profile = try loadProfile()
        var configuration = DetectorConfiguration()
        configuration.threads = max(1, threads)
        if let flips {
            guard let views = FlipViews(flips) else {
                throw CLIError.input("--flips must be none, or a comma list of horizontal, vertical, both (got \(flips))")
            }
            configuration.flipViews = views
        }
        configure(&configuration)
        do {
            return try Detector(model: url, configuration: configuration, profile: profile)
        } catch {
            throw CLIError.input("cannot load model \(url.path): \(describe(error))")
        }
    }
}

/// Finds the default model.
enum ModelLocator {
    static let environmentVariable = "XRAYSCREEN_MODEL"

    /// `explicit` if given; else `$XRAYSCREEN_MODEL`; else the single `.onnx` file in a `Models/`
    /// folder next to the executable or above it (the package root when run from `.build/…`),
    /// or in `../share/xray-screen/` (an installed layout).
    static func resolve(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let fm = FileManager.default
        if let explicit {
            guard fm.isReadableFile(atPath: explicit) else { throw CLIError.input("model not found or not readable: \(explicit)") }
            return URL(fileURLWithPath: explicit)
        }
        if let env = environment[environmentVariable], !env.isEmpty {
            guard fm.isReadableFile(atPath: env) else {
                throw CLIError.input("$\(environmentVariable) names \(env), which is missing or not readable")
            }
            return URL(fileURLWithPath: env)
        }
        var searched: [String] = []
        for folder in candidateFolders() {
            searched.append(folder.path)
            guard let names = try? fm.contentsOfDirectory(atPath: folder.path) else { continue }
            let models = names.filter { $0.lowercased().hasSuffix(".onnx") && !$0.hasPrefix(".") }.sorted()
            if models.count == 1 { return folder.appendingPathComponent(models[0]) }
            if models.count > 1 {
                throw CLIError.input("several models in \(folder.path) (\(models.joined(separator: ", "))): choose one with --model or $\(environmentVariable)")
            }
        }
        throw CLIError.input("""
            no model: pass --model FILE.onnx or set $\(environmentVariable) (no shipped model found in \
            \(searched.joined(separator: ", ")))
            """)
    }

    static func candidateFolders() -> [URL] {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let fromBundle = Bundle.main.executableURL?.resolvingSymlinksInPath()
        var folders: [URL] = []
        for exe in [fromBundle, executable].compactMap({ $0 }) {
            var dir = exe.deletingLastPathComponent()
            folders.append(dir.deletingLastPathComponent().appendingPathComponent("share/xray-screen"))
            for _ in 0..<6 {
                folders.append(dir.appendingPathComponent("Models"))
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        var seen = Set<String>()
        return folders.filter { seen.insert($0.standardizedFileURL.path).inserted }
    }
}

/// Reads one scan input (a file, a 2-page TIFF or a high/low pair) as an image.
enum ScanLoader {
    /// Decodes `input`: a PNG or single-page TIFF as stored; a TIFF with 2 or more pages as a
    /// dual-energy image (page 0 high, page 1 low); a `X.high.EXT` + `X.low.EXT` pair as one
    /// dual-energy image. Returns notes worth reporting.
    static func load(_ input: ScanInput) throws -> (image: XRayImage, notes: [String]) {
        let url = URL(fileURLWithPath: input.path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: input.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CLIError.input("\(input.path) is a folder, not an image")
        }
        if let lowPath = input.lowEnergyPath {
            let high = try ImageDecoder.decode(contentsOf: url)
            let low = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: lowPath))
            return (try combine(high: high, low: low, lowPath: lowPath), [])
        }
        let pages = try ImageDecoder.pageCount(contentsOf: url)
        if pages >= 2 {
            let image = try ImageDecoder.decodeDualEnergy(contentsOf: url)
            let notes = pages > 2 ? ["\(pages) pages: read pages 0 and 1 as high and low energy"] : []
            return (image, notes)
        }
        return (try ImageDecoder.decode(contentsOf: url), [])
    }

    static func combine(high: XRayImage, low: XRayImage, lowPath: String) throws -> XRayImage {
        guard high.channels == 1, low.channels == 1 else {
            throw CLIError.input("dual-energy pair: both files must be single-channel (high has \(high.channels), \(lowPath) has \(low.channels))")
        }
        guard high.width == low.width, high.height == low.height, high.bitDepth == low.bitDepth else {
            throw CLIError.input("dual-energy pair: high is \(high.width)×\(high.height) \(high.bitDepth)-bit, \(lowPath) is \(low.width)×\(low.height) \(low.bitDepth)-bit")
        }
        let pixels: XRayImage.Pixels
        switch (high.pixels, low.pixels) {
        case let (.uint8(a), .uint8(b)): pixels = .uint8(a + b)
        case let (.uint16(a), .uint16(b)): pixels = .uint16(a + b)
        case let (.float32(a), .float32(b)): pixels = .float32(a + b)
        default: throw CLIError.input("dual-energy pair: the two files differ in sample type")
        }
        return try XRayImage(width: high.width, height: high.height, channelMeanings: [.highEnergy, .lowEnergy],
                             pixels: pixels, bitDepth: high.bitDepth, pixelsPerMillimetre: high.pixelsPerMillimetre)
    }
}

/// An error's message for a report or the terminal.
func describe(_ error: any Error) -> String {
    let text: String
    if error is CocoaError || error is POSIXError || error is URLError {
        text = error.localizedDescription  // Foundation's own errors read better this way
    } else {
        text = String(describing: error)
    }
    return text.replacingOccurrences(of: "\n", with: " ")
}

/// Runs blocking work (decode, detect) on a Dispatch worker so it never holds a thread of
/// Swift concurrency's cooperative pool.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// `mkdir -p` with the system's reason on failure.
func makeDirectory(_ path: String) throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
        guard isDirectory.boolValue else { throw CLIError.output("\(path) exists and is not a folder") }
        return
    }
    let parent = (path as NSString).deletingLastPathComponent
    if !parent.isEmpty, parent != path { try makeDirectory(parent) }
    if mkdir(path, 0o755) != 0, errno != EEXIST {
        throw CLIError.output("cannot create folder \(path): \(String(cString: strerror(errno)))")
    }
}
