import Distributed
import Foundation
import Logging
import NeuralNet

/// What a replicated run needs to know of its configuration: the identity stored in and checked
/// against checkpoints, and how fresh weights start.
protocol RunConfiguration {
    /// The `--model` name recorded in checkpoints.
    var modelName: String { get }
    var seed: UInt64 { get }
    /// The whole configuration as JSON, recorded in checkpoints.
    var json: String { get }
    /// Initialises the weights of the network called `name` in a fresh run (rank 0).
    func initializeWeights(of name: String, _ store: ParameterStore)
}

/// The training file of a replicated run, identified in checkpoints by its SHA-256.
protocol RunData {
    var path: String { get }
    var sha256: String { get }
}

extension MatGANConfiguration: RunConfiguration {
    var modelName: String { model.rawValue }
    func initializeWeights(of name: String, _ store: ParameterStore) {
        // The critic ends its layers in LeakyReLU, the generator and the autoencoder in ReLU.
        if name == "critic" {
            MatGANNetworks.initializeCritic(store, initialization, seed: seed)
        } else {
            MatGANNetworks.initializeGenerator(store, initialization, seed: seed)
        }
    }
}

extension CompositionTrainingSet: RunData {}

/// The networks and optimizers of a training run, kept identical on every rank, with the run's
/// checkpoint: started fresh (rank 0 initialises, then broadcasts) or resumed (rank 0 checks
/// and reads the checkpoint, then broadcasts), and checkpointed by rank 0 after the ranks'
/// batch-norm statistics are averaged.
struct ReplicatedRun {
    let world: Communicator
    let configuration: any RunConfiguration
    let data: any RunData
    let networks: [(name: String, store: ParameterStore)]
    let optimizers: [(name: String, optimizer: any Optimizer)]
    let checkpointPath: String
    /// Names of the counters saved with each checkpoint and restored on resume.
    let counterNames: [String]

    /// Initialises or restores every network and optimizer on every rank and returns the
    /// saved counters (all zero for a fresh run). Collective.
    func start(resume: Bool, logger: Logger) throws -> [String: Int64] {
        let parallel = DataParallel(world: world)
        var counters = [Int64](repeating: 0, count: counterNames.count)
        if resume, FileManager.default.fileExists(atPath: checkpointPath) {
            if world.isRoot {
                let header = try Checkpoint.readHeader(checkpointPath)
                try checkCompatible(header)
                let restored = try Checkpoint.restore(from: checkpointPath, networks: networks, optimizers: optimizers)
                counters = counterNames.map { restored.counters[$0] ?? 0 }
                logger.info("resuming from \(checkpointPath) at step \(header.step)")
            }
            try world.broadcast(&counters, root: 0)
            try parallel.broadcastFromRoot(optimizers.map(\.optimizer))
        } else if world.isRoot {
            for (name, store) in networks { configuration.initializeWeights(of: name, store) }
        }
        try parallel.broadcastFromRoot(networks.map(\.store))
        return Dictionary(uniqueKeysWithValues: zip(counterNames, counters))
    }

    /// Refuses a checkpoint of another model or of other data.
    func checkCompatible(_ header: Checkpoint.Header) throws {
        guard header.model == configuration.modelName else {
            throw CheckpointError(path: checkpointPath, message: "is for model \(header.model), not \(configuration.modelName)")
        }
        guard header.dataSHA256 == data.sha256 else {
            throw CheckpointError(path: checkpointPath, message: "was trained on \(header.dataFile) (SHA-256 "
                                  + "\(header.dataSHA256.prefix(12))…), not on \(data.path) (SHA-256 \(data.sha256.prefix(12))…); "
                                  + "use the same data file or a new run directory")
        }
    }

    /// Averages batch-norm statistics over the ranks, checks that every rank now holds the same
    /// parameters and statistics bit for bit, then rank 0 writes the checkpoint at `step` with
    /// `counters`. Collective.
    func writeCheckpoint(step: Int, completedEpochs: Int, counters: [String: Int64]) throws {
        let parallel = DataParallel(world: world)
        try parallel.averageBatchNormState(networks.map(\.store))
        try parallel.verifyReplicasAgree(networks, step: step)
        guard world.isRoot else { return }
        let header = Checkpoint.Header(
            model: configuration.modelName, step: step, epoch: completedEpochs, seed: configuration.seed,
            configuration: configuration.json, dataFile: data.path, dataSHA256: data.sha256, worldSize: world.size)
        try Checkpoint(header: header, networks: networks, optimizers: optimizers, counters: counters).write(to: checkpointPath)
    }
}
