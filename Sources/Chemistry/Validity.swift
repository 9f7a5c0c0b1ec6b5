/// Which validity check to apply.
public enum ValidityRule: String, CaseIterable, Sendable {
    /// SMACT's `smact_validity` (v2.6 to 4.0.2 semantics): counts divided by their gcd,
    /// single elements and (by default) all-metal alloys valid, otherwise charge neutral
    /// with Pauling-consistent oxidation states.
    case smact
    /// MatGAN's stricter check: the formula's own counts (a gcd above 1, as in `Ti2O4`,
    /// fails, the way SMACT's `neutral_ratios` skips non-reduced ratios), no alloy or
    /// single-element shortcut.
    case matgan
}

/// The outcome of a validity check, with its two chemical tests reported separately.
public struct ValidityResult: Equatable, Sendable {
    /// Some choice of one oxidation state per element makes `sum(state * count) == 0`.
    public let isChargeNeutral: Bool
    /// Some charge-neutral choice also passes the Pauling test: every cation is strictly
    /// less electronegative than every anion (an element without an electronegativity fails).
    public let isElectronegativityBalanced: Bool
    /// The rule's verdict: electronegativity balanced, or (SMACT rule) a single element or an
    /// all-metal alloy.
    public let isValid: Bool

    public init(isChargeNeutral: Bool, isElectronegativityBalanced: Bool, isValid: Bool) {
        self.isChargeNeutral = isChargeNeutral
        self.isElectronegativityBalanced = isElectronegativityBalanced
        self.isValid = isValid
    }
}

/// Charge-neutrality and electronegativity checks of compositions (SMACT or MatGAN rule).
///
/// Instead of SMACT's walk over the full product of oxidation states (up to ~10^8
/// combinations for 8 elements) the checker tracks the set of reachable partial charge sums
/// as a bitset, adding one element at a time: exact, and a few microseconds for 8 elements.
/// The Pauling test becomes a split of the elements sorted by electronegativity: a valid
/// assignment has all cations (positive states) at or below some electronegativity and all
/// anions (negative states) above it, so it suffices to intersect, at every split point, the
/// positive sums reachable by the lower part with the negative sums of the upper part.
public struct ValidityChecker: Sendable {
    /// The rule applied.
    public let rule: ValidityRule
    /// The oxidation states used.
    public let oxidationStates: OxidationStateSet
    /// SMACT rule only: whether a composition of metals only is valid (`include_alloys`).
    public let includesAlloys: Bool

    /// Oxidation states per atomic number (index 0 unused).
    private let statesByAtomicNumber: [[Int]]

    /// A checker; SMACT's defaults are `.smact` with alloys included. MatGAN numbers use the
    /// `smact14` set, SMACT 4.x's own default is `icsd24`.
    public init(rule: ValidityRule = .smact, oxidationStates: OxidationStateSet = .smact14, includesAlloys: Bool = true) {
        self.rule = rule
        self.oxidationStates = oxidationStates
        self.includesAlloys = includesAlloys
        statesByAtomicNumber = [[]] + Element.all.map { $0.oxidationStates(oxidationStates) }
    }

    /// Checks one composition.
    public func check(_ composition: Composition) -> ValidityResult {
        var counts = composition.counts
        let divisor = composition.countDivisor
        if divisor > 1 {
            guard rule == .smact else {
                return ValidityResult(isChargeNeutral: false, isElectronegativityBalanced: false, isValid: false)
            }
            counts = counts.map { $0 / divisor }
        }
        let elements = composition.elements
        let states = elements.map { statesByAtomicNumber[$0.atomicNumber] }
        let neutral = Self.hasNeutralAssignment(counts: counts, states: states)
        let balanced = neutral && Self.hasPaulingNeutralAssignment(elements: elements, counts: counts, states: states)
        var valid = balanced
        if rule == .smact {
            valid = valid || elements.count == 1 || (includesAlloys && elements.allSatisfy(\.isSMACTMetal))
        }
        return ValidityResult(isChargeNeutral: neutral, isElectronegativityBalanced: balanced, isValid: valid)
    }

    /// Largest bitset (in 64-bit words) the dense search uses; only absurd counts exceed it.
    static let maximumWords = 1 << 12

