import ArgumentParser
import Datasets
import Distributed
import Foundation
import HDF5
import Property

extension PropertyModel.Kind: ExpressibleByArgument {}

/// `matgan-dist property`: composition property models (Magpie features + random forest or
/// gradient-boosted trees, or an ElemNet-style network on element fractions).
struct PropertyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "property",
        abstract: "Train and apply composition property models (band gap, formation energy).",
        subcommands: [PropertyTrain.self, PropertyPredict.self, PropertyDistribution.self])
}

/// A data file given by path, or by name in the data directory (e.g. `mp_band_gap_matbench.csv`).
private func resolveDataFile(_ name: String, _ data: DataOptions) throws -> String {
    if FileManager.default.fileExists(atPath: name) || name.contains("/") { return name }
    return try data.resolve().appendingPathComponent(name).path
}

/// Seconds since `start`, formatted.
private func seconds(since start: Date) -> String {
    String(format: "%.1f s", Date().timeIntervalSince(start))
}

struct PropertyTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a property model and report R2 / MAE / RMSE on a held-out split.",
        discussion: """
            --data is a CSV with a formula column (a name alone is looked up in the data \
            directory) or a `prepare` HDF5 file. The hold-out is the file's own split when it \
            has one (a CSV split column: test rows are held out, val rows skipped), else a seeded \
            --test-fraction. rf and gbdt read the 138 Magpie features of magpie_elements.csv, \
            elemnet the 86 element fractions. Trees are built in parallel over MPI ranks; the \
            model does not depend on the rank count. Rank 0 writes the model atomically.
            """)

    @Option(help: ArgumentHelp("rf, gbdt or elemnet.", valueName: "kind"))
    var model: PropertyModel.Kind

    @Option(help: ArgumentHelp("Training data: CSV (path or data-directory name) or prepared HDF5.", valueName: "file"))
    var data: String

    @Option(help: ArgumentHelp("Target column (default: the first column besides formula and split).", valueName: "name"))
    var target: String?

    @Option(name: .customLong("test-fraction"), parsing: .unconditional, help: ArgumentHelp("Hold-out fraction when the file has no split.", valueName: "f"))
    var testFraction = 0.1

    @Flag(name: .customLong("group-by-formula"), help: ArgumentHelp(
        "Hold out whole reduced formulas, so no polymorph of a hold-out formula is trained on (with --test-fraction)."))
    var groupByFormula = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Seed of the hold-out split and the model.", valueName: "n"))
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: ArgumentHelp("Trees (rf, gbdt; default 100).", valueName: "n"))
    var trees: Int?

    @Option(name: .customLong("max-depth"), parsing: .unconditional, help: ArgumentHelp("Tree depth limit (rf: none, gbdt: 20).", valueName: "n"))
    var maxDepth: Int?

    @Option(name: .customLong("min-samples-leaf"), parsing: .unconditional, help: ArgumentHelp("Fewest rows per leaf (default 1).", valueName: "n"))
    var minSamplesLeaf: Int?

    @Option(name: .customLong("max-features"), parsing: .unconditional, help: ArgumentHelp("rf: fraction of features per split (default 1/3).", valueName: "f"))
    var maxFeatures: Double?

    @Option(name: .customLong("learning-rate"), parsing: .unconditional, help: ArgumentHelp("gbdt (0.06) or elemnet Adam (0.001) rate.", valueName: "r"))
    var learningRate: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("gbdt: fraction of rows per tree (default 0.4).", valueName: "f"))
    var subsample: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("elemnet: epochs (default 20).", valueName: "n"))
    var epochs: Int?

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: ArgumentHelp("elemnet: global batch (default 256).", valueName: "n"))
    var batchSize: Int?

    @Option(name: .customLong("hidden-widths"), help: ArgumentHelp(
        "elemnet: hidden layers, e.g. 1024x4,512x3,256x3,128x3,64x2,32 or 'paper' (default: compact 512x2,256x2,128,64,32).",
        valueName: "spec"), transform: HiddenWidths.parse)
    var hiddenWidths: HiddenWidths?

    @Option(name: [.short, .long], help: ArgumentHelp("Model file to write (HDF5).", valueName: "file"))
    var output: String

    @OptionGroup var dataOptions: DataOptions

    func validate() throws {
        guard testFraction > 0, testFraction < 1 else { throw ValidationError("--test-fraction must be in (0, 1), got \(testFraction)") }
        try OutputPath.checkDistinct(output, option: "--output", from: [("--data", data)])
        let treeOptions = [trees != nil, maxDepth != nil, minSamplesLeaf != nil]
        if model == .elemNet, treeOptions.contains(true) || maxFeatures != nil || subsample != nil {
            throw ValidationError("--trees, --max-depth, --min-samples-leaf, --max-features and --subsample are for rf and gbdt")
        }
        if model != .elemNet, epochs != nil || batchSize != nil || hiddenWidths != nil {
            throw ValidationError("--epochs, --batch-size and --hidden-widths are for elemnet")
        }
        if model == .randomForest, learningRate != nil || subsample != nil {
            throw ValidationError("--learning-rate and --subsample are not rf options")
        }
        if model == .gradientBoosting, maxFeatures != nil { throw ValidationError("--max-features is an rf option") }
    }

    func run() throws {
        let world = try Communicator.world
        RankLogHandler.bootstrap(rank: world.rank, verbose: false)
        try world.abortingOnError {
            let log: (String) -> Void = { if world.isRoot { print($0); fflush(nil) } }
            let path = try resolveDataFile(data, dataOptions)
            let labeled = try LabeledCompositions(file: path, target: target)
            let split = try HoldoutSplit(labeled, testFraction: testFraction, groupByFormula: groupByFormula, seed: seed)
            let trainRows = split.trainingRows, testRows = split.holdoutRows
            log("\(path): \(labeled.compositions.count) rows (\(trainRows.count) train, \(testRows.count) hold-out"
                + (labeled.validationRowsSkipped > 0 ? ", \(labeled.validationRowsSkipped) val rows skipped" : "")
                + "), target \(labeled.target), \(world.size) rank(s)")

            let magpie = model.featureSet == .magpie ? try MagpieFeaturizer(dataDirectory: try dataOptions.resolve()) : nil
            let start = Date()
            let features = try magpie.map { try $0.features(of: labeled.compositions) }
                ?? ElementFractions.features(of: labeled.compositions)
            let featureNames = magpie?.featureNames ?? ElementFractions.featureNames
            log("features: \(features.columnCount) per row in \(seconds(since: start))")
            let trainFeatures = features.selectingRows(trainRows), testFeatures = features.selectingRows(testRows)
            let trainTargets = trainRows.map { labeled.targets[$0] }, testTargets = testRows.map { labeled.targets[$0] }

            var provenance: [String: AttributeValue] = [
                "training_file": .string(path), "training_sha256": .string(labeled.sourceSHA256),
                "train_rows": .int64(Int64(trainRows.count)), "holdout_rows": .int64(Int64(testRows.count)),
                "seed": .int64(Int64(bitPattern: seed)), "ranks": .int64(Int64(world.size)),
            ]
            if labeled.isHoldout == nil {
                provenance["test_fraction"] = .double(testFraction)
                provenance["holdout_grouped_by_formula"] = .int64(groupByFormula ? 1 : 0)
            }
            if let magpie { provenance["feature_table_sha256"] = .string(magpie.sourceSHA256) }

            let trainStart = Date()
            let regressor: PropertyModel.Regressor
            switch model {
            case .randomForest:
                var parameters = RandomForestParameters()
                parameters.seed = seed
                if let trees { parameters.treeCount = trees }
                parameters.maxDepth = maxDepth
                if let minSamplesLeaf { parameters.minSamplesLeaf = minSamplesLeaf }
                if let maxFeatures { parameters.maxFeatures = maxFeatures }
                provenance["tree_count"] = .int64(Int64(parameters.treeCount))
                provenance["max_depth"] = .int64(Int64(parameters.maxDepth ?? 0))  // 0: unlimited
                provenance["min_samples_leaf"] = .int64(Int64(parameters.minSamplesLeaf))
                provenance["max_features"] = .double(parameters.maxFeatures)
                provenance["bootstrap"] = .int64(parameters.bootstrap ? 1 : 0)
                regressor = .trees(try RandomForest.fit(features: trainFeatures, targets: trainTargets, parameters: parameters,
                                                        world: world))
            case .gradientBoosting:
                var parameters = GradientBoostingParameters()
                parameters.seed = seed
                if let trees { parameters.treeCount = trees }
                if let maxDepth { parameters.maxDepth = maxDepth }
                if let minSamplesLeaf { parameters.minSamplesLeaf = minSamplesLeaf }
                if let learningRate { parameters.learningRate = learningRate }
                if let subsample { parameters.subsample = subsample }
                provenance["tree_count"] = .int64(Int64(parameters.treeCount))
                provenance["max_depth"] = .int64(Int64(parameters.maxDepth))
                provenance["min_samples_leaf"] = .int64(Int64(parameters.minSamplesLeaf))
                provenance["learning_rate"] = .double(parameters.learningRate)
                provenance["subsample"] = .double(parameters.subsample)
                let total = parameters.treeCount
                regressor = .trees(try GradientBoosting.fit(
                    features: trainFeatures, targets: trainTargets, parameters: parameters, world: world,
                    progress: { built in if built % 10 == 0 || built == total { log("tree \(built)/\(total) (\(seconds(since: trainStart)))") } }))
            case .elemNet:
                var parameters = ElemNetParameters()
                parameters.seed = seed
                if let epochs { parameters.epochs = epochs }
                if let batchSize { parameters.batchSize = batchSize }
                if let learningRate { parameters.learningRate = learningRate }
                if let hiddenWidths { parameters.hiddenWidths = hiddenWidths.widths }
                provenance["epochs"] = .int64(Int64(parameters.epochs))
                provenance["batch_size"] = .int64(Int64(parameters.batchSize))
                provenance["learning_rate"] = .double(parameters.learningRate)
                provenance["hidden_widths"] = .int64Array(parameters.hiddenWidths.map(Int64.init))
                regressor = .network(try ElemNet.fit(
                    features: trainFeatures, targets: trainTargets, parameters: parameters, world: world,
                    progress: { epoch, loss in
                        log("epoch \(epoch)/\(parameters.epochs): mean absolute error \(String(format: "%.4f", loss)) (standardised) (\(seconds(since: trainStart)))")
                    }))
            }
            let trainSeconds = Date().timeIntervalSince(trainStart)
            provenance["train_seconds"] = .double(trainSeconds)
            var trained = try PropertyModel(kind: model, target: labeled.target, featureNames: featureNames,
                                            regressor: regressor, provenance: provenance)
            let metrics = RegressionMetrics(predictions: try trained.predict(testFeatures), targets: testTargets)
            provenance["holdout_r2"] = .double(metrics.r2)
            provenance["holdout_mae"] = .double(metrics.mae)
            provenance["holdout_rmse"] = .double(metrics.rmse)
            trained = try PropertyModel(kind: model, target: labeled.target, featureNames: featureNames,
                                        regressor: regressor, provenance: provenance)
            log("trained \(model.rawValue) in \(String(format: "%.1f", trainSeconds)) s on \(world.size) rank(s)")
            log("hold-out: \(metrics)")
            if world.isRoot {
                try trained.write(to: output)
                print("wrote \(output)")
            }
        }
    }
}

