import NeuralNet
/// The MatGAN network variants (docs/matgan.md, "Networks"; `usccolumbia/MatGAN`): the ICSD/MP
/// generator and critic, the larger OQMD pair, and the autoencoder built from them (docs/matgan.md,
/// "Autoencoder"). Inputs and outputs are composition matrices `[85, 8, 1]` (NHWC); the noise/code
/// is 128-dimensional.
///
/// Every builder also takes the number of element rows: active generative design
/// (docs/active-design.md, "Autoencoder") uses the same networks on `[87, 8, 1]` matrices (the 85
/// plus He and Kr). Only the two tallest stages change height (85 → rows, 43 → ⌈rows/2⌉); the
/// 22-row stages and everything below are shared, so 87 rows cost the same parameters.
public enum MatGANVariant: String, Sendable, CaseIterable {
    /// ICSD and Materials Project networks (generator 630,753, critic 242,289 parameters).
    case icsd
    /// OQMD networks (generator 1,911,393, critic 1,113,377 parameters).
    case oqmd
}

/// Builders of the MatGAN layer stacks. Each builder adds its slices to `store` under `name`;
/// build every stack sharing a store before wrapping any in a ``Sequential`` (which seals it).
public enum MatGANNetworks {
    /// Noise (generator input) and autoencoder code size.
    public static let noiseCount = 128
    /// Composition matrix shape `[elements, counts, 1]`.
    public static let compositionShape = [85, 8, 1]
    /// LeakyReLU slope of the critic.
    public static let criticSlope: Float = 0.2

    /// One convolution stage: output size, kernel, stride, and whether BN follows.
    private struct Stage {
        let height: Int, width: Int, channels: Int, kernel: Int, stride: (Int, Int), batchNorm: Bool

        /// The stage for matrices of `rows` element rows instead of 85.
        func scaled(toRows rows: Int) -> Stage {
            let scaledHeight = height == 85 ? rows : (height == 43 ? (rows + 1) / 2 : height)
            return Stage(height: scaledHeight, width: width, channels: channels, kernel: kernel, stride: stride, batchNorm: batchNorm)
        }
    }

    /// Element rows the networks accept: the SAME-padding stages keep their 22-row middle for these.
    public static let supportedRows = 85...88

    /// Generator: Linear 128 → h₀·w₀·c₀, BN, ReLU, reshape, then transposed convolutions, each
    /// followed by BN and ReLU except the last, which ends in a sigmoid.
    private static func generatorStages(_ variant: MatGANVariant) -> (start: (Int, Int, Int), stages: [Stage]) {
        switch variant {
        case .icsd:
            ((6, 4, 128), [
                Stage(height: 11, width: 8, channels: 64, kernel: 5, stride: (2, 2), batchNorm: true),
                Stage(height: 22, width: 8, channels: 32, kernel: 3, stride: (2, 1), batchNorm: true),
                Stage(height: 43, width: 8, channels: 16, kernel: 3, stride: (2, 1), batchNorm: true),
                Stage(height: 85, width: 8, channels: 1, kernel: 3, stride: (2, 1), batchNorm: false),
            ])
        case .oqmd:
            ((6, 4, 256), [
                Stage(height: 11, width: 8, channels: 128, kernel: 5, stride: (2, 2), batchNorm: true),
                Stage(height: 11, width: 8, channels: 128, kernel: 3, stride: (1, 1), batchNorm: true),
                Stage(height: 22, width: 8, channels: 64, kernel: 3, stride: (2, 1), batchNorm: true),
                Stage(height: 22, width: 8, channels: 64, kernel: 3, stride: (1, 1), batchNorm: true),
                Stage(height: 43, width: 8, channels: 32, kernel: 3, stride: (2, 1), batchNorm: true),
                Stage(height: 43, width: 8, channels: 32, kernel: 3, stride: (1, 1), batchNorm: true),
                Stage(height: 85, width: 8, channels: 1, kernel: 3, stride: (2, 1), batchNorm: false),
            ])
        }
    }

