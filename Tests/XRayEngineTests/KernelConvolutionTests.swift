import XCTest
import XRayEngine

final class KernelConvolutionTests: XCTestCase {
    /// The plain 7-loop convolution (NCHW, OIHW), accumulated in Double.
    static func naiveConvolution(_ d: Convolution2DDescriptor, input: [Float], batch: Int, height: Int, width: Int,
                                 weights: [Float], bias: [Float]?, activation: FusedActivation) -> [Float] {
        let (oh, ow) = d.outputSize(inputHeight: height, inputWidth: width)
        let cinG = d.inputChannels / d.groups, coutG = d.outputChannels / d.groups
        var out = [Float](repeating: 0, count: batch * d.outputChannels * oh * ow)
        for n in 0..<batch {
            for o in 0..<d.outputChannels {
                let g = o / coutG
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var s = Double(bias?[o] ?? 0)
                        for c in 0..<cinG {
                            let ic = g * cinG + c
                            for ky in 0..<d.kernelHeight {
                                let iy = oy * d.strideHeight - d.padTop + ky * d.dilationHeight
                                if iy < 0 || iy >= height { continue }
                                for kx in 0..<d.kernelWidth {
                                    let ix = ox * d.strideWidth - d.padLeft + kx * d.dilationWidth
                                    if ix < 0 || ix >= width { continue }
                                    let x = input[((n * d.inputChannels + ic) * height + iy) * width + ix]
                                    let w = weights[((o * cinG + c) * d.kernelHeight + ky) * d.kernelWidth + kx]
                                    s += Double(x) * Double(w)
                                }
                            }
                        }
                        out[((n * d.outputChannels + o) * oh + oy) * ow + ox] = referenceActivation(Float(s), activation)
                    }
                }
            }
        }
        return out
    }

    private func check(_ d: Convolution2DDescriptor, height: Int, width: Int, batch: Int = 1,
                       activation: FusedActivation = .none, bias: Bool = true, threads: Int = 1,
                       expect: PackedConvolution2D.Algorithm? = nil, force: PackedConvolution2D.Algorithm? = nil,
                       seed: UInt64 = 1, file: StaticString = #filePath, line: UInt = #line) {
        var rng = KernelTestRandom(seed: seed)
        let input = (0..<(batch * d.inputChannels * height * width)).map { _ in rng.uniform() }
        let weights = (0..<d.weightCount).map { _ in rng.uniform() }
        let biasValues = (0..<d.outputChannels).map { _ in rng.uniform() }
        let expected = Self.naiveConvolution(d, input: input, batch: batch, height: height, width: width,
                                             weights: weights, bias: bias ? biasValues : nil, activation: activation)
        let conv = weights.withUnsafeBufferPointer { wp in
            biasValues.withUnsafeBufferPointer { bp in
                PackedConvolution2D(descriptor: d, weights: wp, bias: bias ? bp : nil, activation: activation, algorithm: force)
            }
        }
        if let expect { XCTAssertEqual(conv.algorithm, expect, "\(d)", file: file, line: line) }
        var output = [Float](repeating: .nan, count: expected.count)
        var scratch = [Float](repeating: .nan,
                              count: conv.scratchCount(inputHeight: height, inputWidth: width, threads: threads))
        input.withUnsafeBufferPointer { ip in
            output.withUnsafeMutableBufferPointer { op in
                scratch.withUnsafeMutableBufferPointer { sp in
                    conv.run(input: ip.baseAddress!, batch: batch, inputHeight: height, inputWidth: width,
                             output: op.baseAddress!, scratch: sp.baseAddress!, threads: threads)
                }
            }
        }
        assertClose(output, expected, "\(conv.algorithm) \(d) \(height)x\(width) \(activation)", file: file, line: line)
    }

    private func desc(_ cin: Int, _ cout: Int, k: Int, kw: Int? = nil, s: Int = 1, sw: Int? = nil, d: Int = 1,
                      g: Int = 1, pad: Int = 0, pads: (Int, Int, Int, Int)? = nil) -> Convolution2DDescriptor {
        let p = pads ?? (pad, pad, pad, pad)
        return Convolution2DDescriptor(inputChannels: cin, outputChannels: cout, groups: g, kernelHeight: k,
                                       kernelWidth: kw ?? k, strideHeight: s, strideWidth: sw ?? s,
                                       dilationHeight: d, dilationWidth: d,
                                       padTop: p.0, padLeft: p.1, padBottom: p.2, padRight: p.3)
    }

    /// A residual added in the Winograd output transforms (`ConvAddOperator`) gives exactly what
    /// the convolution followed by `Add` and the activation gives: partial tiles, batches,
    /// threads, F(4×4) and F(2×2).
    func testResidualEpilogueMatchesConvThenAdd() {
        let cases: [(Convolution2DDescriptor, Int, Int, Int, PackedConvolution2D.Algorithm, FusedActivation, Int)] = [
            (desc(8, 12, k: 3, pad: 1), 21, 70, 2, .winograd, .relu, 1),
            (desc(8, 12, k: 3, pad: 1), 21, 70, 1, .winograd, .clip(min: 0, max: 1), 3),
            (desc(6, 9, k: 3, pad: 1), 13, 11, 2, .winograd2x2, .relu, 2),
            (desc(16, 16, k: 3, pad: 1), 8, 8, 1, .winograd2x2, .none, 1),
        ]
        for (d, h, w, batch, algorithm, activation, threads) in cases {
            var rng = KernelTestRandom(seed: 7)
            let input = (0..<(batch * d.inputChannels * h * w)).map { _ in rng.uniform() }
            let weights = (0..<d.weightCount).map { _ in rng.uniform() }
            let bias = (0..<d.outputChannels).map { _ in rng.uniform() }
            let (oh, ow) = d.outputSize(inputHeight: h, inputWidth: w)
            let residual = (0..<(batch * d.outputChannels * oh * ow)).map { _ in rng.uniform() }
            func convolve(_ activation: FusedActivation, addingResidual: Bool) -> [Float] {
                let conv = weights.withUnsafeBufferPointer { wp in
                    bias.withUnsafeBufferPointer {
                        PackedConvolution2D(descriptor: d, weights: wp, bias: $0, activation: activation, algorithm: algorithm)
                    }
                }
                XCTAssertTrue(conv.fusesResidual)
                var output = [Float](repeating: .nan, count: residual.count)
                var scratch = [Float](repeating: .nan, count: conv.scratchCount(inputHeight: h, inputWidth: w, threads: threads))
                input.withUnsafeBufferPointer { ip in
                    output.withUnsafeMutableBufferPointer { op in
                        scratch.withUnsafeMutableBufferPointer { sp in
                            residual.withUnsafeBufferPointer { rp in
                                conv.run(input: ip.baseAddress!, batch: batch, inputHeight: h, inputWidth: w,
                                         output: op.baseAddress!, scratch: sp.baseAddress!, threads: threads,
                                         residual: addingResidual ? rp.baseAddress : nil)
                            }
                        }
                    }
                }
                return output
            }
            let separate = zip(convolve(.none, addingResidual: false), residual).map { referenceActivation($0 + $1, activation) }
            XCTAssertEqual(convolve(activation, addingResidual: true), separate, "\(algorithm) \(h)x\(w) \(activation)")
        }
    }

    /// The fused sigmoid (a vector `exp`, not libm's) against the exact value over the whole
    /// range, the saturated tails, ±infinity and NaN: a 1 × 1 identity convolution.
    func testSigmoidEpilogueIsExact() {
        let d = desc(1, 1, k: 1)
        let width = 4096
        var input = (0..<width).map { Float(-100 + 200 * Double($0) / Double(width - 1)) }
        input[1] = -.infinity; input[2] = .infinity; input[3] = .nan; input[4] = 0; input[5] = -87.5; input[6] = 88.5
        let conv = [Float(1)].withUnsafeBufferPointer {
            PackedConvolution2D(descriptor: d, weights: $0, bias: nil, activation: .sigmoid)
        }
        var output = [Float](repeating: 0, count: width)
        var scratch = [Float](repeating: 0, count: conv.scratchCount(inputHeight: 1, inputWidth: width, threads: 1))
        input.withUnsafeBufferPointer { ip in
            output.withUnsafeMutableBufferPointer { op in
                scratch.withUnsafeMutableBufferPointer { sp in
                    conv.run(input: ip.baseAddress!, batch: 1, inputHeight: 1, inputWidth: width,
                             output: op.baseAddress!, scratch: sp.baseAddress!, threads: 1)
                }
            }
        }
        XCTAssertTrue(output[3].isNaN)
        for i in 0..<width where i != 3 {
            let want = 1 / (1 + exp(-Double(input[i])))
            let error = abs(Double(output[i]) - want)
            XCTAssertTrue(error <= 1e-7 || error <= 1e-6 * want, "sigmoid(\(input[i])) = \(output[i]), want \(want)")
        }
    }

    func testPointwise() {
        check(desc(16, 24, k: 1), height: 9, width: 7, expect: .gemm1x1)
        check(desc(5, 3, k: 1), height: 1, width: 1, bias: false, force: .gemm1x1)
        check(desc(33, 70, k: 1), height: 13, width: 29, batch: 2, activation: .relu, threads: 2, expect: .gemm1x1)
        // At most 4 output channels (heads): whole 64-pixel blocks, a scalar tail, chunks of 4096
        // pixels over threads, batches, activations.
        check(desc(5, 3, k: 1), height: 1, width: 1, bias: false, expect: .narrowPointwise)
        check(desc(12, 1, k: 1), height: 7, width: 37, activation: .sigmoid, expect: .narrowPointwise)
        check(desc(33, 4, k: 1), height: 70, width: 65, batch: 2, activation: .relu, threads: 3, expect: .narrowPointwise)
        check(desc(8, 2, k: 1, s: 2), height: 9, width: 70, expect: .gemm1x1)
        check(desc(8, 4, k: 1, g: 2), height: 6, width: 5, expect: .gemm1x1)
        check(desc(8, 12, k: 1, g: 4), height: 6, width: 5, expect: .gemm1x1)
        // Strided (ResNet's shortcuts): odd sizes, rows wide enough for the vector gather and
        // its scalar tail, unequal strides, groups, batches, threads.
        check(desc(16, 24, k: 1, s: 2), height: 9, width: 7, expect: .gemm1x1)
        check(desc(8, 12, k: 1, s: 2), height: 10, width: 71, activation: .relu, expect: .gemm1x1)
        check(desc(33, 70, k: 1, s: 2), height: 13, width: 66, batch: 2, threads: 2, expect: .gemm1x1)
        check(desc(6, 10, k: 1, s: 3, sw: 1), height: 11, width: 40, expect: .gemm1x1)
        check(desc(8, 12, k: 1, s: 2, g: 4), height: 6, width: 5, batch: 2, expect: .gemm1x1)
        XCTAssertEqual(PackedConvolution2D.preferredAlgorithm(for: desc(64, 128, k: 1, s: 2), inputHeight: 8,
                                                              inputWidth: 8), .gemm1x1)
    }

    func testWinograd() {
        check(desc(8, 8, k: 3, pad: 1), height: 8, width: 8, expect: .winograd)
        check(desc(5, 7, k: 3, pad: 1), height: 13, width: 11, expect: .winograd)
        check(desc(4, 9, k: 3), height: 7, width: 10, expect: .winograd)
        check(desc(6, 17, k: 3, pads: (0, 2, 1, 0)), height: 5, width: 6, expect: .winograd)
        check(desc(32, 40, k: 3, pad: 1), height: 37, width: 71, batch: 2, activation: .relu, threads: 2, expect: .winograd)
        check(desc(64, 64, k: 3, pad: 1), height: 20, width: 23, expect: .winograd)
        check(desc(4, 4, k: 3, pad: 1), height: 1, width: 1, expect: .winograd)
    }

    func testTransposedPointwise() {
        // Pixel counts that leave partial pixel panels, output channels off the 32 grid,
        // K past one block (256), batches, threads, activations.
        check(desc(16, 24, k: 1), height: 7, width: 7, force: .gemm1x1Transposed)
        check(desc(5, 3, k: 1), height: 1, width: 1, bias: false, force: .gemm1x1Transposed)
        check(desc(300, 70, k: 1), height: 13, width: 9, batch: 2, activation: .relu, threads: 2, force: .gemm1x1Transposed)
        check(desc(64, 96, k: 1), height: 14, width: 14, activation: .clip(min: 0, max: 6), threads: 3,
              force: .gemm1x1Transposed)
        check(desc(33, 40, k: 1), height: 4, width: 5, activation: .hardSwish, force: .gemm1x1Transposed)
        XCTAssertEqual(PackedConvolution2D.preferredAlgorithm(for: desc(960, 320, k: 1), inputHeight: 7, inputWidth: 7),
                       .gemm1x1Transposed)
        XCTAssertEqual(PackedConvolution2D.preferredAlgorithm(for: desc(24, 144, k: 1), inputHeight: 56, inputWidth: 56),
                       .gemm1x1)
        XCTAssertEqual(PackedConvolution2D.preferredAlgorithm(for: desc(8, 12, k: 1, g: 4), inputHeight: 7, inputWidth: 7),
                       .gemm1x1)
    }

    func testWinograd2x2() {
        // Forced on every shape kind: odd output sizes (partial tiles), asymmetric and no padding,
        // tile rows of more than 16 tiles, tiles across B panels, batches, threads, activations.
        check(desc(8, 8, k: 3, pad: 1), height: 8, width: 8, force: .winograd2x2)
        check(desc(5, 7, k: 3, pad: 1), height: 13, width: 11, force: .winograd2x2)
        check(desc(4, 9, k: 3), height: 7, width: 10, force: .winograd2x2)
        check(desc(6, 17, k: 3, pads: (0, 2, 1, 0)), height: 5, width: 6, force: .winograd2x2)
        check(desc(32, 40, k: 3, pad: 1), height: 37, width: 71, batch: 2, activation: .relu, threads: 2, force: .winograd2x2)
        check(desc(4, 4, k: 3, pad: 1), height: 1, width: 1, force: .winograd2x2)
        check(desc(9, 11, k: 3, pad: 1), height: 9, width: 35, activation: .clip(min: 0, max: 6), threads: 3,
              force: .winograd2x2)
        // What the engine picks for small maps (at most 64 tiles of 4 × 4).
        XCTAssertEqual(PackedConvolution2D.preferredAlgorithm(for: desc(512, 512, k: 3, pad: 1), inputHeight: 16,
                                                              inputWidth: 16), .winograd2x2)
        XCTAssertEqual(PackedConvolution2D.preferredAlgorithm(for: desc(64, 64, k: 3, pad: 1), inputHeight: 32,
                                                              inputWidth: 32), .winograd2x2)
        XCTAssertEqual(PackedConvolution2D.preferredAlgorithm(for: desc(64, 64, k: 3, pad: 1), inputHeight: 33,
                                                              inputWidth: 32), .winograd)
        check(desc(40, 24, k: 3, pad: 1), height: 16, width: 16, activation: .relu, threads: 2,
              force: PackedConvolution2D.preferredAlgorithm(for: desc(40, 24, k: 3, pad: 1), inputHeight: 16,
                                                            inputWidth: 16))
    }

    func testDepthwise() {
        check(desc(7, 7, k: 3, g: 7, pad: 1), height: 11, width: 19, expect: .depthwise)
        check(desc(5, 5, k: 3, s: 2, g: 5, pad: 1), height: 12, width: 37, expect: .depthwise)
        check(desc(3, 3, k: 3, s: 2, g: 3, pads: (0, 1, 1, 0)), height: 9, width: 8, expect: .depthwise)
        check(desc(4, 4, k: 5, g: 4, pad: 2), height: 10, width: 21, activation: .clip(min: 0, max: 6), expect: .depthwise)
        check(desc(6, 6, k: 3, kw: 2, s: 3, sw: 2, d: 2, g: 6, pads: (2, 1, 0, 3)), height: 17, width: 15,
              batch: 2, threads: 2, expect: .depthwise)
        check(desc(16, 16, k: 3, s: 2, g: 16, pad: 1), height: 33, width: 40, activation: .hardSwish, threads: 2)
        // Small maps, where vectors span several rows of the flat layout and copies overrun rows.
        check(desc(9, 9, k: 3, g: 9, pad: 1), height: 7, width: 7, activation: .clip(min: 0, max: 6), expect: .depthwise)
        check(desc(3, 3, k: 3, g: 3, pad: 1), height: 1, width: 1, expect: .depthwise)
        check(desc(5, 5, k: 3, g: 5, pad: 1), height: 4, width: 16, expect: .depthwise)
        check(desc(4, 4, k: 3, s: 2, g: 4, pad: 1), height: 7, width: 7, batch: 3, threads: 2, expect: .depthwise)
        check(desc(2, 2, k: 3, g: 2), height: 3, width: 3, expect: .depthwise)
        // Up to 16 × 16 outputs and 16+ channels: blocks of 16 channels (a partial last block).
        check(desc(20, 20, k: 3, g: 20, pad: 1), height: 7, width: 7, activation: .clip(min: 0, max: 6), expect: .depthwise)
        check(desc(32, 32, k: 3, s: 2, g: 32, pad: 1), height: 14, width: 13, batch: 2, threads: 2, expect: .depthwise)
        check(desc(17, 17, k: 3, kw: 2, s: 3, sw: 2, d: 2, g: 17, pads: (2, 1, 0, 3)), height: 17, width: 15,
              expect: .depthwise)
        check(desc(48, 48, k: 5, g: 48, pad: 2), height: 16, width: 16, activation: .relu, expect: .depthwise)
    }

    func testGeneralIm2col() {
        check(desc(6, 8, k: 3, s: 2, pad: 1), height: 11, width: 10, expect: .im2colGemm)
        check(desc(4, 6, k: 3, d: 2, pad: 2), height: 9, width: 12, expect: .im2colGemm)
        check(desc(6, 9, k: 3, g: 3, pad: 1), height: 8, width: 7, expect: .im2colGemm)
        check(desc(5, 4, k: 2, kw: 4, s: 1, sw: 3, pads: (1, 0, 0, 2)), height: 9, width: 13, expect: .im2colGemm)
        check(desc(8, 16, k: 1, s: 2), height: 10, width: 9, force: .im2colGemm)
        check(desc(16, 40, k: 5, s: 2, pad: 2), height: 23, width: 31, batch: 2, activation: .relu, threads: 2)
        check(desc(64, 8, k: 3, d: 3, pad: 3), height: 12, width: 9, expect: .im2colGemm)
        // Narrow maps (the planes' pitch would add over 8 % work) pack the output's own columns:
        // strides, groups, batches, odd widths, left pads.
        check(desc(6, 9, k: 3, s: 2, g: 3, pad: 1), height: 9, width: 13, batch: 2, threads: 2, expect: .im2colGemm)
        check(desc(3, 8, k: 7, s: 2, pad: 3), height: 21, width: 35, activation: .relu, expect: .im2colGemm)
        check(desc(4, 5, k: 4, kw: 5, s: 1, sw: 3, pads: (1, 4, 2, 1)), height: 8, width: 17, expect: .im2colGemm)
        // Many output channels on a small map, two threads: each worker takes a share of the channels.
        check(desc(8, 70, k: 3, pad: 1), height: 12, width: 12, activation: .relu, threads: 2, force: .im2colGemm)
        check(desc(8, 70, k: 3, s: 2, pad: 1), height: 24, width: 23, threads: 2, expect: .im2colGemm)
    }

    /// An image whose stride planes would pass 64 MB is gathered from the input instead.
    func testHugeImageIm2colGathers() {
        check(desc(1, 2, k: 3, s: 2, pad: 1), height: 4200, width: 4200, activation: .relu, threads: 2,
              expect: .im2colGemm)
    }

    /// Wide maps read stride planes (pitch within 8 % of the output width): the same shapes,
    /// including chunks that end inside a row and several column chunks per image.
    func testPlaneIm2col() {
        check(desc(6, 8, k: 3, s: 2, pad: 1), height: 11, width: 70, expect: .im2colGemm)
        check(desc(4, 6, k: 3, d: 2, pad: 2), height: 9, width: 60, expect: .im2colGemm)
        check(desc(6, 9, k: 3, g: 3, pad: 1), height: 8, width: 41, expect: .im2colGemm)
        check(desc(5, 4, k: 2, kw: 4, s: 1, sw: 3, pads: (1, 0, 0, 2)), height: 9, width: 130, expect: .im2colGemm)
        check(desc(6, 9, k: 3, s: 2, g: 3, pad: 1), height: 29, width: 61, batch: 2, threads: 2, expect: .im2colGemm)
        check(desc(3, 8, k: 7, s: 2, pad: 3), height: 41, width: 125, activation: .relu, threads: 2, expect: .im2colGemm)
        check(desc(4, 5, k: 4, kw: 5, s: 2, sw: 3, pads: (1, 4, 2, 1)), height: 19, width: 151, expect: .im2colGemm)
        check(desc(40, 20, k: 3, s: 2, pad: 1), height: 64, width: 64, batch: 2, activation: .clip(min: 0, max: 6),
              threads: 2, expect: .im2colGemm)
    }

    func testFirstLayer() {
        for cin in 1...3 {
            check(desc(cin, 16, k: 3, pad: 1), height: 19, width: 21, expect: .im2colGemm, seed: UInt64(cin))
            check(desc(cin, 8, k: 7, s: 2, pad: 3), height: 20, width: 17, activation: .relu, seed: UInt64(cin))
        }
    }

    func testEveryActivation() {
        let activations: [FusedActivation] = [.none, .relu, .leakyRelu(alpha: 0.2), .clip(min: -0.5, max: 0.5),
                                              .sigmoid, .tanh, .hardSigmoid(alpha: 0.2, beta: 0.5), .hardSwish]
        for act in activations {
            check(desc(8, 10, k: 1), height: 5, width: 7, activation: act)
            check(desc(8, 10, k: 3, pad: 1), height: 6, width: 9, activation: act)
            check(desc(8, 8, k: 3, g: 8, pad: 1), height: 6, width: 20, activation: act)
            check(desc(2, 10, k: 3, s: 2), height: 9, width: 8, activation: act)
        }
    }

    func testForcedAlgorithmsAgree() {
        let d = desc(12, 20, k: 3, pad: 1)
        for a in [PackedConvolution2D.Algorithm.winograd, .winograd2x2, .im2colGemm] {
            check(d, height: 17, width: 18, batch: 2, activation: .relu, threads: 2, force: a)
        }
        check(desc(10, 10, k: 3, g: 10, pad: 1), height: 9, width: 9, force: .im2colGemm)
        check(desc(10, 12, k: 1), height: 9, width: 9, force: .im2colGemm)
    }
}
