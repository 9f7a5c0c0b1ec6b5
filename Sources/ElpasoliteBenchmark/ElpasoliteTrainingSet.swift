import Chemistry
import Datasets
import Foundation
import HDF5
import NeuralNet
import Random
import Training

/// The training rows of a file written by `matgan-dist prepare --preset elpasolite`: the
/// scaled 8-number vectors and energy classes of the DFT tuples with their A/B swaps, held in
/// memory on every rank (21,112 rows are 675 KB).
public final class ElpasoliteTrainingSet {
    /// The prepared file.
    public let path: String
    /// Its SHA-256, recorded in checkpoints so a resume on other data is refused.
    public let sha256: String
    /// `[rowCount, 8]` scaled (period, group) per site.
    public let vectors: [Float]
    /// The 0-based energy class of each row (the paper's class minus 1).
    public let classes: [Int]

    /// Reads the training split of `path`; with `trainFraction` below 1, keeps the first
    /// `round(fraction × rows)` rows of a permutation seeded by `seed` (in file order).
    public init(path: String, trainFraction: Double = 1, seed: UInt64 = 0) throws {
        guard trainFraction > 0, trainFraction <= 1 else {
            throw DataFileError(file: path, message: "cannot keep a fraction \(trainFraction) of its rows; expected (0, 1]")
        }
        let file = try File.open(path)
        defer { try? file.commit() }
        let format = try? file.attribute("format").stringValue
        let kind = try? file.attribute("kind").stringValue
        guard format == PreparedFile.format, kind == "elpasolites" else {
            throw DataFileError(file: path, message: "is not an elpasolite file written by `matgan-dist prepare --preset elpasolite` "
                                    + "(format \(format ?? "missing"), kind \(kind ?? "missing"))")
        }
        let features = ElpasoliteNetworks.featureCount
        let allVectors = try file.read(PreparedFile.vector, as: Float.self)
        let allClasses = try file.read(PreparedFile.classIndex, as: UInt8.self)
        let split = try file.read(PreparedFile.split, as: UInt8.self)
        guard allVectors.count == split.count * features, allClasses.count == split.count else {
            throw DataFileError(file: path, message: "'\(PreparedFile.vector)' holds \(allVectors.count) values and "
                                    + "'\(PreparedFile.classIndex)' \(allClasses.count) for \(split.count) rows; expected 8 and 1 per row")
        }
        if let bad = allClasses.first(where: { Int($0) >= ElpasoliteNetworks.classCount }) {
            throw DataFileError(file: path, message: "'\(PreparedFile.classIndex)' holds class index \(bad); expected 0...9")
        }
        var rows = split.indices.filter { split[$0] == PreparedFile.trainSplit }
        if trainFraction < 1 {
            let kept = Int((Double(rows.count) * trainFraction).rounded())
            rows = permutation(count: rows.count, seed: derivedSeed(seed, for: .elpasoliteTrainFraction), epoch: 0)
                .prefix(kept).sorted().map { rows[$0] }
        }
        guard !rows.isEmpty else {
            throw DataFileError(file: path, message: "has no training rows (at train fraction \(trainFraction))")
        }
        self.path = path
        sha256 = try FileDigest.sha256(ofFileAt: path)
        vectors = rows.flatMap { allVectors[$0 * features ..< ($0 + 1) * features] }
        classes = rows.map { Int(allClasses[$0]) }
    }

    /// The number of training rows.
    public var rowCount: Int { classes.count }

    /// Rows per class, `[class index 0, ..., 9]`.
    public var classCounts: [Int] {
        classes.reduce(into: [Int](repeating: 0, count: ElpasoliteNetworks.classCount)) { $0[$1] += 1 }
    }
}


/// Class-balanced training batches (Türk et al.): each row is drawn with probability inverse to
/// the size of its class, so every class present is drawn equally often.
///
/// Draws are addressed by (seed, step, global sample index): global sample `g` of step `s` comes
/// from stream `s` of the seed at block `g · 256`, whichever rank draws it, so training does
/// not depend on the rank count and a resumed run draws what an uninterrupted one would.
/// A step draws `groups` global batches (the cGAN's critic updates); rank r takes global samples
/// `k · globalBatch + r + j · worldSize` of group k, as ``SampleRandomness`` numbers them.
public struct ClassBalancedBatches {
    public let data: ElpasoliteTrainingSet
    public let globalBatch: Int
    public let groups: Int
    public let rank: Int
    public let worldSize: Int
    private let sampler: WeightedSampler
    private let seed: UInt64

    /// Fails when the global batch cannot be split evenly over the ranks.
    public init(data: ElpasoliteTrainingSet, globalBatch: Int, groups: Int, rank: Int, worldSize: Int, seed: UInt64) throws {
        guard globalBatch > 0, globalBatch % worldSize == 0 else {
            throw TrainingError.indivisibleBatch(globalBatchSize: globalBatch, worldSize: worldSize)
        }
        let counts = data.classCounts
        sampler = try WeightedSampler(weights: data.classes.map { 1 / Double(counts[$0]) })
        self.data = data
        self.globalBatch = globalBatch
        self.groups = groups
        self.rank = rank
        self.worldSize = worldSize
        self.seed = derivedSeed(seed, for: .elpasoliteBatches)
    }

    /// Rows per group on this rank.
    public var localBatch: Int { globalBatch / worldSize }

    /// The training row of global sample `sample` of step `step`.
    public func row(step: Int, sample: Int) -> Int {
        // 256 blocks per sample leave room for the alias draw's rare integer retries.
        var stream = RandomStream(seed: seed, stream: UInt64(step), position: UInt64(sample) << 8)
        return sampler.sample(using: &stream)
    }

    /// Writes this rank's `groups × localBatch` vectors (`[groups · localBatch, 8]`) and classes
    /// of step `step`, group-major.
    public func fill(step: Int, features: UnsafeMutablePointer<Float>, classes: UnsafeMutablePointer<Int>) {
        let width = ElpasoliteNetworks.featureCount
        data.vectors.withUnsafeBufferPointer { vectors in
            for group in 0 ..< groups {
                for local in 0 ..< localBatch {
                    let slot = group * localBatch + local
                    let row = row(step: step, sample: group * globalBatch + rank + local * worldSize)
                    (features + slot * width).update(from: vectors.baseAddress! + row * width, count: width)
                    classes[slot] = data.classes[row]
                }
            }
        }
    }
}
