import ArgumentParser
import Foundation
import XRayDetection
import XRayEngine
import XRayImaging

struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a model (.onnx) or a scan (PNG, TIFF).",
        discussion: """
        For a model: producer, opset, inputs and outputs, operator counts as loaded and after \
        optimisation, whether the engine supports every operator, multiply-accumulates (GMAC) \
        for one tile (the model's xrayscreen.tile_size, else its static input size, else \
        --size), the detector metadata as the detector reads it (threshold, channels, tiling) \
        and the provenance keys.

        For a scan: format, file size, pages and, per page, size, bit depth, channels and their \
        meaning, resolution and the intensity range per channel.

        Exit status 0, or 2 when the file cannot be read (an unsupported operator included).

        Examples:
          xray-screen info Models/bagnet.onnx
          xray-screen info bags/baggage-000001.tiff
          xray-screen info my-model.onnx --size 512 --json
        """
    )

    @Argument(help: ArgumentHelp("An .onnx model or a PNG/TIFF scan.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("Tile side for the GMAC count when the model names none and has a dynamic input.",
                               valueName: "pixels"))
    var size: Int = 256

    @Flag(help: "Machine-readable JSON on standard output.")
    var json = false

    func run() async throws {
        let url = URL(fileURLWithPath: file)
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw CLIError.input("cannot open \(file)")
        }
        let prefix = (try? handle.read(upToCount: 8)) ?? Data()
        try? handle.close()
        if ImageFormat(sniffing: prefix) != nil {
            try describeImage(url)
        } else {
            try describeModel(url)
        }
    }

    // MARK: Model

    func describeModel(_ url: URL) throws {
        let model: Model
        do { model = try Model(contentsOf: url) } catch let error as EngineError {
            switch error {
            case .unsupportedOperator, .unsupportedOpset, .unsupportedAttribute:
                throw CLIError.input("\(file): not every operator is supported by XRayEngine: \(error)")
            default:
                throw CLIError.input("\(file): not a model XRayEngine can load: \(error)")
            }
        }
        let meta = try? ModelMetadata(properties: model.metadata)
        let metaError: String? = { do { _ = try ModelMetadata(properties: model.metadata); return nil } catch { return describe(error) } }()
        let sha = try fileSHA256(url)

        // One tile's shape: the metadata's tile, else the model's static shape, else --size.
        let input = model.inputs.first(where: { $0.name == (meta?.inputName ?? "input") }) ?? model.inputs.first
        var shape: [Int]? = nil
        var macNote = ""
        if let input {
            let channels = meta?.inputChannels?.count ?? (input.shape.count == 4 ? input.shape[1] : nil) ?? 1
            let tile = meta?.tileSize
            if input.shape.count == 4 {
                let h = tile ?? input.shape[2] ?? size, w = tile ?? input.shape[3] ?? size
                shape = [1, channels, h, w]
            } else if input.isStatic {
                shape = input.shape.map { $0! }
            }
        }
        var macs: Int? = nil, peak: Int? = nil
        if let input, let shape {
            do {
                let session = try model.makeSession(inputShapes: [input.name: shape])
                macs = session.macCount
                peak = session.peakMemoryBytes
            } catch { macNote = "cannot prepare a session for \(shape): \(describe(error))" }
        }

        if json {
            var object: [String: Any] = [
                "kind": "model", "file": file, "producer": model.producer, "opset": model.opsetVersion,
                "irVersion": model.irVersion, "parameters": model.parameterCount,
                "inputs": model.inputs.map { describeTensor($0) }, "outputs": model.outputs.map { describeTensor($0) },
                "operators": model.operatorCounts, "optimizedOperators": model.optimizedOperatorCounts,
                "allOperatorsSupported": true, "metadata": model.metadata,
            ]
            if let sha { object["sha256"] = sha }
            if let shape { object["tileShape"] = shape }
            if let macs { object["gmacPerTile"] = Double(macs) / 1e9 }
            if let peak { object["activationBytes"] = peak }
            if let metaError { object["metadataError"] = metaError }
            try printJSON(object)
            return
        }
        print("model: \(file)")
        if let sha { print("sha256: \(sha)") }
        print(model.summary)
        print("supported: yes, all \(model.operatorCounts.count) operator types (\(model.operatorCounts.values.reduce(0, +)) nodes) load in XRayEngine")
        if let shape, let macs {
            print(String(format: "compute: %.3f GMAC per tile %@, activations %.1f MB", Double(macs) / 1e9,
                         shape.map(String.init).joined(separator: "×"), Double(peak ?? 0) / 1e6))
        } else if !macNote.isEmpty {
            print("compute: \(macNote)")
        }
        if let metaError {
            print("detector metadata: INVALID: \(metaError)")
        } else if let meta {
            let channels = meta.inputChannels.map { $0.map(\.rawValue).joined(separator: ",") } ?? "(not set: gray for 1 plane, high,low for 2)"
            print("detector: name \(meta.modelName ?? "-"), version \(meta.version ?? "-"), channels \(channels)")
            print("  normalisation \(meta.normalisation?.rawValue ?? "(log_attenuation)"), tile \(meta.tileSize.map(String.init) ?? "(256)"), overlap \(meta.tileOverlap.map(String.init) ?? "(tile/4)"), output \(meta.output?.rawValue ?? "(probability)")")
            if let t = meta.threshold {
                print("  threshold \(t) (calibrated in the model), score mean \(meta.scoreMean.map { "\($0)" } ?? "0")")
            } else {
                print("  threshold: none in the model: calibrate on your normal scans (xray-screen calibrate) or scans use 0.5")
            }
            if !meta.provenance.isEmpty {
                print("provenance:")
                for (k, v) in meta.provenance.sorted(by: { $0.key < $1.key }) { print("  \(k) = \(v)") }
            }
        }
    }

    func describeTensor(_ t: TensorDescription) -> [String: Any] {
        ["name": t.name, "type": t.elementType,
         "shape": zip(t.shape, t.dimensionNames).map { d, n -> Any in d.map { $0 as Any } ?? (n ?? "?") }]
    }

    // MARK: Image

    func describeImage(_ url: URL) throws {
        let pages: Int
        do { pages = try ImageDecoder.pageCount(contentsOf: url) } catch { throw CLIError.input("\(file): \(describe(error))") }
        let prefix = FileManager.default.contents(atPath: file)?.prefix(8) ?? Data()
        let format = ImageFormat(sniffing: prefix)?.rawValue ?? "?"
        let bytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
        var pageObjects: [[String: Any]] = []
        var lines: [String] = []
        for page in 0..<pages {
            let image: XRayImage
            do { image = try ImageDecoder.decode(contentsOf: url, page: page) } catch {
                throw CLIError.input("\(file) page \(page): \(describe(error))")
            }
            let type: String
            switch image.pixels {
            case .uint8: type = "uint8"
            case .uint16: type = "uint16"
            case .float32: type = "float32"
            }
            var ranges: [[Double]] = []
            for c in 0..<image.channels { ranges.append(Self.range(of: image, channel: c)) }
            var object: [String: Any] = [
                "page": page, "width": image.width, "height": image.height, "bitDepth": image.bitDepth,
                "sampleType": type, "channels": image.channelMeanings.map(\.rawValue),
                "range": ranges,
            ]
            if let r = image.pixelsPerMillimetre { object["pixelsPerMillimetre"] = [r.x, r.y] }
            pageObjects.append(object)
            var line = "page \(page): \(image.width) × \(image.height), \(image.bitDepth)-bit \(type), \(image.channels) channel(s) [\(image.channelMeanings.map(\.rawValue).joined(separator: ", "))]"
            if let r = image.pixelsPerMillimetre { line += String(format: ", %.3g × %.3g px/mm", r.x, r.y) }
            line += ", range " + ranges.map { String(format: "%g…%g", $0[0], $0[1]) }.joined(separator: " / ")
            lines.append(line)
        }
        let dual = pages >= 2 ? "2 or more pages: scan reads pages 0 and 1 as high and low energy" : nil
        if json {
            var object: [String: Any] = ["kind": "image", "file": file, "format": format, "pages": pageObjects]
            if let bytes { object["bytes"] = bytes }
            try printJSON(object)
            return
        }
        print("image: \(file)")
        print("format: \(format)\(bytes.map { ", \($0) bytes" } ?? ""), \(pages) page(s)")
        lines.forEach { print($0) }
        if let dual { print(dual) }
    }

    static func range(of image: XRayImage, channel c: Int) -> [Double] {
        let n = image.pixelCount, r = (c * n)..<((c + 1) * n)
        switch image.pixels {
        case .uint8(let p): return [Double(p[r].min() ?? 0), Double(p[r].max() ?? 0)]
        case .uint16(let p): return [Double(p[r].min() ?? 0), Double(p[r].max() ?? 0)]
        case .float32(let p):
            let finite = p[r].filter(\.isFinite)
            return [Double(finite.min() ?? 0), Double(finite.max() ?? 0)]
        }
    }

    func printJSON(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    func fileSHA256(_ url: URL) throws -> String? {
        try? SHA256.hex(ofFileAt: url)  // the identity reports carry as model.sha256
    }
}
