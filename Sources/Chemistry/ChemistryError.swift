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
        case .unknownElement(let symbol): what = "unknown element symbol '\(symbol)'"
        case .fractionalCount(let text): what = "fractional count '\(text)' (only integer counts are allowed)"
        case .zeroCount: what = "count 0 (counts must be positive integers)"
        case .countTooLarge: what = "count above \(FormulaParser.maximumCount)"
        case .unclosedParenthesis: what = "'(' is never closed"
        case .unopenedParenthesis: what = "')' without a matching '('"
        case .emptyParentheses: what = "empty parentheses"
        case .nestingTooDeep: what = "parentheses nested deeper than \(FormulaParser.maximumDepth)"
        case .unexpectedCharacter(let character): what = "unexpected character '\(character)'"
        case .elementNotInMatrix(let element): return "\(formula): element \(element) has no row in the matrix"
        case .countAboveMatrix(let element, let count):
            return "\(formula): count \(count) of \(element) exceeds \(MatrixEncoding.maximumCount)"
        case .unusableElementCountWeights(let message): return message
        }
        return "formula '\(formula)': \(what) at character \(position ?? 0)"
    }
}
