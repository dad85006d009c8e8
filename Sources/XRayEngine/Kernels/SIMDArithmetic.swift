#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The single place where the kernels multiply and add: `c + a * b`.
///
/// Built with `XRAY_FMA` (native target) this is one fused multiply-add
/// instruction per vector; otherwise a separate multiply and add. Never call
/// `addingProduct` elsewhere: on baseline x86-64 it lowers to one `fmaf` call per lane.
@inline(__always)
func fusedMultiplyAdd(_ a: SIMD16<Float>, _ b: SIMD16<Float>, _ c: SIMD16<Float>) -> SIMD16<Float> {
#if XRAY_FMA
    return c.addingProduct(a, b)
#else
    return c + a * b
#endif
}

@inline(__always)
func loadVector(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func loadVector(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func storeVector(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// `min(max(x, lo), hi)` per lane as two compare-and-blends (NaN stays NaN). The standard
/// library's `pointwiseMin`/`pointwiseMax` go lane by lane here, which made every ReLU6 layer
/// (MobileNet) run about twenty times slower than its convolution.
@inline(__always)
func clamp(_ x: SIMD16<Float>, _ lo: Float, _ hi: Float) -> SIMD16<Float> {
    let low = SIMD16<Float>(repeating: lo), high = SIMD16<Float>(repeating: hi)
    return x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
}

/// `1 / (1 + e^-x)` per lane, e^-x as `2^n · e^r` (|r| ≤ ln 2 / 2) with the Cephes `expf`
/// polynomial for e^r: within a few 1e-8 of the exact value (a relative error of about 1e-7
/// on small outputs), as libm's `expf` is, which took one call per lane (the shipped model's
/// sigmoid head spent most of its time there). NaN stays NaN; ±infinity give 1 and 0.
@inline(__always)
func vectorSigmoid(_ x: SIMD16<Float>) -> SIMD16<Float> {
    // e^t with t = -x clamped to where e^t is a normal float (sigmoid is 0 or 1 beyond).
    let t = clamp(-x, -87, 88)
    // Adding 1.5 · 2^23 rounds t · log2(e) to the integer n, held in the sum's low mantissa bits.
    let magic = SIMD16<Float>(repeating: 12_582_912)
    let j = t * 1.442_695_04 + magic
    let n = j - magic
    let r = t - n * 0.693_359_375 + n * 2.121_944_4e-4   // t - n · ln 2, ln 2 in two parts
    var p = SIMD16<Float>(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_1e-1
    p = p * (r * r) + r + 1
    let exponent = (unsafeBitCast(j, to: SIMD16<UInt32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    return 1 / (1 + p * unsafeBitCast(exponent, to: SIMD16<Float>.self))
}

/// An activation as a type: a kernel generic over it is compiled once per kind with the
/// activation inlined into its loop. (A `switch` on `FusedActivation` per vector is not
/// always inlined: the depthwise kernel spent a fifth of its time calling `apply`.)
protocol VectorActivation {
    func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float>
}

struct IdentityActivation: VectorActivation {
    @inline(__always) func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> { x }
}

struct ReluActivation: VectorActivation {
    @inline(__always) func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> { x.replacing(with: 0, where: x .< 0) }
}

struct ClipActivation: VectorActivation {
    let low: Float, high: Float
    @inline(__always) func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> { clamp(x, low, high) }
}

/// Every other kind, through the `switch`.
struct GeneralActivation: VectorActivation {
    let activation: FusedActivation
    @inline(__always) func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> { activation.apply(x) }
}

extension FusedActivation {
    // The scalar `apply(_: Float)` lives with the reference ops (Ops/Activation.swift).

    /// Applies the activation to sixteen values.
    @inline(__always)
    func apply(_ x: SIMD16<Float>) -> SIMD16<Float> {
        switch self {
        case .none: return x
        case .relu: return x.replacing(with: 0, where: x .< 0)
        case .leakyRelu(let alpha): return x.replacing(with: x * alpha, where: x .< 0)
        case .clip(let lo, let hi):
            return clamp(x, lo, hi)
        case .hardSigmoid(let alpha, let beta):
            return clamp(x * alpha + beta, 0, 1)
        case .hardSwish:
            return x * clamp(x * (1 / 6 as Float) + 0.5, 0, 1)
        case .sigmoid:
            return vectorSigmoid(x)
        case .tanh:
            return applyPerLane(x)
        }
    }

    /// Sigmoid and tanh, lane by lane through libm; kept out of line so that `apply` stays
    /// small enough to inline into the kernels' epilogues.
    @inline(never)
    func applyPerLane(_ x: SIMD16<Float>) -> SIMD16<Float> {
        var y = x
        for i in 0..<16 { y[i] = apply(x[i]) }
        return y
    }

    /// `dst[i] = act(src[i] + bias)` for `count` values (`src` may equal `dst`).
    @inline(__always)
    func applyRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, bias: Float) {
        var i = 0
        let b = SIMD16<Float>(repeating: bias)
        while i + 16 <= count {
            storeVector(apply(loadVector(src + i) + b), dst + i)
            i += 16
        }
        while i < count { dst[i] = apply(src[i] + bias); i += 1 }
    }
}
