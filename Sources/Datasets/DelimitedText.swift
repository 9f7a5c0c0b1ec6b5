import Chemistry

/// One data row of a CSV file: its 1-based line in the file and its fields.
public struct CSVRow: Sendable {
    public let line: Int
    public let fields: [String]
}

/// A CSV file (RFC 4180: comma separated, `"` quoting with `""` escapes, LF or CRLF line
/// ends, an optional UTF-8 byte-order mark) read row by row in bounded memory, with a header
/// row of unique column names.
///
/// Blank lines are skipped; every other row must have one field per column and be valid
/// UTF-8, or it comes back as an error naming the line (and column). A quoted field may span
/// lines, up to ``LineReader/maximumLineLength`` bytes in all.
public final class CSVReader {
    /// The column names of the header row (surrounding spaces removed).
    public let header: [String]
    /// The data rows read so far, well-formed or not.
    public private(set) var rowCount = 0
    private var records: CSVRecords

    /// The file name used in messages.
    public var file: String { records.lines.file }

    /// Reads the header row from `lines`. A problem with the header (an empty file, a
    /// blank or duplicate column name, a field that is not UTF-8) throws.
    public init(_ lines: LineReader) throws(DataFileError) {
        var records = CSVRecords(lines)
        let file = lines.file
        guard try records.next() else {
            throw DataFileError(file: file, message: "empty file: expected a header row of column names")
        }
        if let problem = records.problem {
            throw DataFileError(file: file, line: problem.line, column: String(problem.field + 1), message: problem.message)
        }
        var seen: [String: Int] = [:]
        for (index, name) in records.fields.enumerated() {
            let trimmed = name.trimmingWhitespace
            guard !trimmed.isEmpty else {
                throw DataFileError(file: file, line: records.line, column: String(index + 1),
                                    message: "empty column name in the header")
            }
            if let first = seen[trimmed] {
                throw DataFileError(file: file, line: records.line, column: trimmed,
                                    message: "duplicate column name (also column \(first + 1)); column names must be unique")
            }
            seen[trimmed] = index
        }
        header = records.fields.map(\.trimmingWhitespace)
        self.records = records
    }

    /// The index of the column `name`, or an error listing the columns there are.
    public func columnIndex(_ name: String) throws(DataFileError) -> Int {
        try Datasets.columnIndex(name, in: header, file: file)
    }

    /// The next data row, `nil` at the end of the file. A malformed row (wrong field count,
    /// invalid UTF-8, stray quote) comes back as a failure, so the caller decides whether it
    /// stops the run; a problem with the file as a whole (a quote never closed, a line too
    /// long, binary data, a read error) throws.
    public func nextRow() throws(DataFileError) -> Result<CSVRow, DataFileError>? {
        guard try records.next() else { return nil }
        rowCount += 1
        if let problem = records.problem {
            return .failure(DataFileError(file: file, line: problem.line,
                                          column: problem.field < header.count ? header[problem.field] : String(problem.field + 1),
                                          message: problem.message))
        }
        guard records.fields.count == header.count else {
            return .failure(DataFileError(
                file: file, line: records.line,
                message: "\(records.fields.count) fields, expected \(header.count) (\(columnList(header)))"))
        }
        // The reader's field array is handed out; it is reused once the caller lets the row go.
        return .success(CSVRow(line: records.line, fields: records.fields))
    }
}

/// A whole CSV file in memory, for small tables used whole (element data, property data
/// sets); large files are read row by row with ``CSVReader``. The first malformed row throws.
public struct CSVTable: Sendable {
    /// The file name used in messages.
    public let file: String
    /// The column names of the header row (surrounding spaces removed).
    public let header: [String]
    /// The data rows, in file order.
    public let rows: [CSVRow]

    /// Parses `bytes`, the content of `file`.
    public init(file: String, bytes: [UInt8]) throws(DataFileError) {
        let reader = try CSVReader(LineReader(file: file, bytes: bytes))
        var rows: [CSVRow] = []
        while let row = try reader.nextRow() { rows.append(try row.get()) }
        self.file = file
        header = reader.header
        self.rows = rows
    }

    /// The index of the column `name`, or an error listing the columns there are.
    public func columnIndex(_ name: String) throws(DataFileError) -> Int {
        try Datasets.columnIndex(name, in: header, file: file)
    }
}

/// The index of column `name` in `header`, or an error listing the columns there are.
func columnIndex(_ name: String, in header: [String], file: String) throws(DataFileError) -> Int {
    guard let index = header.firstIndex(of: name) else {
        throw DataFileError(file: file, line: 1, column: name, message: "no such column; the header has \(columnList(header))")
    }
    return index
}

/// The column names for a message: the first 20, each quoted and cut short when long.
private func columnList(_ header: [String]) -> String {
    let shown = header.prefix(20).map(\.quotedForMessage).joined(separator: ", ")
    return header.count > 20 ? "\(shown), … (\(header.count) columns)" : shown
}

