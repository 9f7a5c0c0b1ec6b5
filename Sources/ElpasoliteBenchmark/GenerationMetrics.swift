import Chemistry
import Foundation
import Plotting

/// Element counts per site over a set of compounds: `counts[site][vocabulary position]`.
public struct SiteFrequencies: Sendable, Equatable {
    /// `counts[s][p]`: compounds with vocabulary element `p` on site `s` (A, B, C, D).
    public private(set) var counts: [[Int]]

    /// No compounds.
    public init() {
        counts = [[Int]](repeating: [Int](repeating: 0, count: Elpasolite.vocabulary.count), count: Elpasolite.siteCount)
    }

    /// The counts over `compounds`.
    public init(compounds: some Sequence<Elpasolite>) {
        self.init()
        for compound in compounds { add(compound) }
    }

    /// The counts over the tuples of `set`.
    public init(_ set: TupleBitmap) {
        self.init()
        TupleSpace.forEachTuple(in: 0..<Elpasolite.tupleCount) { index, a, b, c, d in
            guard set.contains(index) else { return }
            counts[0][a] += 1
            counts[1][b] += 1
            counts[2][c] += 1
            counts[3][d] += 1
        }
    }

    /// Counts one more compound.
    public mutating func add(_ compound: Elpasolite) {
        for (site, position) in compound.sites.enumerated() { counts[site][position] += 1 }
    }

    /// Türk et al.'s distance between two sets' element distributions: the mean over the four
    /// sites of the base-2 Jensen-Shannon distance between `p(Z | site)` and `q(Z | site)`,
    /// `d = ¼ Σ_S sqrt(Σ_Z [p/2 log2(p/m) + q/2 log2(q/m)])`, `m = (p + q)/2`. 0 for identical
    /// distributions, 1 for disjoint ones.
    public func jensenShannonDistance(to other: SiteFrequencies) -> Double {
        let total = zip(counts, other.counts).reduce(0.0) { sum, sites in
            sum + Chemistry.jensenShannonDistance(sites.0.map(Double.init), sites.1.map(Double.init))
        }
        return total / Double(Elpasolite.siteCount)
    }
}

/// How well a set of distinct generated tuples hits a requested energy class (Türk et al.),
/// measured against the oracle-labelled space.
public struct ClassMetrics: Sendable, Equatable {
    /// The requested class number 1...10.
    public let requestedClass: Int
    /// Distinct valid generated tuples.
    public let uniqueCount: Int
    /// Of those, in the requested class; in a neighbouring class (c - 1 or c + 1).
    public let inClassCount: Int
    public let inNeighboursCount: Int
    /// In-class / unique (0 when nothing was generated).
    public let precision: Double
    /// In-neighbours / unique.
    public let neighbouringPrecision: Double
    /// In-class / size of the class in the full space.
    public let coverage: Double
    /// In-neighbours / total size of the neighbouring classes in the full space.
    public let neighbouringCoverage: Double
    /// Per-site Jensen-Shannon distance between the generated tuples and the reference set.
    public let jensenShannonDistance: Double

    /// The metrics of the distinct generated tuples `unique` for class `requestedClass`;
    /// the distance compares their element distribution per site with `reference` (usually
    /// the training compounds of the requested class).
    public init(unique: TupleBitmap, requestedClass: Int, space: LabeledSpace, reference: SiteFrequencies) {
        precondition((1...ElpasoliteEnergyClasses.count).contains(requestedClass),
                     "requested class \(requestedClass) outside 1...\(ElpasoliteEnergyClasses.count)")
        let neighbours = [requestedClass - 1, requestedClass + 1].filter { (1...ElpasoliteEnergyClasses.count).contains($0) }
        let classSet = space.classBitmaps[requestedClass - 1]
        self.requestedClass = requestedClass
        uniqueCount = unique.count
        inClassCount = unique.intersectionCount(classSet)
        inNeighboursCount = neighbours.reduce(0) { $0 + unique.intersectionCount(space.classBitmaps[$1 - 1]) }
        let neighbourSize = neighbours.reduce(0) { $0 + space.classBitmaps[$1 - 1].count }
        func ratio(_ part: Int, _ whole: Int) -> Double { whole == 0 ? 0 : Double(part) / Double(whole) }
        precision = ratio(inClassCount, uniqueCount)
        neighbouringPrecision = ratio(inNeighboursCount, uniqueCount)
        coverage = ratio(inClassCount, classSet.count)
        neighbouringCoverage = ratio(inNeighboursCount, neighbourSize)
        jensenShannonDistance = SiteFrequencies(unique).jensenShannonDistance(to: reference)
    }

