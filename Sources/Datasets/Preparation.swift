import Chemistry
import Foundation
import Random

/// The published data sets `prepare` knows, each with its file and the paper's filters.
public enum DatasetPreset: String, CaseIterable, Sendable {
    /// OQMD formation enthalpies: lowest energy per formula, energies within mean +- 5 sigma.
    case oqmd
    /// Materials Project formation energies (matbench `mp_e_form`).
    case mp
    /// `mp` restricted to charge-neutral, electronegativity-balanced formulas (the stand-in
    /// for MatGAN's ICSD_filter).
    case mpValid = "mp-valid"
    /// Materials Project band gaps (matbench `mp_gap`), gap > 0 only.
    case mpBandgap = "mp-bandgap"
    /// Faber et al.'s elpasolites with A/B swaps and the ten energy classes.
    case elpasolite

    /// The CSV file in the data directory.
    public var fileName: String {
        switch self {
        case .oqmd: "oqmd_formation_enthalpy.csv"
        case .mp, .mpValid: "mp_e_form_matbench.csv"
        case .mpBandgap: "mp_band_gap_matbench.csv"
        case .elpasolite: "elpasolite_faber10590.csv"
        }
    }
}

/// What to do with several rows of the same reduced formula.
public enum DuplicatePolicy: String, CaseIterable, Sendable {
    /// Keep the row with the lowest target (the ground-state polymorph for energies).
    case lowest
    /// Keep one row with the mean target of all of them (band gaps of polymorphs).
    case mean
}

/// Columns, filters and split of a preparation. `init(preset:)` gives the paper's settings.
public struct PreparationOptions: Sendable {
    /// The column holding formulas (compositions only; elpasolites use columns A, B, C, D).
    public var formulaColumn = "formula"
    /// The column holding the per-row value (formation energy, band gap).
    public var targetColumn = "e_form_ev_per_atom"
    /// How duplicates of one reduced formula are merged.
    public var duplicates = DuplicatePolicy.lowest
    /// Drop rows whose target is not strictly positive (band gaps of metals).
    public var keepsPositiveTargetsOnly = false
    /// Drop rows whose target lies outside mean +- this many standard deviations.
    public var outlierStandardDeviations: Double?
    /// Keep only formulas that are charge neutral and electronegativity balanced with
    /// ``oxidationStates`` (MatGAN's ICSD_filter criterion: all-metal alloys do not pass).
    public var keepsValidOnly = false
    /// The oxidation states for the validity filter and the stored validity flags.
    public var oxidationStates = OxidationStateSet.smact14
    /// The fraction of rows (compositions, or unordered elpasolites) held out.
    public var holdoutFraction = 0.1
    /// The seed of the train / hold-out permutation.
    public var seed: UInt64 = 0
    /// Count and report bad rows instead of stopping at the first.
    public var skipsInvalidRows = false

    /// Options with no filters beyond the matrix limits, for a custom file.
    public init() {}

    /// The settings of a preset (docs/matgan.md, "Data sets and filters"; docs/elpasolite.md,
    /// "Training set and classes").
    public init(preset: DatasetPreset) {
        switch preset {
        case .oqmd: outlierStandardDeviations = 5
        case .mp: break
        case .mpValid: keepsValidOnly = true
        case .mpBandgap:
            targetColumn = "band_gap_ev"
            keepsPositiveTargetsOnly = true
            duplicates = .mean
        case .elpasolite: break
        }
    }
}

/// One filter of a preparation and the rows it removed.
public struct FilterStep: Equatable, Sendable {
    /// A short description, e.g. `single element`.
    public let name: String
    public let removed: Int
    /// Rows left after the filter.
    public let remaining: Int

    public init(name: String, removed: Int, remaining: Int) {
        self.name = name
        self.removed = removed
        self.remaining = remaining
    }
}

/// The rows of a prepared composition data set, ready to write.
public struct PreparedCompositions: Sendable {
    /// Reduced compositions, each once, in order of first appearance in the file.
    public let compositions: [Composition]
    /// The target per composition.
    public let targets: [Double]
    /// Whether each row is in the hold-out split.
    public let isHoldout: [Bool]
    /// SMACT-rule validity of each composition with the chosen oxidation states (the formulas
    /// are reduced, so charge neutrality and electronegativity equal MatGAN's check).
    public let validity: [ValidityResult]
}

