import ArgumentParser
import BLAS
import Chemistry
import Datasets
import Distributed
import Foundation
import HDF5
import Logging
import MatGAN
import NeuralNet
import Training

/// `matgan-dist generate`: draws a sample budget from a trained MatGAN generator across the
/// ranks into one HDF5 file that is the same for any rank count.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate compositions from a trained MatGAN checkpoint, sharded over the ranks.",
        discussion: """
            Sample i's noise comes from (seed, i), so the output file does not depend on the \
            number of ranks. Each sample is decoded (threshold 0.2 by default, as MatGAN), and its \
            composition key, formula, element count and validity flags are stored. See \
            GenerationJob for the file layout.
            """)

    enum Decoder: String, ExpressibleByArgument, CaseIterable {
        case threshold, argmax
    }

    @Option(help: ArgumentHelp("Checkpoint written by `matgan-dist train` (matgan-mp or matgan-oqmd).", valueName: "file"))
    var checkpoint: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Number of samples over all ranks.", valueName: "n"))
    var samples: Int

    @Option(name: [.short, .long], help: ArgumentHelp("HDF5 file to write.", valueName: "file"))
    var output: String

    @Option(help: ArgumentHelp("Seed of the noise.", valueName: "n"))
    var seed: UInt64 = 7

    @Option(help: ArgumentHelp("threshold (MatGAN: a cell is on at >= the threshold, largest count wins) or argmax.", valueName: "rule"))
    var decoder: Decoder = .threshold

    @Option(parsing: .unconditional, help: ArgumentHelp("The decoder's on threshold.", valueName: "value"))
    var threshold: Float = 0.2

    @Option(name: .customLong("ox-set"), help: ArgumentHelp("Oxidation states for the validity flags.", valueName: "set"))
    var oxidationStates: OxidationStateSet = .smact14

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: ArgumentHelp("Samples per generator pass on each rank.", valueName: "n"))
    var batchSize = 4096

    @Flag(name: .customLong("raw-generator"), help: "Use the generator's own weights even when the checkpoint holds their moving average (train --ema-decay).")
    var rawGenerator = false

    @Flag(name: .customLong("save-matrices"), help: "Also store the one-hot matrices of the decoded compositions ([N, 85, 8] UInt8).")
    var saveMatrices = false

    func validate() throws {
        guard samples > 0 else { throw ValidationError("--samples must be positive, got \(samples)") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        guard threshold > 0, threshold <= 1 else { throw ValidationError("--threshold must lie in (0, 1], got \(threshold)") }
        try OutputPath.checkDistinct(output, option: "--output", from: [("--checkpoint", checkpoint)])
    }

    func run() throws {
        let world = try Communicator.world
        RankLogHandler.bootstrap(rank: world.rank, verbose: false)
        let logger = Logger(label: "matgan-dist.generate")
        try world.abortingOnError {
            let header = try Checkpoint.readHeader(checkpoint)
            guard let model = MatGANModel(rawValue: header.model), !model.isAutoencoder else {
                throw ValidationError("--checkpoint \(checkpoint) holds model \(header.model), not a MatGAN generator "
                                      + "(matgan-mp or matgan-oqmd)")
            }
            let generator = MatGANNetworks.generator(model.variant, maxBatch: batchSize)
            let weights = try !rawGenerator && Checkpoint.containsNetwork("generator_ema", at: checkpoint) ? "generator_ema" : "generator"
            if world.isRoot {
                _ = try Checkpoint.restore(from: checkpoint, networks: [(weights, generator.store)], optimizers: [])
            }
            try DataParallel(world: world).broadcastFromRoot([generator.store])
            let rule: MatrixDecodingRule = decoder == .threshold ? .threshold(threshold) : .argmax(threshold)
            let sampler = SampleGenerator(generator: generator, seed: seed, decoding: rule, oxidationStates: oxidationStates)
            let job = GenerationJob(world: world, sampler: sampler, totalSamples: samples, saveMatrices: saveMatrices)
            let start = Date()
            var lastReport: Date?
            let size = ByteCountFormatter.string(fromByteCount: Int64(job.estimatedFileSize), countStyle: .file)
            let plan = "generating \(samples) samples from \(checkpoint) (step \(header.step), \(weights)) on \(world.size) "
                + "rank(s) into \(output), about \(size)"
            logger.info("\(plan)")
            logger.logBLASKernels(isRoot: world.isRoot)
            try job.run(outputPath: output, attributes: [
                "checkpoint": .string(checkpoint), "generator_weights": .string(weights), "model": .string(header.model), "checkpoint_step": .int64(Int64(header.step)),
                "training_data": .string(header.dataFile), "training_data_sha256": .string(header.dataSHA256),
                "created": .string(ISO8601DateFormatter().string(from: Date())),
            ].merging(KernelChoice.provenance.attributes) { $1 }) { written in
                // The first report comes after the first block, so a budget of years shows at once.
                if lastReport.map({ Date().timeIntervalSince($0) > 10 }) ?? true {
                    let rate = Double(written) / max(Date().timeIntervalSince(start), 1e-3)
                    let eta = TrainingSession.duration(Double(samples - written) / max(rate, 1e-9))
                    logger.info("\(written) / \(samples) samples, \(Int(rate)) samples/s, ETA \(eta)")
                    lastReport = Date()
                }
            }
            if world.isRoot {
                let seconds = Date().timeIntervalSince(start)
                print("generated \(samples) samples in \(String(format: "%.1f", seconds)) s "
                      + "(\(Int(Double(samples) / seconds)) samples/s on \(world.size) rank(s)): \(output)")
            }
        }
    }
}
