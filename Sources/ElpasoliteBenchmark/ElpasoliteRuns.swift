import Distributed
import NeuralNet
import Random
import Training

/// Data-parallel training of the elpasolite benchmark's models (docs/elpasolite.md, "Models";
/// docs/distributed.md) on a prepared elpasolite file, as ``TrainingRun``s.
///
/// Each rank trains on its share of every global batch, drawn by ``ClassBalancedBatches`` from
/// (seed, step, global sample index), and the gradients of each update are averaged over the
/// ranks by the run's reducer. The cGAN's noise and interpolation weights are addressed by
/// global sample index too, so it follows the same trajectory on any rank count; the cVAE's
/// reparameterisation noise is one stream per rank. On resume the cVAE's noise stream and the
/// DQN's target-synchronisation phase restart.
public enum ElpasoliteRuns {
    /// The run of `configuration.model` on `data` for this rank of `world`.
    public static func make(configuration: ElpasoliteConfiguration, data: ElpasoliteTrainingSet,
                            world: Communicator) throws -> any TrainingRun {
        switch configuration.model {
        case .conditionalVAE: try ElpasoliteVAERun(configuration: configuration, data: data, world: world)
        case .conditionalGAN: try ElpasoliteGANRun(configuration: configuration, data: data, world: world)
        case .doubleDQN: try ElpasoliteDQNRun(configuration: configuration, data: data, world: world)
        }
    }
}

/// What the three elpasolite runs share: configuration, data, this rank's class-balanced
/// batches and its reducer; identity and progress in passes over the training rows.
struct ElpasoliteRunContext {
    let configuration: ElpasoliteConfiguration
    let data: ElpasoliteTrainingSet
    let batches: ClassBalancedBatches
    let reducer: MPIReducer
    let randomness: SampleRandomness

    /// Fails when the global batch cannot be split over the ranks.
    init(configuration: ElpasoliteConfiguration, data: ElpasoliteTrainingSet, world: Communicator, groups: Int) throws {
        self.configuration = configuration
        self.data = data
        reducer = MPIReducer(world: world)
        batches = try ClassBalancedBatches(data: data, globalBatch: configuration.batchSize, groups: groups,
                                           rank: world.rank, worldSize: world.size, seed: configuration.seed)
        randomness = SampleRandomness(seed: derivedSeed(configuration.seed, for: .elpasoliteTrainingNoise),
                                      sampleOffset: world.rank, sampleStride: world.size)
    }

    var localBatch: Int { batches.localBatch }

    var identity: RunIdentity {
        RunIdentity(model: configuration.model.rawValue, seed: configuration.seed, configuration: configuration.json,
                    dataPath: data.path, dataSHA256: data.sha256)
    }

    /// Progress after `step` updates: rows drawn over all ranks, in passes over the training set.
    func progress(step: Int) -> TrainingProgress {
        let epochs = Double(step * configuration.samplesPerStep) / Double(data.rowCount)
        return TrainingProgress(step: step, completedEpochs: Int(epochs), epoch: epochs)
    }

    /// Every network starts from the elpasolite initializer with the run's seed.
    func initialize(_ stores: [ParameterStore]) {
        for store in stores { store.initializeWeights(ElpasoliteNetworks.weightInitializer, seed: configuration.seed) }
    }
}

/// The conditional VAE's training.
public final class ElpasoliteVAERun: TrainingRun {
    public let trainer: ElpasoliteVAETrainer
    private let context: ElpasoliteRunContext
    private let features: FloatBuffer
    private var classes: [Int]

    public init(configuration: ElpasoliteConfiguration, data: ElpasoliteTrainingSet, world: Communicator) throws {
        context = try ElpasoliteRunContext(configuration: configuration, data: data, world: world, groups: 1)
        let local = context.localBatch
        trainer = ElpasoliteVAETrainer(
            model: ElpasoliteConditionalVAE(maxBatch: local, seed: configuration.seed), batch: local,
            configuration: configuration, randomness: context.randomness, reducer: context.reducer)
        features = FloatBuffer(count: local * ElpasoliteNetworks.featureCount)
        classes = [Int](repeating: 0, count: local)
    }

    public var identity: RunIdentity { context.identity }
    public var samplesPerStep: Int { context.configuration.samplesPerStep }
    public var networks: [(name: String, store: ParameterStore)] { [("cvae", trainer.model.store)] }
    public var optimizers: [(name: String, optimizer: any Optimizer)] { [("cvae", trainer.optimizer)] }
    public var progress: TrainingProgress { context.progress(step: trainer.optimizer.stepCount) }
    public var counters: [String: Int64] { [:] }
    public func restore(counters: [String: Int64]) {}
    public func initializeWeights() { context.initialize([trainer.model.store]) }

    public func step() throws -> [Metric] {
        let losses = try classes.withUnsafeMutableBufferPointer { classes in
            context.batches.fill(step: trainer.optimizer.stepCount, features: features.pointer, classes: classes.baseAddress!)
            return try trainer.step(features: features.pointer, classes: classes.baseAddress!)
        }
        return [Metric("loss", Double(losses.total)), Metric("reconstruction", Double(losses.reconstruction)),
                Metric("kl", Double(losses.kl))]
    }
}

