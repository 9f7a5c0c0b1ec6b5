/// A chemical composition: distinct elements with positive integer counts, e.g. Na1 Cl1.
///
/// Elements are stored in ascending atomic number, so two compositions of the same formula
/// compare and hash equal however they were written (`ClNa` == `NaCl`). Counts are the
/// formula's own integers; ``reduced`` divides them by their greatest common divisor.
public struct Composition: Hashable, Sendable, CustomStringConvertible {
    /// The elements, ascending by atomic number, each once.
    public let elements: [Element]
    /// `counts[i]` atoms of `elements[i]`; every count is at least 1.
    public let counts: [Int]

    /// A composition from (element, count) terms in any order; repeated elements add up.
    /// Every count must be positive.
    public init(_ terms: some Sequence<(Element, Int)>) {
        var totals = [Int](repeating: 0, count: Element.maximumAtomicNumber + 1)
        for (element, count) in terms {
            precondition(count > 0, "composition counts must be positive, got \(count) for \(element)")
            totals[element.atomicNumber] += count
        }
        var elements: [Element] = []
        var counts: [Int] = []
        for (atomicNumber, total) in totals.enumerated() where total > 0 {
            elements.append(Element(uncheckedAtomicNumber: atomicNumber))
            counts.append(total)
        }
        self.elements = elements
        self.counts = counts
    }

    /// A composition whose elements are already distinct and ascending, counts positive.
    init(sortedElements elements: [Element], counts: [Int]) {
        self.elements = elements
        self.counts = counts
    }

    /// Parses a formula such as `NaCl`, `Ta2Te1Zr1`, `Ag(AuF4)2` or `CH3COOH`.
    ///
    /// Parentheses nest, counts multiply through them and repeated elements add up. Counts
    /// are positive integers; a fractional or zero count, an unknown symbol, an unbalanced
    /// parenthesis, any other character (including spaces) or an empty string throws a
    /// ``ChemistryError`` that names the character position.
    public init(parsing formula: String) throws(ChemistryError) {
        var parser = FormulaParser(formula)
        self = try parser.parse()
    }

    /// The number of distinct elements.
    public var elementCount: Int { elements.count }

    /// The total number of atoms, the sum of the counts.
    public var atomCount: Int { counts.reduce(0, +) }

    /// How many atoms of `element` the composition has (0 when absent).
    public func count(of element: Element) -> Int {
        guard let index = elements.firstIndex(of: element) else { return 0 }
        return counts[index]
    }

    /// The greatest common divisor of the counts (1 for a reduced composition).
    public var countDivisor: Int { counts.reduce(0) { greatestCommonDivisor($0, $1) } }

    /// The composition with every count divided by ``countDivisor``: `K4Mn4O8` -> `KMnO2`.
    public var reduced: Composition {
        let divisor = countDivisor
        guard divisor > 1 else { return self }
        return Composition(sortedElements: elements, counts: counts.map { $0 / divisor })
    }

    /// The canonical formula: elements by ascending Pauling electronegativity (ties, and the
    /// elements without one, by atomic number, the latter last), counts of 1 omitted, as in
    /// pymatgen's `Composition.formula` without spaces: `NaCl`, `SrTiO3`, `KMnO2`.
    public var formula: String {
        var order = Array(elements.indices)
        order.sort { left, right in
            let a = elements[left].paulingElectronegativity ?? .infinity
            let b = elements[right].paulingElectronegativity ?? .infinity
            return a != b ? a < b : elements[left] < elements[right]
        }
        var text = ""
        for index in order {
            text += elements[index].symbol
            if counts[index] != 1 { text += String(counts[index]) }
        }
        return text
    }

    public var description: String { formula }

    /// The compact key of this composition, or `nil` when it has more than
    /// ``CompositionKey/maximumElementCount`` elements or a count above
    /// ``CompositionKey/maximumCount``.
    public var key: CompositionKey? { CompositionKey(self) }
}

/// The greatest common divisor of two non-negative integers (gcd(0, n) = n).
func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
    var (a, b) = (a, b)
    while b != 0 { (a, b) = (b, a % b) }
    return a
}

/// A composition of up to 8 elements with counts up to 511, packed into 128 bits: a cheap
/// hashable key for counting unique formulas among millions of generated ones.
///
/// Each element takes 16 bits (atomic number in the high 7, count in the low 9), in
/// ascending atomic number, unused slots zero. Equal compositions give equal keys.
public struct CompositionKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Slots 0...3 (slot 0 in the low 16 bits).
    let low: UInt64
    /// Slots 4...7.
    let high: UInt64

    /// The most elements a key can hold.
    public static let maximumElementCount = 8
    /// The largest count a key can hold.
    public static let maximumCount = 511

    /// The key of `composition`, or `nil` if it has too many elements or too large a count.
    public init?(_ composition: Composition) {
        guard composition.elements.count <= Self.maximumElementCount,
              composition.counts.allSatisfy({ $0 <= Self.maximumCount }) else { return nil }
        var slots: (UInt64, UInt64) = (0, 0)
        for (slot, (element, count)) in zip(composition.elements, composition.counts).enumerated() {
            let term = UInt64(element.atomicNumber) << 9 | UInt64(count)
            if slot < 4 { slots.0 |= term << (16 * UInt64(slot)) } else { slots.1 |= term << (16 * UInt64(slot - 4)) }
        }
        (low, high) = slots
    }

    /// The composition this key stands for.
    public var composition: Composition {
        var elements: [Element] = []
        var counts: [Int] = []
        for slot in 0..<Self.maximumElementCount {
            let word = slot < 4 ? low : high
            let term = Int(truncatingIfNeeded: (word >> (16 * UInt64(slot % 4))) & 0xFFFF)
            if term == 0 { break }
            elements.append(Element(uncheckedAtomicNumber: term >> 9))
            counts.append(term & 0x1FF)
        }
        return Composition(sortedElements: elements, counts: counts)
    }

    public var description: String { composition.formula }

    public static func < (lhs: CompositionKey, rhs: CompositionKey) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}
