import Foundation

extension ScanResult {
    /// Column names of ``csvRow``, comma-separated (no line break).
    public static let csvHeader =
        "file,width,height,score,flagged,raw_score,raw_threshold,normal_mean,regions,top_region_x,top_region_y,top_region_width,top_region_height,top_region_peak,total_ms,model_name,model_sha256,warnings"

    /// One CSV line (RFC 4180 quoting, no line break) summarising the result: the verdict, the
    /// scores and the highest-scoring region. The JSON form holds everything.
    public var csvRow: String {
        func quote(_ s: String?) -> String {
            guard let s else { return "" }
            if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return s
        }
        func number(_ v: Double) -> String { String(format: "%.6g", v) }
        let top = regions.first
        let fields: [String] = [
            quote(file), "\(image.width)", "\(image.height)", number(score), flagged ? "1" : "0",
            number(rawScore), number(scale.threshold), number(scale.normalMean), "\(regions.count)",
            top.map { "\($0.boundingBox.x)" } ?? "", top.map { "\($0.boundingBox.y)" } ?? "",
            top.map { "\($0.boundingBox.width)" } ?? "", top.map { "\($0.boundingBox.height)" } ?? "",
            top.map { number($0.peakScore) } ?? "", String(format: "%.1f", timings.totalMs),
            quote(model.name), quote(model.sha256), quote(warnings.isEmpty ? nil : warnings.joined(separator: "; ")),
        ]
        return fields.joined(separator: ",")
    }
}
