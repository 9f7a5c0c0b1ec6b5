import ArgumentParser
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
extension LearningRateScaling: ExpressibleByArgument {}
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

/// The spelling of every `train` option that applies to some models only, written once: the
/// declarations and the "does not apply" messages both use it.
enum TrainOption: String, CaseIterable {
    case criticLearningRate = "critic-lr"
    case beta1, beta2
    case penaltyWeight = "penalty-weight"
    case criticIterations = "critic-iterations"
    case klWeight = "kl-weight"
    case trainFraction = "train-fraction"
    case initialization = "init"
    case noCriticBatchNorm = "no-critic-batch-norm"
    case pytorchAdam = "pytorch-adam"
    case synchronizedBatchNorm = "sync-bn"
    case emaDecay = "ema-decay"
    case learningRateDecay = "lr-decay"
    case batchPerRank = "batch-per-rank"
    case learningRateScaling = "lr-scaling"
    case warmupSteps = "warmup-steps"
    case evaluationInterval = "eval-every"
    case evaluationSamples = "eval-samples"

    var name: NameSpecification { .customLong(rawValue) }
    var flag: String { "--" + rawValue }
}

/// Each model's default of one hyper-parameter, read from the configurations' defaults (the
/// only place they are written), for the help text.
enum TrainDefaults {
    static let matgan = MatGANModel.allCases.map { ($0.rawValue, MatGANConfiguration.defaults(for: $0, stop: StopCondition())) }
    static let elpasolite = ElpasoliteModel.allCases.map { ($0.rawValue, ElpasoliteConfiguration.defaults(for: $0)) }

    /// "matgan-mp 32, matgan-oqmd 512, …" over the models that have the value.
    static func list<Value>(matgan matganValue: ((MatGANConfiguration) -> Value?)? = nil,
                            elpasolite elpasoliteValue: ((ElpasoliteConfiguration) -> Value?)? = nil) -> String {
        let matganPairs = matgan.compactMap { name, configuration in matganValue?(configuration).map { "\(name) \($0)" } }
        let elpasolitePairs = elpasolite.compactMap { name, configuration in elpasoliteValue?(configuration).map { "\(name) \($0)" } }
        return (matganPairs + elpasolitePairs).joined(separator: ", ")
    }
}

/// How long a run trains.
struct StopOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Stop after this many updates (generator updates for a GAN).",
                                                        valueName: "n"))
    var steps: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Stop after this many epochs (MatGAN default: 1000, the paper's, if no limit is given).", valueName: "n"))
    var epochs: Int?

    @Option(name: .customLong("time-limit"), help: ArgumentHelp("Stop after this wall-clock time: 90s, 15m, 2h or 1h30m.",
                                                                valueName: "time"))
    var timeLimit: TimeLimit?

    func validate() throws {
        for (name, value) in [("--steps", steps), ("--epochs", epochs)] {
            if let value, value < 1 { throw ValidationError("\(name) must be positive, got \(value)") }
        }
    }

    /// Whether any limit was given.
    var isLimited: Bool { steps != nil || epochs != nil || timeLimit != nil }

    /// The limits given, with `epochs` standing in when none was.
    func condition(defaultEpochs: Int? = nil) -> StopCondition {
        StopCondition(maximumSteps: steps, maximumEpochs: epochs ?? (isLimited ? nil : defaultEpochs),
                      maximumSeconds: timeLimit?.seconds)
    }
}

/// Where a run lives and how often it reports.
struct RunOptions: ParsableArguments {
    @Option(name: .customLong("run-dir"), help: ArgumentHelp("Directory for checkpoints and metrics (default: runs/MODEL).", valueName: "dir"))
    var runDirectory: String?

    @Option(name: .customLong("checkpoint-every"), parsing: .unconditional, help: ArgumentHelp(
        "Steps between checkpoints; 0 writes only the final one (default: 1000, or the resumed run's).", valueName: "n"))
    var checkpointInterval: Int?

    @Option(name: .customLong("log-every"), parsing: .unconditional, help: ArgumentHelp(
        "Steps between progress lines (default: 100, or the resumed run's).", valueName: "n"))
    var logInterval: Int?

