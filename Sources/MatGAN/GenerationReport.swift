import Chemistry
import Datasets
import Distributed
import Foundation

/// Formulas grouped by how many elements they have, as in MatGAN's Table 1.
public enum ElementCountBucket: Int, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case binary = 0, ternary, quaternary, quinaryOrMore

    /// The bucket of a composition with `elementCount` elements (at least 2).
    public init(elementCount: Int) {
        self = ElementCountBucket(rawValue: min(max(elementCount, 2), 5) - 2)!
    }

    public var description: String {
        switch self {
        case .binary: "binary"
        case .ternary: "ternary"
        case .quaternary: "quaternary"
        case .quinaryOrMore: "5+"
        }
    }
}

/// A known set of formulas generated samples are compared with: the training set, the
/// hold-out set, or another data set for cross-confirmation.
public struct ReferenceSet: Sendable {
    public let name: String
    public let keys: Set<CompositionKey>

    public init(name: String, keys: some Sequence<CompositionKey>) {
        self.name = name
        self.keys = Set(keys)
    }
}

/// One rank's share of decoded generated samples: sample `firstIndex + i` decoded to
/// `keys[i]` (`nil` when it had fewer than 2 or more than 8 elements).
public struct GeneratedShard: Sendable {
    public var firstIndex: Int
    public var keys: [CompositionKey?]
    public var chargeNeutral: [Bool]
    public var electronegativityBalanced: [Bool]

    public init(firstIndex: Int, keys: [CompositionKey?], chargeNeutral: [Bool], electronegativityBalanced: [Bool]) {
        precondition(keys.count == chargeNeutral.count && keys.count == electronegativityBalanced.count,
                     "GeneratedShard: columns of different lengths")
        self.firstIndex = firstIndex
        self.keys = keys
        self.chargeNeutral = chargeNeutral
        self.electronegativityBalanced = electronegativityBalanced
    }
}

/// Found / total per element-count bucket.
public struct BucketCounts: Codable, Sendable, Equatable {
    /// Per bucket (binary, ternary, quaternary, 5+).
    public var found: [Int]
    public var total: [Int]

    public init(found: [Int], total: [Int]) {
        self.found = found
        self.total = total
    }

    public var foundSum: Int { found.reduce(0, +) }
    public var totalSum: Int { total.reduce(0, +) }
    /// Percentage found overall.
    public var percent: Double { totalSum == 0 ? 0 : 100 * Double(foundSum) / Double(totalSum) }
}

/// The metrics of a generated sample set (MatGAN paper Fig. 4, Fig. 5 and Table 1).
public struct GenerationReport: Codable, Sendable {
    public struct CurvePoint: Codable, Sendable, Equatable {
        /// Samples generated so far.
        public var samples: Int
        /// Of those, samples that decoded to 2..8 elements (the paper drops the others before
        /// counting uniqueness).
        public var decoded: Int
        public var unique: Int
        /// Distinct compositions per generated sample.
        public var percent: Double { samples == 0 ? 0 : 100 * Double(unique) / Double(samples) }
        /// Distinct compositions per decoded sample.
        public var percentOfDecoded: Double { decoded == 0 ? 0 : 100 * Double(unique) / Double(decoded) }
    }

    public struct Validity: Codable, Sendable, Equatable {
        public var count: Int
        public var chargeNeutral: Int
        public var electronegativityBalanced: Int

        public init(count: Int, chargeNeutral: Int, electronegativityBalanced: Int) {
            self.count = count
            self.chargeNeutral = chargeNeutral
            self.electronegativityBalanced = electronegativityBalanced
        }
        public var chargeNeutralPercent: Double { count == 0 ? 0 : 100 * Double(chargeNeutral) / Double(count) }
        public var balancedPercent: Double { count == 0 ? 0 : 100 * Double(electronegativityBalanced) / Double(count) }
    }

    /// Samples generated.
    public var samples: Int
    /// Samples that decoded to 2..8 elements, per element-count bucket.
    public var decodedByBucket: [Int]
    /// Validity over all decoded samples and over the distinct ones.
    public var generatedValidity: Validity
    public var uniqueValidity: Validity
    /// Validity of the training set under the same rule.
    public var trainingValidity: Validity
    /// Distinct decoded compositions.
    public var unique: Int
    /// Distinct compositions after n samples.
    public var uniquenessCurve: [CurvePoint]
    /// Distinct compositions not in the training set, per bucket (`total` = distinct generated).
    public var novel: BucketCounts
    /// Novel compositions that are not in the hold-out set either.
    public var novelOutsideHoldout: Int
    /// For each reference set (training, hold-out, ...): its formulas found among the samples.
    public var recovery: [String: BucketCounts]
    /// Novel generated compositions that exist in another data set.
    public var confirmedElsewhere: [String: Int]
    /// Fraction of element occurrences per MatGAN element (85, in matrix row order).
    public var generatedElementFrequency: [Double]
    public var trainingElementFrequency: [Double]
    /// Jensen-Shannon distance (base 2) between the two element distributions.
    public var elementJensenShannonDistance: Double
}

