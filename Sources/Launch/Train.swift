import ArgumentParser
import Chemistry
import Datasets
import Distributed
import ElpasoliteBenchmark
import Foundation
import Logging
import MatGAN
import NeuralNet
import Training

extension MatGANModel: ExpressibleByArgument {}
extension MatGANInitialization: ExpressibleByArgument {}
extension LearningRateDecay: ExpressibleByArgument {}
extension ElpasoliteModel: ExpressibleByArgument {}

/// A model `train --model` accepts: one of MatGAN's or one of the elpasolite benchmark's.
enum TrainableModel: ExpressibleByArgument {
    case matgan(MatGANModel)
    case elpasolite(ElpasoliteModel)

    init?(argument: String) {
        if let model = MatGANModel(rawValue: argument) {
            self = .matgan(model)
        } else if let model = ElpasoliteModel(rawValue: argument) {
            self = .elpasolite(model)
        } else {
            return nil
        }
    }

    static var allValueStrings: [String] {
        MatGANModel.allCases.map(\.rawValue) + ElpasoliteModel.allCases.map(\.rawValue)
    }

    var name: String {
        switch self {
        case .matgan(let model): model.rawValue
        case .elpasolite(let model): model.rawValue
        }
    }
}

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

            active-ae is active generative design's autoencoder: MatGAN's autoencoder networks \
            on 87 x 8 matrices (the 85 elements plus He and Kr, built from the prepared file's \
            formulas at load time), binary cross-entropy, batch 128, He initialisation.

            The elpasolite models (Türk et al.) train on `prepare --preset elpasolite` output \
            (its training split; prepare with --holdout-fraction 0 for the paper's 21,112 rows) \
            with class-balanced batches (the DQN on offline episodes spelling those rows); they \
            stop after the paper's updates (cVAE 10,000, cGAN 200,000 generator updates, DQN \
            800,000) unless a limit is given, and use --generator-lr as their learning rate \
            (both networks of the cGAN).
            """)

    @Option(help: ArgumentHelp("The model to train.", valueName: "model"))
    var model: TrainableModel

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

    @Option(name: .customLong("batch-size"), help: ArgumentHelp(
        "Global batch over all ranks (MP 32, OQMD 512, AE 1024, active-ae 128, cVAE 500, cGAN 100, DQN 250).", valueName: "n"))
    var batchSize: Int?

    @Option(name: .customLong("generator-lr"), help: ArgumentHelp(
        "Generator (or autoencoder) learning rate (1e-3; cVAE 1e-3, cGAN and DQN 1e-5).", valueName: "rate"))
    var generatorLearningRate: Float?

    @Option(name: .customLong("critic-lr"), help: ArgumentHelp("Critic learning rate (MP 1e-2, OQMD 5e-3).", valueName: "rate"))
    var criticLearningRate: Float?

    @Option(help: ArgumentHelp("Adam beta1 (GAN 0.5).", valueName: "b"))
    var beta1: Float?

    @Option(help: ArgumentHelp("Adam beta2 (GAN 0.9).", valueName: "b"))
    var beta2: Float?

    @Option(name: .customLong("penalty-weight"), help: ArgumentHelp("Gradient-penalty weight lambda (10).", valueName: "w"))
    var penaltyWeight: Float?

    @Flag(name: .customLong("no-critic-batch-norm"), help: "Leave batch norm out of the critic (MatGAN's code has it; WGAN-GP advises against it).")
    var noCriticBatchNorm = false

    @Option(name: .customLong("critic-iterations"), help: ArgumentHelp("Critic updates per generator update (1; cGAN 5).", valueName: "n"))
    var criticIterations: Int?

    @Option(name: .customLong("kl-weight"), help: ArgumentHelp("Weight of the cVAE's KL term (0.1).", valueName: "w"))
    var klWeight: Float?

    @Option(name: .customLong("train-fraction"), help: ArgumentHelp(
        "Elpasolite models: train on this seeded share of the training rows (1).", valueName: "f"))
    var trainFraction: Double?

    @Option(name: .customLong("init"), help: ArgumentHelp("Weight initialisation: normal (N(0,1), the released code's) or he (He normal with each activation's gain).", valueName: "kind"))
    var initialization: MatGANInitialization?

    @Flag(name: .customLong("pytorch-adam"), help: "Apply Adam's bias correction as PyTorch does instead of as TensorFlow 1 (MatGAN's code).")
    var pytorchAdam = false

    @Option(help: ArgumentHelp("Seed for initialisation, batch order and noise.", valueName: "n"))
    var seed: UInt64 = 1

    @Option(name: .customLong("lr-decay"), help: ArgumentHelp(
        "How the GAN's learning rates change: constant, or cosine to 0 at the last planned update (needs --steps or --epochs).",
        valueName: "kind"))
    var learningRateDecay: LearningRateDecay?

    @Option(name: .customLong("ema-decay"), parsing: .unconditional, help: ArgumentHelp(
        "Keep an exponential moving average of the generator's parameters with this decay (e.g. 0.999); generate uses it.",
        valueName: "d"))
    var emaDecay: Float?

    @Flag(name: .customLong("sync-bn"), help: "Synchronise batch-norm statistics over the ranks (matches one process at the same global batch).")
    var synchronizedBatchNorm = false

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
        if let emaDecay, !(emaDecay > 0 && emaDecay < 1) {
            throw ValidationError("--ema-decay must be above 0 and below 1, got \(emaDecay)")
        }
        if let trainFraction, !(trainFraction > 0 && trainFraction <= 1) {
            throw ValidationError("--train-fraction must be in (0, 1], got \(trainFraction)")
        }
        switch model {
        case .matgan(let matgan):
            for (name, given) in [("--kl-weight", klWeight != nil), ("--train-fraction", trainFraction != nil)] where given {
                throw ValidationError("\(name) applies to the elpasolite models only, not \(model.name)")
            }
            if emaDecay != nil || learningRateDecay != nil, matgan.isAutoencoder {
                throw ValidationError("--ema-decay and --lr-decay apply to the GANs (matgan-mp, matgan-oqmd), not \(model.name)")
            }
            if learningRateDecay == .cosine, steps == nil, epochs == nil {
                throw ValidationError("--lr-decay cosine needs --steps or --epochs: it ends at the last planned update")
            }
        case .elpasolite(let elpasolite):
            for (name, given, applies) in [("--kl-weight", klWeight != nil, elpasolite == .conditionalVAE),
                                           ("--penalty-weight", penaltyWeight != nil, elpasolite == .conditionalGAN),
                                           ("--critic-iterations", criticIterations != nil, elpasolite == .conditionalGAN)]
            where given && !applies {
                throw ValidationError("\(name) does not apply to \(model.name)")
            }
            for (name, given) in [("--critic-lr", criticLearningRate != nil), ("--beta1", beta1 != nil), ("--beta2", beta2 != nil),
                                  ("--init", initialization != nil), ("--no-critic-batch-norm", noCriticBatchNorm),
                                  ("--pytorch-adam", pytorchAdam), ("--sync-bn", synchronizedBatchNorm),
                                  ("--ema-decay", emaDecay != nil), ("--lr-decay", learningRateDecay != nil)] where given {
                throw ValidationError("\(name) applies to the MatGAN models only; \(model.name) uses the paper's Adam "
                                      + "(PyTorch defaults, one --generator-lr) and has no batch norm")
            }
        }
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
            let maximumSeconds = try timeLimit.map(Self.seconds)
            let run: any TrainingRun
            let stop: StopCondition
            switch model {
            case .matgan(let model):
                stop = StopCondition(maximumSteps: steps, maximumEpochs: epochs ?? (steps == nil && timeLimit == nil ? 1000 : nil),
                                     maximumSeconds: maximumSeconds)
                let configuration = matganConfiguration(model, stop: stop)
                logger.info("\(world.size) rank(s); configuration \(configuration.json)")
                let data = try CompositionTrainingSet(path: data, encoding: model.encoding)
                run = model.isAutoencoder ? try AutoencoderRun(configuration: configuration, data: data, world: world)
                    : try MatGANRun(configuration: configuration, data: data, world: world)
            case .elpasolite(let model):
                let limited = steps != nil || epochs != nil || maximumSeconds != nil
                let configuration = elpasoliteConfiguration(
                    model, stop: limited ? StopCondition(maximumSteps: steps, maximumEpochs: epochs, maximumSeconds: maximumSeconds) : nil)
                stop = configuration.stop
                logger.info("\(world.size) rank(s); configuration \(configuration.json)")
                let data = try ElpasoliteTrainingSet(path: data, trainFraction: configuration.trainFraction, seed: configuration.seed)
                run = try ElpasoliteRuns.make(configuration: configuration, data: data, world: world)
            }
            let session = try TrainingSession(
                world: world, runDirectory: URL(fileURLWithPath: runDirectory ?? "runs/\(model.name)"), stop: stop,
                logInterval: logInterval, checkpointInterval: checkpointInterval, logger: logger)
            logger.logBLASKernels(isRoot: world.isRoot)
            try session.start(run, resume: resume)
            let summary = try session.train(run)
            if world.isRoot {
                print("trained \(model.name) to step \(summary.steps) in \(String(format: "%.1f", summary.seconds)) s "
                      + "(\(Int(summary.samplesPerSecond)) samples/s on \(world.size) rank(s)): \(summary.stopReason)")
                print("checkpoint: \(session.checkpointPath)")
            }
        }
    }

    /// The paper's MatGAN configuration with the given options applied.
    private func matganConfiguration(_ model: MatGANModel, stop: StopCondition) -> MatGANConfiguration {
        var configuration = MatGANConfiguration.defaults(for: model, stop: stop)
        if let batchSize { configuration.batchSize = batchSize }
        if let generatorLearningRate { configuration.generatorLearningRate = generatorLearningRate }
        if let criticLearningRate { configuration.criticLearningRate = criticLearningRate }
        if let beta1 { configuration.beta1 = beta1 }
        if let beta2 { configuration.beta2 = beta2 }
        if let penaltyWeight { configuration.penaltyWeight = penaltyWeight }
        if let criticIterations { configuration.criticIterations = criticIterations }
        if let initialization { configuration.initialization = initialization }
        configuration.adamVariant = pytorchAdam ? .pytorch : .tensorflow1
        configuration.criticBatchNorm = !noCriticBatchNorm
        configuration.seed = seed
        configuration.synchronizedBatchNorm = synchronizedBatchNorm
        configuration.emaDecay = emaDecay
        if let learningRateDecay { configuration.learningRateDecay = learningRateDecay }
        configuration.checkpointInterval = checkpointInterval
        configuration.logInterval = logInterval
        return configuration
    }

    /// The paper's elpasolite configuration with the given options applied.
    private func elpasoliteConfiguration(_ model: ElpasoliteModel, stop: StopCondition?) -> ElpasoliteConfiguration {
        var configuration = ElpasoliteConfiguration.defaults(for: model, stop: stop)
        if let batchSize { configuration.batchSize = batchSize }
        if let generatorLearningRate { configuration.learningRate = generatorLearningRate }
        if let penaltyWeight { configuration.penaltyWeight = penaltyWeight }
        if let criticIterations { configuration.criticIterations = criticIterations }
        if let klWeight { configuration.klWeight = klWeight }
        if let trainFraction { configuration.trainFraction = trainFraction }
        configuration.seed = seed
        configuration.checkpointInterval = checkpointInterval
        configuration.logInterval = logInterval
        return configuration
    }
}