struct PropertyPredict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict a property for a formula list or a generated-sample file.",
        discussion: """
            INPUT is a text file of formulas (one per line, or a CSV with a formula column), a \
            `generate` sample file (/samples/formula; undecoded samples are skipped) or a \
            `prepare` file. The rows are split over the ranks and gathered by rank 0, which \
            writes index,formula,<target> (index = row or sample number) atomically.
            """)

    @Option(help: ArgumentHelp("Model file written by `property train`.", valueName: "file"))
    var model: String

    @Argument(help: ArgumentHelp("Formulas to score.", valueName: "input"))
    var input: String

    @Option(name: [.short, .long], help: ArgumentHelp("CSV file to write.", valueName: "file"))
    var output: String

    func validate() throws {
        try OutputPath.checkDistinct(output, option: "--output", from: [("--model", model), ("--input", input)])
    }

    @OptionGroup var dataOptions: DataOptions

    func run() throws {
        let world = try Communicator.world
        try world.abortingOnError {
            let start = Date()
            let trained = try PropertyModel(contentsOf: model)
            let magpie = trained.kind.featureSet == .magpie ? try MagpieFeaturizer(dataDirectory: try dataOptions.resolve()) : nil
            let candidates = try FormulaSource(path: input)
            guard !candidates.entries.isEmpty else {
                throw PropertyError("\(input): no formulas to score (empty candidate set)")
            }
            // Contiguous blocks of rows per rank, gathered in rank order = row order.
            let count = candidates.entries.count
            let block = (count + world.size - 1) / world.size
            let compositions = try candidates.compositions(min(count, world.rank * block) ..< min(count, (world.rank + 1) * block))
            let predictions: [Float]
            do {
                predictions = compositions.isEmpty ? [] : try trained.predict(compositions, magpie: magpie)
            } catch let error as PropertyError {
                throw PropertyError("\(model) on \(input): \(error)")
            }
            guard let gathered = try world.gatherv(predictions)?.values else { return }
            var text = "index,formula,\(trained.target)\n"
            for (entry, prediction) in zip(candidates.entries, gathered) {
                text += "\(entry.index),\(entry.formula),\(prediction)\n"
            }
            try text.write(toFile: output, atomically: true, encoding: .utf8)
            print("predicted \(count) rows with \(model) (\(trained.kind.rawValue), \(trained.target)) "
                  + "on \(world.size) rank(s) in \(seconds(since: start)); wrote \(output)")
        }
    }
}
