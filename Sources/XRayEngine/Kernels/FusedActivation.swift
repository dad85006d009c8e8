/// An element-wise activation applied in a kernel's epilogue, so that a
/// Conv → activation pair costs one pass over memory.
public enum FusedActivation: Sendable, Hashable {
    case none
    case relu
    case leakyRelu(alpha: Float)
    /// Clip and Relu6 (`min`/`max` may be ±infinity).
    case clip(min: Float, max: Float)
    case sigmoid
    case tanh
    /// `max(0, min(1, alpha * x + beta))`
    case hardSigmoid(alpha: Float, beta: Float)
    /// `x * max(0, min(1, x / 6 + 0.5))`
    case hardSwish
}
