/// A suspect region: a connected group of map pixels at or above the region threshold.
public struct Region: Codable, Sendable, Equatable {
    /// Axis-aligned box in scan pixels; `x`, `y` is the top-left pixel, inclusive.
    public struct Box: Codable, Sendable, Equatable {
        public var x: Int
        public var y: Int
        public var width: Int
        public var height: Int
        public init(x: Int, y: Int, width: Int, height: Int) {
            self.x = x; self.y = y; self.width = width; self.height = height
        }
        /// Intersection over union with another box.
        public func intersectionOverUnion(_ other: Box) -> Double {
            let ix = max(0, min(x + width, other.x + other.width) - max(x, other.x))
            let iy = max(0, min(y + height, other.y + other.height) - max(y, other.y))
            let inter = Double(ix * iy)
            let union = Double(width * height + other.width * other.height) - inter
            return union > 0 ? inter / union : 0
        }
    }

    /// A position in scan pixels.
    public struct Point: Codable, Sendable, Equatable {
        public var x: Double
        public var y: Double
        public init(x: Double, y: Double) { self.x = x; self.y = y }
    }

    public var boundingBox: Box
    /// Pixels at or above the threshold (summed over merged components).
    public var areaPixels: Int
    /// Area in square millimetres, when the scan's resolution is known.
    public var areaSquareMillimetres: Double?
    /// Highest map value in the region (normalised score units).
    public var peakScore: Double
    /// Mean map value over the region's pixels.
    public var meanScore: Double
    /// Mean position of the region's pixels.
    public var centroid: Point
    /// Where the peak is (first in row-major order on ties).
    public var peak: Point

    public init(boundingBox: Box, areaPixels: Int, areaSquareMillimetres: Double? = nil, peakScore: Double,
                meanScore: Double, centroid: Point, peak: Point) {
        self.boundingBox = boundingBox
        self.areaPixels = areaPixels
        self.areaSquareMillimetres = areaSquareMillimetres
        self.peakScore = peakScore
        self.meanScore = meanScore
        self.centroid = centroid
        self.peak = peak
    }
}
