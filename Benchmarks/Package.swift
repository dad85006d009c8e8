// swift-tools-version: 6.1
import PackageDescription

// Benchmarks live in their own package so that depending on XRayScreen never
// resolves benchmark dependencies. Run: `swift package benchmark --target DecodeBenchmarks` (or KernelBenchmarks).
let package = Package(
    name: "XRayScreenBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "XRayScreen", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The same libpng/libtiff calls as CCodecs, in a plain C loop: the baseline.
        .target(
            name: "CDecodeLoop",
            path: "Sources/CDecodeLoop",
            linkerSettings: [.linkedLibrary("png"), .linkedLibrary("tiff"), .linkedLibrary("z")]
        ),
        // The 4096² test scan and the C decode call both decode benchmarks use.
        .target(
            name: "DecodeFixture",
            dependencies: [.product(name: "XRayImaging", package: "XRayScreen"), "CDecodeLoop"],
            path: "Sources/DecodeFixture"
        ),
        .executableTarget(
            name: "DecodeBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "XRayImaging", package: "XRayScreen"),
                "CDecodeLoop",
                "DecodeFixture",
            ],
            path: "Benchmarks/DecodeBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The engine's kernel cases (GEMM, each convolution kind) for regression tracking.
        .executableTarget(
            name: "KernelBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "XRayEngine", package: "XRayScreen"),
            ],
            path: "Benchmarks/KernelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Best-of-N timings without the benchmark harness, and a single-pass mode
        // for `valgrind --tool=callgrind` instruction counts on a loaded machine.
        .executableTarget(
            name: "DecodeTiming",
            dependencies: [.product(name: "XRayImaging", package: "XRayScreen"), "CDecodeLoop", "DecodeFixture"],
            path: "Sources/DecodeTiming"
        ),
    ]
)