/// The conditional WGAN-GP's training: each step is one generator update with its critic updates.
public final class ElpasoliteGANRun: TrainingRun {
    public let trainer: ElpasoliteWGANGPTrainer
    private let context: ElpasoliteRunContext
    private let features: FloatBuffer
    private var classes: [Int]

    public init(configuration: ElpasoliteConfiguration, data: ElpasoliteTrainingSet, world: Communicator) throws {
        let groups = configuration.criticIterations
        context = try ElpasoliteRunContext(configuration: configuration, data: data, world: world, groups: groups)
        let local = context.localBatch
        trainer = ElpasoliteWGANGPTrainer(
            model: ElpasoliteConditionalGAN(maxBatch: local, seed: configuration.seed), batch: local,
            configuration: configuration, randomness: context.randomness, reducer: context.reducer)
        features = FloatBuffer(count: groups * local * ElpasoliteNetworks.featureCount)
        classes = [Int](repeating: 0, count: groups * local)
    }

    public var identity: RunIdentity { context.identity }
    public var samplesPerStep: Int { context.configuration.samplesPerStep }

    public var networks: [(name: String, store: ParameterStore)] {
        [("generator", trainer.model.generator.store), ("critic", trainer.model.critic.store)]
    }

    public var optimizers: [(name: String, optimizer: any Optimizer)] {
        [("generator", trainer.wasserstein.generatorOptimizer), ("critic", trainer.wasserstein.criticOptimizer)]
    }

    public var progress: TrainingProgress { context.progress(step: trainer.wasserstein.generatorOptimizer.stepCount) }
    public var counters: [String: Int64] { ["random_update": Int64(trainer.wasserstein.randomness.update)] }

    public func restore(counters: [String: Int64]) {
        trainer.wasserstein.randomness.update = UInt64(counters["random_update", default: 0])
    }

    public func initializeWeights() { context.initialize([trainer.model.generator.store, trainer.model.critic.store]) }

    public func step() throws -> [Metric] {
        let iteration = try classes.withUnsafeMutableBufferPointer { classes in
            context.batches.fill(step: progress.step, features: features.pointer, classes: classes.baseAddress!)
            return try trainer.step(real: features.pointer, classes: classes.baseAddress!)
        }
        return [Metric("critic_loss", Double(iteration.critic.loss)), Metric("generator_loss", Double(iteration.generatorLoss)),
                Metric("wasserstein", Double(iteration.critic.wassersteinEstimate)),
                Metric("gradient_penalty", Double(iteration.critic.penalty))]
    }
}

/// The double-DQN agent's training on offline episodes spelling the training rows.
public final class ElpasoliteDQNRun: TrainingRun {
    public let trainer: ElpasoliteDoubleDQNTrainer
    private let context: ElpasoliteRunContext
    private let episodes: ElpasoliteEpisodes
    private let states: FloatBuffer, nextStates: FloatBuffer, rewards: FloatBuffer
    private var classes: [Int], actions: [Int], terminal: [Bool]

    public init(configuration: ElpasoliteConfiguration, data: ElpasoliteTrainingSet, world: Communicator) throws {
        context = try ElpasoliteRunContext(configuration: configuration, data: data, world: world, groups: 1)
        let local = context.localBatch
        trainer = ElpasoliteDoubleDQNTrainer(batch: local, configuration: configuration, reducer: context.reducer)
        episodes = ElpasoliteEpisodes(batches: context.batches, seed: configuration.seed)
        states = FloatBuffer(count: local * ElpasoliteDecisions.stateCount)
        nextStates = FloatBuffer(count: local * ElpasoliteDecisions.stateCount)
        rewards = FloatBuffer(count: local)
        classes = [Int](repeating: 0, count: local)
        actions = [Int](repeating: 0, count: local)
        terminal = [Bool](repeating: false, count: local)
    }

    public var identity: RunIdentity { context.identity }
    public var samplesPerStep: Int { context.configuration.samplesPerStep }

    public var networks: [(name: String, store: ParameterStore)] {
        [("q", trainer.online.network.store), ("q_target", trainer.target.network.store)]
    }

    public var optimizers: [(name: String, optimizer: any Optimizer)] { [("q", trainer.optimizer)] }
    public var progress: TrainingProgress { context.progress(step: trainer.optimizer.stepCount) }
    public var counters: [String: Int64] { [:] }
    public func restore(counters: [String: Int64]) {}
    public func initializeWeights() { context.initialize([trainer.online.network.store, trainer.target.network.store]) }

    public func step() throws -> [Metric] {
        let update = trainer.optimizer.stepCount
        let loss = try classes.withUnsafeMutableBufferPointer { classes in
            try actions.withUnsafeMutableBufferPointer { actions in
                try terminal.withUnsafeMutableBufferPointer { terminal in
                    episodes.fill(update: update, states: states.pointer, classes: classes.baseAddress!,
                                  actions: actions.baseAddress!, rewards: rewards.pointer, nextStates: nextStates.pointer,
                                  terminal: terminal.baseAddress!)
                    return try trainer.update(states: states.pointer, classes: classes.baseAddress!, actions: actions.baseAddress!,
                                              rewards: rewards.pointer, nextStates: nextStates.pointer,
                                              terminal: terminal.baseAddress!)
                }
            }
        }
        return [Metric("temporal_difference_loss", Double(loss))]
    }
}
