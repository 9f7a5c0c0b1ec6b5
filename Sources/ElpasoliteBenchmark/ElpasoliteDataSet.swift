import Chemistry
import Datasets
import Random

/// One compound of the DFT data set: its ordered sites and PBE formation energy.
public struct ElpasoliteRecord: Sendable, Hashable {
    /// The compound with the elements on A, B, C, D as the file lists them.
    public let compound: Elpasolite
    /// Formation energy in eV/atom.
    public let energy: Double

    public init(compound: Elpasolite, energy: Double) {
        self.compound = compound
        self.energy = energy
    }
}

/// The Faber et al. elpasolite DFT set (`elpasolite_faber10590.csv`): 10,590 rows with the
/// element symbols of sites A, B, C, D and the formation energy per atom, read and checked by
/// Chemistry's elpasolite preparation (without its A/B augmentation: the oracle's kernel is
/// symmetric instead).
public struct ElpasoliteDataSet: Sendable {
    /// The name of the file in the data directory.
    public static let fileName = "elpasolite_faber10590.csv"

    /// The rows in file order.
    public let records: [ElpasoliteRecord]
    /// Where the rows came from (a path, or a label for in-memory text).
    public let source: String
    /// SHA-256 of the file's bytes, 64 lowercase hexadecimal digits.
    public let sha256: String
    /// The ten energy classes over the exact energy range of the rows.
    public let classes: ElpasoliteEnergyClasses

    /// Reads and checks the CSV file at `path`.
    public init(path: String) throws(DataFileError) {
        try self.init(csv: try DataFile.read(path), source: path)
    }

    /// Parses CSV bytes with a header naming at least the columns `A`, `B`, `C`, `D` and
    /// `e_form_ev_per_atom`; every row must hold four distinct elements of the 39-element
    /// vocabulary and a finite energy. Errors are ``DataFileError``s naming line and column.
    public init(csv bytes: [UInt8], source: String) throws(DataFileError) {
        let prepared = try PreparedDataset(file: source, bytes: bytes, preset: .elpasolite,
                                           options: PreparationOptions(preset: .elpasolite))
        guard case .elpasolites(let rows) = prepared.content else {
            preconditionFailure("the elpasolite preset prepares elpasolites")
        }
        records = rows.compounds.indices.filter { !rows.isAugmented[$0] }.map {
            ElpasoliteRecord(compound: rows.compounds[$0], energy: rows.targets[$0])
        }
        self.source = source
        sha256 = prepared.sourceSHA256
        classes = rows.classes
    }

    /// The smallest and largest formation energy of the set, eV/atom.
    public var energyRange: ClosedRange<Double> { classes.lowerBound...classes.upperBound }
}

extension Elpasolite {
    /// The compound with sites A and B in ascending vocabulary order: equal for a compound
    /// and its A/B swap, which are the same material.
    var canonical: Elpasolite { sites[0] < sites[1] ? self : swappingAB }
}

/// The oracle's fixed split of the DFT rows into training and hold-out rows, and the
/// cross-validation folds of the training rows.
///
/// Rows are grouped by material: a compound and its A/B swap (34 compositions appear in both
/// orders) always land on the same side, so no hold-out row has its mirror image in training.
/// Groups are visited in the order of a seeded permutation (`Random.permutation(count:seed:epoch:)`
/// with `epoch` 0 for the split and 1 for the folds) and fill the hold-out set until it holds
/// exactly `testCount` rows; the rest train.
public struct OracleSplit: Sendable, Equatable {
    /// Indices of the training rows in the data set, ascending.
    public let trainingRows: [Int]
    /// Indices of the hold-out rows, ascending.
    public let testRows: [Int]
    /// For every training row (same order as ``trainingRows``), its fold `0..<folds`.
    public let folds: [Int]
    /// The number of folds.
    public let foldCount: Int

    /// Splits `records` with `seed`.
    public init(records: [ElpasoliteRecord], testCount: Int, foldCount: Int, seed: UInt64) throws {
        guard testCount > 0, testCount < records.count else {
            throw ElpasoliteError("--test-rows \(testCount): must be between 1 and \(records.count - 1) (the data set has \(records.count) rows)")
        }
        guard foldCount >= 2 else { throw ElpasoliteError("--folds \(foldCount): cross-validation needs at least 2 folds") }
        let groups = Self.materialGroups(records.map(\.compound))
        var test: [Int] = []
        var training: [Int] = []
        for group in permutation(count: groups.count, seed: seed, epoch: 0).map({ groups[$0] }) {
            if test.count + group.count <= testCount { test += group } else { training += group }
        }
        guard test.count == testCount else {
            throw ElpasoliteError("cannot put exactly \(testCount) rows in the hold-out set without splitting an A/B pair")
        }
        guard training.count >= foldCount else {
            throw ElpasoliteError("--folds \(foldCount): only \(training.count) training rows")
        }
        let sortedTraining = training.sorted()

        // Folds: each material group goes, in a second seeded order, to the fold with fewest rows.
        let position = Dictionary(uniqueKeysWithValues: sortedTraining.enumerated().map { ($1, $0) })
        let trainingGroups = Self.materialGroups(sortedTraining.map { records[$0].compound }).map { $0.map { sortedTraining[$0] } }
        var foldOfRow = [Int](repeating: 0, count: sortedTraining.count)
        var sizes = [Int](repeating: 0, count: foldCount)
        for group in permutation(count: trainingGroups.count, seed: seed, epoch: 1).map({ trainingGroups[$0] }) {
            let fold = sizes.indices.min { sizes[$0] < sizes[$1] }!
            for row in group { foldOfRow[position[row]!] = fold }
            sizes[fold] += group.count
        }
        trainingRows = sortedTraining
        testRows = test.sorted()
        folds = foldOfRow
        self.foldCount = foldCount
    }

    /// Row indices grouped by material (a compound with its A/B swap), groups in order of first row.
    private static func materialGroups(_ compounds: [Elpasolite]) -> [[Int]] {
        var groupOf: [Elpasolite: Int] = [:]
        var groups: [[Int]] = []
        for (row, compound) in compounds.enumerated() {
            if let group = groupOf[compound.canonical] {
                groups[group].append(row)
            } else {
                groupOf[compound.canonical] = groups.count
                groups.append([row])
            }
        }
        return groups
    }
}