    /// Critic convolutions (SAME padding), each followed by BN (all but the first) and LeakyReLU(0.2).
    private static func criticStages(_ variant: MatGANVariant) -> [Stage] {
        switch variant {
        case .icsd: [
            Stage(height: 85, width: 8, channels: 16, kernel: 3, stride: (1, 1), batchNorm: false),
            Stage(height: 43, width: 8, channels: 16, kernel: 3, stride: (2, 1), batchNorm: true),
            Stage(height: 43, width: 8, channels: 32, kernel: 3, stride: (1, 1), batchNorm: true),
            Stage(height: 43, width: 8, channels: 64, kernel: 3, stride: (1, 1), batchNorm: true),
            Stage(height: 22, width: 4, channels: 128, kernel: 5, stride: (2, 2), batchNorm: true),
        ]
        case .oqmd: [
            Stage(height: 85, width: 8, channels: 32, kernel: 3, stride: (1, 1), batchNorm: false),
            Stage(height: 43, width: 8, channels: 32, kernel: 3, stride: (2, 1), batchNorm: true),
            Stage(height: 43, width: 8, channels: 64, kernel: 3, stride: (1, 1), batchNorm: true),
            Stage(height: 22, width: 8, channels: 64, kernel: 3, stride: (2, 1), batchNorm: true),
            Stage(height: 22, width: 8, channels: 128, kernel: 3, stride: (1, 1), batchNorm: true),
            Stage(height: 11, width: 8, channels: 128, kernel: 3, stride: (2, 1), batchNorm: true),
            Stage(height: 6, width: 4, channels: 256, kernel: 5, stride: (2, 2), batchNorm: true),
        ]
        }
    }

    /// Generator layers: `[128]` noise → `[rows, 8, 1]` sigmoid probabilities, or the logits
    /// before the sigmoid when `logits` is set (for a loss computed from logits).
    public static func generatorLayers(
        _ variant: MatGANVariant, store: ParameterStore, name: String = "generator", rows: Int = 85, logits: Bool = false,
        maxBatch: Int
    ) -> [any Layer] {
        precondition(supportedRows.contains(rows), "MatGAN networks take \(supportedRows) element rows, not \(rows)")
        let (start, unscaled) = generatorStages(variant)
        let stages = unscaled.map { $0.scaled(toRows: rows) }
        let startCount = start.0 * start.1 * start.2
        var layers: [any Layer] = [
            Linear(store: store, name: "\(name).dense", inputCount: noiseCount, outputCount: startCount),
            BatchNorm(store: store, name: "\(name).dense_bn", shape: [startCount]),
            Activation(.relu, shape: [startCount]),
            Reshape(from: [startCount], to: [start.0, start.1, start.2]),
        ]
        var input = start
        for (index, stage) in stages.enumerated() {
            let shape = [stage.height, stage.width, stage.channels]
            layers.append(ConvTranspose2d(
                store: store, name: "\(name).deconv\(index + 1)", input: input, outputChannels: stage.channels,
                output: (stage.height, stage.width), kernel: (stage.kernel, stage.kernel), stride: stage.stride,
                maxBatch: maxBatch))
            if stage.batchNorm {
                layers.append(BatchNorm(store: store, name: "\(name).deconv\(index + 1)_bn", shape: shape))
                layers.append(Activation(.relu, shape: shape))
            }
            input = (stage.height, stage.width, stage.channels)
        }
        if !logits { layers.append(Activation(.sigmoid, shape: [rows, 8, 1])) }
        return layers
    }

    /// The critic's convolution stack: `[85, 8, 1]` → its last feature map, flattened. Without
    /// `batchNorm` the stages that have batch norm in the paper go without it.
    private static func convolutionStack(
        _ variant: MatGANVariant, store: ParameterStore, name: String, rows: Int = 85, maxBatch: Int, batchNorm: Bool = true
    ) -> [any Layer] {
        precondition(supportedRows.contains(rows), "MatGAN networks take \(supportedRows) element rows, not \(rows)")
        var layers: [any Layer] = []
        var input = (rows, 8, 1)
        for (index, stage) in criticStages(variant).map({ $0.scaled(toRows: rows) }).enumerated() {
            let shape = [stage.height, stage.width, stage.channels]
            let convolution = Conv2d(
                store: store, name: "\(name).conv\(index + 1)", input: input, outputChannels: stage.channels,
                kernel: (stage.kernel, stage.kernel), stride: stage.stride, maxBatch: maxBatch)
            precondition(convolution.outputShape == shape, "MatGAN \(variant) \(name): conv\(index + 1) gives \(convolution.outputShape), expected \(shape)")
            layers.append(convolution)
            if stage.batchNorm && batchNorm {
                layers.append(BatchNorm(store: store, name: "\(name).conv\(index + 1)_bn", shape: shape))
            }
            layers.append(Activation(.leakyReLU(slope: criticSlope), shape: shape))
            input = (stage.height, stage.width, stage.channels)
        }
        layers.append(Reshape(flattening: [input.0, input.1, input.2]))
        return layers
    }

