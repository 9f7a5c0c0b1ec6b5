import ArgumentParser
import Chemistry
import Datasets
import Distributed
import Foundation
import Plotting
import Property

/// `matgan-dist property distribution`: predicted-property histograms of generated, training and
/// random valid compositions (MatGAN's Fig. 6 and Fig. 4b).
struct PropertyDistribution: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distribution",
        abstract: "Histograms of a property model's predictions for generated, training and random valid compositions.",
        discussion: """
            Sets: the distinct compositions of --samples (a `matgan-dist generate` file) that pass \
            --validity; the training formulas of --data (a `prepare` file, unfiltered); and --random N \
            random compositions that pass --validity, drawn with the element-count distribution of \
            --data, distinct elements of the 85 and counts 1 ... 8. --contains keeps only \
            compositions with that element in every set (e.g. Li for the paper's Fig. 4b). Each rank \
            predicts its share of every set. Rank 0 writes PREFIX.csv (share and count per bin), \
            PREFIX.svg and prints count, mean, sd and the share above --threshold per set.
            """)

    @OptionGroup var dataOptions: DataOptions

    @Option(help: ArgumentHelp("Property model written by `property train`.", valueName: "file"))
    var model: String

    @Option(help: ArgumentHelp("Generated samples (`matgan-dist generate`).", valueName: "file"))
    var samples: String?

    @Option(help: ArgumentHelp("Prepared training file (`matgan-dist prepare`).", valueName: "file"))
    var data: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Random valid compositions to draw (needs --data for the element counts).", valueName: "n"))
    var random: Int?

    @Option(help: ArgumentHelp("Keep only compositions containing this element.", valueName: "symbol"))
    var contains: String?

    @Option(help: ArgumentHelp(
        "Validity filter of generated and random compositions: matgan (charge neutral and electronegativity balanced), "
            + "smact (also lets all-metal alloys pass) or none.", valueName: "rule"))
    var validity = "matgan"

    @Option(parsing: .unconditional, help: ArgumentHelp("Histogram bins (at most this many when the range is chosen from the data).", valueName: "n"))
    var bins = 40

    @Option(help: ArgumentHelp("Histogram range LOW:HIGH (default: the predictions' range, rounded).", valueName: "low:high"))
    var range: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Report the share of each set predicted above this value.", valueName: "x"))
    var threshold = 0.0

    @Option(parsing: .unconditional, help: ArgumentHelp("Seed of the random compositions.", valueName: "n"))
    var seed: UInt64 = 1

    @Option(name: .customLong("max-candidates"), parsing: .unconditional, help: ArgumentHelp("Give up the random draw after this many candidates.", valueName: "n"))
    var maximumCandidates = 100_000_000

    @Option(name: .customLong("output-prefix"), help: ArgumentHelp("Prefix of the CSV and SVG files.", valueName: "prefix"))
    var outputPrefix = "distribution"

    func validate() throws {
        guard samples != nil || data != nil || random != nil else {
            throw ValidationError("give at least one set: --samples, --data or --random")
        }
        if let random {
            guard random >= 1 else { throw ValidationError("--random \(random): need at least 1") }
            guard data != nil else { throw ValidationError("--random needs --data (its element-count distribution)") }
        }
        guard bins >= 1 else { throw ValidationError("--bins \(bins): need at least 1") }
        guard ["smact", "matgan", "none"].contains(validity) else {
            throw ValidationError("--validity \(validity): expected smact, matgan or none")
        }
        if let contains, Element(symbol: contains) == nil {
            throw ValidationError("--contains \(contains): not an element symbol")
        }
        if let range { _ = try Self.parseRange(range) }
        guard maximumCandidates >= 1 else { throw ValidationError("--max-candidates must be at least 1") }
    }

    static func parseRange(_ text: String) throws -> ClosedRange<Double> {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Double($0) }
        guard parts.count == 2, let low = parts[0], let high = parts[1], low.isFinite, high.isFinite, low < high else {
            throw ValidationError("--range \(text): expected LOW:HIGH with LOW < HIGH, e.g. 0:8")
        }
        return low...high
    }

    func run() throws {
        let world = try Communicator.world
        RankLogHandler.bootstrap(rank: world.rank, verbose: false)
        try world.abortingOnError {
            let propertyModel = try PropertyModel(contentsOf: model)
            let magpie = propertyModel.kind.featureSet == .magpie ? try MagpieFeaturizer(dataDirectory: dataOptions.resolve()) : nil
            let element = contains.flatMap { Element(symbol: $0) }
            let checker = validity == "none" ? nil
                : ValidityChecker(rule: validity == "smact" ? .smact : .matgan, oxidationStates: .smact14)
            let hasElement: (Composition) -> Bool = { composition in element.map { composition.count(of: $0) > 0 } ?? true }
            let keepGenerated: (Composition) -> Bool = { hasElement($0) && (checker?.check($0).isValid ?? true) }

            var sets: [(name: String, compositions: [Composition])] = []
            if let samples {
                sets.append(("generated", try CompositionSets.generated(samplesPath: samples, keep: keepGenerated, world: world)))
            }
            let trainingKeys = try data.map { try CompositionTrainingSet(path: $0).keys(split: PreparedFile.trainSplit) }
            if let trainingKeys {
                sets.append(("training", CompositionSets.training(keys: trainingKeys, keep: hasElement, world: world)))
            }
            if let random, let trainingKeys {
                let sampler = try RandomCompositionSampler(
                    encoding: .matgan, elementCountWeights: Self.elementCountWeights(trainingKeys), seed: seed)
                sets.append(("random", try CompositionSets.random(sampler: sampler, count: random, maximumCandidates: maximumCandidates,
                                                                  keep: keepGenerated, world: world)))
            }
            let predictions = try sets.map { try propertyModel.predict($0.compositions, magpie: magpie) }
            let (histogramRange, binCount) = try range.map { (try Self.parseRange($0), bins) }
                ?? observedRange(predictions, world: world)
            var distribution = PredictedDistribution(target: propertyModel.target, range: histogramRange, binCount: binCount,
                                                     threshold: threshold)
            for (set, values) in zip(sets, predictions) {
                try distribution.add(name: set.name, predictions: values, world: world)
            }
            guard world.isRoot else { return }
            if let empty = distribution.series.first(where: { $0.count == 0 }) {
                throw ValidationError("the \(empty.name) set is empty after the filters (--contains, --validity)")
            }
            let filters = [contains.map { "containing \($0)" }, validity == "none" ? nil : "\(validity)-valid"].compactMap { $0 }
            let title = "predicted \(propertyModel.target)" + (filters.isEmpty ? "" : " (\(filters.joined(separator: ", ")))")
            try distribution.csv.write(toFile: outputPrefix + ".csv", atomically: true, encoding: .utf8)
            try distribution.svg(title: title).write(toFile: outputPrefix + ".svg", atomically: true, encoding: .utf8)
            print(distribution.summary, terminator: "")
            print("wrote \(outputPrefix).csv, \(outputPrefix).svg")
        }
    }

    /// Counts of formulas with 1 ... 8 elements among `keys` (index = element count).
    private static func elementCountWeights(_ keys: [CompositionKey]) -> [Double] {
        var weights = [Double](repeating: 0, count: MatrixEncoding.maximumCount + 1)
        for key in keys { weights[key.composition.elementCount] += 1 }
        return weights
    }

    /// Bins of a round width (1, 2, 2.5 or 5 times a power of ten), at most `bins` of them, from a
    /// multiple of the width to past the largest prediction. Collective.
    private func observedRange(_ predictions: [[Float]], world: Communicator) throws -> (ClosedRange<Double>, Int) {
        let all = predictions.joined()
        let low = try world.allreduce(Double(all.min() ?? .infinity), .min)
        let high = try world.allreduce(Double(all.max() ?? -.infinity), .max)
        guard low.isFinite, high.isFinite else { return (0...1, bins) }
        var width = LinePlot.niceCeiling(max(high - low, 1e-6) / Double(bins))
        var start = (low / width).rounded(.down) * width
        if Int(((high - start) / width).rounded(.down)) + 1 > bins {  // the rounded start can cost one bin
            width = LinePlot.niceCeiling(width * 1.01)
            start = (low / width).rounded(.down) * width
        }
        let binCount = min(bins, Int(((high - start) / width).rounded(.down)) + 1)
        return (start...(start + Double(binCount) * width), binCount)
    }
}
