import Chemistry
import Random

/// The training and hold-out rows of a ``LabelledCompositions`` for `property train`: the file's
/// own split when it has one, else a seeded random hold-out of a fraction of the rows or, grouped
/// by formula, of the distinct reduced formulas (so no polymorph of a hold-out formula is trained on).
public struct HoldoutSplit: Sendable, Equatable {
    /// Rows to train on, ascending.
    public let trainingRows: [Int]
    /// Rows to score the model on, ascending.
    public let holdoutRows: [Int]

    /// Splits `labelled`. Without a split in the file, a permutation seeded by `seed` holds out
    /// its first `testFraction` of the rows (or groups), at least one. Throws when either side
    /// is empty.
    public init(_ labeled: LabeledCompositions, testFraction: Double, groupByFormula: Bool, seed: UInt64) throws {
        let count = labeled.compositions.count
        if let holdout = labeled.isHoldout {
            trainingRows = holdout.indices.filter { !holdout[$0] }
            holdoutRows = holdout.indices.filter { holdout[$0] }
        } else {
            // Group g of row r: the row itself, or the first-seen index of its reduced formula.
            var groupOfRow = Array(0..<count)
            var groupCount = count
            if groupByFormula {
                var groups: [Composition: Int] = [:]
                for (row, composition) in labeled.compositions.enumerated() {
                    let reduced = composition.reduced
                    if let group = groups[reduced] {
                        groupOfRow[row] = group
                    } else {
                        groupOfRow[row] = groups.count
                        groups[reduced] = groups.count
                    }
                }
                groupCount = groups.count
            }
            let order = permutation(count: groupCount, seed: derivedSeed(seed, for: .propertyHoldout), epoch: 0)
            var isHeldOut = [Bool](repeating: false, count: groupCount)
            for group in order.prefix(max(1, Int((testFraction * Double(groupCount)).rounded()))) { isHeldOut[group] = true }
            trainingRows = (0..<count).filter { !isHeldOut[groupOfRow[$0]] }
            holdoutRows = (0..<count).filter { isHeldOut[groupOfRow[$0]] }
        }
        guard !trainingRows.isEmpty, !holdoutRows.isEmpty else {
            throw PropertyError("\(labeled.sourceFile): the split leaves \(trainingRows.count) training and \(holdoutRows.count) "
                                + "hold-out rows; both must be non-empty (a split column needs train and test rows)")
        }
    }
}