    /// Critic layers: `[85, 8, 1]` → one unbounded score per sample. `batchNorm: false` drops the
    /// critic's batch norm (WGAN-GP's recommendation; MatGAN's code keeps it).
    public static func criticLayers(
        _ variant: MatGANVariant, store: ParameterStore, name: String = "critic", maxBatch: Int, batchNorm: Bool = true
    ) -> [any Layer] {
        var layers = convolutionStack(variant, store: store, name: name, maxBatch: maxBatch, batchNorm: batchNorm)
        layers.append(Linear(store: store, name: "\(name).dense", inputCount: layers.last!.outputCount, outputCount: 1))
        return layers
    }

    /// Autoencoder encoder (docs/matgan.md, "Autoencoder"): the critic's convolution stack and a
    /// Linear to a 128-dim code.
    public static func encoderLayers(
        _ variant: MatGANVariant, store: ParameterStore, name: String = "encoder", rows: Int = 85, maxBatch: Int
    ) -> [any Layer] {
        var layers = convolutionStack(variant, store: store, name: name, rows: rows, maxBatch: maxBatch)
        layers.append(Linear(store: store, name: "\(name).dense", inputCount: layers.last!.outputCount, outputCount: noiseCount))
        return layers
    }

    /// A generator network with its own store.
    public static func generator(_ variant: MatGANVariant, maxBatch: Int) -> Sequential {
        let store = ParameterStore()
        return Sequential(store: store, layers: generatorLayers(variant, store: store, maxBatch: maxBatch), maxBatch: maxBatch)
    }

    /// A critic network with its own store.
    public static func critic(_ variant: MatGANVariant, maxBatch: Int, batchNorm: Bool = true) -> Sequential {
        let store = ParameterStore()
        return Sequential(store: store, layers: criticLayers(variant, store: store, maxBatch: maxBatch, batchNorm: batchNorm),
                          maxBatch: maxBatch)
    }

    /// The autoencoder: encoder and decoder (the generator architecture) sharing one store, so
    /// one optimizer and one gradient allreduce cover both. For `rows` element rows; the decoder
    /// ends in logits instead of the sigmoid when `logits` is set.
    public static func autoencoder(_ variant: MatGANVariant, rows: Int = 85, logits: Bool = false,
                                   maxBatch: Int) -> (encoder: Sequential, decoder: Sequential) {
        let store = ParameterStore()
        let encoderLayers = encoderLayers(variant, store: store, rows: rows, maxBatch: maxBatch)
        let decoderLayers = generatorLayers(variant, store: store, name: "decoder", rows: rows, logits: logits, maxBatch: maxBatch)
        return (Sequential(store: store, layers: encoderLayers, maxBatch: maxBatch),
                Sequential(store: store, layers: decoderLayers, maxBatch: maxBatch))
    }
}

/// Weight initialisation of the MatGAN networks (biases start at 0, batch-norm γ at 1, β at 0).
public enum MatGANInitialization: String, Sendable, CaseIterable, Codable {
    /// The released code's: every weight ~ N(0, 1).
    case releasedCode = "normal"
    /// He normal (fan-in) with the gain of the activation that follows: ReLU in the generator and
    /// decoder, LeakyReLU(0.2) in the critic and encoder.
    case he

    /// The initializer for weights followed by an activation with `negativeSlope` (0 for ReLU).
    public func initializer(negativeSlope: Float) -> Initializer {
        switch self {
        case .releasedCode: .normal(standardDeviation: 1)
        case .he: .heNormal(negativeSlope: negativeSlope)
        }
    }
}

extension MatGANNetworks {
    /// Initialises the weights of a generator (or decoder) store with `scheme`, deterministically in `seed`.
    public static func initializeGenerator(_ store: ParameterStore, _ scheme: MatGANInitialization, seed: UInt64) {
        store.initializeWeights(scheme.initializer(negativeSlope: 0), seed: seed)
    }

    /// Initialises the weights of a critic (or encoder) store with `scheme`, deterministically in `seed`.
    public static func initializeCritic(_ store: ParameterStore, _ scheme: MatGANInitialization, seed: UInt64) {
        store.initializeWeights(scheme.initializer(negativeSlope: criticSlope), seed: seed)
    }
}
