/// A 2-D convolution over NCHW float32 activations with its weights packed once
/// for the fastest kernel that fits its geometry. Immutable after `init`; one
/// instance can serve any number of threads, each with its own scratch.
///
/// Algorithms, chosen by `defaultAlgorithm(for:)` (the engine uses `preferredAlgorithm`, which
/// also looks at the map size):
/// - `.gemm1x1`: 1×1, no padding: per group `Out[Cout, HW] = W[Cout, Cin] · In[Cin, HW]`
///   read straight from the NCHW input (strided: from the input's sampled pixels, `PointwiseSubsample`);
/// - `.narrowPointwise`: the same with one group, stride 1 and at most 4 output channels (a
///   segmentation head): sums in registers per 64 pixels (`NarrowPointwise`);
/// - `.gemm1x1Transposed`: the same on small maps (`preferredAlgorithm`), one group:
///   `Outᵀ = Inᵀ · Wᵀ`, output channels along the vectors (`TransposedPointwise`);
/// - `.winograd`: 3×3, stride 1, dilation 1, one group, at least 4 input channels: F(4×4, 3×3);
/// - `.winograd2x2`: the same convolutions on maps up to 32 × 32 (`preferredAlgorithm`): F(2×2, 3×3);
/// - `.depthwise`: `groups == C_in == C_out`, any kernel, stride, dilation and padding;
/// - `.im2colGemm`: everything else (including first layers with 1–3 input channels),
///   im2col packed directly into GEMM panels from the image's `StridePlanes`
///   (`PlaneIm2colPacker`), or gathered from the input when the planes would pass 64 MB.
/// Bias and the fused activation are applied in every kernel's epilogue.
public final class PackedConvolution2D: @unchecked Sendable {
    public enum Algorithm: Sendable, Hashable {
        case gemm1x1
        case narrowPointwise
        case gemm1x1Transposed
        case winograd
        case winograd2x2
        case depthwise
        case im2colGemm
    }

    public let descriptor: Convolution2DDescriptor
    public let activation: FusedActivation
    public let algorithm: Algorithm

    private let packed: UnsafeMutablePointer<Float>
    private let bias: UnsafeMutablePointer<Float>
    /// Floats between two groups' packed A matrices (GEMM paths).
    private let groupStride: Int

    /// The algorithm `init` picks for `descriptor`.
    public static func defaultAlgorithm(for d: Convolution2DDescriptor) -> Algorithm {
        if d.isDepthwise { return .depthwise }
        if supports(.narrowPointwise, d) { return .narrowPointwise }
        if supports(.gemm1x1, d) { return .gemm1x1 }
        if winogradApplies(d) && d.inputChannels >= 4 { return .winograd }
        return .im2colGemm
    }

