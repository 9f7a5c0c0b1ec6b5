import ActiveDesign
import ArgumentParser
import BayesianOptimization
import Chemistry
import Distributed
import Foundation
import Logging
import Property

/// `matgan-dist active`: active generative design, Bayesian optimisation over the latent space
/// of the `active-ae` autoencoder (docs/active-design.md).
struct ActiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "active",
        abstract: "Active generative design: Gaussian-process Bayesian optimisation in an autoencoder's latent space.",
        discussion: """
            Needs a trained autoencoder (train --model active-ae), an oracle standing in for DFT \
            (property train on all labeled data, e.g. --model rf) and the labeled prepared file \
            the loop starts from. `run` performs one loop and the screening experiments; \
            `sweep-kappa` repeats the loop for several UCB kappas.
            """,
        subcommands: [ActiveRun.self, ActiveSweepKappa.self])
}

/// The options every active design job shares.
struct ActiveOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Autoencoder checkpoint (train --model active-ae).", valueName: "file"))
    var autoencoder: String

    @Option(help: ArgumentHelp("Oracle property model (property train), standing in for DFT.", valueName: "file"))
    var oracle: String

    @Option(help: ArgumentHelp("Labelled prepared file (prepare); starting rows come from its training split, "
                               + "the external test set from its hold-out split.", valueName: "file"))
    var data: String

    @OptionGroup var dataDirectory: DataOptions

    @Option(name: .customLong("output-dir"), help: ArgumentHelp("Directory for the CSV and SVG outputs.", valueName: "dir"))
    var outputDirectory: String

    @Option(name: .customLong("start-size"), parsing: .unconditional, help: ArgumentHelp("Labelled starting rows (paper: 300 or 1000).", valueName: "n"))
    var startSize = 300

    @Option(parsing: .unconditional, help: ArgumentHelp("Suggestions in total (paper: 1000).", valueName: "n"))
    var budget = 1000

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: ArgumentHelp("Suggestions per iteration (paper: 20).", valueName: "n"))
    var batchSize = 20

    @Option(parsing: .unconditional, help: ArgumentHelp("A new composition whose oracle value exceeds this is a discovery (eV).", valueName: "value"))
    var threshold = 6.0

    @Option(parsing: .unconditional, help: ArgumentHelp("Random candidates scored per iteration.", valueName: "n"))
    var candidates = 10_000

    @Option(parsing: .unconditional, help: ArgumentHelp("Best candidates refined by gradient ascent per iteration.", valueName: "n"))
    var refined = 40

    @Option(parsing: .unconditional, help: ArgumentHelp("Random restarts of the first GP hyper-parameter search (later ones warm-start).", valueName: "n"))
    var restarts = 2

    @Option(parsing: .unconditional, help: ArgumentHelp("Seed of the starting set, test set, candidates and models.", valueName: "n"))
    var seed: UInt64 = 0

    @Flag(help: "Log from every rank, not only rank 0.")
    var verbose = false

    func validate() throws {
        for (name, value) in [("--start-size", startSize), ("--budget", budget), ("--batch-size", batchSize),
                              ("--candidates", candidates)] where value < 1 {
            throw ValidationError("\(name) must be at least 1, got \(value)")
        }
        if startSize < 2 { throw ValidationError("--start-size must be at least 2 (the Gaussian process needs two points)") }
        if refined < 0 || restarts < 0 { throw ValidationError("--refined and --restarts must be 0 or more") }
        if candidates < batchSize + refined {
            throw ValidationError("--candidates (\(candidates)) must be at least --batch-size + --refined (\(batchSize + refined))")
        }
    }

    func configuration(_ acquisition: Acquisition) -> ActiveDesignConfiguration {
        var configuration = ActiveDesignConfiguration()
        configuration.startSize = startSize
        configuration.budget = budget
        configuration.batchSize = batchSize
        configuration.acquisition = acquisition
        configuration.threshold = threshold
        configuration.candidateCount = candidates
        configuration.refinedCount = refined
        configuration.restarts = restarts
        configuration.seed = seed
        return configuration
    }
}

/// What an active design job loads once: the autoencoder, the oracle, the labelled data split
/// into the starting set and the external test set.
struct ActiveSetup {
    let world: Communicator
    let autoencoder: ActiveAutoencoder
    let oracle: PropertyModel
    let magpie: MagpieFeaturizer
    let start: [LabeledComposition]
    let test: [LabeledComposition]
    let outputDirectory: URL

