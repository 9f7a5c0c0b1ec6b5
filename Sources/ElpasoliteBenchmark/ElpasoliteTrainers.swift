import NeuralNet
import Random

/// Training of ``ElpasoliteConditionalGAN`` as in docs/elpasolite.md, "cWGAN-GP", on the engine's
/// ``WassersteinGP``, with the penalty weight, critic updates per generator update and learning
/// rate of an ``ElpasoliteConfiguration`` (the paper's are its defaults) and Adam with PyTorch's
/// default betas, which the reference does not override.
///
/// A ``step(real:classes:)`` is one generator update with its critic updates; the reference
/// does not say whether its 200,000 updates count generator or critic updates. Before each critic
/// update the classes of its real batch are written into both networks' condition layers, so the
/// generated and interpolated samples of that update carry the same classes, and the generator
/// update uses the classes of the last batch. The penalty norm runs over the 8 composition
/// numbers only: the class one-hot is a condition, not a critic input.
public final class ElpasoliteWGANGPTrainer {
    /// The networks being trained.
    public let model: ElpasoliteConditionalGAN
    /// Samples per critic and per generator update.
    public let batch: Int
    /// The WGAN-GP machinery (optimizers, penalty, sample-indexed randomness).
    public let wasserstein: WassersteinGP

    /// A trainer drawing noise and interpolation weights from `randomness` (give each
    /// data-parallel rank its `sampleOffset`) and averaging gradients with `reducer`.
    public init(
        model: ElpasoliteConditionalGAN, batch: Int, configuration: ElpasoliteConfiguration, randomness: SampleRandomness,
        reducer: any Reducer = SingleReplica()
    ) {
        precondition(batch > 0 && batch <= model.generator.maxBatch,
                     "ElpasoliteWGANGPTrainer: batch \(batch) outside 1...\(model.generator.maxBatch) (the model's maxBatch)")
        self.model = model
        self.batch = batch
        wasserstein = WassersteinGP(
            generator: model.generator, critic: model.critic,
            generatorOptimizer: Adam(parameterCount: model.generator.store.parameterCount,
                                     learningRate: .constant(configuration.learningRate)),
            criticOptimizer: Adam(parameterCount: model.critic.store.parameterCount, learningRate: .constant(configuration.learningRate)),
            penaltyWeight: configuration.penaltyWeight, criticIterations: configuration.criticIterations,
            randomness: randomness, reducer: reducer)
    }

    /// One generator update preceded by `criticIterations` critic updates. `real` holds that many
    /// batches of `[batch, 8]` compositions one after another and `classes` their classes.
    @discardableResult
    public func step(real: UnsafePointer<Float>, classes: UnsafePointer<Int>) throws -> WassersteinGP.Iteration {
        try wasserstein.train(batch: batch) { k in
            model.generatorCondition.setOneHot(classes: classes + k * batch, batch: batch)
            model.criticCondition.setOneHot(classes: classes + k * batch, batch: batch)
            return real + k * batch * ElpasoliteNetworks.featureCount
        }
    }
}

/// Losses of one ``ElpasoliteVAETrainer/step(features:classes:)``.
public struct ElpasoliteVAELosses: Sendable, Equatable {
    /// Batch mean of `Σ (x − x_rec)²` over the 8 numbers of a sample.
    public var reconstruction: Float
    /// The weighted KL term, `klWeight ·` batch mean of KL(q(z|x, c) ‖ N(0, I)).
    public var kl: Float
    /// `reconstruction + kl`, the minimised loss.
    public var total: Float { reconstruction + kl }
}

