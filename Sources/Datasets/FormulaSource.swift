import Chemistry
import Foundation
import HDF5

/// Formulas to score, read from a `generate` sample file (samples that decoded to nothing are
/// skipped), a `prepare` file, a CSV with a `formula` column, or a plain list with one formula
/// per line (blank lines skipped). Each formula keeps its index for outputs and its location
/// for messages.
public struct FormulaSource: Sendable {
    /// One formula and where it came from.
    public struct Entry: Sendable, Equatable {
        /// The formula as written.
        public let formula: String
        /// Its number in outputs: the sample or data row, or its place among a list's formulas.
        public let index: Int
        /// Where it is in the file, for messages (`/samples/formula row 3`, `line 7`).
        public let location: String
    }

    /// The file as given.
    public let path: String
    public let entries: [Entry]

    /// Reads `path`; an HDF5 file is recognised by its signature, a CSV by a `formula` column in
    /// its first line.
    public init(path: String) throws {
        self.path = path
        let bytes = try DataFile.read(path)
        if DataFile.isHDF5(bytes) {
            let dataset: String, formulas: [String?]
            if let samples = try SampleFile(formulasAt: path) {
                dataset = SampleFile.formulaDataset
                formulas = try samples.formulas(0..<samples.count)
            } else {
                let file = try File.open(path)
                guard file.contains(PreparedFile.formula) else {
                    throw DataFileError(file: path, message: "an HDF5 file without /samples/formula (generate) or /formula (prepare)")
                }
                dataset = PreparedFile.formula
                formulas = try file.readStrings(dataset).map { $0.isEmpty ? nil : $0 }
            }
            entries = formulas.enumerated().compactMap { index, formula in
                formula.map { Entry(formula: $0, index: index, location: "/\(dataset) row \(index)") }
            }
            return
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let firstLine = text.prefix { $0 != "\n" && $0 != "\r\n" }.trimmingCharacters(in: .whitespaces)
        if firstLine.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }).contains("formula") {
            let table = try CSVTable(file: path, bytes: bytes)
            let column = try table.columnIndex("formula")
            entries = table.rows.enumerated().map { index, row in
                Entry(formula: row.fields[column].trimmingCharacters(in: .whitespaces), index: index, location: "line \(row.line)")
            }
            return
        }
        var entries: [Entry] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let formula = line.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !formula.isEmpty else { continue }
            entries.append(Entry(formula: formula, index: entries.count, location: "line \(number + 1)"))
        }
        self.entries = entries
    }

    /// The compositions of `entries[range]`; a formula that does not parse is reported with the
    /// file and its location.
    public func compositions(_ range: Range<Int>) throws -> [Composition] {
        try entries[range].map { entry in
            do { return try Composition(parsing: entry.formula) } catch {
                throw DataFileError(file: path, message: "\(entry.location): \(error)")
            }
        }
    }
}
