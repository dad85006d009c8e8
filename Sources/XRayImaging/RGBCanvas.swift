/// An 8-bit RGB colour.
public struct RGBColor: Sendable, Equatable {
    public var red: UInt8, green: UInt8, blue: UInt8
    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }
    public static let black = RGBColor(red: 0, green: 0, blue: 0)
    public static let white = RGBColor(red: 255, green: 255, blue: 255)
    public static let red = RGBColor(red: 255, green: 0, blue: 0)
    public static let green = RGBColor(red: 0, green: 255, blue: 0)
    public static let yellow = RGBColor(red: 255, green: 255, blue: 0)
}

/// A small 8-bit RGB drawing surface for overlays: start from a gray image,
/// draw boxes and pixels, take ``image`` and encode it (e.g. as PNG).
/// Drawing outside the canvas is clipped, never a crash.
public struct RGBCanvas: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Planar storage: all red, then all green, then all blue.
    private var samples: [UInt8]

    /// A canvas filled with one colour.
    public init(width: Int, height: Int, fill: RGBColor = .black) {
        precondition(width > 0 && height > 0, "canvas size must be positive")
        self.width = width
        self.height = height
        let n = width * height
        samples = [UInt8](repeating: fill.red, count: n) + [UInt8](repeating: fill.green, count: n)
            + [UInt8](repeating: fill.blue, count: n)
    }

    /// A canvas showing channel 0 of an 8-bit image as gray
    /// (use ``XRayImage/windowed8Bit(low:high:channel:)`` first for other depths),
    /// or an 8-bit RGB(A) image as is.
    public init(background image: XRayImage) {
        guard case .uint8(let p) = image.pixels else {
            self.init(background: image.autoWindowed8Bit())
            return
        }
        self.init(width: image.width, height: image.height)
        let n = image.pixelCount
        if image.channels >= 3 {
            samples = Array(p[0..<3 * n])
        } else {
            let gray = Array(p[0..<n])
            samples = gray + gray + gray
        }
    }

    public subscript(x: Int, y: Int) -> RGBColor {
        get {
            let i = y * width + x, n = width * height
            return RGBColor(red: samples[i], green: samples[n + i], blue: samples[2 * n + i])
        }
        set { setPixel(x: x, y: y, newValue) }
    }

    /// Sets one pixel; ignored outside the canvas.
    public mutating func setPixel(x: Int, y: Int, _ color: RGBColor) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = y * width + x, n = width * height
        samples[i] = color.red
        samples[n + i] = color.green
        samples[2 * n + i] = color.blue
    }

    /// Fills the rectangle with its corner at (x, y); clipped to the canvas.
    public mutating func fillRectangle(x: Int, y: Int, width w: Int, height h: Int, _ color: RGBColor) {
        let x0 = max(x, 0), y0 = max(y, 0), x1 = min(x + w, width), y1 = min(y + h, height)
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 { for xx in x0..<x1 { setPixel(x: xx, y: yy, color) } }
    }

    /// Draws the outline of a rectangle, `thickness` pixels wide, inside its bounds.
    public mutating func strokeRectangle(x: Int, y: Int, width w: Int, height h: Int, _ color: RGBColor, thickness: Int = 1) {
        guard w > 0, h > 0, thickness > 0 else { return }
        let t = min(thickness, (min(w, h) + 1) / 2)
        fillRectangle(x: x, y: y, width: w, height: t, color)
        fillRectangle(x: x, y: y + h - t, width: w, height: t, color)
        fillRectangle(x: x, y: y, width: t, height: h, color)
        fillRectangle(x: x + w - t, y: y, width: t, height: h, color)
    }

    /// The canvas as an 8-bit RGB image.
    public var image: XRayImage {
        try! XRayImage(width: width, height: height, channelMeanings: [.red, .green, .blue], pixels: .uint8(samples))
    }
}
