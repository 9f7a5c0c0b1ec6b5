/// Layers of the NeuralNet engine.
///
/// Tensors are Float32, row-major, NHWC (`[batch, height, width, channels]`); a dense batch is
/// `[batch, features]`. A layer sees only raw pointers to `batch × inputCount` and
/// `batch × outputCount` Floats; its trainable parameters are ``ParameterSlice``s of a shared
/// ``ParameterStore`` (gradients are accumulated, `+=`, into `store.gradients`).
///
/// Adding a layer:
/// 1. Make a `final class` conforming to ``Layer``; take the `ParameterStore`, a `name` (prefix
///    for its slices) and `maxBatch` in `init`, reserve parameters with
///    `store.addParameter(name: "\(name).weight", shape:, role:)` and allocate every scratch buffer
///    for `maxBatch` there — `forward`/`backward` must not allocate.
/// 2. `forward` writes `y`; record anything `backward` needs that is not `x` or `y` (e.g. batch
///    statistics) in the layer. ``Sequential`` always calls `backward` after the matching `forward`
///    and hands `x` and `y` back.
/// 3. `backward` writes (`=`) `dx = J_xᵀ dy` when `dx` is non-nil and, when
///    `accumulateParameterGradients` is true, adds `J_θᵀ dy` into the store's gradients.
/// 4. `backwardOfBackward` (for the WGAN gradient penalty) differentiates the backward map
///    `dx = B(x, θ, dy)` against an adjoint `dxBar`:
///    `dyBar = J_x · dxBar` (a forward-mode product, `=`),
///    `θ̄ += ∂⟨B(x, θ, dy), dxBar⟩/∂θ` into the store's gradients, and — only when
///    ``Layer/backwardDependsOnInput`` is true — `xBar = ∂⟨B(x, θ, dy), dxBar⟩/∂x` (`=`).
///    Linear maps (Linear, convolutions, reshapes) and piecewise-linear activations have
///    `xBar = 0` and set `backwardDependsOnInput` to false.
/// 5. Add finite-difference checks of all three in `Tests/NeuralNetTests` (see `GradientCheck`).
public protocol Layer: AnyObject {
    /// Per-sample input shape, e.g. `[85, 8, 1]`.
    var inputShape: [Int] { get }
    /// Per-sample output shape.
    var outputShape: [Int] { get }
    /// Whether `backward`'s input gradient depends on `x` other than through a piecewise-constant
    /// mask (true for batch statistics, layer norm, sigmoid, tanh). When false, `backwardOfBackward`
    /// never writes `xBar` and ``Sequential`` allocates no buffer for it.
    var backwardDependsOnInput: Bool { get }

    /// `y = f(x)` for `batch` samples. `mode` selects batch statistics (training) or running
    /// averages (inference) in batch norm.
    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, mode: Mode) throws

    /// Writes `dx = J_xᵀ dy` (skipped when `dx` is nil) and, if `accumulateParameterGradients`,
    /// adds `J_θᵀ dy` into the store's gradients. `x` and `y` are the last `forward`'s.
    func backward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>,
        outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>?,
        batch: Int, accumulateParameterGradients: Bool
    ) throws

    /// Reverse-mode differentiation of `backward` (double backward): given `dxBar`, the adjoint of
    /// `dx = B(x, θ, dy)`, writes `dyBar = J_x dxBar`, accumulates `∂⟨B, dxBar⟩/∂θ` into the
    /// store's gradients and, when ``backwardDependsOnInput``, writes `xBar = ∂⟨B, dxBar⟩/∂x`.
    func backwardOfBackward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        inputGradientAdjoint dxBar: UnsafePointer<Float>, outputGradientAdjoint dyBar: UnsafeMutablePointer<Float>,
        inputAdjoint xBar: UnsafeMutablePointer<Float>?, batch: Int
    ) throws
}

extension Layer {
    /// Floats per input sample.
    public var inputCount: Int { inputShape.reduce(1, *) }
    /// Floats per output sample.
    public var outputCount: Int { outputShape.reduce(1, *) }
}

/// Whether a pass uses batch statistics (and updates running averages) or running averages.
public enum Mode: Sendable, Equatable {
    /// Batch statistics; batch-norm running averages are updated.
    case training
    /// Running averages; nothing is updated.
    case inference
}
