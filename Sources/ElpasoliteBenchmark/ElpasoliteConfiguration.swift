import Foundation
import NeuralNet
import Training

/// The elpasolite models `train --model` accepts (Türk et al.; docs/elpasolite.md, "Models").
public enum ElpasoliteModel: String, CaseIterable, Codable, Sendable {
    /// The conditional VAE: 2 × 256 with LayerNorm, latent 8, loss `Σ (x − x_rec)² + 0.1 KL`.
    case conditionalVAE = "elpasolite-cvae"
    /// The conditional WGAN-GP: generator and critic with one hidden layer of 512.
    case conditionalGAN = "elpasolite-cgan"
    /// The double-DQN agent choosing period and group site by site: 5 × 512 with LayerNorm.
    case doubleDQN = "elpasolite-dqn"
}

/// Everything that determines an elpasolite training run; stored in checkpoints as JSON.
public struct ElpasoliteConfiguration: Codable, Sendable, Equatable {
    public var model: ElpasoliteModel
    /// Rows per update over all ranks (per critic update for the cGAN).
    public var batchSize: Int
    /// Adam's learning rate (both networks of the cGAN).
    public var learningRate: Float
    /// Weight of the KL term of the cVAE loss.
    public var klWeight: Float
    /// Gradient-penalty weight of the cGAN.
    public var penaltyWeight: Float
    /// Critic updates per generator update of the cGAN.
    public var criticIterations: Int
    /// The DQN's discount γ.
    public var discount: Float
    /// Updates between the DQN's target-network synchronisations.
    public var targetSyncInterval: Int
    /// The share of the training rows used, drawn by a seeded permutation (the paper's
    /// training-set-size study); 1 uses them all.
    public var trainFraction: Double
    public var seed: UInt64
    public var stop: StopCondition
    /// Steps between checkpoints (0: only at the end).
    public var checkpointInterval: Int
    /// Steps between log lines.
    public var logInterval: Int

    /// The paper's hyper-parameters (docs/elpasolite.md, "Models") for `model`: cVAE batch 500, lr
    /// 1e-3, KL weight 0.1, 10,000 updates; cGAN batch 100, lr 1e-5, penalty 10, 5 critic updates
    /// per generator update, 200,000 generator updates; DQN batch 250, lr 1e-5, γ 0.999, target
    /// synchronised every 10 updates, 800,000 updates. `stop` replaces the paper's update count.
    public static func defaults(for model: ElpasoliteModel, stop: StopCondition? = nil) -> ElpasoliteConfiguration {
        let (batch, learningRate, updates): (Int, Float, Int) = switch model {
        case .conditionalVAE: (500, 1e-3, 10_000)
        case .conditionalGAN: (100, 1e-5, 200_000)
        case .doubleDQN: (250, 1e-5, 800_000)
        }
        return ElpasoliteConfiguration(
            model: model,
            batchSize: batch,
            learningRate: learningRate,
            klWeight: 0.1,
            penaltyWeight: 10,
            criticIterations: 5,
            discount: 0.999,
            targetSyncInterval: 10,
            trainFraction: 1,
            seed: 1,
            stop: stop ?? StopCondition(maximumSteps: updates),
            checkpointInterval: 1000,
            logInterval: 100)
    }

    /// Training rows one step consumes over all ranks.
    public var samplesPerStep: Int {
        model == .conditionalGAN ? batchSize * criticIterations : batchSize
    }

    /// The configuration as compact JSON with sorted keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
