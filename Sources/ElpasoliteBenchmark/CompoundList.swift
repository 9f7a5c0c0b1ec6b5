import Chemistry
import Datasets
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

extension Elpasolite {
    /// The compound with element symbols `symbols` (surrounding spaces ignored) on A, B, C, D,
    /// or an error naming the site and the problem: an unknown symbol, an element outside the
    /// 39, or a repeated element.
    public init(symbols: [String]) throws(ElpasoliteError) {
        let siteNames = ["A", "B", "C", "D"]
        guard symbols.count == Self.siteCount else {
            throw ElpasoliteError("expected 4 element symbols (A,B,C,D), got \(symbols.count)")
        }
        var positions: [Int] = []
        for (site, rawSymbol) in symbols.enumerated() {
            let symbol = rawSymbol.trimmingCharacters(in: .whitespaces)
            guard let element = Element(symbol: symbol) else {
                throw ElpasoliteError("site \(siteNames[site]): '\(symbol)' is not an element symbol")
            }
            guard let position = Self.position(of: element) else {
                throw ElpasoliteError("site \(siteNames[site]): \(symbol) is not one of the 39 elpasolite elements "
                    + "(\(Self.vocabulary.map(\.symbol).joined(separator: " ")))")
            }
            if let earlier = positions.firstIndex(of: position) {
                throw ElpasoliteError("\(symbol) is on both site \(siteNames[earlier]) and site \(siteNames[site]); "
                    + "the four elements must be distinct")
            }
            positions.append(position)
        }
        self.init(sites: positions)!
    }
}
