import ArgumentParser
import Chemistry
import Distributed
import ElpasoliteBenchmark
import Foundation
import Logging
import Training

/// `matgan-dist elpasolite sweep`: conditional generation from a trained model until a budget
/// of valid samples, with Türk et al.'s metrics; with `--fits K`, K seeded trainings first.
struct ElpasoliteSweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Generate from an elpasolite cVAE/cGAN/DQN checkpoint until N valid samples; precision, coverage, JS, curves.",
        discussion: """
            Global sample i is generated for --class from the noise of (--seed, i); the ranks \
            generate whole blocks of 4,096 indices in rounds and one allgather of their valid \
            counts per round keeps exactly the first --valid-samples valid samples of the index \
            sequence, so every result is the same on any rank count. Invalid samples (a \
            (period, group) pair that is no element, or a repeated element) are counted \
            separately. Samples are never stored: each rank keeps one bitmap of the 1,974,024 \
            tuples, merged with a bitwise-or allreduce at each of --curve-points points. Rank 0 \
            computes the metrics of the distinct valid tuples against the oracle's labeled space \
            (as `elpasolite evaluate`), plus the precision over all valid samples with repeats \
            (each rank counts its accepted samples per class), and writes PREFIX-metrics.csv, \
            PREFIX-curve.csv and PREFIX-curve.svg.

            With --fits K instead of --checkpoint, K models of --model are trained on --data \
            (fit i with seed --seed + i, the paper's hyper-parameters, --steps updates, \
            data-parallel over all ranks, or with --fit-groups G over one of G groups of \
            ranks that work on different fits side by side, in RUN-DIR/fit-i) and each is swept \
            with its own seed; the first rank of the fit's ranks writes PREFIX-fit-i-*, rank 0 \
            writes PREFIX-fits.csv and prints the mean ± sd table \
            of Türk et al.'s Tables 1 and 2. --train-fraction repeats the training-set-size study.
            """)

    @Option(help: ArgumentHelp("Checkpoint of `train --model elpasolite-cvae|elpasolite-cgan|elpasolite-dqn`.", valueName: "file"))
    var checkpoint: String?

    @Option(name: .customLong("class"), parsing: .unconditional, help: ArgumentHelp("The requested class, 1 (most stable) ... 10.", valueName: "c"))
    var requestedClass: Int

    @Option(name: .customLong("valid-samples"), parsing: .unconditional, help: ArgumentHelp("Valid samples to generate over all ranks.", valueName: "n"))
    var validSamples: Int

    @Option(help: ArgumentHelp("The oracle file written by `elpasolite oracle`.", valueName: "file"))
    var oracle = "elpasolite-oracle.h5"

    @Option(parsing: .unconditional, help: ArgumentHelp("Seed of the generation noise (and, with --fits, of the first fit's training).", valueName: "n"))
    var seed: UInt64 = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("The DQN's softmax inverse temperature beta.", valueName: "b"))
    var beta: Float = 5

    @Option(name: .customLong("curve-points"), parsing: .unconditional, help: ArgumentHelp("Points of the discovery curves.", valueName: "n"))
    var curvePoints = 20

    @Option(name: .customLong("output-prefix"), help: ArgumentHelp(
        "Prefix of the CSV and SVG files (default: elpasolite-sweep-class<c>).", valueName: "prefix"))
    var outputPrefix: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Train and sweep this many independently seeded models instead of --checkpoint.", valueName: "k"))
    var fits: Int?

    @Option(help: ArgumentHelp("With --fits: the model to train.", valueName: "model"))
    var model: ElpasoliteModel?

    @Option(help: ArgumentHelp("With --fits: the prepared elpasolite file (`prepare --preset elpasolite`).", valueName: "file"))
    var data: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("With --fits: updates per fit (default: the paper's, cVAE 10,000, cGAN 200,000, DQN 800,000).",
                               valueName: "n"))
    var steps: Int?

    @Option(name: .customLong("train-fraction"), parsing: .unconditional, help: ArgumentHelp("With --fits: share of the training rows per fit.", valueName: "f"))
    var trainFraction = 1.0

    @Option(name: .customLong("fit-groups"), parsing: .unconditional, help: ArgumentHelp(
        "With --fits: split the ranks into this many groups that train and sweep whole fits side by side.", valueName: "g"))
    var fitGroups = 1

    @Option(name: .customLong("run-dir"), help: ArgumentHelp("With --fits: directory of the fits' runs (runs/fits-MODEL).", valueName: "dir"))
    var runDirectory: String?

    @Flag(help: "With --fits: train fits afresh in run directories that already hold checkpoints, deleting them.")
    var overwrite = false

    func validate() throws {
        guard (1...ElpasoliteEnergyClasses.count).contains(requestedClass) else {
            throw ValidationError("--class \(requestedClass): classes are 1 ... \(ElpasoliteEnergyClasses.count)")
        }
        guard validSamples >= 1 else { throw ValidationError("--valid-samples \(validSamples): need at least 1") }
        guard curvePoints >= 1 else { throw ValidationError("--curve-points \(curvePoints): need at least 1") }
        guard beta.isFinite, beta >= 0 else { throw ValidationError("--beta \(beta): need a finite number, at least 0") }
        switch (checkpoint, fits) {
        case (nil, nil): throw ValidationError("give --checkpoint (sweep one trained model) or --fits K (train and sweep K models)")
        case (.some, .some): throw ValidationError("--checkpoint and --fits exclude each other")
        case (.some, nil):
            if model != nil || data != nil || steps != nil || runDirectory != nil || trainFraction != 1 || fitGroups != 1 || overwrite {
                throw ValidationError("--model, --data, --steps, --train-fraction, --fit-groups, --run-dir and --overwrite go with --fits only")
            }
        case (nil, .some(let fits)):
            guard fits >= 1 else { throw ValidationError("--fits \(fits): need at least 1") }
            guard (1...fits).contains(fitGroups) else { throw ValidationError("--fit-groups \(fitGroups): need 1 ... --fits (\(fits))") }
            guard model != nil, data != nil else { throw ValidationError("--fits needs --model and --data") }
            if let steps, steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
            guard trainFraction > 0, trainFraction <= 1 else {
                throw ValidationError("--train-fraction must be in (0, 1], got \(trainFraction)")
            }
        }
    }

    func run() throws {
        let world = try Communicator.world
        RankLogHandler.bootstrap(rank: world.rank, verbose: false)
        Logger(label: "matgan-dist.sweep").logBLASKernels(isRoot: world.isRoot)
        try world.abortingOnError {
            let prefix = outputPrefix ?? "elpasolite-sweep-class\(requestedClass)"
            if let checkpoint {
                let space = world.isRoot ? try LabeledSpace(contentsOf: oracle) : nil
                try sweep(checkpoint: checkpoint, seed: seed, prefix: prefix, space: space, world: world)
                return
            }
            guard let fits, let model, let data else { return }
            guard world.size % fitGroups == 0 else {
                throw ValidationError("--fit-groups \(fitGroups) must divide the \(world.size) ranks")
            }
            let groups = try FitGroups(splitting: world, fitCount: fits, groupCount: fitGroups)
            let space = groups.ranks.isRoot ? try LabeledSpace(contentsOf: oracle) : nil
            let runURL = URL(fileURLWithPath: runDirectory ?? "runs/fits-\(model.rawValue)")
            let logger = Logger(label: "matgan-dist.sweep")
            var swept: [(fit: Int, metrics: ClassMetrics)] = []  // on the group's first rank
            for fit in groups.fits {
                let world = groups.ranks  // the ranks of this fit
                var configuration = ElpasoliteConfiguration.defaults(
                    for: model, stop: steps.map { StopCondition(maximumSteps: $0) })
                configuration.seed = seed + UInt64(fit - 1)
                configuration.trainFraction = trainFraction
                let session = try TrainingSession(
                    world: world, runDirectory: runURL.appendingPathComponent("fit-\(fit)"), stop: configuration.stop,
                    logInterval: configuration.logInterval, checkpointInterval: configuration.checkpointInterval, logger: logger)
                let run = try ElpasoliteRuns.make(
                    configuration: configuration,
                    data: try ElpasoliteTrainingSet(path: data, trainFraction: configuration.trainFraction, seed: configuration.seed),
                    world: world)
                try session.start(run, policy: overwrite ? .overwrite : .fresh)
                let summary = try session.train(run)
                try world.barrier()
                if world.isRoot {
                    print(String(format: "fit %d/%d: trained %@ (seed %llu) to step %d in %.1f s", fit, fits, model.rawValue,
                                 configuration.seed, summary.steps, summary.seconds))
                }
                if let metrics = try sweep(checkpoint: session.checkpointPath, seed: configuration.seed,
                                           prefix: "\(prefix)-fit-\(fit)", space: space, world: world) {
                    swept.append((fit, metrics))
                }
            }
            guard let byFit = try groups.gatherMetrics(swept) else { return }
            let table = ElpasoliteFitTable(model: model.rawValue, fits: byFit.map(\.metrics))
            try table.csv.write(toFile: prefix + "-fits.csv", atomically: true, encoding: .utf8)
            print(table.markdown, terminator: "")
            print("wrote \(prefix)-fits.csv")
        }
    }

    /// Sweeps one checkpoint over all ranks; rank 0 writes the outputs, prints a report and
    /// returns the metrics (`nil` on the other ranks). Collective.
    @discardableResult
    private func sweep(checkpoint: String, seed: UInt64, prefix: String, space: LabeledSpace?,
                       world: Communicator) throws -> ClassMetrics? {
        let started = Date()
        let source = try ElpasoliteSampleSource(checkpoint: checkpoint, blockRows: ElpasoliteSweep.blockSize, beta: beta)
        var curve = DiscoveryCurve(requestedClass: requestedClass)
        var tupleClasses = space?.classes ?? []
        if world.size > 1 { try world.broadcast(&tupleClasses, root: 0) }
        let sweep = ElpasoliteSweep(source: source, requestedClass: requestedClass, budget: validSamples, seed: seed,
                                    curvePoints: curvePoints, world: world, tupleClasses: tupleClasses)
        let result = try sweep.run { samples, unique in
            if let space { curve.record(samples: samples, unique: unique, space: space) }
        }
        let swept = Date()
        guard let space else { return nil }
        let outputs = ElpasoliteOutputs(requestedClass: requestedClass, unique: result.unique, space: space, prefix: prefix)
        // Over all accepted samples, repeats included, beside the paper's distinct-tuple precision.
        let perClass = result.samplesPerClass, index = requestedClass - 1
        let neighbours = [index - 1, index + 1].filter(perClass.indices.contains).map { perClass[$0] }.reduce(0, +)
        let samplePrecision = (inClass: Double(perClass[index]) / Double(result.validSamples),
                               neighbours: Double(neighbours) / Double(result.validSamples))
        try outputs.write(curve: curve, leadingColumns: [
            ("model", source.model.rawValue), ("seed", String(seed)), ("valid_samples", String(result.validSamples)),
            ("invalid_samples", String(result.invalidSamples)),
            ("sample_precision", String(format: "%.6f", samplePrecision.inClass)),
            ("sample_neighbouring_precision", String(format: "%.6f", samplePrecision.neighbours)),
        ])
        let drawn = result.validSamples + result.invalidSamples
        print(String(format: "%@ class %d: %d valid samples (%d invalid, %.2f %% of %d drawn), %d distinct valid",
                     source.model.rawValue, requestedClass, result.validSamples, result.invalidSamples,
                     Double(result.invalidSamples) / Double(drawn) * 100, drawn, outputs.metrics.uniqueCount))
        print(outputs.summary)
        print(String(format: "over all %d valid samples, repeats included: precision %.4f, neighbouring precision %.4f",
                     result.validSamples, samplePrecision.inClass, samplePrecision.neighbours))
        print(String(format: "timings: sweep %.2f s (rank 0: generate+decode %.2f s, count+merge %.2f s), metrics %.2f s "
                     + "on %d rank(s)", swept.timeIntervalSince(started), result.generationSeconds, result.mergeSeconds,
                     Date().timeIntervalSince(swept), world.size))
        print("wrote \(prefix)-metrics.csv, \(prefix)-curve.csv, \(prefix)-curve.svg")
        return outputs.metrics
    }
}