/// Computes ``GenerationReport``s over samples spread across the ranks, against reference sets
/// fixed at construction.
///
/// Each rank keeps the share of every reference set it owns (the owner of a key is the same as
/// in ``DistributedUniqueSet``), and the training set's validity and element frequencies are
/// computed once: evaluating many sample sets (`evaluate`, and a training run's evaluation
/// every few steps) repeats only the work that depends on the samples.
public struct GenerationEvaluator {
    public let world: Communicator
    public let validity: ValidityChecker
    public let encoding: MatrixEncoding
    public let training: ReferenceSet
    public let holdout: ReferenceSet?
    public let references: [ReferenceSet]

    /// One reference set's keys that this rank owns, with their element-count buckets.
    private struct OwnedShare {
        var name: String
        var keys: [(key: CompositionKey, bucket: Int)]
        /// The set's formulas per bucket over all ranks.
        var total: [Int]
    }

    /// Training, hold-out (if any), then the further references.
    private let owned: [OwnedShare]
    private let ownedTraining: Set<CompositionKey>
    private let ownedHoldout: Set<CompositionKey>
    private let trainingValidity: GenerationReport.Validity
    private let trainingFrequency: [Double]

    /// Prepares the evaluation of samples against `training`, `holdout` and further
    /// `references`. Collective.
    public init(world: Communicator, validity: ValidityChecker, encoding: MatrixEncoding = .matgan, training: ReferenceSet,
                holdout: ReferenceSet?, references: [ReferenceSet] = []) throws {
        self.world = world
        self.validity = validity
        self.encoding = encoding
        self.training = training
        self.holdout = holdout
        self.references = references
        func owns(_ key: CompositionKey) -> Bool { DistributedUniqueSet.owner(of: key, worldSize: world.size) == world.rank }
        ownedTraining = training.keys.filter(owns)
        ownedHoldout = holdout?.keys.filter(owns) ?? []

        var owned: [OwnedShare] = []
        for reference in [training] + (holdout.map { [$0] } ?? []) + references {
            let keys = reference.keys.filter(owns).map { ($0, ElementCountBucket(elementCount: $0.composition.elementCount).rawValue) }
            var total = [Int64](repeating: 0, count: 4)
            for (_, bucket) in keys { total[bucket] += 1 }
            try world.allreduce(&total, .sum)
            owned.append(OwnedShare(name: reference.name, keys: keys, total: total.map(Int.init)))
        }
        self.owned = owned

        // Training validity and element frequencies, each rank over its owned share.
        var trainingCounts = [Int64](repeating: 0, count: 3 + encoding.rowCount)
        for key in ownedTraining {
            let composition = key.composition
            let check = validity.check(composition)
            trainingCounts[0] += 1
            if check.isChargeNeutral { trainingCounts[1] += 1 }
            if check.isElectronegativityBalanced { trainingCounts[2] += 1 }
            for element in composition.elements {
                if let row = encoding.row(of: element) { trainingCounts[3 + row] += 1 }
            }
        }
        try world.allreduce(&trainingCounts, .sum)
        trainingValidity = .init(count: Int(trainingCounts[0]), chargeNeutral: Int(trainingCounts[1]),
                                 electronegativityBalanced: Int(trainingCounts[2]))
        trainingFrequency = Self.normalized(trainingCounts[3...])
    }

