import ArgumentParser
import Chemistry
import Datasets
import Distributed
import Foundation
import HDF5
import MatGAN
import NeuralNet
import Training

/// `matgan-dist decodability`: which training and hold-out formulas the trained autoencoder
/// reproduces, and how many of the others a GAN generated.
struct DecodabilityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decodability",
        abstract: "Report which formulas a trained MatGAN autoencoder reproduces exactly.",
        discussion: """
            A formula is decodable when its one-hot matrix, encoded and decoded, rounds back to \
            itself cell for cell (paper: 96.31 % of training and 95.50 % of test formulas). The \
            formulas that are not go to OUTPUT-DIR/non_decodable_{training,holdout}.csv. With \
            --samples, also reports what fraction of the non-decodable training formulas a GAN \
            generated.
            """)

    @Option(help: ArgumentHelp("Autoencoder checkpoint (train --model matgan-ae or active-ae).", valueName: "file"))
    var checkpoint: String

    @Option(help: ArgumentHelp("Prepared file with the training and hold-out splits.", valueName: "file"))
    var data: String

    @Option(help: ArgumentHelp("Sample file of a GAN (from generate) to look the non-decodable formulas up in.", valueName: "file"))
    var samples: String?

    @Option(name: .customLong("output-dir"), help: ArgumentHelp("Directory for the lists (default: beside the checkpoint).", valueName: "dir"))
    var outputDirectory: String?

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: ArgumentHelp("Formulas per pass on each rank.", valueName: "n"))
    var batchSize = 1024

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        let directory = URL(fileURLWithPath: outputDirectory ?? URL(fileURLWithPath: checkpoint).deletingLastPathComponent().path)
        let inputs = [("--checkpoint", checkpoint), ("--data", data)] + (samples.map { [("--samples", $0)] } ?? [])
        for name in ["training", "holdout"] {
            try OutputPath.checkDistinct(directory.appendingPathComponent("non_decodable_\(name).csv").path, option: "the list",
                                         from: inputs)
        }
    }

    func run() throws {
        let world = try Communicator.world
        try world.abortingOnError {
            let header = try Checkpoint.readHeader(checkpoint)
            guard let model = MatGANModel(rawValue: header.model), model.isAutoencoder else {
                throw ValidationError("--checkpoint \(checkpoint) holds model \(header.model), not the autoencoder (matgan-ae or active-ae)")
            }
            let logits = model.reconstructionLoss == .binaryCrossEntropy
            let (encoder, decoder) = MatGANNetworks.autoencoder(model.variant, rows: model.encoding.rowCount, logits: logits,
                                                                maxBatch: batchSize)
            if world.isRoot {
                _ = try Checkpoint.restore(from: checkpoint, networks: [("autoencoder", encoder.store)], optimizers: [])
            }
            try DataParallel(world: world).broadcastFromRoot([encoder.store])
            let dataSet = try CompositionTrainingSet(path: data, encoding: model.encoding)
            let check = DecodabilityCheck(encoder: encoder, decoder: decoder, world: world, threshold: logits ? 0 : 0.5)
            let training = try check.run(data: dataSet, split: PreparedFile.trainSplit)
            let holdout = try check.run(data: dataSet, split: PreparedFile.holdoutSplit)

            // Which non-decodable training formulas the GAN generated: each rank looks them up
            // in its slice of the samples.
            var generatedCount: Int?
            if let samples {
                var words = training.map { $0.failures.flatMap { [$0.words.low, $0.words.high] } } ?? []
                try world.broadcast(&words, root: 0)
                let failures = Set(stride(from: 0, to: words.count, by: 2).compactMap { CompositionKey(words: (words[$0], words[$0 + 1])) })
                let sampleFile = try SampleFile(path: samples)
                let found = Set(try sampleFile.keys(sampleFile.share(of: world)).compactMap { $0 }.filter(failures.contains))
                let union = try DistributedUniqueSet(keys: Array(found), firstIndex: 0, world: world)
                generatedCount = try union.totalCount()
            }

            guard let training, let holdout else { return }
            let directory = URL(fileURLWithPath: outputDirectory ?? URL(fileURLWithPath: checkpoint).deletingLastPathComponent().path)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for (name, result) in [("training", training), ("holdout", holdout)] {
                let text = "formula\n" + result.failures.map(\.composition.formula).sorted().joined(separator: "\n") + "\n"
                try Data(text.utf8).write(to: directory.appendingPathComponent("non_decodable_\(name).csv"), options: .atomic)
            }
            func percent(_ result: (checked: Int, failures: [CompositionKey])) -> String {
                let decodable = result.checked - result.failures.count
                return "\(decodable) / \(result.checked) (\(String(format: "%.2f", 100 * Double(decodable) / Double(max(result.checked, 1)))) %)"
            }
            let isMatGAN = model == .matganAE
            print("decodable training formulas: \(percent(training))\(isMatGAN ? "   paper: 96.31 %" : "")")
            print("decodable hold-out formulas: \(percent(holdout))\(isMatGAN ? "   paper: 95.50 %" : "")")
            if let generatedCount {
                print("non-decodable training formulas the GAN generated: \(generatedCount) / \(training.failures.count) "
                      + "(\(String(format: "%.2f", 100 * Double(generatedCount) / Double(max(training.failures.count, 1)))) %)")
            }
            print("lists: \(directory.path)/non_decodable_{training,holdout}.csv")
        }
    }
}
