import Benchmark
import XRayEngine

// The engine's kernel cases (`xray-screen bench --kernels` prints the same as GFLOP/s) as a
// package-benchmark suite, so that a regression shows against a saved baseline:
//   swift package benchmark --target KernelBenchmarks baseline update main
//   swift package benchmark --target KernelBenchmarks baseline compare main
// Each benchmark's name carries its MFLOP per iteration: GFLOP/s = MFLOP × throughput / 1000.
// Build with XRAYSCREEN_NATIVE=1 (FMA / AVX-512), as the README's release build does.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .throughput],
                                           warmupIterations: 2, maxDuration: .seconds(2), maxIterations: 200)
    for threads in [1, 2] {
        for workload in KernelMicroBenchmark.workloads(threads: threads) {
            let mflop = (workload.flops / 1e6 * 10).rounded() / 10
            Benchmark("\(workload.name), \(threads) thread(s), \(mflop) MFLOP") { benchmark in
                for _ in benchmark.scaledIterations { workload.run() }
            }
        }
    }
}
