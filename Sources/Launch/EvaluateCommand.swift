import ArgumentParser
import Chemistry
import Datasets
import Distributed
import Foundation
import HDF5
import MatGAN

/// `matgan-dist evaluate`: validity, uniqueness, novelty and recovery of a generated sample
/// file, computed over the ranks and reported by rank 0.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure validity, uniqueness, novelty and recovery of generated samples.",
        discussion: """
            Each rank reads its slice of the sample file and reduces it to its distinct \
            compositions; one all-to-all gives every composition to an owner rank, which checks it \
            against the training, hold-out and --compare sets. Rank 0 prints the table (with the \
            MatGAN paper's figures for MP and OQMD data) and writes evaluation.json, \
            uniqueness_curve.csv and element_frequency.csv to --output-dir.
            """)

    @Option(help: ArgumentHelp("Sample file written by `matgan-dist generate`.", valueName: "file"))
    var samples: String

    @Option(help: ArgumentHelp("Prepared file the model was trained on (training and hold-out splits).", valueName: "file"))
    var data: String

    @Option(help: ArgumentHelp("Another prepared file to confirm novel compositions in, as NAME=FILE (repeatable).", valueName: "name=file"))
    var compare: [NamedFile] = []

    @Flag(name: .customLong("allow-other-data"), help: """
        Evaluate against a --data file other than the one the samples' model was trained on \
        (warns instead of refusing; novelty and recovery then mean something else).
        """)
    var allowOtherData = false

    @Option(name: .customLong("output-dir"), help: ArgumentHelp("Directory for the report files (default: beside the sample file).", valueName: "dir"))
    var outputDirectory: String?

    func validate() throws {
        var names: Set<String> = ["training", "hold-out"]
        for entry in compare where !names.insert(entry.name).inserted {
            throw ValidationError("--compare \(entry.name)=…: the name \(entry.name) is taken; give each set its own name")
        }
    }

    func run() throws {
        let world = try Communicator.world
        try world.abortingOnError {
            let sampleFile: SampleFile
            do { sampleFile = try SampleFile(path: samples) } catch let error as DataFileError { throw ValidationError("--samples \(error)") }
            let range = sampleFile.share(of: world)
            let shard = GeneratedShard(firstIndex: range.lowerBound, keys: try sampleFile.keys(range),
                                       chargeNeutral: try sampleFile.flags("charge_neutral", range),
                                       electronegativityBalanced: try sampleFile.flags("electronegativity_balanced", range))
            let oxidationStates = (try? sampleFile.file.attribute("oxidation_states").stringValue).flatMap(OxidationStateSet.init)
                ?? .smact14

            let trainingSet = try CompositionTrainingSet(path: data)
            if let trainedOn = try? sampleFile.file.attribute("training_data_sha256").stringValue, trainedOn != trainingSet.sha256 {
                let trainedFile = (try? sampleFile.file.attribute("training_data").stringValue) ?? "another file"
                let message = "--data \(data) (SHA-256 \(trainingSet.sha256.prefix(12))…) is not the file the samples' model was "
                    + "trained on, \(trainedFile) (SHA-256 \(trainedOn.prefix(12))…)"
                guard allowOtherData else { throw ValidationError(message + "; give that file, or --allow-other-data") }
                if world.isRoot { FileHandle.standardError.write(Data("warning: \(message)\n".utf8)) }
            }
            let training = ReferenceSet(name: "training", keys: try trainingSet.keys(split: PreparedFile.trainSplit))
            let holdout = ReferenceSet(name: "hold-out", keys: try trainingSet.keys(split: PreparedFile.holdoutSplit))
            var references: [ReferenceSet] = []
            for entry in compare {
                let other = try CompositionTrainingSet(path: entry.path)
                references.append(ReferenceSet(name: entry.name, keys: try other.keys(split: PreparedFile.trainSplit)
                                               + other.keys(split: PreparedFile.holdoutSplit)))
            }

            let curve = Self.curveSampleCounts(total: sampleFile.count)
            let evaluator = try GenerationEvaluator(world: world, validity: ValidityChecker(rule: .matgan, oxidationStates: oxidationStates),
                                                    training: training, holdout: holdout, references: references)
            guard let report = try evaluator.evaluate(shard: shard, totalSamples: sampleFile.count, curveSampleCounts: curve) else { return }

            let paper: PaperFigures? = switch trainingSet.preset {
            case "mp": .materialsProject
            case "oqmd": .oqmd
            default: nil
            }
            print(report.table(paper: paper))
            let directory = URL(fileURLWithPath: outputDirectory ?? URL(fileURLWithPath: samples).deletingLastPathComponent().path)
            let inputs = [("--samples", samples), ("--data", data)] + compare.map { ("--compare", $0.path) }
            for name in ["evaluation.json", "uniqueness_curve.csv", "element_frequency.csv"] {
                try OutputPath.checkDistinct(directory.appendingPathComponent(name).path, option: "the report file", from: inputs)
            }
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try report.json().write(to: directory.appendingPathComponent("evaluation.json"), options: .atomic)
            try Data(report.uniquenessCurveCSV.utf8).write(to: directory.appendingPathComponent("uniqueness_curve.csv"), options: .atomic)
            let frequencies = "element,generated,training\n" + zip(MatrixEncoding.matgan.rowElements.indices, MatrixEncoding.matgan.rowElements)
                .map { "\($1.symbol),\(report.generatedElementFrequency[$0]),\(report.trainingElementFrequency[$0])" }
                .joined(separator: "\n") + "\n"
            try Data(frequencies.utf8).write(to: directory.appendingPathComponent("element_frequency.csv"), options: .atomic)
            print("\nreport files: \(directory.path)/{evaluation.json,uniqueness_curve.csv,element_frequency.csv}")
        }
    }

    /// Where to read the uniqueness curve: 1, 2, 5 x 10^k up to the budget, the paper's 340,000,
    /// and the budget itself.
    static func curveSampleCounts(total: Int) -> [Int] {
        var counts: Set<Int> = [total]
        var decade = 1000
        while decade <= total {
            for factor in [1, 2, 5] where factor * decade <= total { counts.insert(factor * decade) }
            decade *= 10
        }
        if total >= 340_000 { counts.insert(340_000) }
        return counts.sorted()
    }
}