    /// The algorithm for `d` on an input of `inputHeight × inputWidth`: `defaultAlgorithm`,
    /// except that maps of at most 64 output tiles of 4 × 4 (up to 32 × 32) use F(2×2, 3×3):
    /// there F(4×4)'s transformed weights (36 matrices: 38 MB for 512 → 512 channels) are
    /// streamed from memory for few tiles. ResNet-18's 512-channel 16 × 16 layer, one thread:
    /// F(4×4) 6.1 ms, im2col 5.7 ms, F(2×2) 3.5 ms; at 32 × 32 (64 tiles) F(2×2) wins only in
    /// the network, where the weights are not cached (ResNet-18 two threads 31.1 → 30.5 ms,
    /// the shipped model's tile 9.2 → 8.7 ms); up to 64 × 64, ResNet-18 one thread 60 → 69 ms.
    /// On one thread, wide layers (`cin · cout ≥ 96 (cin + cout)`) keep F(4×4) from 17 tiles on:
    /// there its 2.25 instead of 4 multiplies per output outweigh its larger transforms, and no
    /// second worker streams the weights again (ResNet-18's 256-channel 32 × 32 layers 6.27 /
    /// 6.04 / 5.67 → 5.41 / 5.42 / 5.47 ms; with two threads F(4×4) was slower there, 2.62 / 2.59 →
    /// 2.73 / 2.78, and on one thread for the shipped model's 48 → 96 and 96 → 96 at 32 × 32,
    /// 0.52 / 0.94 → 0.63 / 1.12).
    /// One-group 1×1 convolutions on maps of at most 196 pixels (14 × 14) use the transposed
    /// GEMM: MobileNetV2 one thread 4.87 → 4.49 ms (up to 49 pixels: 4.58; up to 784: 4.61,
    /// 28 × 28 layers run faster as the plain GEMM, 194 vs 176 GFLOP/s).
    public static func preferredAlgorithm(for d: Convolution2DDescriptor, inputHeight: Int, inputWidth: Int,
                                          threads: Int = 1) -> Algorithm {
        let algorithm = defaultAlgorithm(for: d)
        let (oh, ow) = d.outputSize(inputHeight: inputHeight, inputWidth: inputWidth)
        if algorithm == .gemm1x1 && supports(.gemm1x1Transposed, d) && oh * ow <= 196 { return .gemm1x1Transposed }
        guard algorithm == .winograd else { return algorithm }
        let tiles = ((oh + 3) / 4) * ((ow + 3) / 4)
        let wide = d.inputChannels * d.outputChannels >= 96 * (d.inputChannels + d.outputChannels)
        return tiles <= (threads <= 1 && wide ? 16 : 64) ? .winograd2x2 : .winograd
    }

    private static func winogradApplies(_ d: Convolution2DDescriptor) -> Bool {
        d.kernelHeight == 3 && d.kernelWidth == 3 && d.strideHeight == 1 && d.strideWidth == 1
            && d.dilationHeight == 1 && d.dilationWidth == 1 && d.groups == 1
    }

    /// Whether `algorithm` can run `descriptor`.
    public static func supports(_ algorithm: Algorithm, _ d: Convolution2DDescriptor) -> Bool {
        switch algorithm {
        case .im2colGemm: return true
        case .depthwise: return d.isDepthwise
        case .winograd, .winograd2x2: return winogradApplies(d)
        case .narrowPointwise:
            return d.outputChannels <= NarrowPointwise.maxOutputs && supports(.gemm1x1Transposed, d)
        case .gemm1x1Transposed:
            return d.groups == 1 && d.strideHeight == 1 && d.strideWidth == 1 && supports(.gemm1x1, d)
        case .gemm1x1:
            return d.kernelHeight == 1 && d.kernelWidth == 1
                && d.padTop == 0 && d.padLeft == 0 && d.padBottom == 0 && d.padRight == 0
        }
    }

    /// - weights: OIHW, `descriptor.weightCount` floats.
    /// - bias: `outputChannels` floats, or nil for none.
    public convenience init(descriptor: Convolution2DDescriptor, weights: UnsafeBufferPointer<Float>,
                            bias: UnsafeBufferPointer<Float>?, activation: FusedActivation) {
        self.init(descriptor: descriptor, weights: weights, bias: bias, activation: activation, algorithm: nil)
    }

