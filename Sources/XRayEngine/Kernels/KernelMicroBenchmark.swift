import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Times the convolution kernels on fixed shapes and prints GFLOP/s (2 · multiply-adds per second).
/// Meant for the CLI's `bench` command; not run by the unit tests.
public enum KernelMicroBenchmark {
    /// One measured case.
    public struct Result: Sendable {
        public var name: String
        public var threads: Int
        /// Best wall-clock time of one run.
        public var seconds: Double
        public var gflops: Double
        /// Best process CPU time of one run divided by the thread count: what the run
        /// would take on otherwise idle cores (this machine is shared; the scheduler's
        /// time slices given to other processes are not counted).
        public var cpuSecondsPerThread: Double
        public var cpuGflops: Double
    }

    private static func processCPUTime() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Runs every case with each thread count; `repeats` timed runs per case, the best is kept.
    public static func measure(threads: [Int] = [1, 2], repeats: Int = 5, filter: String? = nil) -> [Result] {
        var results: [Result] = []
        for (name, flops, make) in cases() where filter.map({ name.contains($0) }) ?? true {
            for t in threads {
                let body = make(t)
                body() // warm-up
                var best = Double.infinity, bestCPU = Double.infinity
                for _ in 0..<repeats {
                    let cpuStart = processCPUTime()
                    let start = DispatchTime.now().uptimeNanoseconds
                    body()
                    let end = DispatchTime.now().uptimeNanoseconds
                    let cpu = processCPUTime() - cpuStart
                    best = min(best, Double(end - start) * 1e-9)
                    bestCPU = min(bestCPU, cpu / Double(t))
                }
                results.append(Result(name: name, threads: t, seconds: best, gflops: flops / best * 1e-9,
                                      cpuSecondsPerThread: bestCPU, cpuGflops: flops / bestCPU * 1e-9))
            }
        }
        return results
    }

    /// One case prepared for a thread count: `run` does the work once, `flops` counts it.
    /// For external harnesses (the package-benchmark suite in `Benchmarks/`).
    public struct Workload {
        public let name: String
        public let flops: Double
        public let run: () -> Void
    }

    /// Every case (whose name contains `filter`), prepared for `threads` threads.
    public static func workloads(threads: Int, filter: String? = nil) -> [Workload] {
        cases().filter { filter.map($0.0.contains) ?? true }.map { Workload(name: $0.0, flops: $0.1, run: $0.2(threads)) }
    }

    /// The results as a text table.
    public static func run(threads: [Int] = [1, 2], repeats: Int = 5, filter: String? = nil) -> String {
        var out = "case".padding(44) + "threads  wall ms  GFLOP/s  cpu ms/thread  GFLOP/s(cpu)\n"
        for r in measure(threads: threads, repeats: repeats, filter: filter) {
            out += r.name.padding(44) + String(r.threads).leftPadding(7)
                + format(r.seconds * 1e3).leftPadding(9) + format(r.gflops).leftPadding(9)
                + format(r.cpuSecondsPerThread * 1e3).leftPadding(15) + format(r.cpuGflops).leftPadding(14) + "\n"
        }
        return out
    }

    private static func format(_ x: Double) -> String {
        let v = (x * 10).rounded() / 10
        return String(v)
    }

    private typealias Case = (String, Double, (Int) -> () -> Void)

