import CZlib
import Foundation

/// A CSV file (RFC 4180: comma separated, `"` quoting with `""` escapes, LF or CRLF line
/// ends, an optional UTF-8 byte-order mark) read whole into memory, with a header row of
/// unique column names. Blank lines are skipped; every other row must have one field per
/// column and be valid UTF-8, or it is an error naming the line (and column).
public struct CSVTable: Sendable {
    /// One data row: its 1-based line in the file and its fields.
    public struct Row: Sendable {
        public let line: Int
        public let fields: [String]
    }

    /// The file name used in messages.
    public let file: String
    /// The column names of the header row (surrounding spaces removed).
    public let header: [String]
    /// The well-formed data rows, in file order.
    public let rows: [Row]
    /// Rows that were dropped (wrong field count, bad UTF-8, stray quote) because
    /// `skipMalformedRows` was set; without it the first one is thrown.
    public let malformedRows: [DataFileError]

    /// Parses `bytes`, the content of `file`. A problem with the file as a whole (empty, no
    /// or duplicate or blank column names in the header, a quote never closed) always throws.
    public init(file: String, bytes: [UInt8], skipMalformedRows: Bool = false) throws(DataFileError) {
        self.file = file
        var records = try Self.records(file: file, bytes: bytes)
        guard !records.isEmpty else {
            throw DataFileError(file: file, message: "empty file: expected a header row of column names")
        }
        let headerRecord = records.removeFirst()
        if let problem = headerRecord.problem {
            throw DataFileError(file: file, line: problem.line, column: String(problem.field + 1), message: problem.message)
        }
        var seen: [String: Int] = [:]
        for (index, name) in headerRecord.fields.enumerated() {
            let trimmed = name.trimmingWhitespace
            guard !trimmed.isEmpty else {
                throw DataFileError(file: file, line: headerRecord.line, column: String(index + 1),
                                    message: "empty column name in the header")
            }
            if let first = seen[trimmed] {
                throw DataFileError(file: file, line: headerRecord.line, column: trimmed,
                                    message: "duplicate column name (also column \(first + 1)); column names must be unique")
            }
            seen[trimmed] = index
        }
        let header = headerRecord.fields.map(\.trimmingWhitespace)
        self.header = header
        var rows: [Row] = []
        var malformed: [DataFileError] = []
        rows.reserveCapacity(records.count)
        for record in records {
            var problem = record.problem.map { problem in
                DataFileError(file: file, line: problem.line,
                              column: problem.field < header.count ? header[problem.field] : String(problem.field + 1),
                              message: problem.message)
            }
            if problem == nil, record.fields.count != header.count {
                problem = DataFileError(file: file, line: record.line,
                                        message: "\(record.fields.count) fields, expected \(header.count) (\(header.joined(separator: ",")))")
            }
            guard let problem else {
                rows.append(Row(line: record.line, fields: record.fields))
                continue
            }
            guard skipMalformedRows else { throw problem }
            malformed.append(problem)
        }
        self.rows = rows
        malformedRows = malformed
    }

    /// The index of the column `name`, or an error listing the columns there are.
    public func columnIndex(_ name: String) throws(DataFileError) -> Int {
        guard let index = header.firstIndex(of: name) else {
            throw DataFileError(file: file, line: 1, column: name,
                                message: "no such column; the header has \(header.map { "'\($0)'" }.joined(separator: ", "))")
        }
        return index
    }

    /// One physical record: the line it starts on, its fields, and the first problem found.
    struct Record {
        let line: Int
        let fields: [String]
        let problem: FieldProblem?
    }

    /// A problem in field `field` (0-based) on line `line`.
    struct FieldProblem {
        let line: Int
        let field: Int
        let message: String
    }

    /// Splits the bytes into records of fields, skipping blank lines.
    static func records(file: String, bytes: [UInt8]) throws(DataFileError) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var problem: FieldProblem?
        var line = 1
        var recordLine = 1
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var quoted = false           // inside a quoted field
        var afterClosingQuote = false

