import Chemistry
/// Screens a user's list of candidate formulas: the engine of `matgan-dist check-formulas`.
///
/// Input is one formula per line (blank lines skipped) or one column of a CSV file. Each
/// formula gives one CSV output line
/// `formula,reduced_formula,n_elements,charge_neutral,electronegativity_balanced,smact_valid`;
/// a line that cannot be read or parsed is reported (and, when strict, stops the run).
public struct FormulaScreening: Sendable {
    /// The header of the output CSV.
    public static let header = "formula,reduced_formula,n_elements,charge_neutral,electronegativity_balanced,smact_valid"

    /// The checker applied to every formula.
    public let checker: ValidityChecker

    public init(checker: ValidityChecker) { self.checker = checker }

    /// How many formulas were screened and how many lines were reported as invalid.
    public struct Counts: Equatable, Sendable {
        public var screened = 0
        public var invalid = 0
    }

    /// Screens `bytes` (the content of `file`), calling `emit` with each output line (header
    /// first) and `report` with each invalid line. With `strict` the first invalid line is
    /// thrown instead; problems with the file itself (empty CSV, missing column) always throw.
    public func screen(file: String, bytes: [UInt8], column: String?, strict: Bool,
                       emit: (String) -> Void, report: (DataFileError) -> Void) throws(DataFileError) -> Counts {
        var counts = Counts()
        emit(Self.header)
        func handle(line: Int, text: String, columnName: String?) throws(DataFileError) {
            let formula = text.trimmingWhitespace
            do {
                emit(outputLine(formula: formula, composition: try Composition(parsing: formula)))
                counts.screened += 1
            } catch {
                try reject(DataFileError(file: file, line: line, column: columnName, message: error.description))
            }
        }
        func reject(_ problem: DataFileError) throws(DataFileError) {
            if strict { throw problem }
            report(problem)
            counts.invalid += 1
        }

        if let column {
            let table = try CSVTable(file: file, bytes: bytes, skipMalformedRows: !strict)
            let index = try table.columnIndex(column)
            var pending = table.malformedRows[...]
            for row in table.rows {
                // Keep reports in file order: malformed rows before this one come first.
                while let problem = pending.first, (problem.line ?? 0) < row.line {
                    try reject(problem)
                    pending = pending.dropFirst()
                }
                try handle(line: row.line, text: row.fields[index], columnName: column)
            }
            for problem in pending { try reject(problem) }
        } else {
            var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            var line = 1
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                let slice = bytes[start..<end]
                if let text = String(validating: slice, as: UTF8.self) {
                    if !text.trimmingWhitespace.isEmpty { try handle(line: line, text: text, columnName: nil) }
                } else {
                    let offset = firstInvalidUTF8Offset(Array(slice))
                    try reject(DataFileError(file: file, line: line, message: "invalid UTF-8 byte 0x\(String(slice[slice.startIndex + offset], radix: 16, uppercase: true)) at byte \(offset + 1) of the line; the file must be UTF-8"))
                }
                start = end + 1
                line += 1
            }
        }
        return counts
    }

    /// The output line for one parsed formula.
    public func outputLine(formula: String, composition: Composition) -> String {
        let result = checker.check(composition)
        let flags = [result.isChargeNeutral, result.isElectronegativityBalanced, result.isValid].map { $0 ? "true" : "false" }
        return "\(formula),\(composition.reduced.formula),\(composition.elementCount),\(flags.joined(separator: ","))"
    }
}