    /// Benchmark buffers, freed when the case's closure is released.
    private final class Buffers {
        private var pointers: [UnsafeMutablePointer<Float>] = []
        func make(_ count: Int, seed: UInt32 = 0) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            var s = seed | 1
            for i in 0..<count {
                s ^= s << 13; s ^= s >> 17; s ^= s << 5
                p[i] = Float(s % 2001) / 1000 - 1
            }
            pointers.append(p)
            return p
        }
        deinit { for p in pointers { p.deallocate() } }
    }

    /// Register-only FMA throughput: 24 independent accumulator chains, no memory traffic.
    private static func peakCase() -> Case {
        let iterations = 2_000_000
        return ("FMA peak (registers only)", Double(iterations) * 24 * 16 * 2, { threads in
            let buffers = Buffers()
            let sink = buffers.make(16 * threads)
            return {
                _ = buffers
                ParallelFor.run(count: threads, threads: threads) { task, _ in
                    sink[task * 16] = peakLoop(iterations: iterations / threads, seed: Float(task))
                }
            }
        })
    }

    @inline(never)
    private static func peakLoop(iterations: Int, seed: Float) -> Float {
        let a = SIMD16<Float>(repeating: 0.999_999), b = SIMD16<Float>(repeating: 1e-7)
        var c0 = SIMD16<Float>(repeating: seed), c1 = c0 + 1, c2 = c0 + 2, c3 = c0 + 3, c4 = c0 + 4, c5 = c0 + 5
        var c6 = c0 + 6, c7 = c0 + 7, c8 = c0 + 8, c9 = c0 + 9, c10 = c0 + 10, c11 = c0 + 11
        var d0 = c0 - 1, d1 = c0 - 2, d2 = c0 - 3, d3 = c0 - 4, d4 = c0 - 5, d5 = c0 - 6
        var d6 = c0 - 7, d7 = c0 - 8, d8 = c0 - 9, d9 = c0 - 10, d10 = c0 - 11, d11 = c0 - 12
        for _ in 0..<iterations {
            c0 = fusedMultiplyAdd(c0, a, b); c1 = fusedMultiplyAdd(c1, a, b); c2 = fusedMultiplyAdd(c2, a, b)
            c3 = fusedMultiplyAdd(c3, a, b); c4 = fusedMultiplyAdd(c4, a, b); c5 = fusedMultiplyAdd(c5, a, b)
            c6 = fusedMultiplyAdd(c6, a, b); c7 = fusedMultiplyAdd(c7, a, b); c8 = fusedMultiplyAdd(c8, a, b)
            c9 = fusedMultiplyAdd(c9, a, b); c10 = fusedMultiplyAdd(c10, a, b); c11 = fusedMultiplyAdd(c11, a, b)
            d0 = fusedMultiplyAdd(d0, a, b); d1 = fusedMultiplyAdd(d1, a, b); d2 = fusedMultiplyAdd(d2, a, b)
            d3 = fusedMultiplyAdd(d3, a, b); d4 = fusedMultiplyAdd(d4, a, b); d5 = fusedMultiplyAdd(d5, a, b)
            d6 = fusedMultiplyAdd(d6, a, b); d7 = fusedMultiplyAdd(d7, a, b); d8 = fusedMultiplyAdd(d8, a, b)
            d9 = fusedMultiplyAdd(d9, a, b); d10 = fusedMultiplyAdd(d10, a, b); d11 = fusedMultiplyAdd(d11, a, b)
        }
        let c = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11
        let d = d0 + d1 + d2 + d3 + d4 + d5 + d6 + d7 + d8 + d9 + d10 + d11
        return (c + d).sum()
    }

    private static func gemmCase(m: Int, n: Int, k: Int) -> Case {
        let name = "GEMM \(m)x\(n)x\(k)"
        return (name, 2.0 * Double(m * n * k), { threads in
            let buffers = Buffers()
            let a = buffers.make(m * k, seed: 1), b = buffers.make(k * n, seed: 2), c = buffers.make(m * n)
            let gemm = PackedMatrixMultiply(m: m, k: k, a: UnsafeBufferPointer(start: a, count: m * k))
            let scratch = buffers.make(gemm.scratchCount(n: n, threads: threads))
            return {
                _ = buffers
                gemm.run(b: b, n: n, c: c, scratch: scratch, threads: threads)
            }
        })
    }

    /// `residual`: the convolution also adds a residual as long as its output before the ReLU
    /// (`ConvAddOperator`'s epilogue; Winograd algorithms only).
    private static func convCase(_ name: String, _ d: Convolution2DDescriptor, h: Int, w: Int,
                                 algorithm: PackedConvolution2D.Algorithm? = nil, residual: Bool = false) -> Case {
        let (oh, ow) = d.outputSize(inputHeight: h, inputWidth: w)
        let macs = Double(d.outputChannels * oh * ow * (d.inputChannels / d.groups) * d.kernelHeight * d.kernelWidth)
        return (name, 2 * macs, { threads in
            let buffers = Buffers()
            let input = buffers.make(d.inputChannels * h * w, seed: 3)
            let weights = buffers.make(d.weightCount, seed: 4)
            let bias = buffers.make(d.outputChannels, seed: 5)
            let conv = PackedConvolution2D(descriptor: d, weights: UnsafeBufferPointer(start: weights, count: d.weightCount),
                                           bias: UnsafeBufferPointer(start: bias, count: d.outputChannels),
                                           activation: .relu, algorithm: algorithm)
            let output = buffers.make(d.outputChannels * oh * ow)
            let added = residual ? UnsafePointer(buffers.make(d.outputChannels * oh * ow, seed: 6)) : nil
            let scratch = buffers.make(conv.scratchCount(inputHeight: h, inputWidth: w, threads: threads))
            return {
                _ = buffers
                conv.run(input: input, batch: 1, inputHeight: h, inputWidth: w, output: output,
                         scratch: scratch, threads: threads, residual: added) }
        })
    }

    /// A MobileNetV2 block (`cin → channels`, depthwise 3 × 3, `channels → cout` on `size × size`)
    /// as `PointwiseDepthwiseOperator` runs it: in bands of rows, or on 7 × 7 with two threads
    /// split by channels. With `first`, the first stage is a k × k stride-s convolution (MobileNetV2's
    /// stem) read through the input's planes.
    private static func bandsCase(_ cin: Int, _ channels: Int, _ cout: Int, size: Int, stride: Int,
                                  first: (kernel: Int, stride: Int)? = nil) -> Case {
        let k = first?.kernel ?? 1, s = first?.stride ?? 1
        let e = Convolution2DDescriptor(inputChannels: cin, outputChannels: channels, kernelHeight: k, kernelWidth: k,
                                        strideHeight: s, strideWidth: s, padTop: k / 2, padLeft: k / 2,
                                        padBottom: k / 2, padRight: k / 2)
        let (eh, ew) = e.outputSize(inputHeight: size, inputWidth: size)
        let depth = cin * e.kernelHeight * e.kernelWidth
        let d = Convolution2DDescriptor(inputChannels: channels, outputChannels: channels, groups: channels,
                                        kernelHeight: 3, kernelWidth: 3, strideHeight: stride, strideWidth: stride,
                                        padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
        let (oh, ow) = d.outputSize(inputHeight: eh, inputWidth: ew)
        let macs = Double(eh * ew * depth * channels + oh * ow * channels * (9 + cout))
        let name = first.map { "conv\($0.kernel)x\($0.kernel) s\($0.stride)-dw-pw \(cin)->\(channels)->\(cout) \(size)x\(size)" }
            ?? "pw-dw-pw \(cin)->\(channels)->\(cout) s\(stride) \(size)x\(size)"
        return (name, 2 * macs, { threads in
            let buffers = Buffers()
            let pitch = (channels + GemmTile.nr - 1) / GemmTile.nr * GemmTile.nr
            let expand = buffers.make(TransposedPointwise.packedWeightCount(cout: channels, cin: depth))
            TransposedPointwise.packWeights(cout: channels, cin: depth, weights: buffers.make(channels * depth, seed: 4),
                                            into: expand)
            let project = buffers.make(TransposedPointwise.packedWeightCount(cout: cout, cin: channels))
            TransposedPointwise.packWeights(cout: cout, cin: channels, weights: buffers.make(cout * channels, seed: 5),
                                            into: project)
            let depthwise = buffers.make(9 * pitch)
            let packedDepthwise = ChannelsLastDepthwise.packWeights(d, channelPitch: pitch,
                                                                    weights: buffers.make(9 * channels, seed: 6))
            depthwise.update(from: packedDepthwise, count: packedDepthwise.count)
            let bias = buffers.make(pitch, seed: 7)
            let weights = PointwiseDepthwiseBands.Weights(
                expand: expand, expandBias: bias, expandActivation: .clip(min: 0, max: 6), depthwise: depthwise,
                depthwiseBias: bias, depthwiseActivation: .clip(min: 0, max: 6), project: project, projectBias: bias,
                projectActivation: .none)
            let bands = PointwiseDepthwiseBands(cin: cin, channels: channels, cout: cout, height: eh, width: ew,
                                                depthwise: d, channelPitch: pitch, threads: threads,
                                                convolution: first.map { _ in ChannelsLastConvolution(e, height: size, width: size) })
            let input = buffers.make(cin * size * size, seed: 3), output = buffers.make(cout * oh * ow)
            let scratch = buffers.make(bands.scratchCount)
            return {
                _ = buffers
                bands.run(weights, input: input, output: output, scratch: scratch, threads: threads)
            }
        })
    }

    private static func cases() -> [Case] {
        func c3x3(_ cin: Int, _ cout: Int) -> Convolution2DDescriptor {
            Convolution2DDescriptor(inputChannels: cin, outputChannels: cout, kernelHeight: 3, kernelWidth: 3,
                                    padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
        }
        let c3 = c3x3(64, 64), deep = c3x3(512, 512), mid = c3x3(256, 256)
        let c1 = Convolution2DDescriptor(inputChannels: 128, outputChannels: 128, kernelHeight: 1, kernelWidth: 1)
        let dw = Convolution2DDescriptor(inputChannels: 96, outputChannels: 96, groups: 96, kernelHeight: 3, kernelWidth: 3,
                                         padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
        let dw2 = Convolution2DDescriptor(inputChannels: 96, outputChannels: 96, groups: 96, kernelHeight: 3, kernelWidth: 3,
                                          strideHeight: 2, strideWidth: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
        let stem = Convolution2DDescriptor(inputChannels: 3, outputChannels: 32, kernelHeight: 3, kernelWidth: 3,
                                           strideHeight: 2, strideWidth: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
        let expand = Convolution2DDescriptor(inputChannels: 16, outputChannels: 96, kernelHeight: 1, kernelWidth: 1)
        func pw(_ cin: Int, _ cout: Int) -> Convolution2DDescriptor {
            Convolution2DDescriptor(inputChannels: cin, outputChannels: cout, kernelHeight: 1, kernelWidth: 1)
        }
        let resnetStem = Convolution2DDescriptor(inputChannels: 3, outputChannels: 64, kernelHeight: 7, kernelWidth: 7,
                                                 strideHeight: 2, strideWidth: 2, padTop: 3, padLeft: 3, padBottom: 3,
                                                 padRight: 3)
        func s2(_ cin: Int, _ cout: Int) -> Convolution2DDescriptor {
            Convolution2DDescriptor(inputChannels: cin, outputChannels: cout, kernelHeight: 3, kernelWidth: 3,
                                    strideHeight: 2, strideWidth: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
        }
        let dwSmall = Convolution2DDescriptor(inputChannels: 960, outputChannels: 960, groups: 960, kernelHeight: 3,
                                              kernelWidth: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
        return [
            peakCase(),
            gemmCase(m: 512, n: 512, k: 512),
            gemmCase(m: 256, n: 128 * 128, k: 576),
            convCase("conv3x3 64->64 256x256 winograd", c3, h: 256, w: 256, algorithm: .winograd),
            convCase("conv3x3 64->64 256x256 im2col-gemm", c3, h: 256, w: 256, algorithm: .im2colGemm),
            convCase("conv3x3 512->512 16x16 winograd2x2", deep, h: 16, w: 16, algorithm: .winograd2x2),
            convCase("conv3x3 512->512 16x16 winograd", deep, h: 16, w: 16, algorithm: .winograd),
            convCase("conv3x3 512->512 16x16 im2col-gemm", deep, h: 16, w: 16, algorithm: .im2colGemm),
            convCase("conv3x3 256->256 32x32 winograd2x2", mid, h: 32, w: 32, algorithm: .winograd2x2),
            convCase("conv3x3 256->256 32x32 winograd", mid, h: 32, w: 32, algorithm: .winograd),
            convCase("conv3x3 16->16 1024x1024 winograd (U-Net)", c3x3(16, 16), h: 1024, w: 1024, algorithm: .winograd),
            convCase("conv3x3 16->16 1024x1024 im2col-gemm", c3x3(16, 16), h: 1024, w: 1024, algorithm: .im2colGemm),
            convCase("conv3x3 48->16 1024x1024 winograd (U-Net)", c3x3(48, 16), h: 1024, w: 1024, algorithm: .winograd),
            convCase("conv1x1 128->128 128x128", c1, h: 128, w: 128),
            convCase("conv1x1 960->320 7x7 transposed", pw(960, 320), h: 7, w: 7, algorithm: .gemm1x1Transposed),
            convCase("conv1x1 960->320 7x7 gemm", pw(960, 320), h: 7, w: 7, algorithm: .gemm1x1),
            convCase("conv1x1 576->96 14x14 transposed", pw(576, 96), h: 14, w: 14, algorithm: .gemm1x1Transposed),
            convCase("conv1x1 576->96 14x14 gemm", pw(576, 96), h: 14, w: 14, algorithm: .gemm1x1),
            convCase("conv1x1 192->32 28x28 transposed", pw(192, 32), h: 28, w: 28, algorithm: .gemm1x1Transposed),
            convCase("conv1x1 192->32 28x28 gemm", pw(192, 32), h: 28, w: 28, algorithm: .gemm1x1),
            convCase("conv1x1 32->192 28x28 transposed", pw(32, 192), h: 28, w: 28, algorithm: .gemm1x1Transposed),
            convCase("conv1x1 32->192 28x28 gemm", pw(32, 192), h: 28, w: 28, algorithm: .gemm1x1),
            convCase("depthwise3x3 s1 96ch 112x112", dw, h: 112, w: 112),
            convCase("depthwise3x3 s2 96ch 112x112", dw2, h: 112, w: 112),
            convCase("depthwise3x3 s1 960ch 7x7", dwSmall, h: 7, w: 7),
            convCase("conv1x1 16->96 112x112 (small K)", expand, h: 112, w: 112),
            convCase("first layer 3x3 s2 3->32 224x224", stem, h: 224, w: 224),
            convCase("first layer 7x7 s2 3->64 512x512 (ResNet)", resnetStem, h: 512, w: 512),
            convCase("conv3x3 s2 64->128 128x128 (ResNet)", s2(64, 128), h: 128, w: 128),
            convCase("conv3x3 s2 128->256 64x64 (ResNet)", s2(128, 256), h: 64, w: 64),
            convCase("conv3x3 s2 256->512 32x32 (ResNet)", s2(256, 512), h: 32, w: 32),
            convCase("conv3x3 256->256 32x32 winograd + residual", mid, h: 32, w: 32, algorithm: .winograd,
                     residual: true),
            convCase("conv3x3 64->64 128x128 winograd + residual (ResNet)", c3, h: 128, w: 128,
                     algorithm: .winograd, residual: true),
            bandsCase(16, 96, 24, size: 112, stride: 2),
            bandsCase(3, 32, 16, size: 224, stride: 1, first: (kernel: 3, stride: 2)),
            bandsCase(160, 960, 160, size: 7, stride: 1),
        ]
    }
}

private extension String {
    func padding(_ n: Int) -> String { count >= n ? self + " " : self + String(repeating: " ", count: n - count) }
    func leftPadding(_ n: Int) -> String { count >= n ? " " + self : String(repeating: " ", count: n - count) + self }
}