/// The rows of the prepared elpasolite data set, ready to write.
public struct PreparedElpasolites: Sendable {
    /// The compounds: the file's rows, then the A/B swaps not already in the file.
    public let compounds: [Elpasolite]
    /// Formation energy in eV/atom.
    public let targets: [Double]
    /// Whether each row is an A/B swap added by the augmentation.
    public let isAugmented: [Bool]
    /// The energy classes (from the file's energy range).
    public let classes: ElpasoliteEnergyClasses
    /// Whether each row is in the hold-out split (a compound and its swap share a split).
    public let isHoldout: [Bool]
}

/// A prepared data set: its rows plus everything needed to say where they came from.
public struct PreparedDataset: Sendable {
    /// The rows, by kind.
    public enum Content: Sendable {
        case compositions(PreparedCompositions)
        case elpasolites(PreparedElpasolites)
    }

    public let content: Content
    /// The preset used, `nil` for a custom file.
    public let preset: DatasetPreset?
    /// The source file as named and the SHA-256 of its bytes.
    public let sourceFile: String
    public let sourceSHA256: String
    public let options: PreparationOptions
    /// Data rows in the file (not counting the header and blank lines).
    public let rowsRead: Int
    /// Every filter in order, starting with the rows skipped as invalid.
    public let steps: [FilterStep]
    /// The rows skipped as invalid (only with ``PreparationOptions/skipsInvalidRows``).
    public let skippedRowCount: Int
    /// The errors of the first ``reportedSkipLimit`` skipped rows, for the summary.
    public let skippedRows: [DataFileError]

    /// How many skipped rows' errors are kept: enough to show what went wrong, while memory
    /// does not grow with the junk in a file.
    public static let reportedSkipLimit = 5

    /// The number of prepared rows.
    public var rowCount: Int {
        switch content {
        case .compositions(let rows): rows.compositions.count
        case .elpasolites(let rows): rows.compounds.count
        }
    }

    /// The hold-out flags of the rows.
    public var isHoldout: [Bool] {
        switch content {
        case .compositions(let rows): rows.isHoldout
        case .elpasolites(let rows): rows.isHoldout
        }
    }

    /// Prepares the CSV file at `path` (plain or gzip; `-` for standard input), row by row as
    /// it is read: memory grows with the rows kept, not with the size of the file. Elpasolites
    /// for the `elpasolite` preset, compositions otherwise.
    public init(reading path: String, preset: DatasetPreset?, options: PreparationOptions) throws(DataFileError) {
        try self.init(lines: try LineReader(path: path), preset: preset, options: options)
    }

    /// Prepares `bytes`, the content of `file`.
    public init(file: String, bytes: [UInt8], preset: DatasetPreset?, options: PreparationOptions) throws(DataFileError) {
        try self.init(lines: LineReader(file: file, bytes: bytes), preset: preset, options: options)
    }

    private init(lines: LineReader, preset: DatasetPreset?, options: PreparationOptions) throws(DataFileError) {
        self.preset = preset
        self.options = options
        sourceFile = lines.file
        let reader = try CSVReader(lines)
        var log = PreparationLog(skipsInvalidRows: options.skipsInvalidRows)
        if preset == .elpasolite {
            content = .elpasolites(try Self.prepareElpasolites(reader, options: options, log: &log))
        } else {
            content = .compositions(try Self.prepareCompositions(reader, options: options, log: &log))
        }
        sourceSHA256 = lines.sha256
        rowsRead = reader.rowCount
        steps = log.steps
        skippedRowCount = log.skippedCount
        skippedRows = log.skipped
    }

    // MARK: Compositions

    /// A filter that looks at one row at a time.
    private struct RowFilter {
        let name: String
        let keeps: (Composition, Double) -> Bool
    }