    /// Evaluates every rank's `shard` against the reference sets. Collective; returns the
    /// report on rank 0 and `nil` elsewhere.
    ///
    /// - Parameters:
    ///   - totalSamples: samples over all ranks (the last curve point).
    ///   - curveSampleCounts: where to read the uniqueness curve.
    public func evaluate(shard: GeneratedShard, totalSamples: Int, curveSampleCounts: [Int]) throws -> GenerationReport? {
        let rows = encoding.rowCount
        // Per-sample statistics, then one sum over ranks.
        var sampleCounts = [Int64](repeating: 0, count: 4 + 2 + rows)
        for (offset, key) in shard.keys.enumerated() {
            guard let key else { continue }
            let composition = key.composition
            sampleCounts[ElementCountBucket(elementCount: composition.elementCount).rawValue] += 1
            if shard.chargeNeutral[offset] { sampleCounts[4] += 1 }
            if shard.electronegativityBalanced[offset] { sampleCounts[5] += 1 }
            for element in composition.elements {
                if let row = encoding.row(of: element) { sampleCounts[6 + row] += 1 }
            }
        }
        try world.allreduce(&sampleCounts, .sum)

        let unique = try DistributedUniqueSet(keys: shard.keys, firstIndex: shard.firstIndex, world: world)
        let curveCounts = try unique.uniqueCounts(atSampleCounts: curveSampleCounts)
        // Decoded samples among the first n, for each curve point: a prefix count over this
        // rank's contiguous slice, summed over ranks.
        var decodedBefore = [Int](repeating: 0, count: shard.keys.count + 1)
        for (offset, key) in shard.keys.enumerated() { decodedBefore[offset + 1] = decodedBefore[offset] + (key == nil ? 0 : 1) }
        var curveDecoded = curveSampleCounts.map { Int64(decodedBefore[min(max($0 - shard.firstIndex, 0), shard.keys.count)]) }
        try world.allreduce(&curveDecoded, .sum)

        // Each owner checks its distinct keys against its share of every reference set.
        var ownedCounts = [Int64](repeating: 0, count: 3 + 4 + 4 + 1)
        for key in unique.firstOccurrence.keys {
            let composition = key.composition
            let check = validity.check(composition)
            ownedCounts[0] += 1
            if check.isChargeNeutral { ownedCounts[1] += 1 }
            if check.isElectronegativityBalanced { ownedCounts[2] += 1 }
            let bucket = ElementCountBucket(elementCount: composition.elementCount).rawValue
            ownedCounts[3 + bucket] += 1
            if !ownedTraining.contains(key) {
                ownedCounts[7 + bucket] += 1
                if !ownedHoldout.contains(key) { ownedCounts[11] += 1 }
            }
        }
        try world.allreduce(&ownedCounts, .sum)

        var recovery: [String: BucketCounts] = [:]
        var confirmed: [String: Int] = [:]
        for share in owned {
            // found[4], novel-and-present
            var counts = [Int64](repeating: 0, count: 5)
            for (key, bucket) in share.keys where unique.firstOccurrence[key] != nil {
                counts[bucket] += 1
                if !ownedTraining.contains(key) { counts[4] += 1 }
            }
            try world.allreduce(&counts, .sum)
            recovery[share.name] = BucketCounts(found: counts[0..<4].map(Int.init), total: share.total)
            if share.name != training.name { confirmed[share.name] = Int(counts[4]) }
        }

        guard world.isRoot else { return nil }
        let generatedFrequency = Self.normalized(sampleCounts[6...])
        let decoded = sampleCounts[0..<4].map(Int.init)
        return GenerationReport(
            samples: totalSamples,
            decodedByBucket: decoded,
            generatedValidity: .init(count: decoded.reduce(0, +), chargeNeutral: Int(sampleCounts[4]),
                                     electronegativityBalanced: Int(sampleCounts[5])),
            uniqueValidity: .init(count: Int(ownedCounts[0]), chargeNeutral: Int(ownedCounts[1]),
                                  electronegativityBalanced: Int(ownedCounts[2])),
            trainingValidity: trainingValidity,
            unique: Int(ownedCounts[0]),
            uniquenessCurve: curveSampleCounts.indices.map {
                .init(samples: curveSampleCounts[$0], decoded: Int(curveDecoded[$0]), unique: curveCounts[$0])
            },
            novel: BucketCounts(found: ownedCounts[7..<11].map(Int.init), total: ownedCounts[3..<7].map(Int.init)),
            novelOutsideHoldout: Int(ownedCounts[11]),
            recovery: recovery,
            confirmedElsewhere: confirmed,
            generatedElementFrequency: generatedFrequency,
            trainingElementFrequency: trainingFrequency,
            elementJensenShannonDistance: jensenShannonDistance(generatedFrequency, trainingFrequency))
    }

    private static func normalized(_ counts: ArraySlice<Int64>) -> [Double] {
        let total = Double(counts.reduce(0, +))
        return counts.map { total == 0 ? 0 : Double($0) / total }
    }
}
