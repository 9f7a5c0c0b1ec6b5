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

    /// Screens the lines of `lines` as they are read, calling `emit` with each output line
    /// (header first) and `report` with each invalid line. With `strict` the first invalid
    /// line is thrown instead; problems with the file itself (empty CSV, missing column, binary
    /// data, a line too long) always throw.
    public func screen(_ lines: LineReader, column: String?, strict: Bool,
                       emit: (String) -> Void, report: (DataFileError) -> Void) throws(DataFileError) -> Counts {
        var counts = Counts()
        emit(Self.header)
        func handle(line: Int, text: String, columnName: String?) throws(DataFileError) {
            let formula = text.trimmingWhitespace
            do {
                emit(outputLine(formula: formula, composition: try Composition(parsing: formula)))
                counts.screened += 1
            } catch {
                try reject(DataFileError(file: lines.file, line: line, column: columnName, message: error.description))
            }
        }
        func reject(_ problem: DataFileError) throws(DataFileError) {
            if strict { throw problem }
            report(problem)
            counts.invalid += 1
        }

        if let column {
            let reader = try CSVReader(lines)
            let index = try reader.columnIndex(column)
            while let result = try reader.nextRow() {
                switch result {
                case .success(let row): try handle(line: row.line, text: row.fields[index], columnName: column)
                case .failure(let problem): try reject(problem)
                }
            }
        } else {
            var line: [UInt8] = []
            while try lines.readLine(into: &line) {
                let content = line.last == UInt8(ascii: "\n") ? line.dropLast() : line[...]
                if let text = String(validating: content, as: UTF8.self) {
                    if !text.trimmingWhitespace.isEmpty { try handle(line: lines.lineNumber, text: text, columnName: nil) }
                } else {
                    let offset = firstInvalidUTF8Offset(content)
                    let byte = String(content[content.startIndex + offset], radix: 16, uppercase: true)
                    try reject(DataFileError(file: lines.file, line: lines.lineNumber, message:
                        "invalid UTF-8 byte 0x\(byte) at byte \(offset + 1) of the line; the file must be UTF-8"))
                }
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
