/// An elpasolite ABC2D6 of the Faber et al. / Türk et al. benchmark: sites A, B, C, D each
/// hold one of 39 main-group elements (H..Bi), all four distinct. A and B are equivalent
/// sites (same energy), but the ordered tuples are the space: 39*38*37*36 = 1,974,024.
///
/// Sites are stored as positions in ``vocabulary``. The tuple index is the lexicographic
/// rank of the ordered tuple among all tuples of distinct sites (``index``, ``init(index:)``).
public struct Elpasolite: Hashable, Sendable, CustomStringConvertible {
    /// The 39 elements, ascending atomic number.
    public static let vocabulary: [Element] = [
        "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl", "Ar",
        "K", "Ca", "Ga", "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "In", "Sn", "Sb", "Te", "I", "Xe",
        "Cs", "Ba", "Tl", "Pb", "Bi",
    ].map { Element(symbol: $0)! }

    /// The number of sites (A, B, C, D).
    public static let siteCount = 4
    /// The number of ordered tuples of four distinct elements, 1,974,024.
    public static let tupleCount = 39 * 38 * 37 * 36
    /// The number of periods (1...6) and main groups (1...8) of the vocabulary.
    public static let periodCount = 6
    public static let mainGroupCount = 8
    /// The length of ``vector``: (period, group) per site.
    public static let vectorLength = 8

    /// Vocabulary position per atomic number (-1 outside the vocabulary).
    private static let positionByAtomicNumber: [Int] = {
        var positions = [Int](repeating: -1, count: Element.maximumAtomicNumber + 1)
        for (position, element) in vocabulary.enumerated() { positions[element.atomicNumber] = position }
        return positions
    }()

    /// Vocabulary position per (period - 1) * 8 + (group - 1), -1 where no element sits.
    private static let positionByPeriodAndGroup: [Int] = {
        var positions = [Int](repeating: -1, count: periodCount * mainGroupCount)
        for (position, element) in vocabulary.enumerated() {
            positions[(element.period - 1) * mainGroupCount + mainGroup(of: element) - 1] = position
        }
        return positions
    }()

    /// The main group 1...8 of a main-group element (IUPAC groups 1, 2, 13...18).
    public static func mainGroup(of element: Element) -> Int {
        element.group <= 2 ? element.group : element.group - 10
    }

    /// The vocabulary position of `element`, or `nil` if it is not one of the 39.
    public static func position(of element: Element) -> Int? {
        let position = positionByAtomicNumber[element.atomicNumber]
        return position < 0 ? nil : position
    }

    /// Vocabulary positions of sites A, B, C, D.
    public let sites: [Int]

    /// The elpasolite with these vocabulary positions; `nil` unless all four are distinct
    /// and in `0..<39`.
    public init?(sites: [Int]) {
        guard sites.count == Self.siteCount, sites.allSatisfy({ (0..<Self.vocabulary.count).contains($0) }),
              Set(sites).count == Self.siteCount else { return nil }
        self.sites = sites
    }

    /// The elpasolite with these elements on A, B, C, D; `nil` unless all are in the
    /// vocabulary and distinct.
    public init?(a: Element, b: Element, c: Element, d: Element) {
        let positions = [a, b, c, d].compactMap(Self.position(of:))
        guard positions.count == Self.siteCount else { return nil }
        self.init(sites: positions)
    }

    /// The tuple with lexicographic rank `index` in `0..<tupleCount`.
    public init(index: Int) {
        precondition((0..<Self.tupleCount).contains(index), "elpasolite index \(index) outside 0..<\(Self.tupleCount)")
        // Mixed radix 39, 38, 37, 36: each digit is a rank among the elements still unused.
        var rest = index
        let d = rest % 36; rest /= 36
        let c = rest % 37; rest /= 37
        let b = rest % 38; rest /= 38
        var chosen: [Int] = []
        for rank in [rest, b, c, d] {
            var position = rank
            for used in chosen.sorted() where used <= position { position += 1 }
            chosen.append(position)
        }
        sites = chosen
    }

    /// The lexicographic rank of the ordered tuple, `0..<tupleCount`.
    public var index: Int {
        var index = 0
        for (site, position) in sites.enumerated() {
            let rank = position - sites[..<site].filter { $0 < position }.count
            index = index * (Self.vocabulary.count - site) + rank
        }
        return index
    }