    private static func prepareCompositions(_ reader: CSVReader, options: PreparationOptions,
                                            log: inout PreparationLog) throws(DataFileError) -> PreparedCompositions {
        let formulaIndex = try reader.columnIndex(options.formulaColumn)
        let targetIndex = try reader.columnIndex(options.targetColumn)
        let encoding = MatrixEncoding.matgan
        // Filters of single rows run as the rows stream in, so only the rows they pass are kept.
        var rowFilters = [
            RowFilter(name: "single element") { composition, _ in composition.elementCount > 1 },
            RowFilter(name: "element outside the MatGAN 85") { composition, _ in
                composition.elements.allSatisfy { encoding.row(of: $0) != nil }
            },
            RowFilter(name: "reduced count above \(MatrixEncoding.maximumCount)") { composition, _ in
                composition.counts.allSatisfy { $0 <= MatrixEncoding.maximumCount }
            },
        ]
        if options.keepsPositiveTargetsOnly {
            rowFilters.append(RowFilter(name: "\(options.targetColumn) <= 0") { _, target in target > 0 })
        }
        var removedByFilter = [Int](repeating: 0, count: rowFilters.count)
        var parsedRows = 0

        // One row per reduced formula, at the position of its first appearance.
        var firstRow: [Composition: Int] = [:]
        var compositions: [Composition] = []
        var targets: [Double] = []
        var duplicateCounts: [Int] = []
        while let result = try reader.nextRow() {
            guard let row = try log.accept(result) else { continue }
            let composition: Composition
            do {
                composition = try Composition(parsing: row.fields[formulaIndex].trimmingWhitespace).reduced
            } catch {
                try log.reject(DataFileError(file: reader.file, line: row.line, column: options.formulaColumn, message: error.description))
                continue
            }
            guard let target = parseNumber(row.fields[targetIndex]) else {
                try log.reject(DataFileError(file: reader.file, line: row.line, column: options.targetColumn,
                                             message: "\(row.fields[targetIndex].quotedForMessage) is not a finite number"))
                continue
            }
            parsedRows += 1
            if let filter = rowFilters.firstIndex(where: { !$0.keeps(composition, target) }) {
                removedByFilter[filter] += 1
                continue
            }
            if let index = firstRow[composition] {
                switch options.duplicates {
                case .lowest: targets[index] = min(targets[index], target)
                case .mean: targets[index] += target
                }
                duplicateCounts[index] += 1
            } else {
                firstRow[composition] = compositions.count
                compositions.append(composition)
                targets.append(target)
                duplicateCounts.append(1)
            }
        }
        firstRow = [:]  // only needed while reading; freed before the filters below copy the rows
        log.recordSkips(remaining: parsedRows)
        var remaining = parsedRows
        for (filter, removed) in zip(rowFilters, removedByFilter) {
            remaining -= removed
            log.record(filter.name, removed: removed, remaining: remaining)
        }
        if options.duplicates == .mean {
            for index in targets.indices { targets[index] /= Double(duplicateCounts[index]) }
        }
        log.record(options.duplicates == .lowest ? "duplicate formula (lowest \(options.targetColumn) kept)"
                                                 : "duplicate formula (mean \(options.targetColumn) kept)",
                   removed: remaining - compositions.count, remaining: compositions.count)

        func keep(_ name: String, where isKept: (Int) -> Bool) {
            let kept = compositions.indices.filter(isKept)
            log.record(name, removed: compositions.count - kept.count, remaining: kept.count)
            compositions = kept.map { compositions[$0] }
            targets = kept.map { targets[$0] }
        }
        if let deviations = options.outlierStandardDeviations {
            let mean = targets.reduce(0, +) / Double(max(1, targets.count))
            let variance = targets.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, targets.count))
            let limit = deviations * variance.squareRoot()
            keep("\(options.targetColumn) outside mean +- \(formatted(deviations)) sigma") { abs(targets[$0] - mean) <= limit }
        }
        let checker = ValidityChecker(rule: .smact, oxidationStates: options.oxidationStates)
        var validity = compositions.map(checker.check)
        if options.keepsValidOnly {
            let kept = validity.indices.filter { validity[$0].isElectronegativityBalanced }
            keep("not neutral + electronegativity balanced (\(options.oxidationStates.rawValue))") {
                validity[$0].isElectronegativityBalanced
            }
            validity = kept.map { validity[$0] }
        }
        guard !compositions.isEmpty else {
            throw DataFileError(file: reader.file, message: "no rows left after the filters (\(log.summaryLine))")
        }
        return PreparedCompositions(compositions: compositions, targets: targets,
                                    isHoldout: holdoutFlags(groups: compositions.count, options: options),
                                    validity: validity)
    }

    // MARK: Elpasolites

    private static func prepareElpasolites(_ reader: CSVReader, options: PreparationOptions,
                                           log: inout PreparationLog) throws(DataFileError) -> PreparedElpasolites {
        let siteColumns = ["A", "B", "C", "D"]
        var siteIndices: [Int] = []
        for name in siteColumns { siteIndices.append(try reader.columnIndex(name)) }
        let targetIndex = try reader.columnIndex(options.targetColumn)
        var compounds: [Elpasolite] = []
        var targets: [Double] = []
        var seen: Set<Elpasolite> = []
        var duplicates = 0
        rows: while let result = try reader.nextRow() {
            guard let row = try log.accept(result) else { continue }
            var elements: [Element] = []
            for (name, index) in zip(siteColumns, siteIndices) {
                let symbol = row.fields[index].trimmingWhitespace
                guard let element = Element(symbol: symbol), Elpasolite.position(of: element) != nil else {
                    try log.reject(DataFileError(file: reader.file, line: row.line, column: name,
                                                 message: "\(symbol.quotedForMessage) is not one of the 39 elpasolite elements (H..Bi main group)"))
                    continue rows
                }
                elements.append(element)
            }
            guard let compound = Elpasolite(a: elements[0], b: elements[1], c: elements[2], d: elements[3]) else {
                try log.reject(DataFileError(file: reader.file, line: row.line, message: "sites A, B, C, D must hold four distinct elements"))
                continue
            }
            guard let target = parseNumber(row.fields[targetIndex]) else {
                try log.reject(DataFileError(file: reader.file, line: row.line, column: options.targetColumn,
                                             message: "\(row.fields[targetIndex].quotedForMessage) is not a finite number"))
                continue
            }
            guard seen.insert(compound).inserted else {
                duplicates += 1
                continue
            }
            compounds.append(compound)
            targets.append(target)
        }
        log.recordSkips(remaining: compounds.count + duplicates)
        log.record("duplicate site tuple (first kept)", removed: duplicates, remaining: compounds.count)
        guard !compounds.isEmpty else {
            throw DataFileError(file: reader.file, message: "no rows left after the filters (\(log.summaryLine))")
        }
        let classes = ElpasoliteEnergyClasses(spanning: targets)

        // Unordered compounds (A and B equivalent) decide the split, so swaps never straddle it.
        var groupOf: [Elpasolite: Int] = [:]
        var groups: [Int] = []
        for compound in compounds {
            let group = groupOf[compound.swappingAB] ?? groupOf.count
            groupOf[compound] = group
            groups.append(group)
        }
        let fileRows = compounds.count
        var isAugmented = [Bool](repeating: false, count: fileRows)
        for row in 0..<fileRows where !seen.contains(compounds[row].swappingAB) {
            compounds.append(compounds[row].swappingAB)
            targets.append(targets[row])
            groups.append(groups[row])
            isAugmented.append(true)
        }
        let heldOutGroups = holdoutFlags(groups: groupOf.count, options: options)
        return PreparedElpasolites(compounds: compounds, targets: targets, isAugmented: isAugmented,
                                   classes: classes, isHoldout: groups.map { heldOutGroups[$0] })
    }

    /// Hold-out flags for `groups` items: the first `round(fraction * groups)` indices of a
    /// seeded permutation (the Random module's Philox stream, epoch 0) are held out.
    private static func holdoutFlags(groups: Int, options: PreparationOptions) -> [Bool] {
        let holdoutCount = Int((Double(groups) * options.holdoutFraction).rounded())
        var flags = [Bool](repeating: false, count: groups)
        for index in permutation(count: groups, seed: options.seed, epoch: 0).prefix(holdoutCount) { flags[index] = true }
        return flags
    }

    private static func parseNumber(_ text: String) -> Double? {
        guard let value = Double(text.trimmingWhitespace), value.isFinite else { return nil }
        return value
    }

    // MARK: Reporting

    /// A table of the filters and the rows each removed, then the split and the element-count
    /// mix (binary, ternary, ...), like the paper's data description.
    public var summary: String {
        var lines = ["\(sourceFile) (sha256 \(sourceSHA256.prefix(16))...)", row("rows read", nil, rowsRead)]
        for step in steps { lines.append(row(step.name, -step.removed, step.remaining)) }
        if case .elpasolites(let rows) = content {
            lines.append(row("A/B swaps added", rows.isAugmented.filter { $0 }.count, rows.compounds.count))
        }
        let holdout = isHoldout.filter { $0 }.count
        lines.append("split: \(rowCount - holdout) train / \(holdout) hold-out (seed \(options.seed), fraction \(formatted(options.holdoutFraction)))")
        if case .compositions(let rows) = content {
            var byCount: [Int: Int] = [:]
            for composition in rows.compositions { byCount[composition.elementCount, default: 0] += 1 }
            let names = [2: "binary", 3: "ternary", 4: "quaternary", 5: "quinary", 6: "senary", 7: "septenary", 8: "octonary"]
            let mix = byCount.keys.sorted().map { "\(names[$0] ?? "\($0)-element") \(byCount[$0]!)" }
            lines.append("elements: " + mix.joined(separator: ", "))
            let neutral = rows.validity.filter(\.isChargeNeutral).count
            let balanced = rows.validity.filter(\.isElectronegativityBalanced).count
            lines.append("validity (\(options.oxidationStates.rawValue)): \(percent(neutral, rowCount)) charge neutral, "
                + "\(percent(balanced, rowCount)) neutral and electronegativity balanced")
        }
        if !skippedRows.isEmpty {
            lines.append("skipped rows (first \(skippedRows.count) of \(skippedRowCount)):")
            lines += skippedRows.map { "  \($0)" }
        }
        return lines.joined(separator: "\n")
    }

    private func row(_ name: String, _ change: Int?, _ remaining: Int) -> String {
        let changeText = change.map { $0 == 0 ? "0" : ($0 > 0 ? "+\($0)" : "\($0)") } ?? ""
        return name.padding(toLength: 56, withPad: " ", startingAt: 0)
            + String(repeating: " ", count: max(0, 9 - changeText.count)) + changeText
            + String(repeating: " ", count: max(0, 10 - String(remaining).count)) + String(remaining)
    }
}

