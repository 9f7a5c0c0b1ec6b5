/// One of the four oxidation-state sets of SMACT's element data (`elements_smact.csv`).
public enum OxidationStateSet: String, CaseIterable, Sendable {
    /// SMACT's 2014 list (`oxidation_states_smact14`), the set MatGAN-era validity numbers use.
    case smact14
    /// States reported in the ICSD as of 2016 (`oxidation_states_icsd16`).
    case icsd16
    /// SMACT 4.x's default: ICSD 2024 states with at least 3 reports, 0 excluded
    /// (`ICSD24FilterConfig()` consensus 3, SMACT's behaviour when no set is named).
    case icsd24
    /// SMACT 4.x's named `"icsd24"` set (`oxidation_states_icsd24`, the filtered ICSD 2024 list).
    case icsd24Filtered = "icsd24-filtered"
}

/// The element data behind ``Element``, one record per atomic number (generated source).
struct ElementRecord: Sendable {
    let symbol: String
    let atomicNumber: Int
    let period: Int
    let group: Int
    let paulingElectronegativity: Double?
    let smact14: [Int]
    let icsd16: [Int]
    let icsd24Filtered: [Int]
    let icsd24Consensus3: [Int]
    let isSMACTMetal: Bool
    let matgan85Index: Int?

    func oxidationStates(_ set: OxidationStateSet) -> [Int] {
        switch set {
        case .smact14: smact14
        case .icsd16: icsd16
        case .icsd24: icsd24Consensus3
        case .icsd24Filtered: icsd24Filtered
        }
    }

    /// Symbol to atomic number, for the formula parser.
    static let atomicNumbersBySymbol: [String: Int] = Dictionary(
        uniqueKeysWithValues: table.map { ($0.symbol, $0.atomicNumber) })
}

/// A chemical element from H (Z = 1) to Lr (Z = 103), the 103 elements of SMACT's data.
///
/// The value is just the atomic number; every property is looked up in the generated table
/// (`ElementTable.generated.swift`, from `elements_smact.csv`). Elements order by atomic
/// number.
public struct Element: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The atomic number Z, `1...103`.
    public let atomicNumber: Int

    /// The largest atomic number in the table (Lr).
    public static let maximumAtomicNumber = 103

    /// Every element of the table, by atomic number.
    public static let all: [Element] = (1...maximumAtomicNumber).map { Element(uncheckedAtomicNumber: $0) }

    /// The element with this atomic number, or `nil` outside `1...103`.
    public init?(atomicNumber: Int) {
        guard (1...Element.maximumAtomicNumber).contains(atomicNumber) else { return nil }
        self.atomicNumber = atomicNumber
    }

    /// The element with this symbol (case-sensitive, e.g. `"Na"`), or `nil` if unknown.
    public init?(symbol: String) {
        guard let atomicNumber = ElementRecord.atomicNumbersBySymbol[symbol] else { return nil }
        self.atomicNumber = atomicNumber
    }

    init(uncheckedAtomicNumber: Int) { atomicNumber = uncheckedAtomicNumber }

    var record: ElementRecord { ElementRecord.table[atomicNumber - 1] }

    /// The chemical symbol, e.g. `"Na"`.
    public var symbol: String { record.symbol }
    /// The period (row of the periodic table), 1...7.
    public var period: Int { record.period }
    /// The IUPAC group 1...18; lanthanides and actinides are counted in group 3.
    public var group: Int { record.group }
    /// The Pauling electronegativity, `nil` where SMACT has none (He, Ne, Ar, Pm, Rn, Lr).
    public var paulingElectronegativity: Double? { record.paulingElectronegativity }
    /// Whether the element is in SMACT's metal list (used by the alloy rule).
    public var isSMACTMetal: Bool { record.isSMACTMetal }
    /// The row of this element in the MatGAN 85-element matrix, `nil` for the 18 elements
    /// it leaves out (He, Ne, Ar, Kr, Po, At, Rn, Fr, Ra, Am...Lr).
    public var matgan85Index: Int? { record.matgan85Index }

    /// The oxidation states of this element in `set`, ascending; empty when the set has none.
    public func oxidationStates(_ set: OxidationStateSet) -> [Int] { record.oxidationStates(set) }

    public var description: String { symbol }

    public static func < (lhs: Element, rhs: Element) -> Bool { lhs.atomicNumber < rhs.atomicNumber }
}