    /// As the other initialiser, forcing `algorithm` (which must be `supports`ed) when non-nil.
    public init(descriptor d: Convolution2DDescriptor, weights: UnsafeBufferPointer<Float>,
                bias: UnsafeBufferPointer<Float>?, activation: FusedActivation, algorithm: Algorithm?) {
        precondition(d.groups >= 1 && d.inputChannels % d.groups == 0 && d.outputChannels % d.groups == 0,
                     "channels must divide into groups")
        precondition(weights.count >= d.weightCount, "need \(d.weightCount) weights (OIHW)")
        let algorithm = algorithm ?? Self.defaultAlgorithm(for: d)
        precondition(Self.supports(algorithm, d), "\(algorithm) cannot run \(d)")
        descriptor = d
        self.activation = activation
        self.algorithm = algorithm
        self.bias = .allocate(capacity: d.outputChannels)
        if let bias {
            precondition(bias.count >= d.outputChannels)
            self.bias.initialize(from: bias.baseAddress!, count: d.outputChannels)
        } else {
            self.bias.initialize(repeating: 0, count: d.outputChannels)
        }
        let w = weights.baseAddress!
        switch algorithm {
        case .depthwise, .narrowPointwise:
            groupStride = 0
            packed = .allocate(capacity: d.weightCount)
            packed.initialize(from: w, count: d.weightCount)
        case .winograd:
            groupStride = 0
            packed = .allocate(capacity: Winograd43.packedWeightCount(cout: d.outputChannels, cin: d.inputChannels))
            Winograd43.transformWeights(cout: d.outputChannels, cin: d.inputChannels, weights: w, into: packed)
        case .winograd2x2:
            groupStride = 0
            packed = .allocate(capacity: Winograd22.packedWeightCount(cout: d.outputChannels, cin: d.inputChannels))
            Winograd22.transformWeights(cout: d.outputChannels, cin: d.inputChannels, weights: w, into: packed)
        case .gemm1x1Transposed:
            groupStride = 0
            packed = .allocate(capacity: TransposedPointwise.packedWeightCount(cout: d.outputChannels, cin: d.inputChannels))
            TransposedPointwise.packWeights(cout: d.outputChannels, cin: d.inputChannels, weights: w, into: packed)
        case .gemm1x1, .im2colGemm:
            let m = d.outputChannels / d.groups
            let k = d.inputChannels / d.groups * d.kernelHeight * d.kernelWidth
            groupStride = GemmPacking.packedACount(m: m, k: k)
            packed = .allocate(capacity: groupStride * d.groups)
            for g in 0..<d.groups {
                let base = w + g * m * k   // OIHW rows of this group are contiguous
                GemmPacking.packA(m: m, k: k, into: packed + g * groupStride) { i, kk in base[i * k + kk] }
            }
        }
    }

    deinit {
        packed.deallocate()
        bias.deallocate()
    }

    /// Whether `runAveraged` can average the output itself (the transposed 1×1 GEMM, whose
    /// tiles hold all pixels of 32 channels).
    public var averagesOutput: Bool { algorithm == .gemm1x1Transposed }

    /// As `run`, but writes each output channel's mean over its pixels (`batch × C_out` floats:
    /// the convolution followed by a `GlobalAveragePool`); `averagesOutput` algorithms only.
    /// Scratch as for `run`.
    public func runAveraged(input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                            output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, threads: Int) {
        precondition(averagesOutput, "\(algorithm) does not average its output")
        let d = descriptor
        TransposedPointwise.run(cin: d.inputChannels, cout: d.outputChannels, packedWeights: packed, bias: bias,
                                activation: activation, input: input, batch: batch, pixels: height * width,
                                output: output, averagesPixels: true, scratch: scratch, threads: max(1, threads))
    }

    /// Whether `run` adds a residual in its epilogue (the Winograd algorithms, whose output
    /// transform writes each output row once).
    public var fusesResidual: Bool { algorithm == .winograd || algorithm == .winograd2x2 }

    /// Output spatial size for an input of `inputHeight × inputWidth`.
    public func outputSize(inputHeight: Int, inputWidth: Int) -> (height: Int, width: Int) {
        descriptor.outputSize(inputHeight: inputHeight, inputWidth: inputWidth)
    }

