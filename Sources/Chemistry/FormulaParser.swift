/// A recursive-descent parser over the formula's UTF-8 bytes:
/// `formula := term+`, `term := (symbol | '(' formula ')') count?`, `count := [0-9]+`,
/// `symbol := [A-Z][a-z]*`. Hydrate notation (`CuSO4·5H2O`) is recognised only to say so.
struct FormulaParser {
    /// The largest count of one element a formula may reach.
    static let maximumCount = 1 << 31
    /// The deepest parenthesis nesting accepted (real formulas use two or three levels).
    static let maximumDepth = 16
    /// The UTF-8 of the dots that join the parts of hydrate notation besides `.`: middle dot,
    /// bullet, bullet operator and dot operator.
    private static let hydrateDots: [[UInt8]] = [[0xC2, 0xB7], [0xE2, 0x80, 0xA2], [0xE2, 0x88, 0x99], [0xE2, 0x8B, 0x85]]

    private let text: String
    private let bytes: [UInt8]
    private var offset = 0

    init(_ text: String) {
        self.text = text
        bytes = Array(text.utf8)
    }

    mutating func parse() throws(ChemistryError) -> Composition {
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
    private mutating func parseTerms(into counts: inout [Int], multiplier: Int, depth: Int) throws(ChemistryError) {
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
            } else if bytes[offset] != UInt8(ascii: "."), dotLength(at: offset) != nil {
                // A '.' is a hydrate dot only after a count (see parseCount); these dots always are.
                throw hydrateNotation(at: offset)
            } else {
                throw unexpectedCharacter(at: offset)
            }
        }
    }

    /// Reads an optional count after a symbol or `)`; absent means 1.
    private mutating func parseCount() throws(ChemistryError) -> Int {
        let start = offset
        var value = 0
        while offset < bytes.count, isDigit(bytes[offset]) {
            value = value * 10 + Int(bytes[offset] - UInt8(ascii: "0"))
            if value > Self.maximumCount { throw error(.countTooLarge, at: start) }
            offset += 1
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            if isWater(after: offset) { throw hydrateNotation(at: offset) }
            var end = offset + 1
            while end < bytes.count, isDigit(bytes[end]) { end += 1 }
            let number = String(decoding: bytes[start..<end], as: UTF8.self)
            throw error(.fractionalCount(number), at: start)
        }
        if offset == start { return 1 }
        if value == 0 { throw error(.zeroCount, at: start) }
        return value
    }

    /// Whether the text after the `.` at `dot` is water of crystallisation to the end
    /// (`5H2O`, `0.5H2O`, `H2O`): that `.` joins a hydrate, it is not a decimal point.
    private func isWater(after dot: Int) -> Bool {
        var index = dot + 1
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let digits = index
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            guard index > digits else { return false }
        }
        return bytes[index...].elementsEqual("H2O".utf8)
    }

    /// The byte length of the hydrate dot (`.` or one of ``hydrateDots``) at `offset`, or `nil`.
    private func dotLength(at offset: Int) -> Int? {
        if bytes[offset] == UInt8(ascii: ".") { return 1 }
        return Self.hydrateDots.first { bytes[offset...].starts(with: $0) }?.count
    }

    /// The error for hydrate notation whose first dot is at `dot`.
    private func hydrateNotation(at dot: Int) -> ChemistryError {
        let notation = String(decoding: bytes[dot...], as: UTF8.self)
        return error(.hydrateNotation(notation, combined: combinedHydrate(firstDot: dot)), at: dot)
    }

    /// The formula with its dotted parts added in, `CuSO4·5H2O` -> CuH10SO9, or `nil` when a
    /// part does not parse or has a fractional multiplier (`CaSO4·0.5H2O`).
    private func combinedHydrate(firstDot: Int) -> Composition? {
        guard var terms = Self.terms(of: bytes[..<firstDot], times: 1) else { return nil }
        var index = firstDot
        while let length = index < bytes.count ? dotLength(at: index) : nil {
            index += length
            var multiplier = 0
            let digits = index
            while index < bytes.count, isDigit(bytes[index]), multiplier <= Self.maximumCount {
                multiplier = multiplier * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            if index == digits { multiplier = 1 }
            let part = index
            while index < bytes.count, dotLength(at: index) == nil { index += 1 }
            guard let partTerms = Self.terms(of: bytes[part..<index], times: multiplier) else { return nil }
            terms += partTerms
        }
        return Composition(terms)
    }

    /// The (element, count × `multiplier`) terms of the formula in `bytes`, or `nil` when it
    /// does not parse or a count leaves the parser's range.
    private static func terms(of bytes: ArraySlice<UInt8>, times multiplier: Int) -> [(Element, Int)]? {
        guard (1...maximumCount).contains(multiplier),
              let composition = try? Composition(parsing: String(decoding: bytes, as: UTF8.self)) else { return nil }
        var terms: [(Element, Int)] = []
        for (element, count) in zip(composition.elements, composition.counts) {
            let (product, overflow) = count.multipliedReportingOverflow(by: multiplier)
            guard !overflow, product <= maximumCount else { return nil }
            terms.append((element, product))
        }
        return terms
    }

    private func add(_ count: Int, times multiplier: Int, into total: inout Int, at position: Int) throws(ChemistryError) {
        let (product, overflow) = count.multipliedReportingOverflow(by: multiplier)
        guard !overflow, product <= Self.maximumCount - total else { throw error(.countTooLarge, at: position) }
        total += product
    }

    private func unexpectedCharacter(at offset: Int) -> ChemistryError {
        let index = text.utf8.index(text.utf8.startIndex, offsetBy: offset)
        return error(.unexpectedCharacter(text[index...].first ?? "?"), at: offset)
    }

    /// An error at byte `offset`, reported as a 1-based character position.
    private func error(_ reason: ChemistryError.Reason, at offset: Int) -> ChemistryError {
        let prefix = String(decoding: bytes[..<offset], as: UTF8.self)
        return ChemistryError(formula: text, position: prefix.count + 1, reason: reason)
    }

    private func isUppercase(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }
    private func isLowercase(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
