import Datasets
import Distributed
import NeuralNet
import Random
import Training

/// Data-parallel WGAN-GP training of a MatGAN generator (docs/matgan.md, "Networks" and "WGAN-GP
/// training"; docs/distributed.md), as a ``TrainingRun``.
///
/// Each rank trains on its share of every global batch; the gradients of each critic and
/// generator update are averaged over the ranks by the run's reducer (one allreduce per update).
/// Noise and interpolation weights are addressed by global sample, so the run follows the same
/// trajectory on any rank count (up to floating-point summation order).
public final class MatGANRun: TrainingRun {
    public let configuration: MatGANConfiguration
    public let data: CompositionTrainingSet
    public let generator: Sequential
    public let critic: Sequential
    /// The exponential moving average of the generator's parameters (with `emaDecay`), a
    /// network of the generator's architecture checkpointed as `generator_ema`.
    public let averagedGenerator: Sequential?
    public let trainer: WassersteinGP
    private let batches: EpochBatches
    /// The generator update count at which the average's statistics were last re-estimated; an
    /// evaluation and a checkpoint on the same step need only one. Once training has started, the
    /// average's weights change only with the count (in `step()`), so the count identifies them.
    private var averageCalibratedAtStep: Int?

    /// Builds the networks and optimizers for this rank's share of the global batch.
    public init(configuration: MatGANConfiguration, data: CompositionTrainingSet, world: Communicator) throws {
        precondition(!configuration.model.isAutoencoder, "MatGANRun trains the GANs; use AutoencoderRun")
        self.configuration = configuration
        self.data = data
        let schedule = try BatchSchedule(rowCount: data.trainingRows.count, globalBatchSize: configuration.batchSize,
                                         rank: world.rank, worldSize: world.size, seed: derivedSeed(configuration.seed, for: .matganBatches))
        let local = schedule.localBatchSize
        generator = MatGANNetworks.generator(configuration.model.variant, maxBatch: local)
        critic = MatGANNetworks.critic(configuration.model.variant, maxBatch: local, batchNorm: configuration.criticBatchNorm)
        averagedGenerator = configuration.emaDecay.map { _ in
            MatGANNetworks.generator(configuration.model.variant, maxBatch: Self.calibrationBatchSize)
        }
        // Cosine decay ends at the last planned update: steps, or epochs of one batch per critic update.
        let plannedSteps = configuration.stop.maximumSteps
            ?? configuration.stop.maximumEpochs.map { $0 * schedule.stepsPerEpoch / configuration.criticIterations }
        let generatorOptimizer = Adam(
            parameterCount: generator.store.parameterCount,
            learningRate: configuration.learningRateSchedule(configuration.generatorLearningRate, updatesPerStep: 1,
                                                             plannedSteps: plannedSteps),
            beta1: configuration.beta1, beta2: configuration.beta2, epsilon: configuration.epsilon,
            variant: configuration.adamVariant)
        let criticOptimizer = Adam(
            parameterCount: critic.store.parameterCount,
            learningRate: configuration.learningRateSchedule(configuration.criticLearningRate,
                                                             updatesPerStep: configuration.criticIterations, plannedSteps: plannedSteps),
            beta1: configuration.beta1, beta2: configuration.beta2, epsilon: configuration.epsilon,
            variant: configuration.adamVariant)
        let reducer = MPIReducer(world: world)
        trainer = WassersteinGP(
            generator: generator, critic: critic, generatorOptimizer: generatorOptimizer, criticOptimizer: criticOptimizer,
            penaltyWeight: configuration.penaltyWeight, criticIterations: configuration.criticIterations,
            randomness: SampleRandomness(seed: derivedSeed(configuration.seed, for: .matganTrainingNoise),
                                         sampleOffset: world.rank, sampleStride: world.size),
            reducer: reducer)
        if configuration.synchronizedBatchNorm {
            generator.synchronizeBatchNorm(over: reducer)
            critic.synchronizeBatchNorm(over: reducer)
        }
        batches = EpochBatches(schedule: schedule, data: data)
    }

    public var identity: RunIdentity {
        RunIdentity(model: configuration.model.rawValue, seed: configuration.seed, configuration: configuration.json,
                    dataPath: data.path, dataSHA256: data.sha256)
    }