    /// The elements on A, B, C, D.
    public var elements: [Element] { sites.map { Self.vocabulary[$0] } }

    /// The same compound with sites A and B exchanged (equivalent sites).
    public var swappingAB: Elpasolite { Elpasolite(uncheckedSites: [sites[1], sites[0], sites[2], sites[3]]) }

    private init(uncheckedSites: [Int]) { sites = uncheckedSites }

    /// The composition A1 B1 C2 D6.
    public var composition: Composition { Composition(zip(elements, [1, 1, 2, 6])) }

    /// The formula in site order as the data file writes it, e.g. `OCXe2Sb6`.
    public var formula: String {
        let e = elements
        return "\(e[0].symbol)\(e[1].symbol)\(e[2].symbol)2\(e[3].symbol)6"
    }

    public var description: String { formula }

    /// The 8-number representation: (period, main group) per site, each scaled to (-1, 1) by
    /// `(2x - 1)/n - 1` with n = 6 for periods and 8 for groups.
    public var vector: [Float] {
        elements.flatMap { element in
            [Self.scale(element.period, levels: Self.periodCount), Self.scale(Self.mainGroup(of: element), levels: Self.mainGroupCount)]
        }
    }

    /// Decodes an 8-number vector by rounding each number to its nearest period or group;
    /// `nil` (invalid) when a value falls outside the levels, a (period, group) pair is not
    /// one of the 39 elements, or an element repeats.
    public init?(vector: some Collection<Float>) {
        guard vector.count == Self.vectorLength else { return nil }
        let values = Array(vector)
        var positions: [Int] = []
        for site in 0..<Self.siteCount {
            guard let period = Self.unscale(values[2 * site], levels: Self.periodCount),
                  let group = Self.unscale(values[2 * site + 1], levels: Self.mainGroupCount) else { return nil }
            let position = Self.positionByPeriodAndGroup[(period - 1) * Self.mainGroupCount + group - 1]
            guard position >= 0 else { return nil }
            positions.append(position)
        }
        self.init(sites: positions)
    }

    /// `(2x - 1)/n - 1`: level 1 -> 1/n - 1, level n -> 1 - 1/n.
    public static func scale(_ level: Int, levels: Int) -> Float {
        Float(2 * level - 1) / Float(levels) - 1
    }

    /// The nearest level to a scaled value, `nil` outside `1...levels` (or not finite).
    public static func unscale(_ value: Float, levels: Int) -> Int? {
        let level = (((value + 1) * Float(levels) + 1) / 2).rounded()
        guard level.isFinite, level >= 1, level <= Float(levels) else { return nil }
        return Int(level)
    }
}

/// The ten formation-energy classes of Türk et al.: equal widths over the range of the DFT
/// energies (-3.067 ... 5.019 eV/atom in Faber et al.'s 10,590 rows, 0.809 eV/atom each);
/// class 1 (index 0) is the most stable. Energies outside the range fall into the first or
/// last class. With the data's exact minimum and maximum the augmented training set has
/// 86 rows in class 1 and 9,650 in class 5, the paper's counts; the rounded bounds
/// -3.07 / 5.02 would give 9,644.
public struct ElpasoliteEnergyClasses: Equatable, Sendable {
    /// The number of classes.
    public static let count = 10
    /// The lower end of the range, eV/atom.
    public let lowerBound: Double
    /// The upper end of the range, eV/atom.
    public let upperBound: Double

    /// Classes over `lowerBound ... upperBound` (which must be increasing).
    public init(lowerBound: Double, upperBound: Double) {
        precondition(lowerBound < upperBound, "energy class range \(lowerBound) ... \(upperBound) is empty")
        self.lowerBound = lowerBound
        self.upperBound = upperBound
    }

    /// Classes over the range of `energies`, which must not all be equal.
    public init(spanning energies: some Sequence<Double>) {
        var lowest = Double.infinity
        var highest = -Double.infinity
        for energy in energies {
            lowest = min(lowest, energy)
            highest = max(highest, energy)
        }
        self.init(lowerBound: lowest, upperBound: highest)
    }

    /// The width of one class, eV/atom.
    public var width: Double { (upperBound - lowerBound) / Double(Self.count) }

    /// The 0-based class of a formation energy in eV/atom (the paper's class number minus 1).
    public func index(ofEnergy energy: Double) -> Int {
        min(Self.count - 1, max(0, Int(((energy - lowerBound) / width).rounded(.down))))
    }
}