        func finishField() {
            if let text = String(validating: field, as: UTF8.self) {
                fields.append(text)
            } else {
                let position = firstInvalidUTF8Offset(field)
                let byte = String(field[position], radix: 16, uppercase: true)
                problem = problem ?? FieldProblem(
                    line: line, field: fields.count,
                    message: "invalid UTF-8 byte 0x\(byte) at byte \(position + 1) of the field; the file must be UTF-8")
                fields.append("")
            }
            field.removeAll(keepingCapacity: true)
            afterClosingQuote = false
        }
        func finishRecord() {
            finishField()
            if !(fields.count == 1 && fields[0].trimmingWhitespace.isEmpty && problem == nil) {
                records.append(Record(line: recordLine, fields: fields, problem: problem))
            }
            fields.removeAll(keepingCapacity: true)
            problem = nil
        }

        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        quoted = false
                        afterClosingQuote = true
                    }
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                finishField()
            case UInt8(ascii: "\n"):
                finishRecord()
                line += 1
                recordLine = line
            case UInt8(ascii: "\r") where index < bytes.count && bytes[index] == UInt8(ascii: "\n"):
                continue
            case UInt8(ascii: "\"") where !afterClosingQuote && field.allSatisfy({ $0 == UInt8(ascii: " ") }):
                field.removeAll(keepingCapacity: true)
                quoted = true
            default:
                if afterClosingQuote || byte == UInt8(ascii: "\"") {
                    problem = problem ?? FieldProblem(
                        line: line, field: fields.count,
                        message: "stray '\"' or text after a closing quote; quote the whole field and double inner quotes")
                }
                field.append(byte)
            }
        }
        if quoted {
            throw DataFileError(file: file, line: recordLine, column: String(fields.count + 1),
                                message: "quoted field never closed before the end of the file")
        }
        if !field.isEmpty || !fields.isEmpty || problem != nil { finishRecord() }
        return records
    }
}

/// Reading input files and standard input.
public enum DataFile {
    /// The bytes of `path`, or of standard input when `path` is `-`. A gzip file (`.gz`) is
    /// decompressed; a missing `NAME` is read from `NAME.gz` when that exists (the repository
    /// carries its data sets compressed).
    public static func read(_ path: String) throws(DataFileError) -> [UInt8] {
        if path == "-" { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path), FileManager.default.fileExists(atPath: path + ".gz") {
            return try decompress(path + ".gz")
        }
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataFileError(file: path, message: "no such file")
        }
        if path.hasSuffix(".gz"), !isDirectory.boolValue { return try decompress(path) }
        guard !isDirectory.boolValue else { throw DataFileError(file: path, message: "is a directory, expected a file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataFileError(file: path, message: "cannot read the file (permissions?)")
        }
        return [UInt8](data)
    }

    /// Whether `bytes` start with the HDF5 signature (a `prepare` or `generate` file rather than text).
    public static func isHDF5(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: [0x89, 0x48, 0x44, 0x46])
    }

    /// The decompressed content of the gzip file at `path`.
    private static func decompress(_ path: String) throws(DataFileError) -> [UInt8] {
        guard let file = gzopen(path, "rb") else {
            throw DataFileError(file: path, message: "cannot open the file: \(String(cString: strerror(errno)))")
        }
        defer { gzclose(file) }
        var bytes: [UInt8] = []
        var piece = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = piece.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            var code: Int32 = 0
            let message = String(cString: gzerror(file, &code))
            // A truncated file ends with Z_BUF_ERROR rather than a negative count.
            if count < 0 || (count == 0 && code != Z_OK) {
                throw DataFileError(file: path, message: "not a complete gzip file: \(message)")
            }
            if count == 0 { break }
            bytes.append(contentsOf: piece[0 ..< Int(count)])
        }
        return bytes
    }
}

/// The offset of the first byte that breaks UTF-8 in `bytes` (which is known to be invalid).
func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int {
    var offset = 0
    while offset < bytes.count {
        let byte = bytes[offset]
        let length = byte < 0x80 ? 1 : byte >> 5 == 0b110 ? 2 : byte >> 4 == 0b1110 ? 3 : byte >> 3 == 0b11110 ? 4 : 0
        guard length > 0, offset + length <= bytes.count,
              String(validating: bytes[offset..<(offset + length)], as: UTF8.self) != nil else { return offset }
        offset += length
    }
    return max(0, bytes.count - 1)
}

extension String {
    /// The string without leading and trailing spaces, tabs and line ends.
    var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
