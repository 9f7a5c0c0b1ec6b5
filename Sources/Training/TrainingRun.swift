import NeuralNet

/// One model's training as a ``TrainingSession`` drives it: the networks and optimizers it keeps
/// identical on every replica and checkpoints, where it stands, and its step.
///
/// A step reads top-down, as in llm.c: take the next batches, run forward and backward, reduce
/// the gradients over the replicas (the run's ``Reducer``), update. Everything else — run
/// directory, fresh start or resume, stop conditions, progress lines, `metrics.jsonl`,
/// checkpoints and replica checks — is the session's.
public protocol TrainingRun: AnyObject {
    /// Who the run is, as checkpoints record and resume checks it.
    var identity: RunIdentity { get }
    /// The networks a checkpoint holds (parameters and batch-norm state), by name.
    var networks: [(name: String, store: ParameterStore)] { get }
    /// The optimizers a checkpoint holds (moments and step count), by name.
    var optimizers: [(name: String, optimizer: any Optimizer)] { get }
    /// How far the run has come.
    var progress: TrainingProgress { get }
    /// Training samples one step consumes over all replicas (for samples per second).
    var samplesPerStep: Int { get }
    /// What the run needs besides the optimizers' state to continue exactly (batch position,
    /// noise counters), saved with each checkpoint; the same names on every rank.
    var counters: [String: Int64] { get }

    /// Continues from `counters` read from a checkpoint (every rank).
    func restore(counters: [String: Int64])
    /// Initialises the weights of a fresh run (rank 0; the session broadcasts them).
    func initializeWeights()
    /// One step; returns this replica's metrics, the same names in the same order every step.
    func step() throws -> [Metric]
    /// Brings derived state up to date before a checkpoint (e.g. an averaged network's statistics).
    func prepareCheckpoint() throws
}

extension TrainingRun {
    public func prepareCheckpoint() throws {}
}

/// The identity of a training run that its checkpoints record and a resume must match.
public struct RunIdentity: Sendable {
    /// The `--model` name.
    public var model: String
    public var seed: UInt64
    /// The whole configuration as JSON.
    public var configuration: String
    /// The training file and its SHA-256.
    public var dataPath: String
    public var dataSHA256: String

    public init(model: String, seed: UInt64, configuration: String, dataPath: String, dataSHA256: String) {
        self.model = model
        self.seed = seed
        self.configuration = configuration
        self.dataPath = dataPath
        self.dataSHA256 = dataSHA256
    }
}

/// Where a training run stands.
public struct TrainingProgress: Sendable, Equatable {
    /// Updates done, including those before a resume (generator updates for a GAN).
    public var step: Int
    /// Whole passes over the training data.
    public var completedEpochs: Int
    /// Passes over the training data, fractional.
    public var epoch: Double

    public init(step: Int, completedEpochs: Int, epoch: Double) {
        self.step = step
        self.completedEpochs = completedEpochs
        self.epoch = epoch
    }
}

/// One named value a training step reports (averaged over steps and replicas in the log).
public struct Metric: Sendable, Equatable {
    public var name: String
    public var value: Double

    public init(_ name: String, _ value: Double) {
        self.name = name
        self.value = value
    }
}