    init(_ options: ActiveOptions, testSize: Int, world: Communicator) throws {
        self.world = world
        oracle = try PropertyModel(contentsOf: options.oracle)
        magpie = try MagpieFeaturizer(dataDirectory: options.dataDirectory.resolve())
        let labeled = try LabeledCompositions(file: options.data, target: nil)
        guard oracle.target == labeled.target else {
            throw ValidationError("--oracle \(options.oracle) predicts \(oracle.target), but --data \(options.data) holds \(labeled.target)")
        }
        guard let pools = LabeledPools(labeled) else {
            throw ValidationError("--data \(options.data) has no train / hold-out split; use a file written by `matgan-dist prepare`")
        }
        guard pools.training.count >= options.startSize else {
            throw ValidationError("--start-size \(options.startSize) exceeds the \(pools.training.count) training rows of \(options.data)")
        }
        guard pools.holdout.count >= testSize else {
            throw ValidationError("--test-size \(testSize) exceeds the \(pools.holdout.count) hold-out rows of \(options.data)")
        }
        start = pools.startingRows(count: options.startSize, seed: options.seed)
        test = pools.testRows(count: testSize, seed: options.seed)
        autoencoder = try ActiveAutoencoder(checkpoint: options.autoencoder, world: world)
        outputDirectory = URL(fileURLWithPath: options.outputDirectory)
        if world.isRoot { try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true) }
    }

    /// Runs one loop with `configuration`.
    func run(_ configuration: ActiveDesignConfiguration, logger: Logger) throws -> ActiveDesignResult {
        let oracle = self.oracle, magpie = self.magpie
        let design = try ActiveDesign(configuration: configuration, autoencoder: autoencoder, start: start,
                                      oracle: { try oracle.predict($0, magpie: magpie).map(Double.init) }, logger: logger)
        return try design.run()
    }

    /// Writes `text` to `name` in the output directory (rank 0).
    func write(_ text: String, to name: String) throws {
        guard world.isRoot else { return }
        try Data(text.utf8).write(to: outputDirectory.appendingPathComponent(name), options: .atomic)
    }
}

/// `matgan-dist active run`: one loop, then experiments 2 and 3.
struct ActiveRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the active design loop to its budget and compare screening models.",
        discussion: """
            Writes OUTPUT-DIR/iterations.csv (cumulative counts per iteration), acquired.csv \
            (every suggestion: formula, oracle value or 0 when undecodable, GP prediction), \
            discoveries.svg and screening.txt: a random forest on Magpie features trained on the \
            starting rows vs one retrained with the acquired rows, R2 / MAE on --test-size \
            hold-out rows, and with --samples the number of generated compositions each model \
            and the oracle put above each of --screen-thresholds, with the models' recovery of \
            the oracle's candidates.
            """)

    @OptionGroup var options: ActiveOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("UCB exploration weight kappa (paper: 10 best; reference code: 100).", valueName: "k"))
    var kappa: Double?

    @Option(name: .customLong("ei"), parsing: .unconditional, help: ArgumentHelp("Use expected improvement with this xi instead of UCB.", valueName: "xi"))
    var expectedImprovement: Double?

    @Option(help: ArgumentHelp("Samples file of `generate` to screen (experiment 3).", valueName: "file"))
    var samples: String?

    @Option(name: .customLong("screen-thresholds"), help: ArgumentHelp(
        "Comma-separated screening thresholds: candidates are predicted above each (eV; paper and default: 6).", valueName: "list"),
            transform: CommaSeparated<Double>.parser(expecting: "a finite number") { $0.isFinite })
    var screenThresholds = CommaSeparated<Double>([6])

    @Option(name: .customLong("test-size"), parsing: .unconditional, help: ArgumentHelp("External test rows from the hold-out split.", valueName: "n"))
    var testSize = 500

    @Option(parsing: .unconditional, help: ArgumentHelp("Trees of the screening random forests.", valueName: "n"))
    var trees = 100

    func validate() throws {
        if kappa != nil, expectedImprovement != nil { throw ValidationError("give --kappa or --ei, not both") }
        if testSize < 2 || trees < 1 { throw ValidationError("--test-size must be at least 2 and --trees at least 1") }
    }

    func run() throws {
        let world = try Communicator.world
        RankLogHandler.bootstrap(rank: world.rank, verbose: options.verbose)
        let logger = Logger(label: "matgan-dist.active")
        try world.abortingOnError {
            let setup = try ActiveSetup(options, testSize: testSize, world: world)
            let generated = try samples.map(ScreeningStudy.generatedCompositions)
            let acquisition = expectedImprovement.map { Acquisition.expectedImprovement(xi: $0) }
                ?? .upperConfidenceBound(kappa: kappa ?? 10)
            logger.info("\(world.size) rank(s); \(setup.start.count) starting rows, \(acquisition), budget \(options.budget)")
            let result = try setup.run(options.configuration(acquisition), logger: logger)
            try setup.write(result.iterationsCSV, to: "iterations.csv")
            try setup.write(result.acquiredCSV, to: "acquired.csv")
            try setup.write(result.svg(title: "Active design, \(setup.start.count) starting rows, \(acquisition)"), to: "discoveries.svg")

            var forest = RandomForestParameters()
            forest.treeCount = trees
            forest.seed = options.seed
            let study = ScreeningStudy(magpie: setup.magpie, forest: forest, world: world)
            let models = try study.trainModels(start: setup.start, acquired: result.newLabeledRows, test: setup.test)
            let screens = try generated.map {
                try study.screen($0, models: models, oracle: setup.oracle, thresholds: screenThresholds.values)
            } ?? []
            let last = result.iterations.last!
            var lines = [
                "active design: \(setup.start.count) starting rows, \(acquisition), \(last.suggestions) suggestions",
                "  decodable \(last.decodable), SMACT valid \(last.valid), distinct new \(last.distinctNew), "
                    + "above \(String(format: "%g", options.threshold)) eV \(last.aboveThreshold), best \(String(format: "%.3f", last.bestTarget)) eV",
                "screening model (random forest, \(trees) trees, Magpie features) on \(setup.test.count) external test rows:",
                "  baseline  (\(models.baselineRows) rows): \(models.baselineMetrics)",
                "  retrained (\(models.retrainedRows) rows): \(models.retrainedMetrics)",
            ]
            for screen in screens {
                func rate(_ recovered: Int) -> String { String(format: "%.1f %%", screen.recoveryPercent(recovered)) }
                lines += [
                    "screen of \(screen.screened) distinct generated compositions, predicted > \(String(format: "%g", screen.threshold)) eV:",
                    "  oracle    \(screen.oracleCandidates)",
                    "  baseline  \(screen.baselineCandidates), recovering \(screen.baselineRecovered) (\(rate(screen.baselineRecovered)))",
                    "  retrained \(screen.retrainedCandidates), recovering \(screen.retrainedRecovered) (\(rate(screen.retrainedRecovered)))",
                ]
            }
            let report = lines.joined(separator: "\n") + "\n"
            try setup.write(report, to: "screening.txt")
            if world.isRoot {
                print(report, terminator: "")
                print("wrote \(setup.outputDirectory.path)/{iterations.csv,acquired.csv,discoveries.svg,screening.txt}")
            }
        }
    }
}

