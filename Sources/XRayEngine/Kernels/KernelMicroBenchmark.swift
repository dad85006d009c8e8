import Dispatch

/// Times the convolution kernels on fixed shapes and prints GFLOP/s (2 · multiply-adds per second).
/// Meant for the CLI's `bench` command; not run by the unit tests.
public enum KernelMicroBenchmark {
    /// One measured case.
    public struct Result: Sendable {
        public var name: String
        public var threads: Int
        public var seconds: Double
        public var gflops: Double
    }

    /// Runs every case with each thread count; `repeats` timed runs per case, the best is kept.
    public static func measure(threads: [Int] = [1, 2], repeats: Int = 5, filter: String? = nil) -> [Result] {
        var results: [Result] = []
        for (name, flops, make) in cases() where filter.map({ name.contains($0) }) ?? true {
            for t in threads {
                let body = make(t)
                body() // warm-up
                var best = Double.infinity
                for _ in 0..<repeats {
                    let start = DispatchTime.now().uptimeNanoseconds
                    body()
                    let end = DispatchTime.now().uptimeNanoseconds
                    best = min(best, Double(end - start) * 1e-9)
                }
                results.append(Result(name: name, threads: t, seconds: best, gflops: flops / best * 1e-9))
            }
        }
        return results
    }

    /// The results as a text table.
    public static func run(threads: [Int] = [1, 2], repeats: Int = 5, filter: String? = nil) -> String {
        var out = "case".padding(50) + "threads      ms   GFLOP/s\n"
        for r in measure(threads: threads, repeats: repeats, filter: filter) {
            out += r.name.padding(50) + String(r.threads).leftPadding(7)
                + format(r.seconds * 1e3).leftPadding(8) + format(r.gflops).leftPadding(10) + "\n"
        }
        return out
    }

    private static func format(_ x: Double) -> String {
        let v = (x * 10).rounded() / 10
        return String(v)
    }

    private typealias Case = (String, Double, (Int) -> () -> Void)

    private static func filled(_ count: Int, seed: UInt32) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
        var s = seed | 1
        for i in 0..<count {
            s ^= s << 13; s ^= s >> 17; s ^= s << 5
            p[i] = Float(s % 2001) / 1000 - 1
        }
        return p
    }

    private static func gemmCase(m: Int, n: Int, k: Int) -> Case {
        let name = "GEMM \(m)x\(n)x\(k)"
        return (name, 2.0 * Double(m * n * k), { threads in
            let a = filled(m * k, seed: 1), b = filled(k * n, seed: 2)
            let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
            let gemm = PackedMatrixMultiply(m: m, k: k, a: UnsafeBufferPointer(start: a, count: m * k))
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: gemm.scratchCount(n: n, threads: threads))
            return { gemm.run(b: b, n: n, c: c, scratch: scratch, threads: threads) }
        })
    }

    private static func convCase(_ name: String, _ d: Convolution2DDescriptor, h: Int, w: Int,
                                 algorithm: PackedConvolution2D.Algorithm? = nil) -> Case {
        let (oh, ow) = d.outputSize(inputHeight: h, inputWidth: w)
        let macs = Double(d.outputChannels * oh * ow * (d.inputChannels / d.groups) * d.kernelHeight * d.kernelWidth)
        return (name, 2 * macs, { threads in
            let input = filled(d.inputChannels * h * w, seed: 3)
            let weights = filled(d.weightCount, seed: 4)
            let bias = filled(d.outputChannels, seed: 5)
            let conv = PackedConvolution2D(descriptor: d, weights: UnsafeBufferPointer(start: weights, count: d.weightCount),
                                           bias: UnsafeBufferPointer(start: bias, count: d.outputChannels),
                                           activation: .relu, algorithm: algorithm)
            let output = UnsafeMutablePointer<Float>.allocate(capacity: d.outputChannels * oh * ow)
            let scratch = UnsafeMutablePointer<Float>.allocate(
                capacity: conv.scratchCount(inputHeight: h, inputWidth: w, threads: threads))
            return { conv.run(input: input, batch: 1, inputHeight: h, inputWidth: w, output: output,
                              scratch: scratch, threads: threads) }
        })
    }

    private static func cases() -> [Case] {
        let c3 = Convolution2DDescriptor(inputChannels: 64, outputChannels: 64, kernelHeight: 3, kernelWidth: 3,
                                         padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
        let c1 = Convolution2DDescriptor(inputChannels: 128, outputChannels: 128, kernelHeight: 1, kernelWidth: 1)
        let dw = Convolution2DDescriptor(inputChannels: 96, outputChannels: 96, groups: 96, kernelHeight: 3, kernelWidth: 3,
                                         padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
        let dw2 = Convolution2DDescriptor(inputChannels: 96, outputChannels: 96, groups: 96, kernelHeight: 3, kernelWidth: 3,
                                          strideHeight: 2, strideWidth: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
        return [
            gemmCase(m: 512, n: 512, k: 512),
            gemmCase(m: 256, n: 128 * 128, k: 576),
            convCase("conv3x3 64->64 256x256 winograd", c3, h: 256, w: 256, algorithm: .winograd),
            convCase("conv3x3 64->64 256x256 im2col-gemm", c3, h: 256, w: 256, algorithm: .im2colGemm),
            convCase("conv1x1 128->128 128x128", c1, h: 128, w: 128),
            convCase("depthwise3x3 s1 96ch 112x112", dw, h: 112, w: 112),
            convCase("depthwise3x3 s2 96ch 112x112", dw2, h: 112, w: 112),
        ]
    }
}

private extension String {
    func padding(_ n: Int) -> String { count >= n ? self + " " : self + String(repeating: " ", count: n - count) }
    func leftPadding(_ n: Int) -> String { count >= n ? " " + self : String(repeating: " ", count: n - count) + self }
}
