import Foundation

/// An elementwise activation function.
public enum ActivationFunction: Sendable, Equatable {
    case relu
    /// `x` for `x > 0`, `slope · x` otherwise (MatGAN and the elpasolite models use 0.2).
    case leakyReLU(slope: Float)
    case sigmoid
    case tanh
}

/// Elementwise activation layer of any shape.
public final class Activation: Layer {
    public let inputShape: [Int]
    public var outputShape: [Int] { inputShape }
    /// The function applied.
    public let function: ActivationFunction
    /// Sigmoid and tanh have a non-zero second derivative; ReLUs are piecewise linear.
    public var backwardDependsOnInput: Bool {
        switch function {
        case .relu, .leakyReLU: false
        case .sigmoid, .tanh: true
        }
    }

    /// `function` applied to per-sample `shape`.
    public init(_ function: ActivationFunction, shape: [Int]) {
        self.function = function
        inputShape = shape
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, mode: Mode) throws {
        let count = batch * inputCount
        switch function {
        case .relu:
            for i in 0 ..< count { y[i] = Swift.max(x[i], 0) }
        case .leakyReLU(let slope):
            for i in 0 ..< count { y[i] = x[i] > 0 ? x[i] : slope * x[i] }
        case .sigmoid:
            for i in 0 ..< count { y[i] = 1 / (1 + exp(-x[i])) }
        case .tanh:
            for i in 0 ..< count { y[i] = tanh(x[i]) }
        }
    }

    /// `dx = f'(x)·dy`; writes `output[i] = f'(x_i) · v[i]` (shared by backward and the JVP).
    @inline(__always)
    private func multiplyByDerivative(
        _ v: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
        _ output: UnsafeMutablePointer<Float>, count: Int
    ) {
        switch function {
        case .relu:
            for i in 0 ..< count { output[i] = x[i] > 0 ? v[i] : 0 }
        case .leakyReLU(let slope):
            for i in 0 ..< count { output[i] = x[i] > 0 ? v[i] : slope * v[i] }
        case .sigmoid:
            for i in 0 ..< count { output[i] = v[i] * y[i] * (1 - y[i]) }
        case .tanh:
            for i in 0 ..< count { output[i] = v[i] * (1 - y[i] * y[i]) }
        }
    }

    public func backward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>,
        outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>?,
        batch: Int, accumulateParameterGradients: Bool
    ) throws {
        guard let dx else { return }
        multiplyByDerivative(dy, x, y, dx, count: batch * inputCount)
    }

    /// `B(x, dy) = f'(x)·dy`: `dyBar = f'(x)·dxBar` and `x̄ = f''(x)·dy·dxBar`, with
    /// `σ'' = σ(1 − σ)(1 − 2σ)` and `tanh'' = −2 tanh (1 − tanh²)`; ReLUs have `f'' = 0` a.e.
    public func backwardOfBackward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        inputGradientAdjoint dxBar: UnsafePointer<Float>, outputGradientAdjoint dyBar: UnsafeMutablePointer<Float>,
        inputAdjoint xBar: UnsafeMutablePointer<Float>?, batch: Int
    ) throws {
        let count = batch * inputCount
        multiplyByDerivative(dxBar, x, y, dyBar, count: count)
        guard let xBar else { return }
        switch function {
        case .relu, .leakyReLU:
            xBar.update(repeating: 0, count: count)
        case .sigmoid:
            for i in 0 ..< count { xBar[i] = dy[i] * dxBar[i] * y[i] * (1 - y[i]) * (1 - 2 * y[i]) }
        case .tanh:
            for i in 0 ..< count { xBar[i] = -2 * dy[i] * dxBar[i] * y[i] * (1 - y[i] * y[i]) }
        }
    }
}

/// Reinterprets each sample with a new shape of the same element count (NHWC order is kept, so
/// flattening `[22, 4, 128]` gives TF's `reshape(x, [-1, 11264])`).
public final class Reshape: Layer {
    public let inputShape: [Int]
    public let outputShape: [Int]
    public var backwardDependsOnInput: Bool { false }

    /// Reshape from per-sample `input` to `output` (same element count).
    public init(from input: [Int], to output: [Int]) {
        precondition(input.reduce(1, *) == output.reduce(1, *), "Reshape: \(input) and \(output) differ in size")
        inputShape = input
        outputShape = output
    }

    /// Flattens per-sample `shape` to one axis.
    public convenience init(flattening shape: [Int]) {
        self.init(from: shape, to: [shape.reduce(1, *)])
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, mode: Mode) throws {
        y.update(from: x, count: batch * inputCount)
    }

    public func backward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>,
        outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>?,
        batch: Int, accumulateParameterGradients: Bool
    ) throws {
        dx?.update(from: dy, count: batch * inputCount)
    }

    public func backwardOfBackward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        inputGradientAdjoint dxBar: UnsafePointer<Float>, outputGradientAdjoint dyBar: UnsafeMutablePointer<Float>,
        inputAdjoint xBar: UnsafeMutablePointer<Float>?, batch: Int
    ) throws {
        dyBar.update(from: dxBar, count: batch * inputCount)
    }
}
