import Foundation

/// `MaxPool` and `AveragePool` over NCHW (2-D) or NCW (1-D).
struct PoolOperator: Operator {
    let node: GraphNode
    let isMax: Bool
    let kernel: [Int], strides: [Int], dilations: [Int], pads: [Int]
    let ceilMode: Bool
    let countIncludePad: Bool
    let autoPad: AutoPad

    init(_ node: GraphNode) throws {
        self.node = node
        isMax = node.opType == "MaxPool"
        guard let k = try node.ints("kernel_shape"), k.count == 1 || k.count == 2, k.allSatisfy({ $0 > 0 }) else {
            throw node.error("kernel_shape must give 1 or 2 positive sizes")
        }
        kernel = k
        let sp = k.count
        strides = try node.ints("strides") ?? [Int](repeating: 1, count: sp)
        dilations = try node.ints("dilations") ?? [Int](repeating: 1, count: sp)
        pads = try node.ints("pads") ?? [Int](repeating: 0, count: 2 * sp)
        ceilMode = try node.int("ceil_mode", default: 0) != 0
        countIncludePad = try node.int("count_include_pad", default: 0) != 0
        autoPad = try AutoPad(node)
        guard strides.count == sp, dilations.count == sp, pads.count == 2 * sp,
              strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 }), pads.allSatisfy({ $0 >= 0 }),
              (kernel + strides + dilations + pads).allSatisfy({ $0 <= maximumWindowValue }) else {
            throw node.error("invalid strides \(strides) / dilations \(dilations) / pads \(pads)")
        }
        if isMax, node.outputs.count > 1, !node.outputs[1].isEmpty { throw node.error("MaxPool Indices output") }
    }

    struct Axis { var input: Int, output: Int, kernel: Int, stride: Int, dilation: Int, padBegin: Int, padEnd: Int }

    func axes(_ shape: [Int]) throws -> [Axis] {
        let sp = kernel.count
        return try (0..<sp).map { i in
            let input = shape[2 + i]
            let eff = (kernel[i] - 1) * dilations[i] + 1
            var (p0, p1) = autoPad.pads(input: input, kernel: kernel[i], stride: strides[i], dilation: dilations[i], explicit: (pads[i], pads[sp + i]))
            if autoPad == .valid { p0 = 0; p1 = 0 }
            let span = input + p0 + p1 - eff
            guard span >= 0 else { throw node.shapeError("input \(shape) smaller than the pooling window") }
            var out: Int
            if autoPad == .sameUpper || autoPad == .sameLower {
                out = (input + strides[i] - 1) / strides[i]
            } else if autoPad == .valid {
                out = (input - eff) / strides[i] + 1
            } else if ceilMode {
                out = (span + strides[i] - 1) / strides[i] + 1
                if (out - 1) * strides[i] >= input + p0 { out -= 1 }
            } else {
                out = span / strides[i] + 1
            }
            return Axis(input: input, output: out, kernel: kernel[i], stride: strides[i], dilation: dilations[i], padBegin: p0, padEnd: p1)
        }
    }

    /// The geometry of the fast `MaxPool2D` kernel for an input of `shape` (NCHW, or NCW as one
    /// row), or nil where the general loop runs (average pooling, dilation).
    func maxPool2D(_ shape: [Int]) throws -> MaxPool2D.Geometry? {
        guard isMax else { return nil }
        let a = try planarAxes(shape)
        let ay = a[0], ax = a[1]
        guard ay.dilation == 1 && ax.dilation == 1 else { return nil }
        return MaxPool2D.Geometry(inputHeight: ay.input, inputWidth: ax.input, outputHeight: ay.output,
                                  outputWidth: ax.output, kernelHeight: ay.kernel, kernelWidth: ax.kernel,
                                  strideHeight: ay.stride, strideWidth: ax.stride, padTop: ay.padBegin, padLeft: ax.padBegin)
    }

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0)
        try requireRank(x, kernel.count + 2)
        let a = try axes(x.shape)
        return [ValueInfo(shape: [x.shape[0], x.shape[1]] + a.map(\.output))]
    }

    /// `axes`, with a unit height axis in front for 1-D pooling.
    private func planarAxes(_ shape: [Int]) throws -> [Axis] {
        var a = try axes(shape)
        if a.count == 1 { a.insert(Axis(input: 1, output: 1, kernel: 1, stride: 1, dilation: 1, padBegin: 0, padEnd: 0), at: 0) }
        return a
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        let s = ctx.shape(0)
        let a = try planarAxes(s)
        let ay = a[0], ax = a[1]
        let planes = s[0] * s[1]
        let x = ctx.input(0), y = ctx.outputPointers[0]
        let isMax = self.isMax, include = countIncludePad
        if let g = try maxPool2D(s) {
            let threads = ctx.threads
            return { MaxPool2D.run(g, planes: planes, input: x, output: y, threads: threads) }
        }
        return {
            for p in 0..<planes {
                let src = x + p * ay.input * ax.input
                let dst = y + p * ay.output * ax.output
                for oy in 0..<ay.output {
                    let y0 = oy * ay.stride - ay.padBegin
                    for ox in 0..<ax.output {
                        let x0 = ox * ax.stride - ax.padBegin
                        var acc: Float = isMax ? -Float.infinity : 0
                        var n = 0
                        for ky in 0..<ay.kernel {
                            let iy = y0 + ky * ay.dilation
                            if iy < 0 || iy >= ay.input { continue }
                            for kx in 0..<ax.kernel {
                                let ix = x0 + kx * ax.dilation
                                if ix < 0 || ix >= ax.input { continue }
                                let v = src[iy * ax.input + ix]
                                if isMax { if v > acc || v.isNaN { acc = v } } else { acc += v }
                                n += 1
                            }
                        }
                        if !isMax {
                            if include {
                                // Window clipped to the padded extent (PyTorch / ONNX Runtime semantics).
                                let hy = Swift.min(y0 + (ay.kernel - 1) * ay.dilation + 1, ay.input + ay.padEnd) - y0
                                let hx = Swift.min(x0 + (ax.kernel - 1) * ax.dilation + 1, ax.input + ax.padEnd) - x0
                                let cy = (hy + ay.dilation - 1) / ay.dilation, cx = (hx + ax.dilation - 1) / ax.dilation
                                n = cy * cx
                            }
                            acc = n > 0 ? acc / Float(n) : 0
                        }
                        dst[oy * ax.output + ox] = acc
                    }
                }
            }
        }
    }
}

/// `GlobalAveragePool` / `GlobalMaxPool` over all spatial dimensions.
struct GlobalPoolOperator: Operator {
    let node: GraphNode

    func infer(_ inputs: [ValueInfo?]) throws -> [ValueInfo] {
        let x = try requireInput(inputs, 0)
        guard x.shape.count >= 3 else { throw node.shapeError("input rank < 3") }
        return [ValueInfo(shape: [x.shape[0], x.shape[1]] + [Int](repeating: 1, count: x.shape.count - 2))]
    }

    func makeStep(_ ctx: StepContext) throws -> Step {
        let s = ctx.shape(0)
        let planes = s[0] * s[1], inner = s.dropFirst(2).reduce(1, *)
        let x = ctx.input(0), y = ctx.outputPointers[0]
        let isMax = node.opType == "GlobalMaxPool"
        return {
            for p in 0..<planes {
                let src = x + p * inner
                if isMax {
                    var m = -Float.infinity
                    for i in 0..<inner where src[i] > m { m = src[i] }
                    y[p] = m
                } else {
                    var acc: Float = 0
                    for i in 0..<inner { acc += src[i] }
                    y[p] = acc / Float(inner)
                }
            }
        }
    }
}
