import Distributed
import Random

/// Random-forest settings, scikit-learn's `RandomForestRegressor` meanings.
public struct RandomForestParameters: Sendable, Equatable {
    /// Number of trees.
    public var treeCount = 100
    /// Fraction of the features drawn as split candidates at each node (at least one feature);
    /// 1/3 is the customary regression default (Breiman; R's randomForest), 1 is plain bagging.
    public var maxFeatures = 1.0 / 3
    /// The fewest training samples per leaf.
    public var minSamplesLeaf = 1
    /// Deepest split level; nil grows until the leaves are pure or too small.
    public var maxDepth: Int?
    /// Whether each tree sees a bootstrap sample (n rows drawn with replacement) or all rows.
    public var bootstrap = true
    /// Seed of the bootstrap samples and feature draws.
    public var seed: UInt64 = 0

    public init() {}
}

/// Random forests of CART regression trees, built in parallel over ranks.
public enum RandomForest {
    /// Fits a forest; collective over `world`, and every rank passes the same data and returns
    /// the whole forest.
    ///
    /// Tree t draws its bootstrap sample and feature subsets from stream t of
    /// `derivedSeed(seed, "random-forest")` and is built by rank `t mod size`; the trees are then
    /// gathered in tree order, so the forest does not depend on the rank count. Features are
    /// binned once (see ``FeatureBins``) before any tree is grown.
    ///
    /// - Parameter progress: called on each rank with the number of trees it has built.
    public static func fit(features: FeatureMatrix, targets: [Float], parameters: RandomForestParameters,
                           world: Communicator, progress: ((Int) -> Void)? = nil) throws -> TreeEnsemble {
        try validate(features: features, targets: targets)
        guard parameters.treeCount >= 1 else { throw PropertyError("random forest: the tree count must be at least 1, got \(parameters.treeCount)") }
        guard parameters.maxFeatures > 0, parameters.maxFeatures <= 1 else {
            throw PropertyError("random forest: max features must be a fraction in (0, 1], got \(parameters.maxFeatures)")
        }
        guard parameters.minSamplesLeaf >= 1 else { throw PropertyError("random forest: min samples per leaf must be at least 1") }
        if let depth = parameters.maxDepth, depth < 1 { throw PropertyError("random forest: max depth must be at least 1, got \(depth)") }

        let bins = FeatureBins(features)
        let limits = TreeLimits(maxDepth: parameters.maxDepth, minSamplesLeaf: parameters.minSamplesLeaf,
                                maxFeatures: max(1, Int(parameters.maxFeatures * Double(features.columnCount))))
        let builder = TreeBuilder(data: bins, limits: limits)
        let doubleTargets = targets.map(Double.init)
        let seed = derivedSeed(parameters.seed, for: .randomForest)
        let rowCount = features.rowCount
        var localTrees: [GrownTree] = []
        for tree in stride(from: world.rank, to: parameters.treeCount, by: world.size) {
            var random: RandomStream? = RandomStream(seed: seed, stream: UInt64(tree))
            var samples: [Int32]
            if parameters.bootstrap {
                samples = (0..<rowCount).map { _ in Int32(random!.uniformInt(below: rowCount)) }
                samples.sort()
            } else {
                samples = (0..<rowCount).map(Int32.init)
            }
            let grown = try doubleTargets.withUnsafeBufferPointer { targets in
                try builder.grow(samples: samples, targets: targets.baseAddress!, random: &random, world: nil)
            }
            localTrees.append(grown)
            progress?(localTrees.count)
        }
        let trees = try gatherTrees(localTrees, count: parameters.treeCount, world: world)
        return TreeEnsemble(trees: trees, featureCount: features.columnCount, initialValue: 0,
                            treeWeight: Float(1 / Double(parameters.treeCount)))
    }

    /// Every rank's trees (rank r built trees r, r + size, ...), in tree order on every rank.
    private static func gatherTrees(_ local: [GrownTree], count: Int, world: Communicator) throws -> [GrownTree] {
        guard world.size > 1 else { return local }
        var sizes = local.map { Int64($0.nodeCount) }
        var feature = local.flatMap(\.feature), left = local.flatMap(\.left), right = local.flatMap(\.right)
        var threshold = local.flatMap(\.threshold), value = local.flatMap(\.value)
        func everywhere<T: MPIScalar>(_ array: inout [T]) throws {
            var gathered = try world.gatherv(array)?.values ?? []
            try world.broadcast(&gathered)
            array = gathered
        }
        try everywhere(&sizes)
        try everywhere(&feature)
        try everywhere(&left)
        try everywhere(&right)
        try everywhere(&threshold)
        try everywhere(&value)
        // Gathered order is rank-major: rank 0's trees 0, size, 2 size, ..., then rank 1's.
        var byTree = [GrownTree](repeating: GrownTree(), count: count)
        var position = 0, offset = 0
        for rank in 0..<world.size {
            for tree in stride(from: rank, to: count, by: world.size) {
                let nodes = offset ..< offset + Int(sizes[position])
                byTree[tree] = GrownTree(feature: Array(feature[nodes]), splitBin: [], threshold: Array(threshold[nodes]),
                                         left: Array(left[nodes]), right: Array(right[nodes]), value: Array(value[nodes]))
                offset = nodes.upperBound
                position += 1
            }
        }
        return byTree
    }

    /// Common checks of a training set.
    static func validate(features: FeatureMatrix, targets: [Float]) throws {
        guard features.rowCount >= 2 else { throw PropertyError("training needs at least 2 rows, got \(features.rowCount)") }
        guard targets.count == features.rowCount else {
            throw PropertyError("\(targets.count) targets for \(features.rowCount) feature rows")
        }
        if let bad = targets.firstIndex(where: { !$0.isFinite }) { throw PropertyError("target \(bad) is not finite (\(targets[bad]))") }
        if let bad = features.values.firstIndex(where: { !$0.isFinite }) {
            throw PropertyError("feature \(bad % features.columnCount) of row \(bad / features.columnCount) is not finite")
        }
    }
}