    /// Whether one state per element from `states` gives a zero charge sum.
    static func hasNeutralAssignment(counts: [Int], states: [[Int]]) -> Bool {
        var span = 0
        var lowest = 0
        var highest = 0
        for (count, choices) in zip(counts, states) {
            guard let minimum = choices.first, let maximum = choices.last else { return false }
            span += (maximum - minimum) * count
            lowest += minimum * count
            highest += maximum * count
        }
        guard lowest <= 0, highest >= 0 else { return false }
        let words = span / 64 + 1
        guard words <= maximumWords else { return sparseZeroSum(counts: counts, states: states) }
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * words) { buffer in
            var current = buffer.baseAddress!
            var next = current + words
            // Both halves start zeroed; each step clears the prefix it writes, which only grows.
            current.initialize(repeating: 0, count: 2 * words)
            current[0] = 1
            // Bit b of `current` is the partial sum `base + b`.
            var base = 0
            var usedBits = 1
            for (count, choices) in zip(counts, states) {
                let minimum = choices[0]
                let newBits = usedBits + (choices[choices.count - 1] - minimum) * count
                let usedWords = (newBits + 63) / 64
                next.update(repeating: 0, count: usedWords)
                for state in choices {
                    orShifted(into: next, from: current, words: usedWords, shift: (state - minimum) * count)
                }
                swap(&current, &next)
                base += minimum * count
                usedBits = newBits
            }
            let zero = -base
            return current[zero >> 6] & (1 << UInt64(zero & 63)) != 0
        }
    }

    /// Whether a zero-sum assignment exists in which every cation is less electronegative
    /// than every anion (SMACT's `eneg_states_test`; a missing electronegativity fails any
    /// pair, so it fails every composition of two or more elements).
    static func hasPaulingNeutralAssignment(elements: [Element], counts: [Int], states: [[Int]]) -> Bool {
        let count = elements.count
        let electronegativities = elements.compactMap(\.paulingElectronegativity)
        guard electronegativities.count == count else { return count < 2 && hasNeutralAssignment(counts: counts, states: states) }
        let order = elements.indices.sorted { electronegativities[$0] < electronegativities[$1] }
        var positiveSpan = 0
        var negativeSpan = 0
        for index in order {
            positiveSpan += max(0, states[index].last ?? 0) * counts[index]
            negativeSpan += max(0, -(states[index].first ?? 0)) * counts[index]
        }
        let words = max(positiveSpan, negativeSpan) / 64 + 1
        guard words <= maximumWords else {
            return sparsePaulingZeroSum(order: order, electronegativities: electronegativities, counts: counts, states: states)
        }
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * (count + 1) * words) { buffer in
            let base = buffer.baseAddress!
            base.initialize(repeating: 0, count: 2 * (count + 1) * words)
            // positive(k): charge sums of the k least electronegative elements, states >= 0.
            // negative(k): magnitudes of the sums of the others, states <= 0.
            func positive(_ k: Int) -> UnsafeMutablePointer<UInt64> { base + k * words }
            func negative(_ k: Int) -> UnsafeMutablePointer<UInt64> { base + (count + 1 + k) * words }
            positive(0)[0] = 1
            for k in 0..<count {
                let index = order[k]
                for state in states[index] where state >= 0 {
                    orShifted(into: positive(k + 1), from: positive(k), words: words, shift: state * counts[index])
                }
            }
            negative(count)[0] = 1
            for k in stride(from: count - 1, through: 0, by: -1) {
                let index = order[k]
                for state in states[index] where state <= 0 {
                    orShifted(into: negative(k), from: negative(k + 1), words: words, shift: -state * counts[index])
                }
            }
            for k in 0...count {
                // Elements of equal electronegativity stay on one side of the split.
                if k > 0, k < count, electronegativities[order[k - 1]] == electronegativities[order[k]] { continue }
                let lower = positive(k)
                let upper = negative(k)
                for word in 0..<words where lower[word] & upper[word] != 0 { return true }
            }
            return false
        }
    }

    /// `destination |= source << shift` over `words` words (bits shifted past the end drop).
    @inline(__always)
    static func orShifted(into destination: UnsafeMutablePointer<UInt64>, from source: UnsafePointer<UInt64>,
                          words: Int, shift: Int) {
        let wordShift = shift >> 6
        let bitShift = UInt64(shift & 63)
        guard wordShift < words else { return }
        if bitShift == 0 {
            for word in wordShift..<words { destination[word] |= source[word - wordShift] }
        } else {
            destination[wordShift] |= source[0] << bitShift
            for word in (wordShift + 1)..<max(words, wordShift + 1) {
                let from = word - wordShift
                destination[word] |= source[from] << bitShift | source[from - 1] >> (64 - bitShift)
            }
        }
    }

    /// The same search as ``hasNeutralAssignment`` over a hash set, for counts so large
    /// that a dense bitset would not fit.
    static func sparseZeroSum(counts: [Int], states: [[Int]]) -> Bool {
        var sums: Set<Int> = [0]
        for (count, choices) in zip(counts, states) {
            var next = Set<Int>(minimumCapacity: sums.count * choices.count)
            for sum in sums { for state in choices { next.insert(sum + state * count) } }
            sums = next
        }
        return sums.contains(0)
    }

    /// ``hasPaulingNeutralAssignment`` over hash sets, one split point at a time.
    static func sparsePaulingZeroSum(order: [Int], electronegativities: [Double], counts: [Int], states: [[Int]]) -> Bool {
        for k in 0...order.count {
            if k > 0, k < order.count, electronegativities[order[k - 1]] == electronegativities[order[k]] { continue }
            let splitStates = order.enumerated().map { position, index in
                states[index].filter { position < k ? $0 >= 0 : $0 <= 0 }
            }
            if sparseZeroSum(counts: order.map { counts[$0] }, states: splitStates) { return true }
        }
        return false
    }
}
