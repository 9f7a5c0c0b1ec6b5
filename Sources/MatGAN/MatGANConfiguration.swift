import Chemistry
import Foundation
import NeuralNet
import Training

/// The MatGAN models `train --model` accepts.
public enum MatGANModel: String, CaseIterable, Codable, Sendable {
    /// WGAN-GP with the ICSD/MP networks, Materials Project defaults (batch 32, critic lr 1e-2).
    case matganMP = "matgan-mp"
    /// WGAN-GP with the OQMD networks (batch 512, critic lr 5e-3).
    case matganOQMD = "matgan-oqmd"
    /// The negative-Dice autoencoder (ICSD/MP networks, batch 1024).
    case matganAE = "matgan-ae"
    /// Active generative design's autoencoder (docs/active-design.md, "Autoencoder"): the same
    /// networks on 87 × 8 matrices, binary cross-entropy, batch 128.
    case activeAE = "active-ae"

    /// The network variant.
    public var variant: MatGANVariant { self == .matganOQMD ? .oqmd : .icsd }

    /// Whether the model is an autoencoder (else a WGAN-GP).
    public var isAutoencoder: Bool { self == .matganAE || self == .activeAE }

    /// The composition matrix the model reads and writes.
    public var encoding: MatrixEncoding { self == .activeAE ? .activeDesign : .matgan }

    /// The autoencoder's reconstruction loss.
    public var reconstructionLoss: ReconstructionLoss { self == .activeAE ? .binaryCrossEntropy : .negativeDice }
}

/// How an autoencoder scores its reconstruction.
public enum ReconstructionLoss: String, Codable, Sendable {
    /// MatGAN's `−2 Σ A·B / (Σ A + Σ B)` over the global batch, on sigmoid outputs.
    case negativeDice = "negative_dice"
    /// Mean binary cross-entropy per cell, computed from the decoder's logits (the decoder then
    /// has no final sigmoid; a cell is on when its logit is >= 0, i.e. probability >= 0.5).
    case binaryCrossEntropy = "binary_cross_entropy"
}

/// How the learning rates change over a run.
public enum LearningRateDecay: String, Codable, Sendable, CaseIterable {
    /// The same rates throughout.
    case constant
    /// Cosine annealing from the given rates to 0 at the run's last planned update, so that the
    /// final generator is not a snapshot of a still-oscillating game.
    case cosine
}

/// When a GAN run measures the quality of its samples while it trains (``SampleQualityEvaluation``).
public struct EvaluationSchedule: Codable, Sendable, Equatable {
    /// Generator updates between evaluations (one more comes at the end of the run).
    public var interval: Int
    /// Samples each evaluation draws, over all ranks.
    public var samples: Int

    public init(interval: Int, samples: Int) {
        self.interval = interval
        self.samples = samples
    }

    /// 20,000 samples every 500 steps: on Materials Project with 2 ranks, batch 32 and 5 critic
    /// updates a step, about 1 % of the training time with a moving average measured too (4 % with
    /// one critic update a step); README, "Performance".
    public static let defaults = EvaluationSchedule(interval: 500, samples: 20_000)
}

/// Everything that determines a MatGAN training run; stored in checkpoints as JSON.
public struct MatGANConfiguration: Codable, Sendable, Equatable {
    public var model: MatGANModel
    /// Rows per update over all ranks.
    public var batchSize: Int
    public var generatorLearningRate: Float
    public var criticLearningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// Adam's bias correction as TensorFlow 1 applies it (MatGAN's code) or as PyTorch does.
    public var adamVariant: Adam.Variant
    public var penaltyWeight: Float
    /// Batch norm in the critic, as MatGAN's code (the WGAN-GP paper advises against it: each
    /// of the critic's three batches is normalised on its own).
    public var criticBatchNorm: Bool
    /// Critic updates per generator update (`disc_iters`).
    public var criticIterations: Int
    /// N(0, 1) as the released code, or He with each activation's gain.
    public var initialization: MatGANInitialization
    public var seed: UInt64
    /// Batch-norm statistics summed over ranks instead of per rank.
    public var synchronizedBatchNorm: Bool
    /// Decay of the exponential moving average of the generator's parameters kept beside the
    /// generator (`generator_ema` in checkpoints, what `generate` uses), nil for none.
    public var emaDecay: Float? = nil
    /// How the learning rates change over the run (cosine needs a step or epoch limit).
    public var learningRateDecay: LearningRateDecay = .constant
    /// When the run measures the quality of its samples (the GANs; nil for the autoencoders).
    public var evaluation: EvaluationSchedule? = nil
    public var stop: StopCondition
    /// Steps between checkpoints (0: only at the end).
    public var checkpointInterval: Int
    /// Steps between log lines.
    public var logInterval: Int

    /// The paper's hyper-parameters (docs/matgan.md, "WGAN-GP training" and "Autoencoder";
    /// docs/active-design.md, "Autoencoder") for `model`, stopping after `stop`. The active-design
    /// autoencoder starts from He initialisation: its reference code is Keras, whose scaled default
    /// initialisation it follows, not MatGAN's N(0, 1).
    public static func defaults(for model: MatGANModel, stop: StopCondition) -> MatGANConfiguration {
        let batchSize = switch model {
        case .matganOQMD: 512
        case .matganAE: 1024
        case .activeAE: 128
        case .matganMP: 32
        }
        var configuration = MatGANConfiguration(
            model: model,
            batchSize: batchSize,
            generatorLearningRate: 1e-3,
            criticLearningRate: model == .matganOQMD ? 5e-3 : 1e-2,
            beta1: model.isAutoencoder ? 0.9 : 0.5,
            beta2: model.isAutoencoder ? 0.999 : 0.9,
            epsilon: 1e-8,
            adamVariant: .tensorflow1,
            penaltyWeight: 10,
            criticBatchNorm: true,
            criticIterations: 1,
            initialization: model == .activeAE ? .he : .releasedCode,
            seed: 1,
            synchronizedBatchNorm: false,
            stop: stop,
            checkpointInterval: 1000,
            logInterval: 100)
        if !model.isAutoencoder { configuration.evaluation = .defaults }
        return configuration
    }

    /// The configuration as compact JSON with sorted keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
