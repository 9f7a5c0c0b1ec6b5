import Chemistry

/// Walks the ordered tuple space in index order (``Elpasolite/index``: lexicographic over
/// sites A, B, C, D among tuples of four distinct elements) without decoding indices.
public enum TupleSpace {
    /// The number of tuples sharing one element on site A: 38 * 37 * 36.
    static let tuplesPerFirstSite = 38 * 37 * 36

    /// Calls `body(index, a, b, c, d)` for every tuple with index in `range`, in order; a..d are
    /// vocabulary positions.
    public static func forEachTuple(in range: Range<Int>, _ body: (Int, Int, Int, Int, Int) -> Void) {
        guard !range.isEmpty else { return }
        precondition(range.lowerBound >= 0 && range.upperBound <= Elpasolite.tupleCount,
                     "tuple range \(range) outside 0..<\(Elpasolite.tupleCount)")
        let count = Elpasolite.vocabulary.count
        let firstA = range.lowerBound / tuplesPerFirstSite
        let lastA = (range.upperBound - 1) / tuplesPerFirstSite
        for a in firstA...lastA {
            var index = a * tuplesPerFirstSite
            if index + tuplesPerFirstSite <= range.lowerBound { continue }
            for b in 0..<count where b != a {
                if index + 37 * 36 <= range.lowerBound { index += 37 * 36; continue }
                for c in 0..<count where c != a && c != b {
                    if index + 36 <= range.lowerBound { index += 36; continue }
                    for d in 0..<count where d != a && d != b && d != c {
                        if index >= range.upperBound { return }
                        if index >= range.lowerBound { body(index, a, b, c, d) }
                        index += 1
                    }
                }
            }
        }
    }

    /// The contiguous index slice rank `rank` of `size` labels: near-equal shares in rank order.
    public static func slice(rank: Int, size: Int) -> Range<Int> {
        let total = Elpasolite.tupleCount
        return (total * rank / size)..<(total * (rank + 1) / size)
    }
}