private func percent(_ part: Int, _ whole: Int) -> String {
    String(format: "%.1f %%", 100 * Double(part) / Double(max(1, whole)))
}

private func formatted(_ value: Double) -> String {
    value == value.rounded() ? String(Int(value)) : String(value)
}

/// Collects filter steps and skipped rows while preparing.
struct PreparationLog {
    let skipsInvalidRows: Bool
    /// The first ``PreparedDataset/reportedSkipLimit`` skipped rows' errors.
    var skipped: [DataFileError] = []
    var skippedCount = 0
    var steps: [FilterStep] = []

    init(skipsInvalidRows: Bool) {
        self.skipsInvalidRows = skipsInvalidRows
    }

    /// A bad row: thrown, or counted when skipping.
    mutating func reject(_ problem: DataFileError) throws(DataFileError) {
        guard skipsInvalidRows else { throw problem }
        if skipped.count < PreparedDataset.reportedSkipLimit { skipped.append(problem) }
        skippedCount += 1
    }

    /// The row of a well-formed `result`, or `nil` once a malformed one is rejected.
    mutating func accept(_ result: Result<CSVRow, DataFileError>) throws(DataFileError) -> CSVRow? {
        switch result {
        case .success(let row): return row
        case .failure(let problem):
            try reject(problem)
            return nil
        }
    }

    /// Records the invalid-row step once all rows are parsed.
    mutating func recordSkips(remaining: Int) {
        steps.append(FilterStep(name: "invalid rows skipped", removed: skippedCount, remaining: remaining))
    }

    mutating func record(_ name: String, removed: Int, remaining: Int) {
        steps.append(FilterStep(name: name, removed: removed, remaining: remaining))
    }

    var summaryLine: String {
        steps.map { "\($0.name): -\($0.removed)" }.joined(separator: ", ")
    }
}
