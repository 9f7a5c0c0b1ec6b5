import Chemistry
import Datasets
import Distributed
import Foundation
import Plotting

/// Histograms of a property model's predictions over sets of compositions: generated samples,
/// training formulas and random valid compositions (MatGAN's Fig. 6 for band gaps, Fig. 4b
/// for formation energies of Li compounds).
///
/// Every set is spread over the ranks; each rank predicts its share and one allreduce of the bin
/// counts and moments per set combines them, so the result does not depend on the rank count.
public struct PredictedDistribution {
    /// One set's histogram and moments.
    public struct Series: Sendable {
        public let name: String
        /// Compositions per bin; predictions outside the range go to the first or last bin.
        public let counts: [Int]
        public let count: Int
        public let mean: Double
        public let standardDeviation: Double
        /// Compositions predicted above ``PredictedDistribution/threshold``.
        public let aboveThreshold: Int

        /// Share of the set in each bin.
        public var fractions: [Double] { counts.map { count == 0 ? 0 : Double($0) / Double(count) } }
    }

    public let range: ClosedRange<Double>
    public let binCount: Int
    /// Width of each bin.
    public var binWidth: Double { (range.upperBound - range.lowerBound) / Double(binCount) }
    public let threshold: Double
    public let target: String
    public private(set) var series: [Series] = []

    /// An empty distribution over `binCount` equal bins of `range`.
    public init(target: String, range: ClosedRange<Double>, binCount: Int, threshold: Double) {
        precondition(binCount >= 1 && range.upperBound > range.lowerBound, "PredictedDistribution: empty range or no bins")
        self.target = target
        self.range = range
        self.binCount = binCount
        self.threshold = threshold
    }

    /// Adds the set whose share on this rank is `predictions`. Collective.
    public mutating func add(name: String, predictions: [Float], world: Communicator) throws {
        var counts = [Int64](repeating: 0, count: binCount + 2)  // bins, then set size and count above threshold
        var moments = [0.0, 0.0]
        for prediction in predictions {
            let value = Double(prediction)
            counts[min(max(Int(((value - range.lowerBound) / binWidth).rounded(.down)), 0), binCount - 1)] += 1
            if value > threshold { counts[binCount + 1] += 1 }
            moments[0] += value
            moments[1] += value * value
        }
        counts[binCount] = Int64(predictions.count)
        try world.allreduce(&counts, .sum)
        try world.allreduce(&moments, .sum)
        let count = Int(counts[binCount])
        let mean = count == 0 ? 0 : moments[0] / Double(count)
        let variance = count < 2 ? 0 : max(0, (moments[1] - Double(count) * mean * mean) / Double(count - 1))
        series.append(Series(name: name, counts: counts[..<binCount].map(Int.init), count: count, mean: mean,
                             standardDeviation: variance.squareRoot(), aboveThreshold: Int(counts[binCount + 1])))
    }

    /// Lower edge of each bin.
    public var binStarts: [Double] { (0..<binCount).map { range.lowerBound + Double($0) * binWidth } }

    /// One row per bin: edges, then each set's share and count.
    public var csv: String {
        var lines = [(["bin_low", "bin_high"] + series.flatMap { ["\($0.name)_fraction", "\($0.name)_count"] })
            .joined(separator: ",")]
        for (bin, start) in binStarts.enumerated() {
            lines.append(([String(format: "%.4f", start), String(format: "%.4f", start + binWidth)] + series.flatMap {
                [String(format: "%.6f", $0.fractions[bin]), String($0.counts[bin])]
            }).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Count, mean ± sd and share above the threshold of each set, as a Markdown table.
    public var summary: String {
        var lines = ["| set | compositions | mean \(target) | sd | above \(threshold) |", "|---|---|---|---|---|"]
        for set in series {
            let share = set.count == 0 ? 0 : 100 * Double(set.aboveThreshold) / Double(set.count)
            lines.append(String(format: "| %@ | %d | %.3f | %.3f | %d (%.1f %%) |", set.name, set.count, set.mean,
                                set.standardDeviation, set.aboveThreshold, share))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The share of each set per bin against the bin centre.
    public func svg(title: String) -> String {
        let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]
        return LinePlot(title: title, xLabel: "predicted \(target)", yLabel: "share of compositions",
                        x: binStarts.map { $0 + binWidth / 2 },
                        series: series.enumerated().map { ("\($1.name) (\($1.count))", colors[$0 % colors.count], $1.fractions) }).svg
    }
}

/// The composition sets of a ``PredictedDistribution``, each read or drawn as this rank's share.
public enum CompositionSets {
    /// This rank's share of the distinct compositions of a `matgan-dist generate` file that pass
    /// `keep`: each distinct composition is kept by the rank that owns its hash. Collective.
    public static func generated(samplesPath: String, keep: (Composition) -> Bool, world: Communicator) throws -> [Composition] {
        let samples = try SampleFile(path: samplesPath)
        let range = samples.share(of: world)
        let unique = try DistributedUniqueSet(keys: try samples.keys(range), firstIndex: range.lowerBound, world: world)
        return unique.firstOccurrence.keys.sorted().map(\.composition).filter(keep)
    }

    /// This rank's share (every `size`-th key) of the training formulas `keys` that pass `keep`.
    public static func training(keys: [CompositionKey], keep: (Composition) -> Bool, world: Communicator) -> [Composition] {
        stride(from: world.rank, to: keys.count, by: world.size).map { keys[$0].composition }.filter(keep)
    }

    /// Candidates per block of the random draw.
    static let randomBlock = 4_096

    /// This rank's share of the first `count` candidates of `sampler` (in index order) that pass
    /// `keep`. Ranks check whole blocks of candidates in rounds; one allgather of the kept counts
    /// per round decides where the first `count` end, so the set is the same on any rank count.
    /// Stops with an error after `maximumCandidates` candidates.
    public static func random(sampler: RandomCompositionSampler, count: Int, maximumCandidates: Int,
                              keep: (Composition) -> Bool, world: Communicator) throws -> [Composition] {
        var mine: [Composition] = []
        var kept = 0, round = 0
        while kept < count {
            let block = round * world.size + world.rank
            guard round * world.size * randomBlock < maximumCandidates else {
                throw PropertyError("only \(kept) of \(count) random compositions passed the filters "
                                    + "in \(maximumCandidates) candidates; ask for fewer or relax the filters")
            }
            let found = (block * randomBlock ..< (block + 1) * randomBlock).map(sampler.candidate).filter(keep)
            let counts = try world.allgather(Int64(found.count))
            let before = kept + counts[..<world.rank].reduce(0) { $0 + Int($1) }
            mine += found.prefix(max(0, min(found.count, count - before)))
            kept += counts.reduce(0) { $0 + Int($1) }
            round += 1
        }
        return mine
    }
}
