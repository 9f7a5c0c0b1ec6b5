import Chemistry

/// A problem in an input data file, located by file, line and column where they apply.
public struct DataFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file as the user named it (`-` for standard input).
    public let file: String
    /// The 1-based line, `nil` for problems with the file as a whole.
    public let line: Int?
    /// The column name (or, without a header, its 1-based number), when one column is at fault.
    public let column: String?
    /// What was wrong and what was expected.
    public let message: String

    public init(file: String, line: Int? = nil, column: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ": column \(column.quotedForMessage)" }
        return "\(location): \(message)"
    }
}