/// The records of a CSV file, one at a time: the grammar of fields, quotes and record ends
/// over the lines of a ``LineReader``, with the state carried from line to line.
struct CSVRecords {
    /// A problem in field `field` (0-based) on line `line`.
    struct FieldProblem {
        let line: Int
        let field: Int
        let message: String
    }

    let lines: LineReader
    /// The current record's fields, the line it starts on, and its first problem.
    private(set) var fields: [String] = []
    private(set) var line = 0
    private(set) var problem: FieldProblem?

    private var text: [UInt8] = []       // the line being parsed
    private var field: [UInt8] = []
    private var isQuoted = false         // inside a quoted field
    private var isAfterClosingQuote = false
    private var recordLength = 0         // bytes of a record spanning lines

    init(_ lines: LineReader) { self.lines = lines }

    /// Moves to the next record that is not a blank line; `false` at the end of the file.
    mutating func next() throws(DataFileError) -> Bool {
        fields.removeAll(keepingCapacity: true)
        problem = nil
        line = 0
        recordLength = 0
        while try lines.readLine(into: &text) {
            if line == 0 { line = lines.lineNumber }
            if consumeLine() { return true }
            if isQuoted {
                recordLength += text.count
                guard recordLength <= LineReader.maximumLineLength else {
                    throw DataFileError(file: lines.file, line: line, column: String(fields.count + 1), message:
                        "quoted field still open after \(LineReader.maximumLineLengthText); is a closing quote missing?")
                }
            }
        }
        if isQuoted {
            throw DataFileError(file: lines.file, line: line, column: String(fields.count + 1),
                                message: "quoted field never closed before the end of the file")
        }
        // A last line without a line feed.
        return (!field.isEmpty || !fields.isEmpty || problem != nil) && finishRecord()
    }

    /// Parses `text`, one line with its line feed if any; `true` when it ended a record that
    /// is not blank.
    private mutating func consumeLine() -> Bool {
        let quote = UInt8(ascii: "\""), lineFeed = UInt8(ascii: "\n")
        var index = 0
        while index < text.count {
            let byte = text[index]
            index += 1
            if isQuoted {
                if byte == quote {
                    if index < text.count, text[index] == quote {
                        field.append(byte)
                        index += 1
                    } else {
                        isQuoted = false
                        isAfterClosingQuote = true
                    }
                } else {
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                finishField()
            case lineFeed:
                return finishRecord()
            case UInt8(ascii: "\r") where index < text.count && text[index] == lineFeed:
                continue
            case quote where !isAfterClosingQuote && field.allSatisfy({ $0 == UInt8(ascii: " ") }):
                field.removeAll(keepingCapacity: true)
                isQuoted = true
            default:
                if isAfterClosingQuote || byte == quote {
                    problem = problem ?? FieldProblem(
                        line: lines.lineNumber, field: fields.count,
                        message: "stray '\"' or text after a closing quote; quote the whole field and double inner quotes")
                }
                field.append(byte)
            }
        }
        return false
    }

    private mutating func finishField() {
        if let text = String(validating: field, as: UTF8.self) {
            fields.append(text)
        } else {
            let position = firstInvalidUTF8Offset(field[...])
            let byte = String(field[position], radix: 16, uppercase: true)
            problem = problem ?? FieldProblem(
                line: lines.lineNumber, field: fields.count,
                message: "invalid UTF-8 byte 0x\(byte) at byte \(position + 1) of the field; the file must be UTF-8")
            fields.append("")
        }
        field.removeAll(keepingCapacity: true)
        isAfterClosingQuote = false
    }

    /// Ends the record; `false` (and a fresh record) when it was a blank line.
    private mutating func finishRecord() -> Bool {
        finishField()
        let isBlank = fields.count == 1 && problem == nil && fields[0].utf8.allSatisfy {
            $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n")
        }
        guard isBlank else { return true }
        fields.removeAll(keepingCapacity: true)
        line = 0
        return false
    }
}

/// The offset of the first byte that breaks UTF-8 in `bytes` (which are known to be invalid),
/// counted from the start of the slice.
func firstInvalidUTF8Offset(_ bytes: ArraySlice<UInt8>) -> Int {
    var index = bytes.startIndex
    while index < bytes.endIndex {
        let byte = bytes[index]
        let length = byte < 0x80 ? 1 : byte >> 5 == 0b110 ? 2 : byte >> 4 == 0b1110 ? 3 : byte >> 3 == 0b11110 ? 4 : 0
        guard length > 0, index + length <= bytes.endIndex,
              String(validating: bytes[index ..< index + length], as: UTF8.self) != nil else { break }
        index += length
    }
    return min(index, bytes.endIndex - 1) - bytes.startIndex
}

extension String {
    /// The string without leading and trailing spaces, tabs and line ends.
    var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
