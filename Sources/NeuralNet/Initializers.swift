import Random

/// How to fill a weight tensor, PyTorch's `torch.nn.init` conventions. The scaled schemes take
/// the tensor's fan-in and fan-out (for a convolution kernel, `kernel area × input channels` and
/// `kernel area × output channels`).
public enum Initializer: Sendable, Equatable {
    /// All 0.
    case zeros
    /// All 1.
    case ones
    /// N(0, σ²). MatGAN's released code initialises every weight with σ = 1.
    case normal(standardDeviation: Float)
    /// U(−limit, limit).
    case uniform(limit: Float)
    /// He/Kaiming normal (`kaiming_normal_`, mode `fan_in`): N(0, gain² / fanIn) with
    /// `gain = sqrt(2 / (1 + negativeSlope²))` for a (leaky) ReLU that follows.
    case heNormal(negativeSlope: Float = 0)
    /// He/Kaiming uniform (`kaiming_uniform_`, mode `fan_in`): U(−b, b), `b = gain · sqrt(3 / fanIn)`.
    case heUniform(negativeSlope: Float = 0)
    /// Glorot/Xavier normal (`xavier_normal_`, not truncated): N(0, 2 / (fanIn + fanOut)).
    case glorotNormal
    /// Glorot/Xavier uniform (`xavier_uniform_`): U(−b, b), `b = sqrt(6 / (fanIn + fanOut))`.
    case glorotUniform

    /// Fills `values` with draws from `stream` (nothing is drawn for `zeros` and `ones`).
    public func fill(_ values: UnsafeMutableBufferPointer<Float>, fanIn: Int, fanOut: Int, using stream: inout RandomStream) {
        precondition(fanIn > 0 && fanOut > 0, "Initializer \(self): fan-in and fan-out must be positive, got \(fanIn) and \(fanOut)")
        switch self {
        case .zeros:
            values.update(repeating: 0)
        case .ones:
            values.update(repeating: 1)
        case let .normal(standardDeviation):
            stream.fillNormal(values, standardDeviation: standardDeviation)
        case let .uniform(limit):
            stream.fillUniform(values, in: -limit ... limit)
        case let .heNormal(slope):
            stream.fillNormal(values, standardDeviation: Self.reluGain(slope) / Float(fanIn).squareRoot())
        case let .heUniform(slope):
            let bound = Self.reluGain(slope) * (3 / Float(fanIn)).squareRoot()
            stream.fillUniform(values, in: -bound ... bound)
        case .glorotNormal:
            stream.fillNormal(values, standardDeviation: (2 / Float(fanIn + fanOut)).squareRoot())
        case .glorotUniform:
            let bound = (6 / Float(fanIn + fanOut)).squareRoot()
            stream.fillUniform(values, in: -bound ... bound)
        }
    }

    /// PyTorch's `calculate_gain("leaky_relu", slope)`; `slope = 0` is ReLU's sqrt(2).
    private static func reluGain(_ negativeSlope: Float) -> Float {
        (2 / (1 + negativeSlope * negativeSlope)).squareRoot()
    }
}

extension ParameterStore {
    /// Fills every weight slice (role ``ParameterRole/weight(fanIn:fanOut:)``) with
    /// `initializer`, using the slice's fans; biases, norm scales and shifts keep their role's
    /// value. Slice `name` draws from `RandomStream(seed: derivedSeed(seed, for: .weightInitialization(slice: name)))`,
    /// so its values depend only on the seed and its name, not on the other layers of the model.
    public func initializeWeights(_ initializer: Initializer, seed: UInt64) {
        for slice in parameterSlices {
            guard case let .weight(fanIn, fanOut) = slice.role else { continue }
            var stream = RandomStream(seed: derivedSeed(seed, for: .weightInitialization(slice: slice.name)))
            initializer.fill(UnsafeMutableBufferPointer(rebasing: parameters[slice.range]), fanIn: fanIn, fanOut: fanOut, using: &stream)
        }
    }
}
