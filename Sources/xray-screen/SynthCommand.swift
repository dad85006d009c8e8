import ArgumentParser
import Foundation
import XRayImaging
import XRaySimulation

struct SynthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Generate synthetic scans with threat image projection and ground truth.",
        discussion: """
        Writes, per scan, NAME.png (16-bit, single energy) or NAME.tiff (2 pages: high, low \
        energy), NAME.json (ground truth: anomaly classes, boxes, masks; schema in \
        Sources/XRaySimulation/README.md) and NAME.mask.png (8-bit union mask, 255 = anomaly).

        Examples:
          xray-screen synth --kind baggage --count 20 --anomaly-rate 0.5 --seed 1 --out bags
          xray-screen synth --kind cargo --count 4 --dual-energy --difficulty subtle --out cargo
        """
    )

    @Option(help: "baggage or cargo.") var kind: String = "baggage"
    @Option(help: "Number of scans.") var count: Int = 10
    @Option(help: "Fraction of scans (0…1) that receive inserted anomalies.") var anomalyRate: Double = 0.5
    @Option(help: "Anomalies inserted into an anomalous scan.") var anomalies: Int = 2
    @Option(help: "obvious, moderate, subtle, or a number in 0…1; 'mixed' draws one per scan.") var difficulty: String = "mixed"
    @Option(help: "Seed; scan i uses seed + i, so runs are reproducible and extendable.") var seed: UInt64 = 0
    @Option(help: "Output folder (created if needed).") var out: String
    @Flag(help: "Two energies in a 2-page TIFF instead of one 16-bit PNG.") var dualEnergy = false
    @Option(help: "Image width (default: 1024 baggage, 4096 cargo).") var width: Int?
    @Option(help: "Image height (default: 768 baggage, 1024 cargo).") var height: Int?
    @Option(help: "Quantum-noise scale (1 nominal, 0 off).") var noise: Double = 1
    @Option(help: "Scene clutter 0…3.") var clutter: Double = 1
    @Option(help: "Scanner banding artefacts 0…5.") var banding: Double = 0.3
    @Option(help: "Parallel workers.") var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    func run() async throws {
        guard let sceneKind = SceneKind(rawValue: kind) else {
            throw ValidationError("--kind must be baggage or cargo")
        }
        guard count >= 0 else { throw ValidationError("--count must be ≥ 0") }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let difficultyFor = try Self.difficultyChooser(difficulty)
        let started = Date()
        let failures = Counter()
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                let i = next
                next += 1
                group.addTask { [self] in
                    do { try self.generate(index: i, kind: sceneKind, difficulty: difficultyFor) } catch {
                        failures.increment()
                        FileHandle.standardError.write(Data("scan \(i): \(error)\n".utf8))
                    }
                }
            }
            for _ in 0..<min(max(jobs, 1), count) { add() }
            while await group.next() != nil { if next < count { add() } }
        }
        let seconds = Date().timeIntervalSince(started)
        print(String(format: "wrote %d scans to %@ in %.1f s", count - failures.value, out, seconds))
        if failures.value > 0 { throw ExitCode(2) }
    }

    private func generate(index: Int, kind: SceneKind, difficulty: @Sendable (UInt64) -> Double) throws {
        let scanSeed = seed &+ UInt64(index)
        // One coin per scan decides normal vs anomalous, independent of the scene stream.
        var coin = scanSeed &* 0x9E37_79B9_7F4A_7C15
        coin ^= coin >> 31
        let anomalous = Double(coin % 1_000_000) / 1_000_000 < anomalyRate
        let config = SceneConfiguration(kind: kind, width: width, height: height, dualEnergy: dualEnergy,
                                        anomalyCount: anomalous ? max(anomalies, 1) : 0,
                                        difficulty: difficulty(scanSeed), noise: noise, banding: banding,
                                        clutter: clutter, seed: scanSeed)
        try config.validate()
        let scan = try ScanSimulator().generate(config)
        let name = String(format: "%@-%06llu", kind.rawValue, scanSeed)
        let folder = URL(fileURLWithPath: out)
        if dualEnergy {  // one page per energy, as dual-energy scanners store them
            let pages = try ImageEncoder.tiff(scan.image.channelImages(), compression: .deflate)
            try pages.write(to: folder.appendingPathComponent(name + ".tiff"), options: .atomic)
        } else {
            try scan.image.write(to: folder.appendingPathComponent(name + ".png"))
        }
        try scan.maskImage.write(to: folder.appendingPathComponent(name + ".mask.png"))
        try scan.groundTruth.jsonData(pretty: true).write(to: folder.appendingPathComponent(name + ".json"),
                                                          options: .atomic)
    }

    static func difficultyChooser(_ text: String) throws -> @Sendable (UInt64) -> Double {
        if text == "mixed" {
            return { seed in Double((seed &* 0xD1B5_4A32_D192_ED03) >> 11) / Double(1 << 53) }
        }
        if let level = DifficultyLevel(rawValue: text) { return { _ in level.value } }
        if let v = Double(text), (0...1).contains(v) { return { _ in v } }
        throw ValidationError("--difficulty must be obvious, moderate, subtle, mixed or a number in 0…1")
    }
}

/// A thread-safe counter for tallies across tasks.
final class Counter: @unchecked Sendable {
    private var count = 0
    private let lock = NSLock()
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
