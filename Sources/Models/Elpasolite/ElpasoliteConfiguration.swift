import Foundation
import NeuralNet

/// The elpasolite models `train --model` accepts (Türk et al., REFERENCE §6).
public enum ElpasoliteModel: String, CaseIterable, Codable, Sendable {
    /// The conditional VAE: 2 × 256 with LayerNorm, latent 8, loss `Σ (x − x_rec)² + 0.1 KL`.
    case conditionalVAE = "elpasolite-cvae"
    /// The conditional WGAN-GP: generator and critic with one hidden layer of 512.
    case conditionalGAN = "elpasolite-cgan"
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
    /// The share of the training rows used, drawn by a seeded permutation (the paper's
    /// training-set-size study); 1 uses them all.
    public var trainFraction: Double
    public var seed: UInt64
    public var stop: StopCondition
    /// Steps between checkpoints (0: only at the end).
    public var checkpointInterval: Int
    /// Steps between log lines.
    public var logInterval: Int

    /// The paper's hyper-parameters (REFERENCE §6) for `model`: cVAE batch 500, lr 1e-3, KL
    /// weight 0.1, 10,000 updates; cGAN batch 100, lr 1e-5, penalty 10, 5 critic updates per
    /// generator update, 200,000 generator updates. `stop` replaces the paper's update count.
    public static func defaults(for model: ElpasoliteModel, stop: StopCondition? = nil) -> ElpasoliteConfiguration {
        let isVAE = model == .conditionalVAE
        return ElpasoliteConfiguration(
            model: model,
            batchSize: isVAE ? 500 : 100,
            learningRate: isVAE ? 1e-3 : 1e-5,
            klWeight: 0.1,
            penaltyWeight: 10,
            criticIterations: 5,
            trainFraction: 1,
            seed: 1,
            stop: stop ?? StopCondition(maximumSteps: isVAE ? 10_000 : 200_000),
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

extension ElpasoliteConfiguration: RunConfiguration {
    var modelName: String { model.rawValue }
    var weightInitializer: Initializer { ElpasoliteNetworks.weightInitializer }
}
