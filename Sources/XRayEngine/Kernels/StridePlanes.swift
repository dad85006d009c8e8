/// One input channel laid out so that a convolution's taps become contiguous reads.
///
/// The zero-padded channel is split by the strides into `sh × sw` *planes* (padded row `py`
/// goes to row-phase `py % sh`, column `px` to column-phase `px % sw`), each stored flat with
/// one pitch `P`. Output `(oy, ox)` then has the flat index `oy * P + ox`, and tap `(ky, kx)`
/// reads one plane at that same index plus a constant offset (`tapOffset`). Flat indices with
/// `ox >= outputWidth` (the pitch's spare columns) are computed and thrown away.
///
/// Used by the depthwise kernel (one channel at a time) and by im2col, whose rows become
/// plain copies of plane stretches (`PlaneIm2colPacker`).
struct StridePlanes {
    let descriptor: Convolution2DDescriptor
    let height: Int
    let width: Int
    let outputHeight: Int
    let outputWidth: Int
    /// Row pitch of every plane and of the flat output.
    let pitch: Int
    /// Rows of one plane that hold padded input.
    let planeRows: Int
    /// Floats per plane: the rows plus what the last vector's taps read past them.
    let planeCount: Int
    /// Flat outputs computed (whole vectors).
    let flatOutputs: Int

    init(_ d: Convolution2DDescriptor, height: Int, width: Int) {
        descriptor = d
        self.height = height
        self.width = width
        let (oh, ow) = d.outputSize(inputHeight: height, inputWidth: width)
        outputHeight = oh
        outputWidth = ow
        let paddedHeight = height + d.padTop + d.padBottom
        let paddedWidth = width + d.padLeft + d.padRight
        pitch = (paddedWidth + d.strideWidth - 1) / d.strideWidth
        planeRows = (paddedHeight + d.strideHeight - 1) / d.strideHeight
        flatOutputs = (oh * pitch + 15) / 16 * 16
        let reach = (d.kernelHeight - 1) * d.dilationHeight / d.strideHeight * pitch
            + (d.kernelWidth - 1) * d.dilationWidth / d.strideWidth
        planeCount = max(planeRows * pitch, flatOutputs + reach)
    }

    /// Most floats a kernel keeps in planes for one image (64 MB); larger images take a path
    /// without planes.
    static let maxImageFloats = 16 << 20

    /// Planes per channel.
    var phases: Int { descriptor.strideHeight * descriptor.strideWidth }

    /// Floats of one channel's planes.
    var channelCount: Int { phases * planeCount }

    /// Depthwise scratch per worker: one channel's planes, its flat output and, for maps
    /// narrower than a vector, the output compacted to rows of `outputWidth`.
    var scratchPerThread: Int { channelCount + 2 * (flatOutputs + 16) }

    /// Where tap `(ky, kx)` reads for flat output 0, relative to the channel's first plane.
    @inline(__always)
    func tapOffset(_ ky: Int, _ kx: Int) -> Int {
        let d = descriptor
        let dy = ky * d.dilationHeight, dx = kx * d.dilationWidth
        let sh = d.strideHeight, sw = d.strideWidth
        return ((dy % sh) * sw + dx % sw) * planeCount + (dy / sh) * pitch + dx / sw
    }

    /// Writes, per im2col row `(c, ky, kx)` of `channels` channels whose planes lie
    /// `channelCount` floats apart, where its tap reads for flat output 0 (`kh · kw · channels`
    /// offsets): the implicit GEMM's K rows.
    func tapOffsets(channels: Int, into offsets: UnsafeMutablePointer<Int>) {
        let d = descriptor, taps = d.kernelHeight * d.kernelWidth
        for c in 0..<channels {
            for ky in 0..<d.kernelHeight {
                for kx in 0..<d.kernelWidth {
                    offsets[c * taps + ky * d.kernelWidth + kx] = c * channelCount + tapOffset(ky, kx)
                }
            }
        }
    }

    /// Fills the planes of `channels` NCHW channels (threads over channels), channel `c`'s at
    /// `planes + c · channelCount`.
    func fill(channels: Int, of input: UnsafePointer<Float>, planes: UnsafeMutablePointer<Float>, threads: Int) {
        let inputPlane = height * width
        ParallelFor.run(count: channels, threads: threads) { c, _ in
            fill(input + c * inputPlane, planes: planes + c * channelCount)
        }
    }

