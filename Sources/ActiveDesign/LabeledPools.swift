import Property
import Random

/// The labelled rows an active design job draws from (docs/active-design.md): the starting rows
/// come from the training split of a prepared file, the external test set from its hold-out
/// split, each a seeded random choice.
public struct LabeledPools: Sendable {
    /// The training split's rows, in file order.
    public let training: [LabeledComposition]
    /// The hold-out split's rows, in file order.
    public let holdout: [LabeledComposition]

    /// The pools of `labelled`; `nil` when the file has no train / hold-out split.
    public init?(_ labeled: LabeledCompositions) {
        guard let isHoldout = labeled.isHoldout else { return nil }
        let rows = labeled.compositions.indices.map {
            LabeledComposition(composition: labeled.compositions[$0], target: Double(labeled.targets[$0]))
        }
        training = rows.indices.filter { !isHoldout[$0] }.map { rows[$0] }
        holdout = rows.indices.filter { isHoldout[$0] }.map { rows[$0] }
    }

    /// `count` (at most the pool's size) starting rows from the training pool, chosen by `seed`.
    public func startingRows(count: Int, seed: UInt64) -> [LabeledComposition] {
        Self.choose(count, from: training, seed: seed, purpose: .activeStart)
    }

    /// `count` (at most the pool's size) external test rows from the hold-out pool, chosen by `seed`.
    public func testRows(count: Int, seed: UInt64) -> [LabeledComposition] {
        Self.choose(count, from: holdout, seed: seed, purpose: .activeTest)
    }

    /// The first `count` rows of a permutation of `pool`; `purpose` keeps the two draws independent.
    private static func choose(_ count: Int, from pool: [LabeledComposition], seed: UInt64,
                               purpose: SeedPurpose) -> [LabeledComposition] {
        permutation(count: pool.count, seed: derivedSeed(seed, for: purpose), epoch: 0).prefix(count).map { pool[$0] }
    }
}