/// The metrics and files of `elpasolite evaluate` and `sweep`: Türk et al.'s class metrics of
/// the distinct valid tuples, the JS distance against the DFT tuples (with A/B swaps) that the
/// oracle puts in the requested class, and the discovery curve as CSV and SVG.
struct ElpasoliteOutputs {
    let prefix: String
    let metrics: ClassMetrics
    /// The DFT tuples of the requested class, the JS distance's reference.
    let referenceCount: Int

    init(requestedClass: Int, unique: TupleBitmap, space: LabeledSpace, prefix: String) {
        var referenceSet = space.dataSetBitmap
        referenceSet.formIntersection(space.classBitmaps[requestedClass - 1])
        metrics = ClassMetrics(unique: unique, requestedClass: requestedClass, space: space, reference: SiteFrequencies(referenceSet))
        referenceCount = referenceSet.count
        self.prefix = prefix
    }

    /// Writes PREFIX-metrics.csv (the `leadingColumns`, then ``ClassMetrics``' columns),
    /// PREFIX-curve.csv and PREFIX-curve.svg.
    func write(curve: DiscoveryCurve, leadingColumns: [(name: String, value: String)] = []) throws {
        let header = (leadingColumns.map(\.name) + [ClassMetrics.csvHeader]).joined(separator: ",")
        let row = (leadingColumns.map(\.value) + [metrics.csvRow]).joined(separator: ",")
        try (header + "\n" + row + "\n").write(toFile: prefix + "-metrics.csv", atomically: true, encoding: .utf8)
        try curve.csv.write(toFile: prefix + "-curve.csv", atomically: true, encoding: .utf8)
        try curve.svg(title: "Discoveries, requested class \(metrics.requestedClass)")
            .write(toFile: prefix + "-curve.svg", atomically: true, encoding: .utf8)
    }

    /// The metrics as one line.
    var summary: String {
        String(format: "precision %.4f, neighbouring precision %.4f, coverage %.4f, neighbouring coverage %.4f, "
               + "JS distance %.4f (against %d DFT tuples of the class)", metrics.precision, metrics.neighbouringPrecision,
               metrics.coverage, metrics.neighbouringCoverage, metrics.jensenShannonDistance, referenceCount)
    }
}