    public var networks: [(name: String, store: ParameterStore)] {
        [("generator", generator.store), ("critic", critic.store)] + (averagedGenerator.map { [("generator_ema", $0.store)] } ?? [])
    }

    public var optimizers: [(name: String, optimizer: any Optimizer)] {
        [("generator", trainer.generatorOptimizer), ("critic", trainer.criticOptimizer)]
    }

    /// Generator updates done, and passes over the training data.
    public var progress: TrainingProgress {
        TrainingProgress(step: trainer.generatorOptimizer.stepCount, completedEpochs: batches.completedEpochs, epoch: batches.position)
    }

    public var samplesPerStep: Int { configuration.batchSize * configuration.criticIterations }

    public var counters: [String: Int64] {
        ["epoch": Int64(batches.epoch), "step_in_epoch": Int64(batches.stepInEpoch), "random_update": Int64(trainer.randomness.update)]
    }

    public func restore(counters: [String: Int64]) {
        batches.seek(epoch: Int(counters["epoch", default: 0]), stepInEpoch: Int(counters["step_in_epoch", default: 0]))
        trainer.randomness.update = UInt64(counters["random_update", default: 0])
    }

    /// The critic ends its layers in LeakyReLU, the generator in ReLU; a fresh average starts
    /// equal to the generator.
    public func initializeWeights() {
        MatGANNetworks.initializeGenerator(generator.store, configuration.initialization, seed: configuration.seed)
        MatGANNetworks.initializeCritic(critic.store, configuration.initialization, seed: configuration.seed)
        if let averagedGenerator {
            MatGANNetworks.initializeGenerator(averagedGenerator.store, configuration.initialization, seed: configuration.seed)
        }
    }

    /// `criticIterations` critic updates, each on the next real batch, then one generator update.
    public func step() throws -> [Metric] {
        let batch = batches.schedule.localBatchSize
        var critic = WassersteinGP.CriticUpdate(realScore: 0, fakeScore: 0, penalty: 0)
        for _ in 0 ..< configuration.criticIterations {
            critic = try trainer.updateCritic(real: try batches.next(), batch: batch)
        }
        let generatorLoss = try trainer.updateGenerator(batch: batch)
        updateAverage()
        return [Metric("critic_loss", Double(critic.loss)), Metric("generator_loss", Double(generatorLoss)),
                Metric("wasserstein", Double(critic.wassersteinEstimate)), Metric("gradient_penalty", Double(critic.penalty))]
    }

    /// The average is checkpointed with batch-norm statistics of its own.
    public func prepareCheckpoint() throws {
        try calibrateAverage()
    }

    /// Passes and samples per pass that re-estimate the average's batch-norm statistics.
    public static let calibrationBatches = 8, calibrationBatchSize = 256

    /// Re-estimates the batch-norm statistics of ``averagedGenerator`` for its current weights
    /// from fixed noise, identically on every rank (docs/matgan.md, "Generator weight
    /// averaging"). The generator's own statistics fit the raw weights, not the average.
    public func calibrateAverage() throws {
        guard let averagedGenerator, averageCalibratedAtStep != progress.step else { return }
        let seed = derivedSeed(configuration.seed, for: .matganAverageCalibrationNoise)
        let width = averagedGenerator.inputCount, batch = Self.calibrationBatchSize
        try averagedGenerator.recalibrateBatchNorm(batches: Self.calibrationBatches, batchSize: batch) { pass, noise in
            for row in 0 ..< batch {
                SampleGenerator.fillNoise(UnsafeMutableBufferPointer(rebasing: noise[row * width ..< (row + 1) * width]),
                                          seed: seed, sampleIndex: pass * batch + row)
            }
        }
        averageCalibratedAtStep = progress.step
    }

    /// `average ← decay · average + (1 − decay) · generator`, one pass over the flat parameters.
    private func updateAverage() {
        guard let averagedGenerator, let decay = configuration.emaDecay else { return }
        let average = averagedGenerator.store.parameters, current = generator.store.parameters
        for i in 0 ..< average.count { average[i] = decay * average[i] + (1 - decay) * current[i] }
    }
}
