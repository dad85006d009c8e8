/// `y = activation(y + residual)` over a run of floats: a residual connection (ResNet's
/// `relu(conv2 + shortcut)`) applied to a convolution's output while it is still in L1
/// (`ConvAddOperator`), instead of an `Add` that reads both tensors back from memory.
/// Same operations in the same order as the `Add`: bit-identical.
enum ResidualEpilogue {
    @inline(__always)
    static func apply<A: VectorActivation>(_ y: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>,
                                           count: Int, activation: A) {
        var i = 0
        while i + 16 <= count {
            storeVector(activation(loadVector(y + i) + loadVector(residual + i)), y + i)
            i &+= 16
        }
        if i < count {
            var v = SIMD16<Float>()
            for l in 0..<(count - i) { v[l] = y[i + l] + residual[i + l] }
            let r = activation(v)
            for l in 0..<(count - i) { y[i + l] = r[l] }
        }
    }
}
