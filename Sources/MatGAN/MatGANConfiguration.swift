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

    /// The paper's global batch, which the default learning rates were tuned for: the batch
    /// `--lr-scaling` measures a global batch against.
    public var referenceBatchSize: Int {
        switch self {
        case .matganOQMD: 512
        case .matganAE: 1024
        case .activeAE: 128
        case .matganMP: 32
        }
    }
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

    /// 20,000 samples every 1,000 steps: on Materials Project with 2 ranks, batch 32 and the
    /// quickstart's one critic update a step, about 3 % of the training time with a moving
    /// average measured too (6 % at 500 steps); with 5 critic updates a step under 1 %;
    /// README, "Performance".
    public static let defaults = EvaluationSchedule(interval: 1000, samples: 20_000)
}

/// How the learning rates follow a global batch larger (or smaller) than the model's reference
/// batch: multiplied by `batch / reference` (Goyal et al. 2017, for SGD), by its square root
/// (the rule usually advised for Adam), or not at all.
public enum LearningRateScaling: String, Codable, Sendable, CaseIterable {
    case none
    case linear
    case squareRoot = "sqrt"
}

/// Everything that determines a MatGAN training run; stored in checkpoints as JSON.
public struct MatGANConfiguration: Codable, Sendable, Equatable {
    public var model: MatGANModel
    /// Rows per update over all ranks: the global batch, whichever way it was given. A resumed
    /// run keeps it on any rank count that divides it.
    public var batchSize: Int
    /// The per-rank batch `--batch-per-rank` gave when the run started (``batchSize`` is it
    /// times the starting rank count), nil when the global batch was given: how the batch was
    /// specified, kept as a record when a resume on another rank count changes the share.
    public var batchPerRank: Int? = nil
    /// How the given learning rates, meant for ``MatGANModel/referenceBatchSize``, follow ``batchSize``.
    public var learningRateScaling: LearningRateScaling = .none
    /// Steps (generator updates for a GAN) of linear learning-rate warm-up at the start, 0 for none.
    public var warmupSteps: Int = 0
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
        var configuration = MatGANConfiguration(
            model: model,
            batchSize: model.referenceBatchSize,
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

    /// What ``learningRateScaling`` multiplies the given learning rates by at ``batchSize``.
    public var learningRateFactor: Float {
        let ratio = Double(batchSize) / Double(model.referenceBatchSize)
        return switch learningRateScaling {
        case .none: 1
        case .linear: Float(ratio)
        case .squareRoot: Float(ratio.squareRoot())
        }
    }

    /// The schedule of an optimizer whose given rate is `rate` and which makes `updatesPerStep`
    /// updates per step: scaled to the global batch, warmed up over the first ``warmupSteps``
    /// steps, and with cosine decay annealed to 0 at `plannedSteps` (when known).
    public func learningRateSchedule(_ rate: Float, updatesPerStep: Int, plannedSteps: Int?) -> LearningRateSchedule {
        let scaled = rate * learningRateFactor
        let decayed: LearningRateSchedule = if learningRateDecay == .cosine, let plannedSteps {
            .cosine(initial: scaled, totalSteps: max(plannedSteps * updatesPerStep, 1))
        } else {
            .constant(scaled)
        }
        return decayed.linearWarmup(steps: warmupSteps * updatesPerStep)
    }

    /// Two lines for the start of a run on `worldSize` ranks: how the global batch is shared and
    /// was given, and the learning rates after scaling, with the warm-up and decay applied to them.
    public func batchSummary(worldSize: Int) -> [String] {
        let given = batchPerRank.map { "given as --batch-per-rank \($0)" } ?? "given as the global batch"
        let rates: [(network: String, rate: Float)] = model.isAutoencoder ? [("autoencoder", generatorLearningRate)]
            : [("generator", generatorLearningRate), ("critic", criticLearningRate)]
        let scaled = rates.map { "\($0.network) \(String(format: "%.3g", $0.rate * learningRateFactor))" }.joined(separator: ", ")
        let scaling = learningRateScaling == .none ? "no --lr-scaling"
            : "--lr-scaling \(learningRateScaling.rawValue) x\(String(format: "%.3g", learningRateFactor))"
        let warmup = warmupSteps > 0 ? "linear warm-up over \(warmupSteps) steps" : "no warm-up"
        let decay = learningRateDecay == .cosine ? "cosine decay to 0" : "no decay"
        return ["batch: \(worldSize) rank(s) x \(batchSize / worldSize) per rank = global batch \(batchSize) (\(given)); "
                + "reference batch of \(model.rawValue) \(model.referenceBatchSize)",
                "learning rates: \(scaled) (\(scaling), \(warmup), \(decay))"]
    }

    /// The configuration as compact JSON with sorted keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}

// In an extension, so that the struct keeps its memberwise initialiser.
extension MatGANConfiguration {
    /// The configuration a checkpoint stores as ``json``, also from a checkpoint written before
    /// the later settings existed: those decode as the values that continue such a run as it was
    /// (constant rates, no batch scaling, no warm-up).
    public init(storedJSON: String) throws {
        let data = Data(storedJSON.utf8)
        var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        let added: [String: Any] = ["learningRateDecay": LearningRateDecay.constant.rawValue,
                                    "learningRateScaling": LearningRateScaling.none.rawValue, "warmupSteps": 0]
        // Re-encoding passes the rates through Double, so only a configuration that lacks a setting takes that path.
        guard added.keys.contains(where: { object[$0] == nil }) else {
            self = try JSONDecoder().decode(Self.self, from: data)
            return
        }
        object.merge(added) { stored, _ in stored }
        self = try JSONDecoder().decode(Self.self, from: JSONSerialization.data(withJSONObject: object))
    }
}
