import Distributed
import Foundation
import Logging
import NeuralNet
import Random

/// Data-parallel WGAN-GP training of a MatGAN generator (docs/matgan.md, "Networks" and "WGAN-GP
/// training"; docs/distributed.md).
///
/// Rank 0 initialises (or restores) and broadcasts; each rank trains on its share of every
/// global batch and the gradients of each update are averaged with one allreduce; rank 0 logs,
/// writes `metrics.jsonl` and checkpoints `checkpoint.h5` in the run directory. SIGTERM or
/// SIGINT ends the run at the next step with a final checkpoint.
public final class MatGANTraining {
    public let configuration: MatGANConfiguration
    public let world: Communicator
    public let data: CompositionTrainingSet
    public let runDirectory: URL
    public let logger: Logger

    public let generator: Sequential
    public let critic: Sequential
    /// The exponential moving average of the generator's parameters (with `emaDecay`), a
    /// network of the generator's architecture checkpointed as `generator_ema`.
    public let averagedGenerator: Sequential?
    public let trainer: WassersteinGP
    private let batches: EpochBatches
    private let replicated: ReplicatedRun

    /// Where checkpoints go.
    public var checkpointPath: String { replicated.checkpointPath }

    /// Builds the networks and optimizers, then either initialises them (rank 0, broadcast) or,
    /// with `resume` and an existing checkpoint, restores them. Collective.
    public init(configuration: MatGANConfiguration, dataPath: String, runDirectory: URL, resume: Bool,
                world: Communicator, logger: Logger) throws {
        precondition(!configuration.model.isAutoencoder, "MatGANTraining trains the GANs; use AutoencoderTraining")
        self.configuration = configuration
        self.world = world
        self.runDirectory = runDirectory
        self.logger = logger
        data = try CompositionTrainingSet(path: dataPath)
        let schedule = try BatchSchedule(rowCount: data.trainingRows.count, globalBatchSize: configuration.batchSize,
                                         rank: world.rank, worldSize: world.size, seed: derivedSeed(configuration.seed, label: "batches"))
        let local = schedule.localBatchSize
        generator = MatGANNetworks.generator(configuration.model.variant, maxBatch: local)
        critic = MatGANNetworks.critic(configuration.model.variant, maxBatch: local, batchNorm: configuration.criticBatchNorm)
        averagedGenerator = configuration.emaDecay.map { _ in MatGANNetworks.generator(configuration.model.variant, maxBatch: 1) }
        // Cosine decay ends at the last planned update: steps, or epochs of one batch per critic update.
        let plannedSteps = configuration.stop.maximumSteps
            ?? configuration.stop.maximumEpochs.map { $0 * schedule.stepsPerEpoch / configuration.criticIterations }
        func rate(_ initial: Float, updatesPerStep: Int) -> LearningRateSchedule {
            guard configuration.learningRateDecay == .cosine, let plannedSteps else { return .constant(initial) }
            return .cosine(initial: initial, totalSteps: max(plannedSteps * updatesPerStep, 1))
        }
        let generatorOptimizer = Adam(
            parameterCount: generator.store.parameterCount, learningRate: rate(configuration.generatorLearningRate, updatesPerStep: 1),
            beta1: configuration.beta1, beta2: configuration.beta2, epsilon: configuration.epsilon,
            variant: configuration.adamVariant)
        let criticOptimizer = Adam(
            parameterCount: critic.store.parameterCount,
            learningRate: rate(configuration.criticLearningRate, updatesPerStep: configuration.criticIterations),
            beta1: configuration.beta1, beta2: configuration.beta2, epsilon: configuration.epsilon,
            variant: configuration.adamVariant)
        trainer = WassersteinGP(
            generator: generator, critic: critic, generatorOptimizer: generatorOptimizer, criticOptimizer: criticOptimizer,
            penaltyWeight: configuration.penaltyWeight, criticIterations: configuration.criticIterations,
            randomness: SampleRandomness(seed: derivedSeed(configuration.seed, label: "training noise"),
                                         sampleOffset: world.rank, sampleStride: world.size))
        let parallel = DataParallel(world: world)
        trainer.gradientHook = parallel.gradientAverager
        if configuration.synchronisedBatchNorm { trainer.batchNormHook = parallel.synchronisedBatchNorm }
        batches = EpochBatches(schedule: schedule, data: data)
        replicated = ReplicatedRun(
            world: world, configuration: configuration, data: data,
            // A fresh average starts equal to the generator: both are initialised from the same seed.
            networks: [("generator", generator.store), ("critic", critic.store)]
                + (averagedGenerator.map { [("generator_ema", $0.store)] } ?? []),
            optimizers: [("generator", generatorOptimizer), ("critic", criticOptimizer)],
            checkpointPath: runDirectory.appendingPathComponent("checkpoint.h5").path,
            counterNames: ["epoch", "step_in_epoch", "random_update"])
        let counters = try replicated.start(resume: resume, logger: logger)
        batches.seek(epoch: Int(counters["epoch"]!), stepInEpoch: Int(counters["step_in_epoch"]!))
        trainer.randomness.update = UInt64(counters["random_update"]!)
    }

    /// Generator updates done so far.
    public var step: Int { trainer.generatorOptimizer.stepCount }

    /// Trains until the stop condition or a termination signal, then checkpoints. Collective.
    public func run() throws -> TrainingSummary {
        let loop = TrainingLoop(
            world: world, stop: configuration.stop, logInterval: configuration.logInterval,
            checkpointInterval: configuration.checkpointInterval,
            samplesPerStep: configuration.batchSize * configuration.criticIterations,
            metricsPath: runDirectory.appendingPathComponent("metrics.jsonl").path, logger: logger)
        let summary = try loop.run(
            metricNames: ["critic_loss", "generator_loss", "wasserstein", "gradient_penalty"],
            progress: { (step, batches.completedEpochs, batches.position) },
            step: {
                var batchError: Error?
                let iteration = trainer.train(batch: batches.schedule.localBatchSize) { _ in
                    do { return try batches.next() } catch {
                        batchError = error
                        return UnsafePointer(trainer.generator.output)
                    }
                }
                if let batchError { throw batchError }
                updateAverage()
                return [Double(iteration.critic.loss), Double(iteration.generatorLoss),
                        Double(iteration.critic.wassersteinEstimate), Double(iteration.critic.penalty)]
            },
            checkpoint: writeCheckpoint)
        logger.info("stopped after step \(step): \(summary.stopReason); checkpoint \(checkpointPath)")
        return summary
    }

    /// `average ← decay · average + (1 − decay) · generator`, one pass over the flat parameters.
    private func updateAverage() {
        guard let averagedGenerator, let decay = configuration.emaDecay else { return }
        let average = averagedGenerator.store.parameters, current = generator.store.parameters
        for i in 0 ..< average.count { average[i] = decay * average[i] + (1 - decay) * current[i] }
    }

    /// Averages batch-norm statistics over the ranks, then rank 0 writes the checkpoint. Collective.
    public func writeCheckpoint() throws {
        // The average generates with the generator's running batch-norm statistics.
        _ = averagedGenerator?.store.buffers.update(fromContentsOf: generator.store.buffers)
        try replicated.writeCheckpoint(step: step, completedEpochs: batches.completedEpochs, counters: [
            "epoch": Int64(batches.epoch), "step_in_epoch": Int64(batches.stepInEpoch),
            "random_update": Int64(trainer.randomness.update),
        ])
    }
}
