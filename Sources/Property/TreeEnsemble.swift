/// A trained ensemble of regression trees, stored as flat node arrays (the layout of model files).
///
/// The prediction is `initialValue + treeWeight * sum_t tree_t(x)`: a random forest has
/// initial value 0 and weight 1/T (the mean of the trees), gradient boosting the training
/// mean and the learning rate. In tree t (nodes `treeOffsets[t] ..< treeOffsets[t + 1]`),
/// node k is a leaf when `feature[k] == -1` and predicts `value[k]`; otherwise rows with
/// `x[feature[k]] <= threshold[k]` go to node `left[k]`, the others to `right[k]` (child
/// indices relative to the tree's first node).
public struct TreeEnsemble: Sendable, Equatable {
    /// Number of feature columns the trees read.
    public let featureCount: Int
    public let initialValue: Float
    public let treeWeight: Float
    public let feature: [Int32]
    public let threshold: [Float]
    public let left: [Int32]
    public let right: [Int32]
    public let value: [Float]
    /// `treeCount + 1` offsets into the node arrays.
    public let treeOffsets: [Int]

    /// The number of trees.
    public var treeCount: Int { treeOffsets.count - 1 }
    /// The number of nodes over all trees.
    public var nodeCount: Int { feature.count }

    /// An ensemble from flat arrays; throws when they are inconsistent (a child or feature out of range).
    public init(featureCount: Int, initialValue: Float, treeWeight: Float, feature: [Int32], threshold: [Float],
                left: [Int32], right: [Int32], value: [Float], treeOffsets: [Int]) throws {
        let nodes = feature.count
        guard threshold.count == nodes, left.count == nodes, right.count == nodes, value.count == nodes else {
            throw PropertyError("tree arrays differ in length: feature \(nodes), threshold \(threshold.count), "
                                + "left \(left.count), right \(right.count), value \(value.count)")
        }
        guard treeOffsets.first == 0, treeOffsets.last == nodes, zip(treeOffsets, treeOffsets.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw PropertyError("tree offsets must rise from 0 to the node count \(nodes)")
        }
        for tree in 0..<(treeOffsets.count - 1) {
            let size = treeOffsets[tree + 1] - treeOffsets[tree]
            for node in treeOffsets[tree]..<treeOffsets[tree + 1] where feature[node] >= 0 {
                guard Int(feature[node]) < featureCount, (1..<size).contains(Int(left[node])), (1..<size).contains(Int(right[node])) else {
                    throw PropertyError("tree \(tree), node \(node - treeOffsets[tree]): feature or child index out of range")
                }
            }
        }
        self.featureCount = featureCount
        self.initialValue = initialValue
        self.treeWeight = treeWeight
        self.feature = feature
        self.threshold = threshold
        self.left = left
        self.right = right
        self.value = value
        self.treeOffsets = treeOffsets
    }

    /// Concatenates grown trees.
    init(trees: [GrownTree], featureCount: Int, initialValue: Float, treeWeight: Float) {
        self.featureCount = featureCount
        self.initialValue = initialValue
        self.treeWeight = treeWeight
        feature = trees.flatMap(\.feature)
        threshold = trees.flatMap(\.threshold)
        left = trees.flatMap(\.left)
        right = trees.flatMap(\.right)
        value = trees.flatMap(\.value)
        var offsets = [0]
        for tree in trees { offsets.append(offsets.last! + tree.nodeCount) }
        treeOffsets = offsets
    }

    /// One prediction per row of `features`, whose column count must be ``featureCount``.
    public func predict(_ features: FeatureMatrix) -> [Float] {
        precondition(features.columnCount == featureCount,
                     "TreeEnsemble.predict: \(features.columnCount) feature columns, the trees need \(featureCount)")
        let width = featureCount
        return [Float](unsafeUninitializedCapacity: features.rowCount) { output, initialized in
            features.values.withUnsafeBufferPointer { x in
                feature.withUnsafeBufferPointer { feature in
                    threshold.withUnsafeBufferPointer { threshold in
                        left.withUnsafeBufferPointer { left in
                            right.withUnsafeBufferPointer { right in
                                value.withUnsafeBufferPointer { value in
                                    for row in 0..<features.rowCount {
                                        let sample = x.baseAddress! + row * width
                                        var sum = 0.0
                                        for tree in 0..<treeCount {
                                            let base = treeOffsets[tree]
                                            var node = base
                                            while feature[node] >= 0 {
                                                node = base + Int(sample[Int(feature[node])] <= threshold[node] ? left[node] : right[node])
                                            }
                                            sum += Double(value[node])
                                        }
                                        output[row] = Float(Double(initialValue) + Double(treeWeight) * sum)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            initialized = features.rowCount
        }
    }
}