    /// Floats of scratch that `run` needs for this input size with `threads` threads (all threads together).
    public func scratchCount(inputHeight: Int, inputWidth: Int, threads: Int) -> Int {
        let d = descriptor
        let threads = max(1, threads)
        switch algorithm {
        case .depthwise:
            return StridePlanes(d, height: inputHeight, width: inputWidth).scratchPerThread * threads
        case .winograd:
            return Winograd43.Geometry(d, height: inputHeight, width: inputWidth).scratchPerThread * threads
        case .winograd2x2:
            return Winograd22.Geometry(d, height: inputHeight, width: inputWidth, threads: threads).scratchCount
        case .gemm1x1Transposed:
            return TransposedPointwise.Geometry(cin: d.inputChannels, cout: d.outputChannels,
                                                pixels: inputHeight * inputWidth).scratchCount(threads: threads)
        case .narrowPointwise:
            return 0
        case .gemm1x1:
            return Gemm.scratchCount(k: d.inputChannels / d.groups) * threads
                + PointwiseSubsample(d, height: inputHeight, width: inputWidth).scratchCount
        case .im2colGemm:
            let k = d.inputChannels / d.groups * d.kernelHeight * d.kernelWidth
            let planes = planesCount(height: inputHeight, width: inputWidth)
            guard planes > 0 else { return Gemm.scratchCount(k: k) * threads }
            let flat = Self.flatColumns(StridePlanes(d, height: inputHeight, width: inputWidth))
            return (Gemm.scratchCount(k: k) + (flat ? d.outputChannels / d.groups * Gemm.nc : 0)) * threads + planes
        }
    }

    /// Spare pitch columns (`StridePlanes.pitch - outputWidth` per row) that plane im2col may
    /// compute, in percent of the output width (flat columns beat the output's own columns
    /// below this: conv3×3 64→64 256² 208 vs 191 GFLOP/s; 15 % measured no better than 8 %).
    static let planeIm2colWasteLimit = 8

    /// im2col reads one image's `StridePlanes` (`PlaneIm2colPacker`) while the planes stay
    /// under 64 MB; floats of those planes, else 0 (then the gathering `Im2colPacker` runs).
    private func planesCount(height: Int, width: Int) -> Int {
        let d = descriptor
        guard algorithm == .im2colGemm else { return 0 }
        let count = d.inputChannels * StridePlanes(d, height: height, width: width).channelCount
        return count <= StridePlanes.maxImageFloats ? count : 0
    }

    /// Plane im2col over flat columns (the pitch's spare columns computed, then dropped) where
    /// they add little work; else over the output's own columns. Not below 64 rows of K: there
    /// the copy of the flat result into the output costs more than the spare columns save
    /// (MobileNetV2's 3 → 32 stride-2 stem, K = 27: 52.5–54.9 → 59.7–62.4 GFLOP/s).
    private static func flatColumns(_ g: StridePlanes) -> Bool {
        let d = g.descriptor
        let k = d.inputChannels / d.groups * d.kernelHeight * d.kernelWidth
        return k >= 64 && (g.pitch - g.outputWidth) * 100 <= g.outputWidth * planeIm2colWasteLimit
    }

    /// Convolves `batch` NCHW images of `inputHeight × inputWidth` into `output`
    /// (`batch × C_out × OH × OW`). `scratch` holds `scratchCount(...)` floats; `output`
    /// must not overlap `input`.
    ///
    /// With a `residual` (as long as the output, `fusesResidual` algorithms only) the output is
    /// `activation(convolution + bias + residual)`.
    public func run(input: UnsafePointer<Float>, batch: Int, inputHeight: Int, inputWidth: Int,
                    output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, threads: Int,
                    residual: UnsafePointer<Float>? = nil) {
        precondition(residual == nil || fusesResidual, "\(algorithm) does not add a residual")
        let d = descriptor
        let threads = max(1, threads)
        switch algorithm {
        case .depthwise:
            Depthwise.run(descriptor: d, weights: packed, bias: bias, activation: activation, input: input, batch: batch,
                          height: inputHeight, width: inputWidth, output: output, scratch: scratch, threads: threads)
        case .winograd:
            Winograd43.run(descriptor: d, packedWeights: packed, bias: bias, activation: activation, input: input,
                           batch: batch, height: inputHeight, width: inputWidth, output: output, scratch: scratch,
                           threads: threads, residual: residual)
        case .winograd2x2:
            Winograd22.run(descriptor: d, packedWeights: packed, bias: bias, activation: activation, input: input,
                           batch: batch, height: inputHeight, width: inputWidth, output: output, scratch: scratch,
                           threads: threads, residual: residual)
        case .narrowPointwise:
            NarrowPointwise.run(cin: d.inputChannels, cout: d.outputChannels, weights: packed, bias: bias,
                                activation: activation, input: input, batch: batch, pixels: inputHeight * inputWidth,
                                output: output, threads: threads)
        case .gemm1x1Transposed:
            TransposedPointwise.run(cin: d.inputChannels, cout: d.outputChannels, packedWeights: packed, bias: bias,
                                    activation: activation, input: input, batch: batch,
                                    pixels: inputHeight * inputWidth, output: output, scratch: scratch, threads: threads)
        case .gemm1x1, .im2colGemm:
            runGemm(input: input, batch: batch, height: inputHeight, width: inputWidth, output: output,
                    scratch: scratch, threads: threads)
        }
    }

