/// Test-time flips: besides each tile as it is, the network also sees these mirrored copies of
/// it, and the tile's anomaly plane is the mean of the un-mirrored outputs (probabilities).
///
/// A network trained with flipped tiles should give the same answer for a mirrored tile; where it
/// does not, the disagreement is noise, and averaging the views removes much of it — above all
/// the isolated confident pixels on normal clutter that decide a false alarm. Each view costs one
/// more network run per tile. Metadata text: `none`, or a comma list of `horizontal`,
/// `vertical` and `both` (mirrored both ways, i.e. turned 180°).
public struct FlipViews: OptionSet, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue & 7 }

    /// Mirrored left–right.
    public static let horizontal = FlipViews(rawValue: 1)
    /// Mirrored top–bottom.
    public static let vertical = FlipViews(rawValue: 2)
    /// Mirrored both ways (a half turn).
    public static let both = FlipViews(rawValue: 4)
    /// Only the tile as it is.
    public static let none: FlipViews = []

    /// Network runs per tile: the tile itself plus one per flip.
    public var runsPerTile: Int { 1 + rawValue.nonzeroBitCount }

    /// Each single flip: its name in text, its short name, and which axes it mirrors.
    private static let singles: [(view: FlipViews, name: String, short: String, x: Bool, y: Bool)] = [
        (.horizontal, "horizontal", "h", true, false), (.vertical, "vertical", "v", false, true),
        (.both, "both", "hv", true, true),
    ]

    /// The flips in a fixed order, each as (mirror x, mirror y).
    var mirrors: [(x: Bool, y: Bool)] {
        Self.singles.filter { contains($0.view) }.map { ($0.x, $0.y) }
    }

    public var description: String {
        if isEmpty { return "none" }
        return Self.singles.filter { contains($0.view) }.map(\.name).joined(separator: ",")
    }

    /// Parses `none` or a comma list of `horizontal`, `vertical`, `both` (also `h`, `v`, `hv`).
    public init?(_ text: String) {
        var views: FlipViews = []
        for part in text.lowercased().split(separator: ",") {
            let word = part.trimmingCharacters(in: .whitespaces)
            if word == "none" { continue }
            guard let single = Self.singles.first(where: { $0.name == word || $0.short == word }) else { return nil }
            views.insert(single.view)
        }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        self = views
    }

    /// Coded as its text (`"none"`, `"horizontal,vertical"`).
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let views = FlipViews(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "expected none or horizontal,vertical,both, found \(text)"))
        }
        self = views
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// Copies a `side × side` plane into `dst`, mirrored as this single flip says.
    @inline(__always)
    static func mirror(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, side: Int,
                       x: Bool, y: Bool) {
        for j in 0..<side {
            let s = src + (y ? side - 1 - j : j) * side
            let d = dst + j * side
            if x {
                for i in 0..<side { d[i] = s[side - 1 - i] }
            } else {
                d.update(from: s, count: side)
            }
        }
    }

    /// Adds a `side × side` plane to `dst`, mirrored back as this single flip says.
    @inline(__always)
    static func addMirrored(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, side: Int,
                            x: Bool, y: Bool) {
        for j in 0..<side {
            let s = src + (y ? side - 1 - j : j) * side
            let d = dst + j * side
            if x {
                for i in 0..<side { d[i] += s[side - 1 - i] }
            } else {
                for i in 0..<side { d[i] += s[i] }
            }
        }
    }
}
