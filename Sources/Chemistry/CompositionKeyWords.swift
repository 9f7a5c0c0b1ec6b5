extension CompositionKey {
    /// The key's two 64-bit words, for sending keys through MPI and storing them in HDF5.
    public var words: (low: UInt64, high: UInt64) { (low, high) }

    /// The key stored as `words`; `nil` for the all-zero pair (which stands for "no
    /// composition") and for words no key produces (unknown atomic number, zero count, a gap
    /// between slots, elements out of order), so a damaged file cannot yield a bogus formula.
    public init?(words: (low: UInt64, high: UInt64)) {
        var previousAtomicNumber = 0
        var ended = false
        for slot in 0..<Self.maximumElementCount {
            let word = slot < 4 ? words.low : words.high
            let term = Int(truncatingIfNeeded: (word >> (16 * UInt64(slot % 4))) & 0xFFFF)
            if term == 0 { ended = true; continue }
            let atomicNumber = term >> 9
            guard !ended, term & 0x1FF > 0, atomicNumber > previousAtomicNumber,
                  atomicNumber <= Element.maximumAtomicNumber else { return nil }
            previousAtomicNumber = atomicNumber
        }
        guard previousAtomicNumber > 0 else { return nil }
        (low, high) = words
    }

    /// A well-mixed 64-bit hash (SplitMix64 finaliser of both words), stable across processes
    /// and runs, unlike `hashValue`: it decides which rank owns a key in distributed merges.
    public var stableHash: UInt64 {
        var z = low &+ 0x9E37_79B9_7F4A_7C15 &* (high | 1)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
