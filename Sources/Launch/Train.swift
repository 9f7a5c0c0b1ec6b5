import ArgumentParser
import Distributed
import Foundation
import Logging
import Models

extension MatGANModel: ExpressibleByArgument {}
extension WeightInitialization: ExpressibleByArgument {}

/// `matgan-dist train`: data-parallel training of a model on a prepared HDF5 file.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a generative model data-parallel over the job's ranks.",
        discussion: """
            Every rank trains on its share of each global batch; gradients are averaged with one \
            allreduce per update. Rank 0 logs progress, appends metrics to RUN-DIR/metrics.jsonl \
            and writes RUN-DIR/checkpoint.h5 every --checkpoint-every steps, at the end, and when \
            the job receives SIGTERM (Slurm's warning before a time-out). --resume continues from \
            that checkpoint. Defaults are the paper's hyper-parameters for the model.
            """)

    @Option(help: ArgumentHelp("matgan-mp, matgan-oqmd or matgan-ae.", valueName: "model"))
    var model: MatGANModel

    @Option(help: ArgumentHelp("Prepared HDF5 file (from `matgan-dist prepare`).", valueName: "file"))
    var data: String

    @Option(name: .customLong("run-dir"), help: ArgumentHelp("Directory for checkpoints and metrics (default: runs/MODEL).", valueName: "dir"))
    var runDirectory: String?

    @Option(help: ArgumentHelp("Stop after this many generator updates.", valueName: "n"))
    var steps: Int?

    @Option(help: ArgumentHelp("Stop after this many epochs (default: 1000, the paper's, if no limit is given).", valueName: "n"))
    var epochs: Int?

    @Option(name: .customLong("time-limit"), help: ArgumentHelp("Stop after this wall-clock time, e.g. 90s, 15m, 2h.", valueName: "time"))
    var timeLimit: String?

    @Option(name: .customLong("batch-size"), help: ArgumentHelp("Global batch over all ranks (MP 32, OQMD 512, AE 1024).", valueName: "n"))
    var batchSize: Int?

    @Option(name: .customLong("generator-lr"), help: ArgumentHelp("Generator (or autoencoder) learning rate (1e-3).", valueName: "rate"))
    var generatorLearningRate: Float?

    @Option(name: .customLong("critic-lr"), help: ArgumentHelp("Critic learning rate (MP 1e-2, OQMD 5e-3).", valueName: "rate"))
    var criticLearningRate: Float?

    @Option(help: ArgumentHelp("Adam beta1 (GAN 0.5).", valueName: "b"))
    var beta1: Float?

    @Option(help: ArgumentHelp("Adam beta2 (GAN 0.9).", valueName: "b"))
    var beta2: Float?

    @Option(name: .customLong("penalty-weight"), help: ArgumentHelp("Gradient-penalty weight lambda (10).", valueName: "w"))
    var penaltyWeight: Float?

    @Option(name: .customLong("critic-iterations"), help: ArgumentHelp("Critic updates per generator update (1).", valueName: "n"))
    var criticIterations: Int?

    @Option(name: .customLong("init"), help: ArgumentHelp("Weight initialisation: normal (N(0,1), the released code's), he or glorot.", valueName: "kind"))
    var initialization: WeightInitialization?

    @Flag(name: .customLong("pytorch-adam"), help: "Apply Adam's bias correction as PyTorch does instead of as TensorFlow 1 (MatGAN's code).")
    var pytorchAdam = false

    @Option(help: ArgumentHelp("Seed for initialisation, batch order and noise.", valueName: "n"))
    var seed: UInt64 = 1

    @Flag(name: .customLong("sync-bn"), help: "Synchronise batch-norm statistics over the ranks (matches one process at the same global batch).")
    var synchronisedBatchNorm = false

    @Option(name: .customLong("checkpoint-every"), help: ArgumentHelp("Steps between checkpoints; 0 writes only the final one.", valueName: "n"))
    var checkpointInterval = 1000

    @Option(name: .customLong("log-every"), help: ArgumentHelp("Steps between progress lines.", valueName: "n"))
    var logInterval = 100

    @Flag(help: "Continue from RUN-DIR/checkpoint.h5 if it exists.")
    var resume = false

    @Flag(help: "Log from every rank, not only rank 0.")
    var verbose = false

    func validate() throws {
        for (name, value) in [("--steps", steps), ("--epochs", epochs), ("--batch-size", batchSize),
                              ("--critic-iterations", criticIterations), ("--log-every", logInterval)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1, got \(value)") }
        }
        if checkpointInterval < 0 { throw ValidationError("--checkpoint-every must be 0 or more, got \(checkpointInterval)") }
        if let timeLimit { _ = try Self.seconds(timeLimit) }
    }

    /// Seconds in "90", "90s", "15m", "2h" or "1h30m".
    static func seconds(_ text: String) throws -> Double {
        var total = 0.0
        var number = ""
        for character in text {
            if character.isNumber || character == "." {
                number.append(character)
                continue
            }
            guard let value = Double(number), let unit = ["s": 1.0, "m": 60, "h": 3600][String(character)] else {
                throw ValidationError("--time-limit \(text): expected a duration such as 90s, 15m, 2h or 1h30m")
            }
            total += value * unit
            number = ""
        }
        if !number.isEmpty {
            guard let value = Double(number) else { throw ValidationError("--time-limit \(text): expected a duration such as 90s, 15m or 2h") }
            total += value
        }
        guard total > 0 else { throw ValidationError("--time-limit \(text): the duration must be positive") }
        return total
    }

    func run() throws {
        let world = try Communicator.world
        RankLogHandler.bootstrap(rank: world.rank, verbose: verbose)
        let logger = Logger(label: "matgan-dist.train")
        try world.abortingOnError {
            let stop = StopCondition(maximumSteps: steps, maximumEpochs: epochs ?? (steps == nil && timeLimit == nil ? 1000 : nil),
                                     maximumSeconds: try timeLimit.map(Self.seconds))
            var configuration = MatGANConfiguration.defaults(for: model, stop: stop)
            if let batchSize { configuration.batchSize = batchSize }
            if let generatorLearningRate { configuration.generatorLearningRate = generatorLearningRate }
            if let criticLearningRate { configuration.criticLearningRate = criticLearningRate }
            if let beta1 { configuration.beta1 = beta1 }
            if let beta2 { configuration.beta2 = beta2 }
            if let penaltyWeight { configuration.penaltyWeight = penaltyWeight }
            if let criticIterations { configuration.criticIterations = criticIterations }
            if let initialization { configuration.initialization = initialization }
            configuration.tensorFlowAdam = !pytorchAdam
            configuration.seed = seed
            configuration.synchronisedBatchNorm = synchronisedBatchNorm
            configuration.checkpointInterval = checkpointInterval
            configuration.logInterval = logInterval

            let runURL = URL(fileURLWithPath: runDirectory ?? "runs/\(model.rawValue)")
            if world.isRoot {
                try FileManager.default.createDirectory(at: runURL, withIntermediateDirectories: true)
            }
            try world.barrier()
            logger.info("\(world.size) rank(s); configuration \(configuration.json)")
            let summary: (steps: Int, seconds: Double, samplesPerSecond: Double, reason: String, checkpoint: String)
            if model == .matganAE {
                let training = try AutoencoderTraining(configuration: configuration, dataPath: data, runDirectory: runURL,
                                                       resume: resume, world: world, logger: logger)
                let result = try training.run()
                summary = (result.steps, result.seconds, result.samplesPerSecond, result.stopReason, training.checkpointPath)
            } else {
                let training = try MatGANTraining(configuration: configuration, dataPath: data, runDirectory: runURL,
                                                  resume: resume, world: world, logger: logger)
                let result = try training.run()
                summary = (result.steps, result.seconds, result.samplesPerSecond, result.stopReason, training.checkpointPath)
            }
            if world.isRoot {
                print("trained \(model.rawValue) to step \(summary.steps) in \(String(format: "%.1f", summary.seconds)) s "
                      + "(\(Int(summary.samplesPerSecond)) samples/s on \(world.size) rank(s)): \(summary.reason)")
                print("checkpoint: \(summary.checkpoint)")
            }
        }
    }
}
