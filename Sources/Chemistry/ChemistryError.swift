/// A formula, composition or parameter that chemistry cannot accept: the formula concerned, the
/// character at fault when parsing, and why.
public struct ChemistryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public enum Reason: Equatable, Sendable {
        /// The formula is empty.
        case empty
        /// An element symbol that is not one of the 103 elements of the table.
        case unknownElement(String)
        /// A count with a decimal point, e.g. `Na0.5`.
        case fractionalCount(String)
        /// Hydrate (dot) notation, e.g. `CuSO4·5H2O` or `CuSO4.5H2O`: the text from the dot on,
        /// and the whole formula as one composition when every part has an integer count.
        case hydrateNotation(String, combined: Composition?)
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
        /// An element without a row in the composition matrix.
        case elementNotInMatrix(Element)
        /// An element's count above the matrix's ``MatrixEncoding/maximumCount``.
        case countAboveMatrix(Element, Int)
        /// Element-count weights of a random-composition sampler that cannot be used, and why.
        case unusableElementCountWeights(String)
    }

    /// The formula as given (empty where no formula is concerned).
    public let formula: String
    /// The 1-based character position of a parse error in `formula`.
    public let position: Int?
    public let reason: Reason

    public init(formula: String, position: Int? = nil, reason: Reason) {
        self.formula = formula
        self.position = position
        self.reason = reason
    }

    public var description: String {
        let what: String
        switch reason {
        case .empty: what = "empty formula"
        case .unknownElement(let symbol): what = "unknown element symbol \(symbol.quotedForMessage)"
        case .fractionalCount(let text): what = "fractional count \(text.quotedForMessage) (only integer counts are allowed)"
        case .hydrateNotation(let notation, let combined):
            return "formula \(formula.quotedForMessage): hydrate notation \(notation.quotedForMessage) at character "
                + "\(position ?? 0) is not supported; write the formula without water of crystallisation"
                + (combined.map { " or as \($0.formula)" } ?? "")
        case .zeroCount: what = "count 0 (counts must be positive integers)"
        case .countTooLarge: what = "count above \(FormulaParser.maximumCount)"
        case .unclosedParenthesis: what = "'(' is never closed"
        case .unopenedParenthesis: what = "')' without a matching '('"
        case .emptyParentheses: what = "empty parentheses"
        case .nestingTooDeep: what = "parentheses nested deeper than \(FormulaParser.maximumDepth)"
        case .unexpectedCharacter(let character): what = "unexpected character \(String(character).quotedForMessage)"
        case .elementNotInMatrix(let element): return "\(formula): element \(element) has no row in the matrix"
        case .countAboveMatrix(let element, let count):
            return "\(formula): count \(count) of \(element) exceeds \(MatrixEncoding.maximumCount)"
        case .unusableElementCountWeights(let message): return message
        }
        return "formula \(formula.quotedForMessage): \(what) at character \(position ?? 0)"
    }
}

extension String {
    /// The string in single quotes for an error message, cut after its first 40 characters
    /// (Unicode scalars) with `…` and its size when longer, so that a message never repeats a
    /// megabyte of bad input: `'NaCl'`, `'Naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…' (1048576 bytes)`.
    public var quotedForMessage: String {
        let scalars = unicodeScalars
        guard let cut = scalars.index(scalars.startIndex, offsetBy: 40, limitedBy: scalars.endIndex),
              cut != scalars.endIndex else { return "'\(self)'" }
        return "'\(String(scalars[..<cut]))…' (\(utf8.count) bytes)"
    }
}