/// `matgan-dist active sweep-kappa`: experiment 4, discoveries against iterations per kappa.
struct ActiveSweepKappa: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep-kappa",
        abstract: "Repeat the loop for several UCB kappas and compare their discoveries.",
        discussion: """
            Writes OUTPUT-DIR/kappa_sweep.csv and kappa_sweep.svg (distinct new compositions \
            above --threshold against iterations, one column / curve per kappa) and each run's \
            kappa_K_iterations.csv.
            """)

    @OptionGroup var options: ActiveOptions

    @Option(help: ArgumentHelp("Comma-separated kappas (paper and default: 0,1,10,50,100).", valueName: "list"),
            transform: CommaSeparated<Double>.parser(expecting: "a non-negative number") { $0 >= 0 })
    var kappas = CommaSeparated<Double>([0, 1, 10, 50, 100])

    func run() throws {
        let world = try Communicator.world
        RankLogHandler.bootstrap(rank: world.rank, verbose: options.verbose)
        let logger = Logger(label: "matgan-dist.active")
        try world.abortingOnError {
            let setup = try ActiveSetup(options, testSize: 0, world: world)
            var results: [ActiveDesignResult] = []
            for kappa in kappas.values {
                logger.info("kappa \(kappa): \(setup.start.count) starting rows, budget \(options.budget)")
                let result = try setup.run(options.configuration(.upperConfidenceBound(kappa: kappa)), logger: logger)
                try setup.write(result.iterationsCSV, to: "kappa_\(String(format: "%g", kappa))_iterations.csv")
                results.append(result)
            }
            let sweep = KappaSweep(kappas: kappas.values, results: results)
            try setup.write(sweep.csv, to: "kappa_sweep.csv")
            try setup.write(sweep.svg(title: "Discoveries above \(String(format: "%g", options.threshold)) eV, "
                                      + "\(setup.start.count) starting rows"), to: "kappa_sweep.svg")
            if world.isRoot {
                print(sweep.csv, terminator: "")
                print("wrote \(setup.outputDirectory.path)/kappa_sweep.{csv,svg}")
            }
        }
    }
}