    @Flag(help: """
        Continue from RUN-DIR/checkpoint.h5 if it exists, with the configuration stored in it: \
        --model, --data and the hyper-parameters may be left out (given ones must agree); \
        limits, intervals and --verbose may change.
        """)
    var resume = false

    @Flag(help: "Start afresh in a run directory that holds a checkpoint, deleting it and its metrics.")
    var overwrite = false

    @Flag(help: "Log from every rank, not only rank 0.")
    var verbose = false

    func validate() throws {
        if let logInterval, logInterval < 1 { throw ValidationError("--log-every must be positive, got \(logInterval)") }
        if let checkpointInterval, checkpointInterval < 0 {
            throw ValidationError("--checkpoint-every must be 0 or more, got \(checkpointInterval)")
        }
        if resume, overwrite { throw ValidationError("--resume and --overwrite exclude each other") }
    }

    /// What to do with a checkpoint already in the run directory.
    var policy: StartPolicy { resume ? .resume : overwrite ? .overwrite : .fresh }
}

/// `matgan-dist train`: data-parallel training of a model on a prepared HDF5 file.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a generative model data-parallel over the job's ranks.",
        discussion: """
            Every rank trains on its share of each global batch; gradients are averaged with one \
            allreduce per update. Rank 0 logs progress, appends metrics to RUN-DIR/metrics.jsonl \
            and writes RUN-DIR/checkpoint.h5 every --checkpoint-every steps, at the end, and when \
            the job receives SIGTERM (Slurm's warning before a time-out). --resume continues from \
            that checkpoint. Defaults are the paper's hyper-parameters for the model.

            The GANs (matgan-mp, matgan-oqmd) measure their samples while they train: every \
            --eval-every steps and at the end the ranks generate the same --eval-samples samples \
            (noise from the run's seed, generator in inference mode), score them as `evaluate` \
            does against the training and hold-out formulas, and rank 0 logs an `eval` line, \
            appends a "kind": "evaluation" record to metrics.jsonl and redraws RUN-DIR/quality.svg.

            active-ae is active generative design's autoencoder: MatGAN's autoencoder networks \
            on 87 x 8 matrices (the 85 elements plus He and Kr, built from the prepared file's \
            formulas at load time), binary cross-entropy, batch 128, He initialization.

            The elpasolite models (Türk et al.) train on `prepare --preset elpasolite` output \
            (its training split; prepare with --holdout-fraction 0 for the paper's 21,112 rows) \
            with class-balanced batches (the DQN on offline episodes spelling those rows); they \
            stop after the paper's updates (\(TrainDefaults.list(elpasolite: { $0.stop.maximumSteps }))) \
            unless a limit is given, and use --generator-lr as their learning rate (both networks \
            of the cGAN).

            Batch and rank count (MatGAN models): the global batch is --batch-size (default: the \
            model's reference batch, the paper's) or --batch-per-rank times the rank count. A \
            global batch the ranks cannot share evenly is refused with the nearest batches that \
            can be, never changed. --generator-lr and --critic-lr are the rates for the reference \
            batch; --lr-scaling linear or sqrt scales them to the global batch, --warmup-steps \
            ramps them up linearly, and both compose with --lr-decay cosine. --resume keeps the \
            checkpoint's global batch on any rank count that divides it, so the run continues as \
            it would have; on one that does not, it stops and names rank counts that do.
            """)

    @Option(help: ArgumentHelp("The model to train (with --resume: the checkpoint's).", valueName: "model"))
    var model: TrainableModel?

    @Option(help: ArgumentHelp("Prepared HDF5 file (from `matgan-dist prepare`; with --resume: the checkpoint's).",
                               valueName: "file"))
    var data: String?

    @OptionGroup(title: "How long") var stop: StopOptions

    @OptionGroup(title: "Run directory and progress") var runOptions: RunOptions

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: ArgumentHelp(
        "Global batch over all ranks, a multiple of the rank count "
            + "(\(TrainDefaults.list(matgan: { $0.batchSize }, elpasolite: { $0.batchSize }))).",
        valueName: "n"))
    var batchSize: Int?

    @Option(name: TrainOption.batchPerRank.name, parsing: .unconditional, help: ArgumentHelp(
        "MatGAN models: batch per rank instead of --batch-size; the global batch is this times the rank count.",
        valueName: "n"))
    var batchPerRank: Int?

    @Option(name: TrainOption.learningRateScaling.name, help: ArgumentHelp(
        "Scale the learning rates, which are meant for the model's reference batch "
            + "(\(TrainDefaults.list(matgan: { $0.model.referenceBatchSize }))), to the global batch: linear multiplies them by "
            + "batch/reference, sqrt by its square root (default: none).",
        valueName: "rule"))
    var learningRateScaling: LearningRateScaling?

    @Option(name: TrainOption.warmupSteps.name, parsing: .unconditional, help: ArgumentHelp(
        "Ramp the learning rates up linearly over the first n steps (0: none, the default).", valueName: "n"))
    var warmupSteps: Int?

    @Option(name: .customLong("generator-lr"), parsing: .unconditional, help: ArgumentHelp(
        "Generator (or autoencoder, or elpasolite model) learning rate "
            + "(\(TrainDefaults.list(matgan: { $0.generatorLearningRate }, elpasolite: { $0.learningRate }))).",
        valueName: "rate"))
    var generatorLearningRate: Float?

    @Option(name: TrainOption.criticLearningRate.name, parsing: .unconditional, help: ArgumentHelp(
        "Critic learning rate (\(TrainDefaults.list(matgan: { $0.model.isAutoencoder ? nil : $0.criticLearningRate }))).",
        valueName: "rate"))
    var criticLearningRate: Float?

    @Option(name: TrainOption.beta1.name, parsing: .unconditional, help: ArgumentHelp(
        "Adam beta1 (\(TrainDefaults.list(matgan: { $0.beta1 }))).", valueName: "b"))
    var beta1: Float?

    @Option(name: TrainOption.beta2.name, parsing: .unconditional, help: ArgumentHelp(
        "Adam beta2 (\(TrainDefaults.list(matgan: { $0.beta2 }))).", valueName: "b"))
    var beta2: Float?

    @Option(name: TrainOption.penaltyWeight.name, parsing: .unconditional, help: ArgumentHelp(
        "Gradient-penalty weight lambda (\(TrainDefaults.list(matgan: { $0.model.isAutoencoder ? nil : $0.penaltyWeight }, elpasolite: { $0.model == .conditionalGAN ? $0.penaltyWeight : nil }))).",
        valueName: "w"))
    var penaltyWeight: Float?

    @Flag(name: TrainOption.noCriticBatchNorm.name,
          help: "Leave batch norm out of the critic (MatGAN's code has it; WGAN-GP advises against it).")
    var noCriticBatchNorm = false

    @Option(name: TrainOption.criticIterations.name, parsing: .unconditional, help: ArgumentHelp(
        "Critic updates per generator update (\(TrainDefaults.list(matgan: { $0.model.isAutoencoder ? nil : $0.criticIterations }, elpasolite: { $0.model == .conditionalGAN ? $0.criticIterations : nil }))).",
        valueName: "n"))
    var criticIterations: Int?

    @Option(name: TrainOption.klWeight.name, parsing: .unconditional, help: ArgumentHelp(
        "Weight of the cVAE's KL term (\(TrainDefaults.list(elpasolite: { $0.model == .conditionalVAE ? $0.klWeight : nil }))).",
        valueName: "w"))
    var klWeight: Float?

    @Option(name: TrainOption.trainFraction.name, parsing: .unconditional, help: ArgumentHelp(
        "Elpasolite models: train on this seeded share of the training rows (1).", valueName: "f"))
    var trainFraction: Double?

    @Option(name: TrainOption.initialization.name, help: ArgumentHelp(
        "Weight initialisation: normal (N(0,1), the released code's) or he (He normal with each activation's gain).",
        valueName: "kind"))
    var initialization: MatGANInitialization?

    @Flag(name: TrainOption.pytorchAdam.name,
          help: "Apply Adam's bias correction as PyTorch does instead of as TensorFlow 1 (MatGAN's code).")
    var pytorchAdam = false

    @Option(help: ArgumentHelp("Seed for initialisation, batch order and noise (default: 1, or the resumed run's).",
                               valueName: "n"))
    var seed: UInt64?

    @Option(name: TrainOption.learningRateDecay.name, help: ArgumentHelp(
        "How the GAN's learning rates change: constant, or cosine to 0 at the last planned update (needs --steps or --epochs).",
        valueName: "kind"))
    var learningRateDecay: LearningRateDecay?

    @Option(name: TrainOption.emaDecay.name, parsing: .unconditional, help: ArgumentHelp(
        "Keep an exponential moving average of the generator's parameters with this decay (e.g. 0.999); generate uses it.",
        valueName: "d"))
    var emaDecay: Float?

    @Flag(name: TrainOption.synchronizedBatchNorm.name,
          help: "Synchronise batch-norm statistics over the ranks (matches one process at the same global batch).")
    var synchronizedBatchNorm = false

    @Option(name: TrainOption.evaluationInterval.name, parsing: .unconditional, help: ArgumentHelp(
        "GANs: every n generator updates and at the end, generate a fixed set of --eval-samples samples and log their "
            + "quality (decoded, charge neutral, distinct, element JS distance, recovery; with --ema-decay the average's too) "
            + "to metrics.jsonl and RUN-DIR/quality.svg (default: \(EvaluationSchedule.defaults.interval), or the resumed run's).",
        valueName: "n"))
    var evaluationInterval: Int?

    @Option(name: TrainOption.evaluationSamples.name, parsing: .unconditional, help: ArgumentHelp(
        "GANs: samples each quality evaluation draws over all ranks (default: \(EvaluationSchedule.defaults.samples), or the "
            + "resumed run's).", valueName: "n"))
    var evaluationSamples: Int?

    /// The model-specific options given on the command line.
    private var givenOptions: Set<TrainOption> {
        let given: [(TrainOption, Bool)] = [
            (.criticLearningRate, criticLearningRate != nil), (.beta1, beta1 != nil), (.beta2, beta2 != nil),
            (.penaltyWeight, penaltyWeight != nil), (.criticIterations, criticIterations != nil), (.klWeight, klWeight != nil),
            (.trainFraction, trainFraction != nil), (.initialization, initialization != nil),
            (.noCriticBatchNorm, noCriticBatchNorm), (.pytorchAdam, pytorchAdam),
            (.synchronizedBatchNorm, synchronizedBatchNorm), (.emaDecay, emaDecay != nil),
            (.learningRateDecay, learningRateDecay != nil), (.batchPerRank, batchPerRank != nil),
            (.learningRateScaling, learningRateScaling != nil), (.warmupSteps, warmupSteps != nil),
            (.evaluationInterval, evaluationInterval != nil), (.evaluationSamples, evaluationSamples != nil),
        ]
        return Set(given.filter(\.1).map(\.0))
    }

    /// The options that mean something for `model`.
    private static func applicableOptions(_ model: TrainableModel) -> Set<TrainOption> {
        switch model {
        case .matgan(let model) where model.isAutoencoder:
            [.beta1, .beta2, .initialization, .pytorchAdam, .synchronizedBatchNorm, .batchPerRank, .learningRateScaling, .warmupSteps]
        case .matgan:
            [.criticLearningRate, .beta1, .beta2, .penaltyWeight, .criticIterations, .initialization, .noCriticBatchNorm,
             .pytorchAdam, .synchronizedBatchNorm, .emaDecay, .learningRateDecay, .batchPerRank, .learningRateScaling, .warmupSteps,
             .evaluationInterval, .evaluationSamples]
        case .elpasolite(.conditionalVAE): [.klWeight, .trainFraction]
        case .elpasolite(.conditionalGAN): [.penaltyWeight, .criticIterations, .trainFraction]
        case .elpasolite(.doubleDQN): [.trainFraction]
        }
    }

    func validate() throws {
        for (name, value) in [("--batch-size", batchSize), (TrainOption.batchPerRank.flag, batchPerRank),
                              (TrainOption.criticIterations.flag, criticIterations),
                              (TrainOption.evaluationInterval.flag, evaluationInterval),
                              (TrainOption.evaluationSamples.flag, evaluationSamples)] {
            if let value, value < 1 { throw ValidationError("\(name) must be positive, got \(value)") }
        }
        if batchSize != nil, batchPerRank != nil {
            throw ValidationError("--batch-size and \(TrainOption.batchPerRank.flag) exclude each other: give the global batch "
                                  + "or the batch per rank")
        }
        if let warmupSteps, warmupSteps < 0 {
            throw ValidationError("\(TrainOption.warmupSteps.flag) must be 0 or more, got \(warmupSteps)")
        }
        for (name, value) in [("--generator-lr", generatorLearningRate), (TrainOption.criticLearningRate.flag, criticLearningRate)] {
            if let value, !(value.isFinite && value > 0) { throw ValidationError("\(name) must be a positive number, got \(value)") }
        }
        for (option, value) in [(TrainOption.beta1, beta1), (.beta2, beta2)] {
            if let value, !(value >= 0 && value < 1) { throw ValidationError("\(option.flag) must be in [0, 1), got \(value)") }
        }
        for (option, value) in [(TrainOption.penaltyWeight, penaltyWeight), (.klWeight, klWeight)] {
            if let value, !(value.isFinite && value >= 0) {
                throw ValidationError("\(option.flag) must be a finite number, 0 or more, got \(value)")
            }
        }
        if let emaDecay, !(emaDecay > 0 && emaDecay < 1) {
            throw ValidationError("\(TrainOption.emaDecay.flag) must be above 0 and below 1, got \(emaDecay)")
        }
        if let trainFraction, !(trainFraction > 0 && trainFraction <= 1) {
            throw ValidationError("\(TrainOption.trainFraction.flag) must be in (0, 1], got \(trainFraction)")
        }
        guard let model else {
            guard runOptions.resume else { throw ValidationError("--model is required (or continue a run with --resume --run-dir DIR)") }
            guard runOptions.runDirectory != nil else { throw ValidationError("--resume without --model needs --run-dir") }
            return
        }
        if data == nil, !runOptions.resume { throw ValidationError("--data is required") }
        try Self.checkApplicable(givenOptions, to: model)
        if learningRateDecay == .cosine, stop.steps == nil, stop.epochs == nil {
            throw ValidationError("\(TrainOption.learningRateDecay.flag) cosine needs --steps or --epochs: it ends at the last planned update")
        }
    }

    /// Refuses options that mean nothing for `model`, naming the models they apply to.
    private static func checkApplicable(_ options: Set<TrainOption>, to model: TrainableModel) throws {
        let misplaced = options.subtracting(applicableOptions(model))
        if let option = TrainOption.allCases.first(where: misplaced.contains) {
            let models = (MatGANModel.allCases.map(TrainableModel.matgan) + ElpasoliteModel.allCases.map(TrainableModel.elpasolite))
                .filter { applicableOptions($0).contains(option) }.map(\.name)
            throw ValidationError("\(option.flag) does not apply to \(model.name); it applies to \(models.joined(separator: ", "))")
        }
    }

    func run() throws {
        let world = try Communicator.world
        RankLogHandler.bootstrap(rank: world.rank, verbose: runOptions.verbose)
        let logger = Logger(label: "matgan-dist.train")
        let summary = try world.abortingOnError { () throws -> TrainingSummary in
            let runDirectory = URL(fileURLWithPath: runOptions.runDirectory ?? "runs/\(model!.name)")
            let checkpointPath = runDirectory.appendingPathComponent("checkpoint.h5").path
            let stored = runOptions.resume && FileManager.default.fileExists(atPath: checkpointPath)
                ? try Checkpoint.readHeader(checkpointPath) : nil
            let plan = try plan(resuming: stored, checkpointPath: checkpointPath, worldSize: world.size)
            try checkSplit(plan, world: world, resuming: stored == nil ? nil : checkpointPath)
            let training: any TrainingRun
            var evaluation: (any RunEvaluation)?
            let stopCondition: StopCondition
            switch plan {
            case .matgan(let configuration, let dataPath):
                stopCondition = configuration.stop
                logger.info("\(world.size) rank(s); configuration \(configuration.json)")
                for line in configuration.batchSummary(worldSize: world.size) { logger.info("\(line)") }
                let data = try CompositionTrainingSet(path: dataPath, encoding: configuration.model.encoding)
                if configuration.model.isAutoencoder {
                    training = try AutoencoderRun(configuration: configuration, data: data, world: world)
                } else {
                    let run = try MatGANRun(configuration: configuration, data: data, world: world)
                    evaluation = try configuration.evaluation.map { schedule in
                        let quality = try SampleQualityEvaluation(run: run, schedule: schedule, world: world,
                                                                  plotPath: runDirectory.appendingPathComponent("quality.svg").path)
                        let plan = "evaluating \(schedule.samples) samples (noise seed \(quality.seed)) every \(schedule.interval) "
                            + "steps and at the end; curves in \(quality.plotPath)"
                        logger.info("\(plan)")
                        return quality
                    }
                    training = run
                }
            case .elpasolite(let configuration, let dataPath):
                stopCondition = configuration.stop
                logger.info("\(world.size) rank(s); configuration \(configuration.json)")
                let data = try ElpasoliteTrainingSet(path: dataPath, trainFraction: configuration.trainFraction, seed: configuration.seed)
                training = try ElpasoliteRuns.make(configuration: configuration, data: data, world: world)
            }
            let session = try TrainingSession(
                world: world, runDirectory: runDirectory, stop: stopCondition,
                logInterval: runOptions.logInterval ?? plan.logInterval,
                checkpointInterval: runOptions.checkpointInterval ?? plan.checkpointInterval, logger: logger)
            session.evaluation = evaluation
            logger.logBLASKernels(isRoot: world.isRoot)
            try session.start(training, policy: runOptions.policy)
            let summary = try session.train(training)
            if world.isRoot {
                let rate = summary.trainedSteps == 0 ? "no step left to train"
                    : "\(Int(summary.samplesPerSecond)) samples/s on \(world.size) rank(s)"
                print("trained \(plan.model.name) to step \(summary.steps) in \(String(format: "%.1f", summary.seconds)) s "
                      + "(\(rate)): \(summary.stopReason)")
                print("checkpoint: \(session.checkpointPath)")
            }
            return summary
        }
        // A run ended by a signal checkpointed and now says so, as shells expect (128 + signal).
        if let signal = summary.signal { throw ExitCode(128 + signal) }
    }

    /// The configuration a run trains with, and its data file.
    private enum Plan {
        case matgan(MatGANConfiguration, data: String)
        case elpasolite(ElpasoliteConfiguration, data: String)

        var model: TrainableModel {
            switch self {
            case .matgan(let configuration, _): .matgan(configuration.model)
            case .elpasolite(let configuration, _): .elpasolite(configuration.model)
            }
        }

        var logInterval: Int {
            switch self {
            case .matgan(let configuration, _): configuration.logInterval
            case .elpasolite(let configuration, _): configuration.logInterval
            }
        }

        var checkpointInterval: Int {
            switch self {
            case .matgan(let configuration, _): configuration.checkpointInterval
            case .elpasolite(let configuration, _): configuration.checkpointInterval
            }
        }

        /// The global batch.
        var batchSize: Int {
            switch self {
            case .matgan(let configuration, _): configuration.batchSize
            case .elpasolite(let configuration, _): configuration.batchSize
            }
        }
    }

    /// Refuses a global batch the `worldSize` ranks cannot share evenly, before any data is read:
    /// a new run is told the nearest global batches that can be shared (and --batch-per-rank),
    /// a resumed one the nearest rank counts that can share its checkpoint's batch; rank 0 says
    /// so once. The batch is never changed behind the user's back (docs/distributed.md, "Batch
    /// size and rank count"). Collective.
    private func checkSplit(_ plan: Plan, world: Communicator, resuming checkpoint: String?) throws {
        guard plan.batchSize % world.size != 0 else { return }
        if let checkpoint {
            try world.failFromRoot(TrainingError.indivisibleResumedBatch(checkpoint: checkpoint, globalBatchSize: plan.batchSize,
                                                                         worldSize: world.size))
        }
        let perRankFlag = Self.applicableOptions(plan.model).contains(.batchPerRank) ? TrainOption.batchPerRank.flag : nil
        try world.failFromRoot(TrainingError.indivisibleBatch(globalBatchSize: plan.batchSize, worldSize: world.size,
                                                              defaultOf: batchSize == nil ? plan.model.name : nil,
                                                              perRankFlag: perRankFlag))
    }

    /// The paper's configuration for `--model` with the given options applied on `worldSize`
    /// ranks; or, resuming from a checkpoint with `header`, the stored configuration, which given
    /// options must match.
    private func plan(resuming header: Checkpoint.Header?, checkpointPath: String, worldSize: Int) throws -> Plan {
        guard let header else {
            switch model! {
            case .matgan(let model):
                var configuration = MatGANConfiguration.defaults(for: model, stop: stop.condition(defaultEpochs: 1000))
                try apply(to: &configuration, worldSize: worldSize, resuming: nil)
                return .matgan(configuration, data: data!)
            case .elpasolite(let model):
                var configuration = ElpasoliteConfiguration.defaults(for: model, stop: stop.isLimited ? stop.condition() : nil)
                try apply(to: &configuration, resuming: nil)
                return .elpasolite(configuration, data: data!)
            }
        }
        guard let stored = TrainableModel(argument: header.model) else {
            throw ValidationError("\(checkpointPath) holds model '\(header.model)', which this matgan-dist cannot train")
        }
        if let model, model.name != stored.name {
            throw ValidationError("--model \(model.name) conflicts with \(checkpointPath), a checkpoint of \(stored.name)")
        }
        try Self.checkApplicable(givenOptions, to: stored)
        let dataPath = data ?? header.dataFile
        guard FileManager.default.fileExists(atPath: dataPath) else {
            throw ValidationError("\(checkpointPath) was trained on \(header.dataFile), which is not found from here; give --data")
        }
        let json = Data(header.configuration.utf8)
        do {
            switch stored {
            case .matgan:
                var configuration = try MatGANConfiguration(storedJSON: header.configuration)
                try apply(to: &configuration, worldSize: worldSize, resuming: checkpointPath)
                // New limits re-plan the run, including the end of a cosine decay.
                if stop.isLimited { configuration.stop = stop.condition() }
                return .matgan(configuration, data: dataPath)
            case .elpasolite:
                var configuration = try JSONDecoder().decode(ElpasoliteConfiguration.self, from: json)
                try apply(to: &configuration, resuming: checkpointPath)
                if stop.isLimited { configuration.stop = stop.condition() }
                return .elpasolite(configuration, data: dataPath)
            }
        } catch let error as DecodingError {
            throw ValidationError("cannot read the configuration stored in \(checkpointPath) (\(error)); it was written by an "
                                  + "older matgan-dist: continue it with that version")
        }
    }

    /// Sets `value` to `given`; when resuming from `checkpoint`, a given value must equal the stored one.
    private func merge<Value: Equatable>(_ option: String, _ given: Value?, into value: inout Value, resuming checkpoint: String?) throws {
        guard let given else { return }
        if let checkpoint, given != value {
            throw ValidationError("\(option) \(given) conflicts with \(value), the value \(checkpoint) was trained with; "
                                  + "leave it out to continue the run, or start a new one")
        }
        value = given
    }

    /// The given options applied to a MatGAN configuration for `worldSize` ranks.
    private func apply(to configuration: inout MatGANConfiguration, worldSize: Int, resuming checkpoint: String?) throws {
        try merge("--batch-size", batchSize, into: &configuration.batchSize, resuming: checkpoint)
        if let batchPerRank {
            // A resumed run keeps its global batch: the per-rank batch given must make it up.
            let global = batchPerRank * worldSize
            if let checkpoint, global != configuration.batchSize {
                throw ValidationError("\(TrainOption.batchPerRank.flag) \(batchPerRank) on \(worldSize) rank(s) is a global batch of "
                                      + "\(global), which conflicts with \(configuration.batchSize), the global batch \(checkpoint) was "
                                      + "trained with; leave it out to continue the run, or start a new one")
            }
            if checkpoint == nil { (configuration.batchSize, configuration.batchPerRank) = (global, batchPerRank) }
        }
        try merge("--generator-lr", generatorLearningRate, into: &configuration.generatorLearningRate, resuming: checkpoint)
        try merge(TrainOption.criticLearningRate.flag, criticLearningRate, into: &configuration.criticLearningRate, resuming: checkpoint)
        try merge(TrainOption.beta1.flag, beta1, into: &configuration.beta1, resuming: checkpoint)
        try merge(TrainOption.beta2.flag, beta2, into: &configuration.beta2, resuming: checkpoint)
        try merge(TrainOption.penaltyWeight.flag, penaltyWeight, into: &configuration.penaltyWeight, resuming: checkpoint)
        try merge(TrainOption.criticIterations.flag, criticIterations, into: &configuration.criticIterations, resuming: checkpoint)
        try merge(TrainOption.initialization.flag, initialization, into: &configuration.initialization, resuming: checkpoint)
        try merge(TrainOption.pytorchAdam.flag, pytorchAdam ? Adam.Variant.pytorch : nil, into: &configuration.adamVariant,
                  resuming: checkpoint)
        try merge(TrainOption.noCriticBatchNorm.flag, noCriticBatchNorm ? false : nil, into: &configuration.criticBatchNorm,
                  resuming: checkpoint)
        try merge("--seed", seed, into: &configuration.seed, resuming: checkpoint)
        try merge(TrainOption.synchronizedBatchNorm.flag, synchronizedBatchNorm ? true : nil,
                  into: &configuration.synchronizedBatchNorm, resuming: checkpoint)
        try merge(TrainOption.emaDecay.flag, emaDecay.map(Optional.some), into: &configuration.emaDecay, resuming: checkpoint)
        try merge(TrainOption.learningRateDecay.flag, learningRateDecay, into: &configuration.learningRateDecay, resuming: checkpoint)
        try merge(TrainOption.learningRateScaling.flag, learningRateScaling, into: &configuration.learningRateScaling,
                  resuming: checkpoint)
        try merge(TrainOption.warmupSteps.flag, warmupSteps, into: &configuration.warmupSteps, resuming: checkpoint)
        if !configuration.model.isAutoencoder {
            // Like the intervals, the schedule may change on resume; a checkpoint older than it gets the defaults.
            var schedule = configuration.evaluation ?? .defaults
            if let evaluationInterval { schedule.interval = evaluationInterval }
            if let evaluationSamples { schedule.samples = evaluationSamples }
            configuration.evaluation = schedule
        }
        if checkpoint == nil {
            if let checkpointInterval = runOptions.checkpointInterval { configuration.checkpointInterval = checkpointInterval }
            if let logInterval = runOptions.logInterval { configuration.logInterval = logInterval }
        }
    }

    /// The given options applied to an elpasolite configuration.
    private func apply(to configuration: inout ElpasoliteConfiguration, resuming checkpoint: String?) throws {
        try merge("--batch-size", batchSize, into: &configuration.batchSize, resuming: checkpoint)
        try merge("--generator-lr", generatorLearningRate, into: &configuration.learningRate, resuming: checkpoint)
        try merge(TrainOption.penaltyWeight.flag, penaltyWeight, into: &configuration.penaltyWeight, resuming: checkpoint)
        try merge(TrainOption.criticIterations.flag, criticIterations, into: &configuration.criticIterations, resuming: checkpoint)
        try merge(TrainOption.klWeight.flag, klWeight, into: &configuration.klWeight, resuming: checkpoint)
        try merge(TrainOption.trainFraction.flag, trainFraction, into: &configuration.trainFraction, resuming: checkpoint)
        try merge("--seed", seed, into: &configuration.seed, resuming: checkpoint)
        if checkpoint == nil {
            if let checkpointInterval = runOptions.checkpointInterval { configuration.checkpointInterval = checkpointInterval }
            if let logInterval = runOptions.logInterval { configuration.logInterval = logInterval }
        }
    }
}
