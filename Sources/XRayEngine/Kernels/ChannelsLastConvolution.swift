/// A k × k convolution of an NCHW image into channels-last rows: the first stage of a
/// `PointwiseDepthwiseBands` block whose expansion is not 1 × 1 (MobileNetV2's 3 → 32 stride-2
/// stem before its first depthwise convolution).
///
/// `TransposedPointwise`'s GEMM (output channels along the vectors, 8 pixels of one output row
/// along the broadcast rows), with the A rows read in place from the image's `StridePlanes`: at
/// tap `(c, ky, kx)` the 8 pixels are 8 consecutive floats of one plane (`TapARows`). Neither an
/// im2col matrix nor an NCHW output for the depthwise stage to transpose is written.
struct ChannelsLastConvolution {
    let geometry: StridePlanes
    let inputChannels: Int
    /// Rows of the im2col matrix, `inputChannels · kh · kw`: one K block.
    let depth: Int
    /// Per im2col row, where its tap reads in the planes (`StridePlanes.tapOffsets`).
    private let offsets: [Int]

    /// Whether it runs `d` on `height × width` inputs: one group, one K block, output rows of at
    /// least one 8-pixel panel (a row's last panel is shifted left to end at its end), and planes
    /// within `StridePlanes.maxImageFloats`.
    static func applies(_ d: Convolution2DDescriptor, height: Int, width: Int) -> Bool {
        let (oh, ow) = d.outputSize(inputHeight: height, inputWidth: width)
        return d.groups == 1 && d.inputChannels * d.kernelHeight * d.kernelWidth <= TransposedPointwise.kBlock
            && oh > 0 && ow >= GemmTile.mr
            && d.inputChannels * StridePlanes(d, height: height, width: width).channelCount <= StridePlanes.maxImageFloats
    }

    init(_ d: Convolution2DDescriptor, height: Int, width: Int) {
        precondition(Self.applies(d, height: height, width: width), "\(d) on \(height) × \(width)")
        geometry = StridePlanes(d, height: height, width: width)
        inputChannels = d.inputChannels
        depth = d.inputChannels * d.kernelHeight * d.kernelWidth
        var offsets = [Int](repeating: 0, count: depth)
        offsets.withUnsafeMutableBufferPointer { [geometry] in
            geometry.tapOffsets(channels: d.inputChannels, into: $0.baseAddress!)
        }
        self.offsets = offsets
    }

    /// Floats of the planes of every input channel.
    var planesCount: Int { inputChannels * geometry.channelCount }

    /// Floats of a worker's tile.
    static let tileCount = GemmTile.mr * GemmTile.nr

    /// Fills the planes of one NCHW image (threads over channels).
    func fill(_ input: UnsafePointer<Float>, planes: UnsafeMutablePointer<Float>, threads: Int) {
        geometry.fill(channels: inputChannels, of: input, planes: planes, threads: threads)
    }

    /// Output rows `rows`, `channelPanels` panels of 32 channels, into the channels-last `output`
    /// at `map` (pixel 0 = row `rows.lowerBound`'s first pixel).
    /// - weights: `TransposedPointwise.packWeights` of the OIHW weights read as `cout × depth`.
    /// - bias: `32 · channelPanels` floats.
    /// - tile: `tileCount` floats.
    func rows(_ rows: Range<Int>, channelPanels: Int, planes: UnsafePointer<Float>, weights: UnsafePointer<Float>,
              bias: UnsafePointer<Float>, activation: FusedActivation, tile: UnsafeMutablePointer<Float>,
              output: UnsafeMutablePointer<Float>, map: ChannelsLastMap) {
        func run<A: VectorActivation>(_ activation: A) {
            let mr = GemmTile.mr, nr = GemmTile.nr, ow = geometry.outputWidth, depth = self.depth
            offsets.withUnsafeBufferPointer { table in
                let offsets = table.baseAddress!
                for oy in rows {
                    let origin = planes + oy * geometry.pitch
                    let rowMap = ChannelsLastMap(width: ow, rowPitch: map.rowPitch, pixelPitch: map.pixelPitch,
                                                 origin: map.origin + (oy - rows.lowerBound) * map.rowPitch)
                    var t = 0
                    while t < ow {
                        let ox = min(t, ow - mr)
                        for q in 0..<channelPanels {
                            gemmMicroKernel(kc: depth, rows: TapARows(origin: origin + ox, offsets: offsets),
                                            columns: PackedBColumns(pointer: weights + q * depth * nr),
                                            height: EightRowPanels.self, c: tile, ldc: nr, rows: mr, cols: nr,
                                            accumulate: false, epilogue: nil)
                            TransposedPointwise.storeChannelsLast(UnsafePointer(tile), pixels: ox..<ox + mr, q: q,
                                                                  bias: bias, activation: activation, output: output,
                                                                  map: rowMap)
                        }
                        t += mr
                    }
                }
            }
        }
        switch activation {
        case .none: run(IdentityActivation())
        case .relu: run(ReluActivation())
        case .clip(let low, let high): run(ClipActivation(low: low, high: high))
        default: run(GeneralActivation(activation: activation))
        }
    }
}