/// Training of ``ElpasoliteConditionalVAE`` as in docs/elpasolite.md, "cVAE": loss
/// `Σ (x − x_rec)² + klWeight · KL` per sample, averaged over the batch, Adam with PyTorch's
/// default betas; KL weight and learning rate from an ``ElpasoliteConfiguration``.
public final class ElpasoliteVAETrainer {
    /// The networks being trained.
    public let model: ElpasoliteConditionalVAE
    /// Samples per update.
    public let batch: Int
    /// Weight of the KL term.
    public let klWeight: Float
    /// Adam over the shared encoder/decoder store.
    public let optimizer: Adam
    /// Averages the gradients over the data-parallel replicas before each optimizer step.
    public var reducer: any Reducer

    /// Where the reparameterisation noise of each (update, global sample) comes from; its
    /// `update` follows the optimizer's step count, so a resumed run draws the same noise.
    public private(set) var randomness: SampleRandomness
    private let noise: FloatBuffer
    private let latent: FloatBuffer
    private let reconstructionGradient: FloatBuffer
    private let statisticsGradient: FloatBuffer

    /// A trainer drawing the reparameterisation noise of local sample j from `randomness` (one
    /// replica: `SampleRandomness(seed:)`; data parallel: offset rank, stride rank count).
    public init(
        model: ElpasoliteConditionalVAE, batch: Int, configuration: ElpasoliteConfiguration, randomness: SampleRandomness,
        reducer: any Reducer = SingleReplica()
    ) {
        precondition(batch > 0 && batch <= model.encoder.maxBatch,
                     "ElpasoliteVAETrainer: batch \(batch) outside 1...\(model.encoder.maxBatch) (the model's maxBatch)")
        self.model = model
        self.batch = batch
        klWeight = configuration.klWeight
        optimizer = Adam(parameterCount: model.store.parameterCount, learningRate: .constant(configuration.learningRate))
        self.randomness = randomness
        self.reducer = reducer
        let latentCount = ElpasoliteConditionalVAE.latentCount
        noise = FloatBuffer(count: batch * latentCount)
        latent = FloatBuffer(count: batch * latentCount)
        reconstructionGradient = FloatBuffer(count: batch * ElpasoliteNetworks.featureCount)
        statisticsGradient = FloatBuffer(count: batch * 2 * latentCount)
    }

    /// One update on `[batch, 8]` compositions `features` with their `classes`.
    @discardableResult
    public func step(features: UnsafePointer<Float>, classes: UnsafePointer<Int>) throws -> ElpasoliteVAELosses {
        let latentCount = ElpasoliteConditionalVAE.latentCount
        model.encoderCondition.setOneHot(classes: classes, batch: batch)
        model.decoderCondition.setOneHot(classes: classes, batch: batch)
        let statistics = try model.encoder.forward(features, batch: batch, mode: .training)
        randomness.update = UInt64(optimizer.stepCount)
        randomness.fillNormal(noise.pointer, rows: batch, width: latentCount, purpose: .latentNoise)
        GaussianLatent.sample(statistics: statistics, noise: noise.pointer, into: latent.pointer, batch: batch, latent: latentCount)
        let reconstruction = try model.decoder.forward(latent.pointer, batch: batch, mode: .training)
        let squaredError = Loss.squaredError(
            prediction: reconstruction, target: features, rows: batch, columns: ElpasoliteNetworks.featureCount,
            reduction: .meanOverRows, gradient: reconstructionGradient.pointer)
        let kl = Loss.gaussianKLDivergence(
            statistics: statistics, batch: batch, latent: latentCount, weight: klWeight, gradient: statisticsGradient.pointer)

        model.store.zeroGradients()
        try model.decoder.backward(outputGradient: reconstructionGradient.pointer, computeInputGradient: true)
        GaussianLatent.backward(
            latentGradient: model.decoder.inputGradient, noise: noise.pointer, statistics: statistics,
            statisticsGradient: statisticsGradient.pointer, batch: batch, latent: latentCount)
        try model.encoder.backward(outputGradient: statisticsGradient.pointer)
        try reducer.mean(model.store.gradients)
        optimizer.step(model.store)
        return ElpasoliteVAELosses(reconstruction: squaredError, kl: kl)
    }
}
