import Foundation

/// A first-order optimizer over a model's flat parameter buffer: every parameter of the model is
/// one contiguous Float buffer and the gradients a second buffer of the same layout, and the
/// optimizer's state (moments) is flat buffers of that layout too.
///
/// Checkpoints save ``stateBuffers`` and ``stepCount`` and restore them by copying the saved
/// values back into the same buffers and setting ``stepCount``; nothing else changes between
/// steps. Updates are plain loops over unsafe buffers and allocate nothing.
public protocol Optimizer: AnyObject {
    /// The number of parameters (and of values in each state buffer).
    var parameterCount: Int { get }
    /// Updates applied so far. The learning-rate schedule and Adam's bias correction read it;
    /// set it when restoring a checkpoint.
    var stepCount: Int { get set }
    /// The learning rate of each update, a function of ``stepCount``.
    var learningRate: LearningRateSchedule { get set }
    /// The state to checkpoint, with stable names (PyTorch's state keys).
    var stateBuffers: [OptimizerStateBuffer] { get }
    /// Applies one update to `parameters` from `gradients` (same count and layout) and
    /// increments ``stepCount``.
    func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>)
}

/// One named state buffer of an optimizer, `parameterCount` Floats, for checkpoints.
public struct OptimizerStateBuffer {
    /// The name to store it under, e.g. `exp_avg`.
    public let name: String
    /// The live state; write into it to restore a checkpoint.
    public let values: UnsafeMutableBufferPointer<Float>
}

extension Optimizer {
    /// One update of all trainable parameters of `store` from its gradients.
    public func step(_ store: ParameterStore) {
        step(parameters: store.parameters, gradients: UnsafeBufferPointer(store.gradients))
    }

    /// Checks the buffer sizes, returns the learning rate of this update and advances the count.
    fileprivate func beginStep(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>) -> Float {
        precondition(parameters.count == parameterCount && gradients.count == parameterCount,
                     "\(Self.self).step: expected \(parameterCount) parameters and gradients, got \(parameters.count) and \(gradients.count)")
        let rate = learningRate(step: stepCount)
        stepCount += 1
        return rate
    }

}

// MARK: - Learning-rate schedules

/// The learning rate as a function of the number of updates already applied (0 for the first).
public struct LearningRateSchedule: Sendable {
    private let rate: @Sendable (Int) -> Float

    /// A schedule from any function of the step index.
    public init(_ rate: @escaping @Sendable (Int) -> Float) {
        self.rate = rate
    }

    /// The learning rate of update number `step` (0-based).
    public func callAsFunction(step: Int) -> Float {
        rate(step)
    }

    /// The same rate for every update.
    public static func constant(_ rate: Float) -> LearningRateSchedule {
        LearningRateSchedule { _ in rate }
    }

    /// Cosine annealing from `initial` at step 0 to `minimum` at `totalSteps` and after:
    /// `minimum + (initial - minimum) (1 + cos(pi * step / totalSteps)) / 2` (PyTorch's
    /// `CosineAnnealingLR` without restarts, `T_max = totalSteps`).
    public static func cosine(initial: Float, minimum: Float = 0, totalSteps: Int) -> LearningRateSchedule {
        precondition(totalSteps > 0, "LearningRateSchedule.cosine: totalSteps must be positive, got \(totalSteps)")
        return LearningRateSchedule { step in
            let progress = Double(min(step, totalSteps)) / Double(totalSteps)
            return minimum + (initial - minimum) * Float((1 + cos(Double.pi * progress)) / 2)
        }
    }

    /// This schedule with a linear warm-up over its first `steps` updates: update `s < steps`
    /// takes `(s + 1) / steps` of this schedule's rate at `s`, later updates the rate itself
    /// (nanoGPT's warm-up; `steps` 0 changes nothing). Multiplying instead of shifting keeps the
    /// rate a function of the update index alone, so a cosine decay still ends where it was
    /// planned and a resumed optimizer continues the schedule exactly.
    public func linearWarmup(steps: Int) -> LearningRateSchedule {
        precondition(steps >= 0, "LearningRateSchedule.linearWarmup: steps must be 0 or more, got \(steps)")
        guard steps > 0 else { return self }
        return LearningRateSchedule { step in
            step < steps ? self(step: step) * Float(step + 1) / Float(steps) : self(step: step)
        }
    }
}

