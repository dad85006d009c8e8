import Foundation

/// One unit of work for `scan`: a single file, or a dual-energy pair stored as two files.
struct ScanInput: Hashable, Sendable {
    /// The path reported in results (the high-energy file for a pair).
    var path: String
    /// The low-energy file when the scan is a pair `NAME.high.EXT` + `NAME.low.EXT`.
    var lowEnergyPath: String?
}

/// Finds the scans named on the command line: files as given, folders listed
/// (recursively when asked), in a sorted, machine-independent order.
enum ScanInputs {
    static let imageExtensions: Set<String> = ["png", "tif", "tiff"]

    static func discover(_ paths: [String], recursive: Bool) throws -> [ScanInput] {
        var files: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CLIError.input("no such file or folder: \(path)")
            }
            if !isDirectory.boolValue {
                files.append(path)
                continue
            }
            files += try listImages(in: path, recursive: recursive)
        }
        return pairDualEnergy(files.sorted())
    }

    /// `discover`, failing when nothing is found (calibrate and eval need at least one scan).
    static func discoverSome(_ paths: [String], recursive: Bool) throws -> [ScanInput] {
        let inputs = try discover(paths, recursive: recursive)
        guard !inputs.isEmpty else { throw CLIError.input("no PNG or TIFF scans in \(paths.joined(separator: ", "))") }
        return inputs
    }

    private static func listImages(in folder: String, recursive: Bool) throws -> [String] {
        let fm = FileManager.default
        let names: [String]
        do {
            names = recursive ? (fm.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? [])
                              : try fm.contentsOfDirectory(atPath: folder)
        } catch {
            throw CLIError.input("cannot list \(folder): \(error.localizedDescription)")
        }
        return names.filter { name in
            let url = URL(fileURLWithPath: name)
            let base = url.deletingPathExtension().lastPathComponent
            return imageExtensions.contains(url.pathExtension.lowercased()) && !base.hasSuffix(".mask")
                && !url.lastPathComponent.hasPrefix(".")
        }.map { (folder as NSString).appendingPathComponent($0) }
    }

    /// Joins `X.high.ext` and `X.low.ext` into one input; everything else stays single.
    static func pairDualEnergy(_ files: [String]) -> [ScanInput] {
        let set = Set(files)
        var result: [ScanInput] = []
        for file in files {
            // String operations only: the paths must stay as given (URL(fileURLWithPath:) would
            // make relative paths absolute and the pair lookups would miss).
            let ext = (file as NSString).pathExtension
            let stem = (file as NSString).deletingPathExtension
            if stem.hasSuffix(".low"), set.contains(String(stem.dropLast(4)) + ".high." + ext) {
                continue  // reported with its high-energy partner
            }
            if stem.hasSuffix(".high") {
                let low = String(stem.dropLast(5)) + ".low." + ext
                if set.contains(low) {
                    result.append(ScanInput(path: file, lowEnergyPath: low))
                    continue
                }
            }
            result.append(ScanInput(path: file, lowEnergyPath: nil))
        }
        return result
    }
}
