/// Why a formula could not be parsed, and where.
public struct FormulaError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public enum Reason: Equatable, Sendable {
        /// The formula is empty.
        case empty
        /// An element symbol that is not one of the 103 elements of the table.
        case unknownElement(String)
        /// A count with a decimal point, e.g. `Na0.5`.
        case fractionalCount(String)
        /// A count of 0.
        case zeroCount
        /// A count (after multiplying through parentheses) above ``FormulaParser/maximumCount``.
        case countTooLarge
        /// A `(` without its `)`.
        case unclosedParenthesis
        /// A `)` without its `(`.
        case unopenedParenthesis
        /// `()` with nothing inside.
        case emptyParentheses
        /// Parentheses nested deeper than ``FormulaParser/maximumDepth``.
        case nestingTooDeep
        /// Any other character, e.g. a space, a lowercase letter starting a symbol or `+`.
        case unexpectedCharacter(Character)
    }

    /// The formula as given.
    public let formula: String
    /// The 1-based character position of the problem in `formula`.
    public let position: Int
    public let reason: Reason

    public var description: String {
        let what: String
        switch reason {
        case .empty: what = "empty formula"
        case .unknownElement(let symbol): what = "unknown element symbol '\(symbol)'"
        case .fractionalCount(let text): what = "fractional count '\(text)' (only integer counts are allowed)"
        case .zeroCount: what = "count 0 (counts must be positive integers)"
        case .countTooLarge: what = "count above \(FormulaParser.maximumCount)"
        case .unclosedParenthesis: what = "'(' is never closed"
        case .unopenedParenthesis: what = "')' without a matching '('"
        case .emptyParentheses: what = "empty parentheses"
        case .nestingTooDeep: what = "parentheses nested deeper than \(FormulaParser.maximumDepth)"
        case .unexpectedCharacter(let character): what = "unexpected character '\(character)'"
        }
        return "formula '\(formula)': \(what) at character \(position)"
    }
}

/// A recursive-descent parser over the formula's UTF-8 bytes:
/// `formula := term+`, `term := (symbol | '(' formula ')') count?`, `count := [0-9]+`,
/// `symbol := [A-Z][a-z]*`.
struct FormulaParser {
    /// The largest count of one element a formula may reach.
    static let maximumCount = 1 << 31
    /// The deepest parenthesis nesting accepted (real formulas use two or three levels).
    static let maximumDepth = 16

    private let text: String
    private let bytes: [UInt8]
    private var offset = 0

    init(_ text: String) {
        self.text = text
        bytes = Array(text.utf8)
    }

    mutating func parse() throws(FormulaError) -> Composition {
        guard !bytes.isEmpty else { throw error(.empty, at: 0) }
        var counts = [Int](repeating: 0, count: Element.maximumAtomicNumber + 1)
        try parseTerms(into: &counts, multiplier: 1, depth: 0)
        var elements: [Element] = []
        var nonzero: [Int] = []
        for (atomicNumber, count) in counts.enumerated() where count > 0 {
            elements.append(Element(uncheckedAtomicNumber: atomicNumber))
            nonzero.append(count)
        }
        return Composition(sortedElements: elements, counts: nonzero)
    }

    /// Parses terms until the end or a `)` (left for the caller), adding
    /// `count * multiplier` per element into `counts`.
    private mutating func parseTerms(into counts: inout [Int], multiplier: Int, depth: Int) throws(FormulaError) {
        let start = offset
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: ")") {
                guard depth > 0 else { throw error(.unopenedParenthesis, at: offset) }
                guard offset > start else { throw error(.emptyParentheses, at: offset) }
                return
            }
            if byte == UInt8(ascii: "(") {
                let open = offset
                guard depth < Self.maximumDepth else { throw error(.nestingTooDeep, at: open) }
                offset += 1
                // Parse the group with multiplier 1 into its own table, then scale it.
                var inner = [Int](repeating: 0, count: counts.count)
                try parseTerms(into: &inner, multiplier: 1, depth: depth + 1)
                guard offset < bytes.count else { throw error(.unclosedParenthesis, at: open) }
                offset += 1  // ")"
                let count = try parseCount()
                for index in inner.indices where inner[index] > 0 {
                    try add(inner[index], times: count * multiplier, into: &counts[index], at: open)
                }
            } else if isUppercase(byte) {
                let symbolStart = offset
                offset += 1
                while offset < bytes.count, isLowercase(bytes[offset]) { offset += 1 }
                let symbol = String(decoding: bytes[symbolStart..<offset], as: UTF8.self)
                guard let element = Element(symbol: symbol) else {
                    throw error(.unknownElement(symbol), at: symbolStart)
                }
                let count = try parseCount()
                try add(count, times: multiplier, into: &counts[element.atomicNumber], at: symbolStart)
            } else {
                throw unexpectedCharacter(at: offset)
            }
        }
    }

    /// Reads an optional count after a symbol or `)`; absent means 1.
    private mutating func parseCount() throws(FormulaError) -> Int {
        let start = offset
        var value = 0
        while offset < bytes.count, isDigit(bytes[offset]) {
            value = value * 10 + Int(bytes[offset] - UInt8(ascii: "0"))
            if value > Self.maximumCount { throw error(.countTooLarge, at: start) }
            offset += 1
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            var end = offset + 1
            while end < bytes.count, isDigit(bytes[end]) { end += 1 }
            let number = String(decoding: bytes[start..<end], as: UTF8.self)
            throw error(.fractionalCount(number), at: start)
        }
        if offset == start { return 1 }
        if value == 0 { throw error(.zeroCount, at: start) }
        return value
    }

    private func add(_ count: Int, times multiplier: Int, into total: inout Int, at position: Int) throws(FormulaError) {
        let (product, overflow) = count.multipliedReportingOverflow(by: multiplier)
        guard !overflow, product <= Self.maximumCount - total else { throw error(.countTooLarge, at: position) }
        total += product
    }

    private func unexpectedCharacter(at offset: Int) -> FormulaError {
        let index = text.utf8.index(text.utf8.startIndex, offsetBy: offset)
        return error(.unexpectedCharacter(text[index...].first ?? "?"), at: offset)
    }

    /// An error at byte `offset`, reported as a 1-based character position.
    private func error(_ reason: FormulaError.Reason, at offset: Int) -> FormulaError {
        let prefix = String(decoding: bytes[..<offset], as: UTF8.self)
        return FormulaError(formula: text, position: prefix.count + 1, reason: reason)
    }

    private func isUppercase(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }
    private func isLowercase(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