    private func runGemm(input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                         output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, threads: Int) {
        if planesCount(height: height, width: width) > 0 {
            if Self.implicitApplies(StridePlanes(descriptor, height: height, width: width)) {
                runImplicitGemm(input: input, batch: batch, height: height, width: width, output: output,
                                scratch: scratch, threads: threads)
            } else {
                runPlaneIm2col(input: input, batch: batch, height: height, width: width, output: output,
                               scratch: scratch, threads: threads)
            }
            return
        }
        let d = descriptor
        let (oh, ow) = d.outputSize(inputHeight: height, inputWidth: width)
        let n = oh * ow
        // A strided 1×1 reads only its sampled pixels: gathered once into a compact input.
        let subsample = algorithm == .gemm1x1 ? PointwiseSubsample(d, height: height, width: width) : nil
        let subsampled = scratch + Gemm.scratchCount(k: d.inputChannels / d.groups) * threads
        let groups = d.groups
        let cinG = d.inputChannels / groups, coutG = d.outputChannels / groups
        let k = cinG * d.kernelHeight * d.kernelWidth
        let chunk = Gemm.columnChunk(n: n, outer: batch * groups, threads: threads)
        let chunks = (n + chunk - 1) / chunk
        let perThread = Gemm.scratchCount(k: k)
        let packed = UnsafePointer(self.packed), bias = UnsafePointer(self.bias)
        let activation = self.activation, groupStride = self.groupStride
        let is1x1 = algorithm == .gemm1x1
        let panels = 0..<GemmPacking.panelCount(coutG)
        /// Columns `n0 ..< n1` of group `g` of `image`, reading the image at `src`.
        @inline(__always) func tile(image: Int, g: Int, n0: Int, n1: Int, src imageInput: UnsafePointer<Float>,
                                    worker: Int) {
            let src = imageInput + g * cinG * (is1x1 ? n : height * width)
            let dst = output + (image * d.outputChannels + g * coutG) * n
            let epilogue = GemmEpilogue(bias: bias + g * coutG, activation: activation)
            let a = packed + g * groupStride
            let s = scratch + worker * perThread
            if is1x1 {
                Gemm.compute(m: coutG, k: k, n0: n0, n1: n1, panels: panels, aPacked: a,
                             packer: MatrixBPacker(b: src, ldb: n),
                             c: dst, ldc: n, epilogue: epilogue, scratch: s)
            } else {
                let packer = Im2colPacker(input: src, height: height, width: width, outputWidth: ow,
                                          kernelHeight: d.kernelHeight, kernelWidth: d.kernelWidth,
                                          strideHeight: d.strideHeight, strideWidth: d.strideWidth,
                                          dilationHeight: d.dilationHeight, dilationWidth: d.dilationWidth,
                                          padTop: d.padTop, padLeft: d.padLeft)
                Gemm.compute(m: coutG, k: k, n0: n0, n1: n1, panels: panels, aPacked: a, packer: packer,
                             c: dst, ldc: n, epilogue: epilogue, scratch: s)
            }
        }
        if let subsample, subsample.isStrided {
            for image in 0..<batch {
                subsample.run(input + image * d.inputChannels * height * width, into: subsampled, threads: threads)
                ParallelFor.run(count: groups * chunks, threads: threads) { task, worker in
                    let n0 = (task % chunks) * chunk
                    tile(image: image, g: task / chunks, n0: n0, n1: min(n, n0 + chunk), src: subsampled,
                         worker: worker)
                }
            }
            return
        }
        ParallelFor.run(count: batch * groups * chunks, threads: threads) { task, worker in
            let imageGroup = task / chunks
            let n0 = (task % chunks) * chunk
            tile(image: imageGroup / groups, g: imageGroup % groups, n0: n0, n1: min(n, n0 + chunk),
                 src: input + imageGroup / groups * d.inputChannels * height * width, worker: worker)
        }
    }

