// swift-tools-version: 6.1
// libFuzzer harnesses for XRayScreen. A separate package (like Benchmarks/) so that a plain
// `swift build` / `swift test` of the root never builds them. It sits in Fuzz/Harnesses, not
// Fuzz/, so that its package identity never collides with a checkout directory named "fuzz". Build and run with
// ./run.sh TARGET SECONDS (see README.md); the sanitizer flags come from run.sh.
import PackageDescription

let package = Package(
    name: "XRayScreenFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "XRayScreen", path: "../..")],
    targets: [
        .target(name: "FuzzDriver"),
        .target(name: "ImageFuzzSupport", dependencies: [.product(name: "XRayImaging", package: "XRayScreen")]),
        .executableTarget(name: "FuzzPNG", dependencies: ["FuzzDriver", "ImageFuzzSupport", .product(name: "XRayImaging", package: "XRayScreen")]),
        .executableTarget(name: "FuzzTIFF", dependencies: ["FuzzDriver", "ImageFuzzSupport", .product(name: "XRayImaging", package: "XRayScreen")]),
        .executableTarget(name: "FuzzONNX", dependencies: ["FuzzDriver", .product(name: "XRayEngine", package: "XRayScreen")]),
        .executableTarget(name: "FuzzCalibration", dependencies: ["FuzzDriver", .product(name: "XRayDetection", package: "XRayScreen")]),
    ]
)