// MARK: - Adam

/// Adam (Kingma & Ba 2015) with bias correction.
///
/// `m ← β1 m + (1 − β1) g`, `v ← β2 v + (1 − β2) g²`, then at update `t` (1-based):
/// - ``Variant/pytorch`` (default, `torch.optim.Adam`): `p ← p − lr · m̂ / (sqrt(v̂) + ε)` with
///   `m̂ = m / (1 − β1^t)`, `v̂ = v / (1 − β2^t)`.
/// - ``Variant/tensorflow1`` (TF1's `AdamOptimizer`, which MatGAN's released code used): the
///   correction is folded into the rate, `p ← p − lr · sqrt(1 − β2^t) / (1 − β1^t) · m / (sqrt(v) + ε)`.
///   This equals the PyTorch form with `ε` replaced by `ε · sqrt(1 − β2^t)`; the two differ only
///   where `sqrt(v̂)` is comparable to `ε`, i.e. for parameters with nearly zero gradients.
public final class Adam: Optimizer {
    /// Where ε enters the update (see the type's documentation).
    public enum Variant: String, Codable, Sendable, Equatable {
        case pytorch
        case tensorflow1
    }

    public let parameterCount: Int
    public var stepCount = 0
    public var learningRate: LearningRateSchedule
    /// Decay of the first moment.
    public let beta1: Float
    /// Decay of the second moment.
    public let beta2: Float
    /// Added to the root of the second moment.
    public let epsilon: Float
    public let variant: Variant
    /// First moment `m` (PyTorch's `exp_avg`), initially 0.
    public let firstMoment: FloatBuffer
    /// Second moment `v` (PyTorch's `exp_avg_sq`), initially 0.
    public let secondMoment: FloatBuffer

    /// Adam for `parameterCount` parameters. PyTorch's defaults; MatGAN uses β1 0.5, β2 0.9.
    public init(
        parameterCount: Int, learningRate: LearningRateSchedule = .constant(1e-3), beta1: Float = 0.9,
        beta2: Float = 0.999, epsilon: Float = 1e-8, variant: Variant = .pytorch
    ) {
        precondition(parameterCount > 0, "Adam: the parameter count must be positive, got \(parameterCount)")
        precondition((0 ..< 1).contains(beta1) && (0 ..< 1).contains(beta2),
                     "Adam: betas must lie in [0, 1), got \(beta1) and \(beta2)")
        self.parameterCount = parameterCount
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.variant = variant
        firstMoment = FloatBuffer(count: parameterCount)
        secondMoment = FloatBuffer(count: parameterCount)
    }

    public var stateBuffers: [OptimizerStateBuffer] {
        [OptimizerStateBuffer(name: "exp_avg", values: firstMoment.storage),
         OptimizerStateBuffer(name: "exp_avg_sq", values: secondMoment.storage)]
    }

    public func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>) {
        let rate = beginStep(parameters: parameters, gradients: gradients)
        // Both variants are `p ← p − stepSize · m / (sqrt(v) + shiftedEpsilon)`, for PyTorch a
        // rearrangement of `lr / (1 − β1^t) · m / (sqrt(v) / sqrt(1 − β2^t) + ε)`.
        let t = Double(stepCount)
        let correction1 = 1 - pow(Double(beta1), t), rootCorrection2 = (1 - pow(Double(beta2), t)).squareRoot()
        let stepSize = Float(Double(rate) * rootCorrection2 / correction1)
        let shiftedEpsilon = variant == .pytorch ? Float(Double(epsilon) * rootCorrection2) : epsilon
        let beta1 = beta1, beta2 = beta2
        let p = parameters.baseAddress!, g = gradients.baseAddress!
        let m = firstMoment.pointer, v = secondMoment.pointer
        // `squareRoot()` is a libm call on Linux, which keeps this loop scalar: about 1.8 ns per
        // parameter in release builds (3.6 ms for 2 M parameters), a few percent of a step.
        for i in 0 ..< parameterCount {
            let gradient = g[i]
            let mi = beta1 * m[i] + (1 - beta1) * gradient
            let vi = beta2 * v[i] + (1 - beta2) * gradient * gradient
            m[i] = mi
            v[i] = vi
            p[i] -= stepSize * mi / (vi.squareRoot() + shiftedEpsilon)
        }
    }
}