    /// The implicit GEMM needs one K block (no partial sums to keep) and rows of at least one
    /// register tile (a row's last tile is shifted left to end at the row's end, so no tile
    /// reads past the planes' flat outputs).
    private static func implicitApplies(_ g: StridePlanes) -> Bool {
        let d = g.descriptor
        return d.groups == 1 && d.inputChannels * d.kernelHeight * d.kernelWidth <= Gemm.kcMax
            && g.outputWidth >= GemmTile.nr
    }

    /// im2col with no im2col matrix: per image, fill every channel's planes (threads over
    /// channels), then every register tile of 32 output pixels reads its K rows straight from
    /// the planes (`TapBColumns`, one offset per (c, ky, kx)) and stores into the NCHW output.
    /// Per output row, each panel of output channels sweeps the row's tiles, so its stores run
    /// along 8 output rows (tiles outermost: 5 % slower on the 7×7 stem, its stores spread over
    /// all 64 channels). ResNet's 7×7 stem (K = 147) spent a fifth of its time packing,
    /// scattering and waiting for the packed block from L2 on the packed path.
    private func runImplicitGemm(input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                                 output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                 threads: Int) {
        let d = descriptor
        let g = StridePlanes(d, height: height, width: width)
        let cout = d.outputChannels
        let plane = g.outputHeight * g.outputWidth
        let planes = scratch
        withTapOffsets(g) { offsets in
            forEachImage(input: input, batch: batch, geometry: g, planes: planes, threads: threads) { image in
                let imageOutput = output + image * cout * plane
                ParallelFor.run(count: g.outputHeight, threads: threads) { oy, _ in
                    implicitRow(oy, geometry: g, planes: planes, offsets: offsets,
                                into: imageOutput + oy * g.outputWidth, channelStride: plane)
                }
            }
        }
    }

    /// Runs `body` with the planes' tap offsets of every input channel (`StridePlanes.tapOffsets`).
    private func withTapOffsets(_ g: StridePlanes, _ body: (UnsafePointer<Int>) -> Void) {
        let d = descriptor
        withUnsafeTemporaryAllocation(of: Int.self, capacity: d.inputChannels * d.kernelHeight * d.kernelWidth) { table in
            g.tapOffsets(channels: d.inputChannels, into: table.baseAddress!)
            body(table.baseAddress!)
        }
    }

    /// Per image of `input`: fills every channel's planes (threads over channels), then `body(image)`.
    private func forEachImage(input: UnsafePointer<Float>, batch: Int, geometry g: StridePlanes,
                              planes: UnsafeMutablePointer<Float>, threads: Int, _ body: (Int) -> Void) {
        let cin = descriptor.inputChannels
        for image in 0..<batch {
            g.fill(channels: cin, of: input + image * cin * g.height * g.width, planes: planes, threads: threads)
            body(image)
        }
    }

    /// Output row `oy` of every channel (channel `c` at `dst + c * channelStride`), each panel
    /// of output channels sweeping the row's register tiles.
    @inline(__always)
    private func implicitRow(_ oy: Int, geometry g: StridePlanes, planes: UnsafePointer<Float>,
                             offsets: UnsafePointer<Int>, into dst: UnsafeMutablePointer<Float>, channelStride: Int) {
        let cout = descriptor.outputChannels, k = descriptor.inputChannels * descriptor.kernelHeight * descriptor.kernelWidth
        let nr = GemmTile.nr, mr = GemmTile.mr, ow = g.outputWidth
        let origin = planes + oy * g.pitch
        for p in 0..<GemmPacking.panelCount(cout) {
            let e = GemmEpilogue(bias: bias + p * mr, activation: activation)
            var t = 0
            while t < ow {
                let ox = min(t, ow - nr)
                gemmMicroKernel(kc: k, rows: PackedARows(pointer: packed + p * k * mr),
                                columns: TapBColumns(origin: origin + ox, offsets: offsets),
                                c: dst + p * mr * channelStride + ox, ldc: channelStride,
                                rows: min(mr, cout - p * mr), cols: nr, accumulate: false, epilogue: e)
                t += nr
            }
        }
    }

