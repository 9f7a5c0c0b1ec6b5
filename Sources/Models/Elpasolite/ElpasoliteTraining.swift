import Distributed
import Foundation
import Logging
import NeuralNet
import Random

/// Data-parallel training of an elpasolite cVAE, cGAN or DQN (docs/elpasolite.md, "Models";
/// docs/distributed.md) on a prepared elpasolite file, with class-balanced batches (the DQN's
/// offline episodes: ``ElpasoliteEpisodes``).
///
/// Rank 0 initialises (or restores) and broadcasts; each rank trains on its share of every
/// global batch, drawn by ``ClassBalancedBatches`` from (seed, step, global sample index), and
/// the gradients of each update are averaged with one allreduce; rank 0 logs, writes
/// `metrics.jsonl` and checkpoints `checkpoint.h5` in the run directory. The cGAN's noise and
/// interpolation weights are addressed by global sample index too, so it follows the same
/// trajectory on any rank count; the cVAE's reparameterisation noise is one stream per rank. On
/// resume the cVAE's noise stream and the DQN's target-synchronisation phase restart.
public final class ElpasoliteTraining {
    public let configuration: ElpasoliteConfiguration
    public let world: Communicator
    public let data: ElpasoliteTrainingSet
    public let runDirectory: URL
    public let logger: Logger

    /// The model's trainer.
    public enum Trainer {
        case conditionalVAE(ElpasoliteVAETrainer)
        case conditionalGAN(ElpasoliteWGANGPTrainer)
        case doubleDQN(ElpasoliteDoubleDQNTrainer, ElpasoliteEpisodes)
    }

    public let trainer: Trainer
    public let batches: ClassBalancedBatches
    private let replicated: ReplicatedRun
    private let features: FloatBuffer
    private var classes: [Int]
    private let transitions: Transitions?

    /// Buffers of one DQN update's transitions.
    private final class Transitions {
        let states: FloatBuffer, nextStates: FloatBuffer, rewards: FloatBuffer
        var actions: [Int], terminal: [Bool]

        init(batch: Int) {
            states = FloatBuffer(count: batch * ElpasoliteDecisions.stateCount)
            nextStates = FloatBuffer(count: batch * ElpasoliteDecisions.stateCount)
            rewards = FloatBuffer(count: batch)
            actions = [Int](repeating: 0, count: batch)
            terminal = [Bool](repeating: false, count: batch)
        }
    }

    /// Where checkpoints go.
    public var checkpointPath: String { replicated.checkpointPath }

    /// Reads the training rows, builds the networks and optimizers, then either initialises
    /// them (rank 0, broadcast) or, with `resume` and an existing checkpoint, restores them.
    /// Collective.
    public init(configuration: ElpasoliteConfiguration, dataPath: String, runDirectory: URL, resume: Bool,
                world: Communicator, logger: Logger) throws {
        self.configuration = configuration
        self.world = world
        self.runDirectory = runDirectory
        self.logger = logger
        data = try ElpasoliteTrainingSet(path: dataPath, trainFraction: configuration.trainFraction, seed: configuration.seed)
        let groups = configuration.model == .conditionalGAN ? configuration.criticIterations : 1
        batches = try ClassBalancedBatches(data: data, globalBatch: configuration.batchSize, groups: groups,
                                           rank: world.rank, worldSize: world.size, seed: configuration.seed)
        let local = batches.localBatch
        features = FloatBuffer(count: groups * local * ElpasoliteNetworks.featureCount)
        classes = [Int](repeating: 0, count: groups * local)
        let parallel = DataParallel(world: world)
        let networks: [(name: String, store: ParameterStore)]
        let optimizers: [(name: String, optimizer: any Optimizer)]
        var counterNames: [String] = []
        var transitions: Transitions?
        switch configuration.model {
        case .conditionalVAE:
            let model = ElpasoliteConditionalVAE(maxBatch: local, seed: configuration.seed)
            let vae = ElpasoliteVAETrainer(
                model: model, batch: local, learningRate: configuration.learningRate, klWeight: configuration.klWeight,
                randomness: SampleRandomness(seed: derivedSeed(configuration.seed, label: "elpasolite.training-noise"),
                                             sampleOffset: world.rank, sampleStride: world.size))
            vae.gradientHook = parallel.gradientAverager
            trainer = .conditionalVAE(vae)
            networks = [("cvae", model.store)]
            optimizers = [("cvae", vae.optimizer)]
        case .conditionalGAN:
            let model = ElpasoliteConditionalGAN(maxBatch: local, seed: configuration.seed)
            let gan = ElpasoliteWGANGPTrainer(
                model: model, batch: local, learningRate: configuration.learningRate, penaltyWeight: configuration.penaltyWeight,
                criticIterations: configuration.criticIterations,
                randomness: SampleRandomness(seed: derivedSeed(configuration.seed, label: "elpasolite.training-noise"),
                                             sampleOffset: world.rank, sampleStride: world.size))
            gan.gradientHook = parallel.gradientAverager
            trainer = .conditionalGAN(gan)
            networks = [("generator", model.generator.store), ("critic", model.critic.store)]
            optimizers = [("generator", gan.wasserstein.generatorOptimizer), ("critic", gan.wasserstein.criticOptimizer)]
            counterNames = ["random_update"]
        case .doubleDQN:
            let dqn = ElpasoliteDoubleDQNTrainer(
                batch: local, learningRate: configuration.learningRate, discount: configuration.discount,
                targetSyncInterval: configuration.targetSyncInterval, seed: configuration.seed)
            dqn.gradientHook = parallel.gradientAverager
            trainer = .doubleDQN(dqn, ElpasoliteEpisodes(batches: batches, seed: configuration.seed))
            transitions = Transitions(batch: local)
            networks = [("q", dqn.online.network.store), ("q_target", dqn.target.network.store)]
            optimizers = [("q", dqn.optimizer)]
        }
        self.transitions = transitions
        replicated = ReplicatedRun(
            world: world, configuration: configuration, data: data, networks: networks, optimizers: optimizers,
            checkpointPath: runDirectory.appendingPathComponent("checkpoint.h5").path, counterNames: counterNames)
        let counters = try replicated.start(resume: resume, logger: logger)
        if case .conditionalGAN(let gan) = trainer {
            gan.wasserstein.randomness.update = UInt64(counters["random_update"]!)
        }
    }