    /// Copies one `height × width` channel into its zero-padded planes (`channelCount` floats).
    /// `padsAreZero`: the planes were filled before with this geometry (or zeroed), so the
    /// padding already holds zeros and only the image positions are written (zeroing four
    /// strided planes cost as much as de-interleaving the channel; on small maps the many short
    /// zeroing runs were calls to `memset`). Then `readable` floats from `input` on may be read
    /// (a row's last vector may read past the channel, but not past the tensor).
    @inline(__always)
    func fill(_ input: UnsafePointer<Float>, planes: UnsafeMutablePointer<Float>, padsAreZero: Bool = false,
              readable: Int = 0) {
        let d = descriptor
        let sh = d.strideHeight, sw = d.strideWidth, p = pitch
        if sh == 1 && sw == 1 && padsAreZero {
            // Rows in order: a row's zeroed tail covers its right pad and the next row's left
            // pad, and what it lays over the next row's pixels is overwritten by that row.
            for y in 0..<height {
                Self.copyZeroingTail(input + y &* width, planes + ((y &+ d.padTop) &* p &+ d.padLeft), width,
                                 readable: readable &- y &* width)
            }
            return
        }
        if sh == 1 && sw == 1 {
            // One plane: zero only what the row copies leave (pad rows, row heads/tails, the tail).
            // Rows whose source has 15 floats of slack behind them copy in whole vectors; the
            // spill lands in the next row (or the bottom padding), which is written after.
            Self.zero(planes, d.padTop * p)
            let total = height * width
            for y in 0..<height {
                let row = planes + (y + d.padTop) * p
                Self.zero(row, d.padLeft)
                if y * width + (width + 15) / 16 * 16 <= total {
                    Self.copyOverrunning(input + y * width, row + d.padLeft, width)
                } else {
                    Self.copy(input + y * width, row + d.padLeft, width)
                }
                Self.zero(row + d.padLeft + width, p - d.padLeft - width)
            }
            let filled = (d.padTop + height) * p
            Self.zero(planes + filled, planeCount - filled)
            return
        }
        if !padsAreZero { zeroPadding(planes) }
        for y in 0..<height {
            let py = y + d.padTop
            let rowBase = planes + (py % sh) * sw * planeCount + (py / sh) * p
            let src = input + y * width
            if sw == 2 {
                // Even padded columns go to column-phase 0, odd ones to phase 1.
                let even = rowBase + (d.padLeft & 1) * planeCount + d.padLeft / 2
                let odd = rowBase + ((d.padLeft + 1) & 1) * planeCount + (d.padLeft + 1) / 2
                let pairs = width / 2
                var i = 0
                #if _endian(little)
                // Eight (even, odd) pairs as 64-bit lanes, the even column in the low half: two
                // narrowing stores (`vpmovqd` and a shuffle with AVX-512) instead of 16 scalar moves.
                while i &+ 8 <= pairs {
                    let v = UnsafeRawPointer(src + 2 &* i).loadUnaligned(as: SIMD8<UInt64>.self)
                    UnsafeMutableRawPointer(even + i).storeBytes(of: SIMD8<UInt32>(truncatingIfNeeded: v),
                                                                 as: SIMD8<UInt32>.self)
                    UnsafeMutableRawPointer(odd + i).storeBytes(of: SIMD8<UInt32>(truncatingIfNeeded: v &>> 32),
                                                                as: SIMD8<UInt32>.self)
                    i &+= 8
                }
                #endif
                while i < pairs {
                    even[i] = src[2 &* i]
                    odd[i] = src[2 &* i &+ 1]
                    i &+= 1
                }
                if width & 1 == 1 { even[pairs] = src[width - 1] }
            } else {
                for x in 0..<width {
                    let px = x + d.padLeft
                    rowBase[(px % sw) * planeCount + px / sw] = src[x]
                }
            }
        }
    }

    /// Zeroes what the row copies of a strided fill leave: every plane position that holds no
    /// input pixel (padding rows and columns, the pitch's spare columns, the tail). Zeroing
    /// whole planes first wrote each channel twice (ResNet-18's stride-2 convolutions at 512²:
    /// 4, 2 and 1 MB per input).
    private func zeroPadding(_ planes: UnsafeMutablePointer<Float>) {
        let d = descriptor, sh = d.strideHeight, sw = d.strideWidth, p = pitch
        for pr in 0..<sh {
            for pc in 0..<sw {
                let plane = planes + (pr * sw + pc) * planeCount
                // This phase's columns `c` with a pixel: padLeft <= c * sw + pc < padLeft + width.
                let c0 = min(p, (d.padLeft - pc + sw - 1) / sw)
                let c1 = min(p, max(c0, (d.padLeft + width - pc + sw - 1) / sw))
                for r in 0..<planeRows {
                    let py = r * sh + pr, row = plane + r * p
                    if py < d.padTop || py >= d.padTop + height {
                        Self.zero(row, p)
                    } else {
                        Self.zero(row, c0)
                        Self.zero(row + c1, p - c1)
                    }
                }
                Self.zero(plane + planeRows * p, planeCount - planeRows * p)
            }
        }
    }

    @inline(__always)
    static func zero(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i &+ 16 <= count { storeVector(SIMD16(), p + i); i &+= 16 }
        while i < count { p[i] = 0; i &+= 1 }
    }

    /// Copies `count` floats; from 16 on, the last vector overlaps the previous one instead of
    /// a scalar tail.
    @inline(__always)
    static func copy(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i &+ 16 <= count { storeVector(loadVector(src + i), dst + i); i &+= 16 }
        if i < count && count >= 16 {
            storeVector(loadVector(src + (count &- 16)), dst + (count &- 16))
            return
        }
        while i < count { dst[i] = src[i]; i &+= 1 }
    }

    /// Copies `count` floats; short of a vector, it stores a whole vector whose lanes past
    /// `count` are zero (no read of `dst`: blending into it stalled on the previous row's store).
    /// That needs 16 floats readable from `src` (`readable` counts from `src`) and 16 floats of
    /// `dst` where zeros are right: the planes' pads, or the next row, written after.
    @inline(__always)
    static func copyZeroingTail(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int,
                                readable: Int) {
        if count >= 16 { copy(src, dst, count); return }
        if readable >= 16 {
            // A float compare, like `clamp`'s: an integer-lane mask was built lane by lane.
            let lane = SIMD16<Float>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
            let tail = lane .>= SIMD16<Float>(repeating: Float(count))
            storeVector(loadVector(src).replacing(with: 0, where: tail), dst)
            return
        }
        for i in 0..<count { dst[i] = src[i] }
    }

    /// Copies `count` floats in whole vectors: it may read and write up to 15 floats past
    /// `count`, so callers use it only where both sides have that slack and what it
    /// overwrites is written again afterwards (rows copied in order).
    @inline(__always)
    static func copyOverrunning(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        repeat { storeVector(loadVector(src + i), dst + i); i &+= 16 } while i < count
    }
}
