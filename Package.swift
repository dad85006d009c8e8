// swift-tools-version: 6.1
import PackageDescription
import Foundation

// Kernels are written on portable SIMD types. A build that sets XRAYSCREEN_NATIVE=1
// targets this machine's CPU (AVX-512/FMA on x86-64) and lets the kernels use fused
// multiply-add; without it the package stays free of unsafe flags so integrators
// can depend on it by version, and the kernels use separate multiply and add
// (never a per-lane `fmaf` call).
let native = ProcessInfo.processInfo.environment["XRAYSCREEN_NATIVE"].map { $0 != "0" && !$0.isEmpty } ?? false
let kernelSettings: [SwiftSetting] = native
    ? [.unsafeFlags(["-target-cpu", "native"]), .define("XRAY_FMA")]
    : []

let package = Package(
    name: "XRayScreen",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "XRayImaging", targets: ["XRayImaging"]),
        .library(name: "XRayEngine", targets: ["XRayEngine"]),
        .library(name: "XRayDetection", targets: ["XRayDetection"]),
        .library(name: "XRaySimulation", targets: ["XRaySimulation"]),
        .executable(name: "xray-screen", targets: ["xray-screen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(
            name: "CCodecs",
            linkerSettings: [.linkedLibrary("png"), .linkedLibrary("tiff"), .linkedLibrary("z")]
        ),
        .target(name: "XRayImaging", dependencies: ["CCodecs"], swiftSettings: kernelSettings),
        .target(
            name: "XRayEngine",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["ONNX/Protos", "README.md"],
            swiftSettings: kernelSettings
        ),
        .target(name: "XRaySimulation", dependencies: ["XRayImaging"], exclude: ["README.md"], swiftSettings: kernelSettings),
        .target(
            name: "XRayDetection", dependencies: ["XRayImaging", "XRayEngine"],
            exclude: ["README.md"], swiftSettings: kernelSettings
        ),
        .executableTarget(
            name: "xray-screen",
            dependencies: [
                "XRayImaging", "XRayEngine", "XRayDetection", "XRaySimulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: kernelSettings
        ),
        .testTarget(name: "XRayImagingTests", dependencies: ["XRayImaging", "CCodecs"], resources: [.copy("Regressions")]),
        .testTarget(name: "XRayEngineTests", dependencies: ["XRayEngine"], resources: [.copy("Goldens"), .copy("Regressions")]),
        .testTarget(name: "XRaySimulationTests", dependencies: ["XRaySimulation", "XRayImaging"]),
        .testTarget(name: "XRayDetectionTests", dependencies: ["XRayDetection", "XRaySimulation", "XRayImaging", "XRayEngine"]),
        .testTarget(name: "XRayScreenCLITests", dependencies: ["xray-screen"], exclude: ["Resources"]),
    ]
)