    /// Updates done so far (generator updates for the cGAN).
    public var step: Int {
        switch trainer {
        case .conditionalVAE(let vae): vae.optimizer.stepCount
        case .conditionalGAN(let gan): gan.wasserstein.generatorOptimizer.stepCount
        case .doubleDQN(let dqn, _): dqn.optimizer.stepCount
        }
    }

    /// Training rows drawn so far over all ranks, in passes over the training set.
    private var epochs: Double {
        Double(step * configuration.samplesPerStep) / Double(data.rowCount)
    }

    /// One update on the next class-balanced batch (or DQN transitions); returns this rank's
    /// metric values.
    func trainStep() -> [Double] {
        let step = self.step
        return classes.withUnsafeMutableBufferPointer { buffer in
            let classes = buffer.baseAddress!
            switch trainer {
            case .conditionalVAE(let vae):
                batches.fill(step: step, features: features.pointer, classes: classes)
                let losses = vae.step(features: features.pointer, classes: classes)
                return [Double(losses.total), Double(losses.reconstruction), Double(losses.kl)]
            case .conditionalGAN(let gan):
                batches.fill(step: step, features: features.pointer, classes: classes)
                let iteration = gan.step(real: features.pointer, classes: classes)
                return [Double(iteration.critic.loss), Double(iteration.generatorLoss),
                        Double(iteration.critic.wassersteinEstimate), Double(iteration.critic.penalty)]
            case .doubleDQN(let dqn, let episodes):
                let t = transitions!
                return t.actions.withUnsafeMutableBufferPointer { actions in
                    t.terminal.withUnsafeMutableBufferPointer { terminal in
                        episodes.fill(update: step, states: t.states.pointer, classes: classes, actions: actions.baseAddress!,
                                      rewards: t.rewards.pointer, nextStates: t.nextStates.pointer, terminal: terminal.baseAddress!)
                        return [Double(dqn.update(states: t.states.pointer, classes: classes, actions: actions.baseAddress!,
                                                  rewards: t.rewards.pointer, nextStates: t.nextStates.pointer,
                                                  terminal: terminal.baseAddress!))]
                    }
                }
            }
        }
    }

    /// The names of ``trainStep()``'s values.
    private var metricNames: [String] {
        switch trainer {
        case .conditionalVAE: ["loss", "reconstruction", "kl"]
        case .conditionalGAN: ["critic_loss", "generator_loss", "wasserstein", "gradient_penalty"]
        case .doubleDQN: ["temporal_difference_loss"]
        }
    }

    /// Trains until the stop condition or a termination signal, then checkpoints. Collective.
    public func run() throws -> TrainingSummary {
        let loop = TrainingLoop(
            world: world, stop: configuration.stop, logInterval: configuration.logInterval,
            checkpointInterval: configuration.checkpointInterval, samplesPerStep: configuration.samplesPerStep,
            metricsPath: runDirectory.appendingPathComponent("metrics.jsonl").path, logger: logger)
        let summary = try loop.run(
            metricNames: metricNames, progress: { (step, Int(epochs), epochs) }, step: trainStep, checkpoint: writeCheckpoint)
        logger.info("stopped after step \(step): \(summary.stopReason); checkpoint \(checkpointPath)")
        return summary
    }

    /// Rank 0 writes the checkpoint. Collective.
    public func writeCheckpoint() throws {
        var counters: [String: Int64] = [:]
        if case .conditionalGAN(let gan) = trainer { counters["random_update"] = Int64(gan.wasserstein.randomness.update) }
        try replicated.writeCheckpoint(step: step, completedEpochs: Int(epochs), counters: counters)
    }
}