    /// The number of ``values``.
    public static let valueCount = 9

    /// The metrics as numbers in declaration order, to send between ranks.
    public var values: [Double] {
        [Double(requestedClass), Double(uniqueCount), Double(inClassCount), Double(inNeighboursCount), precision,
         neighbouringPrecision, coverage, neighbouringCoverage, jensenShannonDistance]
    }

    /// Metrics from their ``values``.
    public init(values: some Collection<Double>) {
        precondition(values.count == Self.valueCount, "ClassMetrics: \(values.count) values, expected \(Self.valueCount)")
        let v = Array(values)
        requestedClass = Int(v[0])
        uniqueCount = Int(v[1])
        inClassCount = Int(v[2])
        inNeighboursCount = Int(v[3])
        (precision, neighbouringPrecision, coverage, neighbouringCoverage, jensenShannonDistance) = (v[4], v[5], v[6], v[7], v[8])
    }

    /// The CSV header matching ``csvRow``.
    public static let csvHeader = "class,unique,in_class,in_neighbours,precision,neighbouring_precision,coverage,"
        + "neighbouring_coverage,js_distance"

    /// The metrics as one CSV line.
    public var csvRow: String {
        "\(requestedClass),\(uniqueCount),\(inClassCount),\(inNeighboursCount),"
            + [precision, neighbouringPrecision, coverage, neighbouringCoverage, jensenShannonDistance]
            .map { String(format: "%.6f", $0) }.joined(separator: ",")
    }
}

/// Discoveries against the number of valid samples drawn: at each recorded point, how many
/// distinct tuples are novel (not in the DFT set with its A/B swaps), novel and in the
/// requested class, repeated samples, and rediscovered DFT-set tuples.
///
/// Distributed use: each rank draws its share of samples into its own ``TupleBitmap``; at each
/// checkpoint the ranks merge a copy with ``TupleBitmap/formUnion(over:)`` (one allreduce) and
/// sum their sample counts, and rank 0 records the point.
public struct DiscoveryCurve: Sendable {
    public struct Point: Sendable, Equatable {
        /// Valid samples drawn so far.
        public let samples: Int
        /// Distinct tuples among them.
        public let unique: Int
        /// Distinct tuples outside the DFT set.
        public let novel: Int
        /// Distinct tuples outside the DFT set and in the requested class.
        public let novelInClass: Int
        /// Samples that repeated an earlier sample: `samples - unique`.
        public let repetitions: Int
        /// Distinct tuples in the DFT set.
        public let rediscoveries: Int
    }

    /// The requested class number 1...10.
    public let requestedClass: Int
    /// The recorded points, in recording order.
    public private(set) var points: [Point] = []

    public init(requestedClass: Int) {
        self.requestedClass = requestedClass
    }

    /// Records the point after `samples` valid samples whose distinct tuples are `unique`.
    public mutating func record(samples: Int, unique: TupleBitmap, space: LabeledSpace) {
        let uniqueCount = unique.count
        precondition(samples >= uniqueCount, "\(samples) samples cannot hold \(uniqueCount) distinct tuples")
        var novel = unique
        novel.subtract(space.dataSetBitmap)
        points.append(Point(samples: samples, unique: uniqueCount, novel: novel.count,
                            novelInClass: novel.intersectionCount(space.classBitmaps[requestedClass - 1]),
                            repetitions: samples - uniqueCount,
                            rediscoveries: unique.intersectionCount(space.dataSetBitmap)))
    }

    /// The points as CSV with a header row.
    public var csv: String {
        (["samples,unique,novel,novel_in_class,repetitions,rediscoveries"] + points.map {
            "\($0.samples),\($0.unique),\($0.novel),\($0.novelInClass),\($0.repetitions),\($0.rediscoveries)"
        }).joined(separator: "\n") + "\n"
    }

    /// A line plot of novel, novel-in-class, repeated and rediscovered counts against samples,
    /// as a standalone SVG document.
    public func svg(title: String) -> String {
        let series: [(name: String, color: String, values: [Int])] = [
            ("novel", "#1f77b4", points.map(\.novel)),
            ("novel in class \(requestedClass)", "#2ca02c", points.map(\.novelInClass)),
            ("repetitions", "#d62728", points.map(\.repetitions)),
            ("rediscoveries", "#ff7f0e", points.map(\.rediscoveries)),
        ]
        return LinePlot(title: title, xLabel: "valid samples", yLabel: "count",
                        x: points.map { Double($0.samples) },
                        series: series.map { ($0.name, $0.color, $0.values.map(Double.init)) }).svg
    }
}