    /// Whether `runPooled` can run on inputs of `height × width`: the implicit GEMM, which
    /// makes whole output rows.
    func fusesPooling(height: Int, width: Int) -> Bool {
        algorithm == .im2colGemm && planesCount(height: height, width: width) > 0
            && Self.implicitApplies(StridePlanes(descriptor, height: height, width: width))
    }

    /// Floats of scratch `runPooled` needs (all threads together).
    func pooledScratchCount(height: Int, width: Int, pool: MaxPool2D.Geometry, threads: Int) -> Int {
        planesCount(height: height, width: width) + max(1, threads) * pooledWorkerCount(pool)
    }

    /// A worker's ring of `kernelHeight` convolution rows (all channels) and the pooling's row buffer.
    private func pooledWorkerCount(_ pool: MaxPool2D.Geometry) -> Int {
        pool.kernelHeight * descriptor.outputChannels * pool.inputWidth + pool.rowCount
    }

    /// The convolution followed by the max pooling `pool` (whose input is this convolution's
    /// output), without the convolution's output ever being stored: each worker takes a band of
    /// pooled rows, computes the convolution rows their windows need into a ring of
    /// `pool.kernelHeight` rows (a row shared by two windows is computed once; a band's first
    /// window recomputes its overlap with the previous band) and pools them at once. ResNet's
    /// 7 × 7 stem writes 16 MB at 512² that the pooling read back. Bit-identical to `run`
    /// followed by `MaxPool2D.run`. Needs `fusesPooling(height:width:)`.
    func runPooled(input: UnsafePointer<Float>, batch: Int, height: Int, width: Int, pool: MaxPool2D.Geometry,
                          output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, threads: Int) {
        let d = descriptor
        let g = StridePlanes(d, height: height, width: width)
        precondition(fusesPooling(height: height, width: width), "the pooled path needs the implicit GEMM")
        precondition(pool.inputHeight == g.outputHeight && pool.inputWidth == g.outputWidth, "pooling geometry")
        let threads = max(1, threads)
        let cout = d.outputChannels, ow = g.outputWidth
        let planes = scratch, workers = scratch + planesCount(height: height, width: width)
        let perWorker = pooledWorkerCount(pool)
        let slots = pool.kernelHeight, slotCount = cout * ow
        let pooledRows = pool.outputHeight, pooledPlane = pool.outputHeight * pool.outputWidth
        let bands = threads == 1 ? 1 : min(pooledRows, 2 * threads)
        withTapOffsets(g) { offsets in
            forEachImage(input: input, batch: batch, geometry: g, planes: planes, threads: threads) { image in
                let imageOutput = output + image * cout * pooledPlane
                ParallelFor.run(count: bands, threads: threads) { band, worker in
                    let ring = workers + worker * perWorker, row = ring + slots * slotCount
                    MaxPool2D.prepareRowBuffer(pool, row)
                    withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: slots) { buffer in
                        let window = buffer.baseAddress!
                        var computed = Int.min   // convolution rows below this are in the ring
                        for py in band * pooledRows / bands..<(band + 1) * pooledRows / bands {
                            let (ky0, ky1) = pool.windowRows(py)
                            let first = py * pool.strideHeight - pool.padTop + ky0, count = ky1 - ky0
                            for cy in max(first, computed)..<max(first, first + count) {
                                implicitRow(cy, geometry: g, planes: planes, offsets: offsets,
                                            into: ring + (cy % slots) * slotCount, channelStride: ow)
                            }
                            computed = max(computed, first + count)
                            for c in 0..<cout {
                                for i in 0..<max(0, count) {
                                    window[i] = UnsafePointer(ring + ((first + i) % slots) * slotCount + c * ow)
                                }
                                MaxPool2D.poolRow(pool, window: window, count: count, row: row,
                                                  into: imageOutput + c * pooledPlane + py * pool.outputWidth)
                            }
                        }
                    }
                }
            }
        }
    }

    /// im2col through `StridePlanes`: per image, fill every channel's planes (threads over
    /// channels), then per column chunk a GEMM over flat columns into the worker's buffer,
    /// scattered into the output without the pitch's spare columns.
    private func runPlaneIm2col(input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                                output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                threads: Int) {
        let d = descriptor
        let g = StridePlanes(d, height: height, width: width)
        let groups = d.groups, cin = d.inputChannels
        let cinG = cin / groups, coutG = d.outputChannels / groups
        let k = cinG * d.kernelHeight * d.kernelWidth
        let flat = Self.flatColumns(g)
        let columns = flat ? g.outputHeight * g.pitch : g.outputHeight * g.outputWidth
        let panelCount = GemmPacking.panelCount(coutG)
        // A small map with many output channels (ResNet's 512-channel 16 x 16 layers): every
        // worker takes all columns and a share of the output channels, so the weights are
        // streamed once in all rather than once per worker (packing B twice is cheap here).
        let splitPanels = !flat && threads > 1 && groups == 1 && columns <= Gemm.nc && panelCount >= 4 * threads
        let panelParts = splitPanels ? threads : 1
        let chunk = splitPanels ? columns : Gemm.columnChunk(n: columns, outer: groups, threads: threads)
        let chunks = (columns + chunk - 1) / chunk
        let gemmScratch = Gemm.scratchCount(k: k)
        let perThread = gemmScratch + (flat ? coutG * Gemm.nc : 0)
        let planes = scratch + threads * perThread
        let packed = UnsafePointer(self.packed), bias = UnsafePointer(self.bias)
        let activation = self.activation, groupStride = self.groupStride
        let outputPlane = g.outputHeight * g.outputWidth
        forEachImage(input: input, batch: batch, geometry: g, planes: planes, threads: threads) { image in
            ParallelFor.run(count: groups * chunks * panelParts, threads: threads) { task, worker in
                let part = task % panelParts, columnTask = task / panelParts
                let panels = part * panelCount / panelParts..<(part + 1) * panelCount / panelParts
                let group = columnTask / chunks
                let n0 = (columnTask % chunks) * chunk, count = min(chunk, columns - n0)
                let s = scratch + worker * perThread
                let groupPlanes = UnsafePointer(planes + group * cinG * g.channelCount)
                let groupOutput = output + (image * d.outputChannels + group * coutG) * outputPlane
                let epilogue = GemmEpilogue(bias: bias + group * coutG, activation: activation)
                if flat {
                    let buffer = s + gemmScratch
                    let packer = PlaneIm2colPacker(planes: groupPlanes, geometry: g, columnOffset: n0, compact: false)
                    Gemm.compute(m: coutG, k: k, n0: 0, n1: count, panels: panels, aPacked: packed + group * groupStride,
                                 packer: packer, c: buffer, ldc: chunk, epilogue: epilogue, scratch: s)
                    PlaneIm2colPacker.scatterColumns(buffer, ld: chunk, rows: coutG, n0: n0, count: count, geometry: g,
                                                     into: groupOutput)
                } else {
                    let packer = PlaneIm2colPacker(planes: groupPlanes, geometry: g, columnOffset: 0, compact: true)
                    Gemm.compute(m: coutG, k: k, n0: n0, n1: n0 + count, panels: panels,
                                 aPacked: packed + group * groupStride, packer: packer, c: groupOutput, ldc: columns,
                                 epilogue: epilogue, scratch: s)
                }
            }
        }
    }
}
