import Chemistry
import Foundation

/// A list of compounds, one line `A,B,C,D` of element symbols each (the input of `predict`
/// and `evaluate`). Blank lines and lines starting with `#` are skipped, as is a first line
/// `A,B,C,D` (a header). Each other line is either a compound or an error naming the file,
/// the line and what is wrong with it.
public enum CompoundList {
    /// One line that holds content.
    public struct Line: Sendable {
        /// The 1-based line number in the file.
        public let number: Int
        /// The line without surrounding white space.
        public let text: String
    }

    public enum Row: Sendable, Equatable {
        /// A valid compound read from `line`.
        case compound(line: Int, Elpasolite)
        /// A line that is not four distinct elements of the 39.
        case rejected(DataFileError)
    }

    /// The content lines of `bytes`, without blank lines, comments and the header.
    public static func lines(_ bytes: [UInt8]) -> [Line] {
        var lines: [Line] = []
        for (offset, rawLine) in String(decoding: bytes, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty || text.hasPrefix("#") { continue }
            if lines.isEmpty, text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) == ["A", "B", "C", "D"] {
                continue
            }
            lines.append(Line(number: offset + 1, text: text))
        }
        return lines
    }

    /// The compound on `line` of `file` (`-` for standard input), or why there is none.
    public static func parse(_ line: Line, file: String) -> Row {
        do {
            let fields = line.text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return .compound(line: line.number, try Elpasolite(symbols: fields))
        } catch {
            return .rejected(DataFileError(file: file, line: line.number, message: "\(error.description) in '\(line.text)'"))
        }
    }

    /// Every content line of `bytes`, the content of `file`, parsed.
    public static func rows(_ bytes: [UInt8], file: String) -> [Row] {
        lines(bytes).map { parse($0, file: file) }
    }
}
