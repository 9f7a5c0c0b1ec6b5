import Chemistry
import Datasets
import HDF5

/// Compositions with a target value, read from a formula CSV or a `prepare` HDF5 file, with
/// the file's own train / hold-out split when it has one.
public struct LabeledCompositions: Sendable {
    public let compositions: [Composition]
    public let targets: [Float]
    /// Per row, whether the file marks it as hold-out; nil when the file has no split.
    public let isHoldout: [Bool]?
    /// The target's name (column or prepared file's `target_column`).
    public let target: String
    /// The file as given and its SHA-256.
    public let sourceFile: String
    public let sourceSHA256: String
    /// Rows left out because the file's split marks them for validation (`val`).
    public let validationRowsSkipped: Int

    /// Reads `path`: an HDF5 file written by `prepare` (its `formula`, `target` and `split`
    /// datasets; `target` must then be nil or its target column), or a CSV with a `formula`
    /// column and the `target` column (default: the first column that is neither `formula` nor
    /// `split`). A CSV `split` column marks `test` rows as hold-out and `train` rows for
    /// training; `val` rows are skipped. Every formula must parse and every target be a finite
    /// number, or the error names the line.
    public init(file path: String, target: String?) throws {
        let bytes = try DataFile.read(path)
        sourceFile = path
        sourceSHA256 = FileDigest.sha256(of: bytes)
        if DataFile.isHDF5(bytes) {
            let file = try File.open(path)
            guard let stored = try file.attribute("target_column").stringValue,
                  try file.attribute("format").stringValue == PreparedFile.format else {
                throw PropertyError("\(path): an HDF5 file that is not a `prepare` output (no format / target_column attributes)")
            }
            if let target, target != stored {
                throw PropertyError("\(path): the prepared file's target is '\(stored)', not '\(target)'")
            }
            let formulas = try file.readStrings(PreparedFile.formula)
            compositions = try formulas.enumerated().map { row, formula in
                do { return try Composition(parsing: formula) } catch {
                    throw PropertyError("\(path): /\(PreparedFile.formula) row \(row): \(error)")
                }
            }
            targets = try file.read(PreparedFile.target, as: Double.self).map(Float.init)
            isHoldout = try file.read(PreparedFile.split, as: UInt8.self).map { $0 == PreparedFile.holdoutSplit }
            self.target = stored
            validationRowsSkipped = 0
            return
        }
        let table = try CSVTable(file: path, bytes: bytes)
        let formulaColumn = try table.columnIndex("formula")
        let splitColumn = table.header.firstIndex(of: "split")
        let targetName: String
        if let target {
            targetName = target
        } else {
            guard let first = table.header.first(where: { $0 != "formula" && $0 != "split" }) else {
                throw DataFileError(file: path, line: 1, message: "no target column besides formula and split")
            }
            targetName = first
        }
        let targetColumn = try table.columnIndex(targetName)
        var compositions: [Composition] = [], targets: [Float] = [], holdout: [Bool] = []
        var skipped = 0
        for row in table.rows {
            if let splitColumn {
                switch row.fields[splitColumn] {
                case "train": holdout.append(false)
                case "test": holdout.append(true)
                case "val":
                    skipped += 1
                    continue
                case let other:
                    throw DataFileError(file: path, line: row.line, column: "split", message: "'\(other)' is not train, val or test")
                }
            }
            do {
                compositions.append(try Composition(parsing: row.fields[formulaColumn]))
            } catch {
                throw DataFileError(file: path, line: row.line, column: "formula", message: error.description)
            }
            guard let value = Float(row.fields[targetColumn]), value.isFinite else {
                throw DataFileError(file: path, line: row.line, column: targetName, message: "'\(row.fields[targetColumn])' is not a finite number")
            }
            targets.append(value)
        }
        guard !compositions.isEmpty else { throw DataFileError(file: path, message: "no data rows") }
        self.compositions = compositions
        self.targets = targets
        isHoldout = splitColumn == nil ? nil : holdout
        self.target = targetName
        validationRowsSkipped = skipped
    }
}
