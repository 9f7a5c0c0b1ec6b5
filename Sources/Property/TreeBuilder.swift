import Distributed
import Random

/// Limits on the growth of one regression tree (scikit-learn's meanings).
struct TreeLimits: Sendable {
    /// Deepest level a split may create; nil grows until the leaves are pure or too small.
    var maxDepth: Int?
    /// The fewest training samples a leaf may hold.
    var minSamplesLeaf: Int
    /// Features examined per split (with random feature sampling); a node keeps drawing
    /// further features past this number until one gives a valid split, as scikit-learn does.
    var maxFeatures: Int
}

/// One grown tree as flat node arrays; node 0 is the root, `feature[k] == -1` marks a leaf.
struct GrownTree: Sendable {
    var feature: [Int32] = []
    /// The split's bin: samples with `bin <= splitBin` go left.
    var splitBin: [Int32] = []
    /// The split's raw threshold: `x <= threshold` goes left.
    var threshold: [Float] = []
    var left: [Int32] = []
    var right: [Int32] = []
    /// Mean target of the node's training samples (the prediction at a leaf).
    var value: [Float] = []

    var nodeCount: Int { feature.count }

    mutating func appendNode() -> Int {
        feature.append(-1); splitBin.append(0); threshold.append(0); left.append(-1); right.append(-1); value.append(0)
        return feature.count - 1
    }

    /// The prediction for row `row` of the binned training data.
    func predict(binnedRow row: UnsafePointer<UInt8>) -> Float {
        var node = 0
        while feature[node] >= 0 {
            node = Int(row[Int(feature[node])]) <= Int(splitBin[node]) ? Int(left[node]) : Int(right[node])
        }
        return value[node]
    }
}

/// Grows CART regression trees (variance reduction, i.e. squared error) over binned features,
/// level by level.
///
/// At each level every open node's best split is searched over its candidate features: with a
/// histogram of target sums per bin for nodes of at least ``smallNodeSize`` samples (one pass
/// over the node's rows), and by sorting the node's (bin, target) pairs per feature below that,
/// where zeroing and scanning 256-bin histograms would cost more than the samples. The best
/// split maximises `S_L²/n_L + S_R²/n_R`; ties go to the lower feature index, then the lower bin.
///
/// With a communicator the features are dealt out over the ranks (feature f to rank f mod size),
/// each rank searches its share for every open node of the level, and one allgather per level
/// picks the winners. Every rank holds all rows and partitions them the same way, so the tree is
/// the same for any rank count.
final class TreeBuilder {
    static let smallNodeSize = 64
    /// A node whose target variance is at most this is a leaf (scikit-learn stops at machine epsilon).
    static let pureVariance = 1e-12

    let data: FeatureBins
    let limits: TreeLimits
    private let histogramSums: UnsafeMutablePointer<Double>
    private let histogramCounts: UnsafeMutablePointer<Int32>
    /// One node's (bin, target) pairs sorted by bin, for nodes below ``smallNodeSize``.
    private var sortBins = [UInt8](repeating: 0, count: smallNodeSize)
    private var sortTargets = [Double](repeating: 0, count: smallNodeSize)

    init(data: FeatureBins, limits: TreeLimits) {
        self.data = data
        self.limits = limits
        let cells = data.featureCount * FeatureBins.maximumBinCount
        histogramSums = .allocate(capacity: cells)
        histogramCounts = .allocate(capacity: cells)
    }

    deinit {
        histogramSums.deallocate()
        histogramCounts.deallocate()
    }

    /// A candidate split of one node.
    private struct Split {
        var gain = -Double.infinity
        var feature = -1
        var bin = 0

        /// Whether `other` is better: a larger gain, or the same gain on a lower feature.
        func isWorse(than other: Split) -> Bool {
            other.feature >= 0 && (other.gain > gain || (other.gain == gain && (feature < 0 || other.feature < feature)))
        }
    }

    /// A node waiting for its split at the current level: its rows are `order[start..<end]`.
    private struct OpenNode {
        let node: Int
        let start: Int
        let end: Int
        let depth: Int
    }

    /// Grows a tree on the rows `samples` (repeats allowed, as in a bootstrap sample) with
    /// per-row `targets`.
    ///
    /// - Parameters:
    ///   - random: when given, each node examines features in a random order drawn from it
    ///     (random forests); otherwise all features in order.
    ///   - world: when given (collective), the feature search is split over its ranks.
    func grow(samples: [Int32], targets: UnsafePointer<Double>, random: inout RandomStream?,
              world: Communicator?) throws -> GrownTree {
        var tree = GrownTree()
        var order = samples
        var scratch = samples
        let featureCount = data.featureCount
        let rank = world?.rank ?? 0, size = world?.size ?? 1
        let ownFeatures = Array(stride(from: rank, to: featureCount, by: size))
        var open = [OpenNode(node: tree.appendNode(), start: 0, end: order.count, depth: 0)]
        var featureOrder = Array(0..<featureCount)

        while !open.isEmpty {
            var splits = [Split](repeating: Split(), count: open.count)
            order.withUnsafeBufferPointer { order in
                for (index, node) in open.enumerated() {
                    let rows = UnsafeBufferPointer(rebasing: order[node.start..<node.end])
                    let (mean, variance) = Self.moments(rows, targets)
                    tree.value[node.node] = Float(mean)
                    let n = rows.count
                    guard n >= 2, n >= 2 * limits.minSamplesLeaf, variance > Self.pureVariance,
                          limits.maxDepth.map({ node.depth < $0 }) ?? true else { continue }
                    if random != nil {
                        splits[index] = sampledSplit(rows, targets, featureOrder: &featureOrder, random: &random!)
                    } else {
                        splits[index] = bestSplit(rows, targets, features: ownFeatures)
                    }
                }
            }
            if let world, world.size > 1 { splits = try agree(on: splits, world: world) }

            var next: [OpenNode] = []
            for (index, node) in open.enumerated() where splits[index].feature >= 0 {
                let split = splits[index]
                let middle = partition(&order, scratch: &scratch, node.start..<node.end, feature: split.feature, bin: split.bin)
                let leftNode = tree.appendNode(), rightNode = tree.appendNode()
                tree.feature[node.node] = Int32(split.feature)
                tree.splitBin[node.node] = Int32(split.bin)
                tree.threshold[node.node] = data.edges[split.feature][split.bin]
                tree.left[node.node] = Int32(leftNode)
                tree.right[node.node] = Int32(rightNode)
                next.append(OpenNode(node: leftNode, start: node.start, end: middle, depth: node.depth + 1))
                next.append(OpenNode(node: rightNode, start: middle, end: node.end, depth: node.depth + 1))
            }
            open = next
        }
        return tree
    }

    /// Mean and variance of the targets of `rows`.
    private static func moments(_ rows: UnsafeBufferPointer<Int32>, _ targets: UnsafePointer<Double>) -> (Double, Double) {
        var sum = 0.0
        for row in rows { sum += targets[Int(row)] }
        let mean = sum / Double(rows.count)
        var squares = 0.0
        for row in rows {
            let deviation = targets[Int(row)] - mean
            squares += deviation * deviation
        }
        return (mean, squares / Double(rows.count))
    }

    /// Random-forest search: features in a fresh random order, `maxFeatures` at a time, until a
    /// batch yields a valid split or the features run out.
    private func sampledSplit(_ rows: UnsafeBufferPointer<Int32>, _ targets: UnsafePointer<Double>,
                              featureOrder: inout [Int], random: inout RandomStream) -> Split {
        let featureCount = featureOrder.count
        var drawn = 0
        var best = Split()
        while drawn < featureCount {
            let batchEnd = min(featureCount, drawn + limits.maxFeatures)
            // Partial Fisher-Yates: positions drawn..<batchEnd get uniformly chosen remaining features.
            for position in drawn..<batchEnd {
                featureOrder.swapAt(position, position + random.uniformInt(below: featureCount - position))
            }
            let candidate = bestSplit(rows, targets, features: Array(featureOrder[drawn..<batchEnd]))
            if best.isWorse(than: candidate) { best = candidate }
            drawn = batchEnd
            if best.feature >= 0 { break }
        }
        return best
    }

    /// The best split of `rows` over `features`.
    private func bestSplit(_ rows: UnsafeBufferPointer<Int32>, _ targets: UnsafePointer<Double>, features: [Int]) -> Split {
        var total = 0.0
        for row in rows { total += targets[Int(row)] }
        return rows.count >= Self.smallNodeSize
            ? histogramSplit(rows, targets, features: features, total: total)
            : sortedSplit(rows, targets, features: features, total: total)
    }

    private func histogramSplit(_ rows: UnsafeBufferPointer<Int32>, _ targets: UnsafePointer<Double>,
                                features: [Int], total: Double) -> Split {
        let binStride = FeatureBins.maximumBinCount
        let featureCount = data.featureCount
        let n = rows.count
        return features.withUnsafeBufferPointer { features in
            data.bins.withUnsafeBufferPointer { bins in
                for j in features.indices {
                    let count = data.binCount(features[j])
                    (histogramSums + j * binStride).update(repeating: 0, count: count)
                    (histogramCounts + j * binStride).update(repeating: 0, count: count)
                }
                for row in rows {
                    let binRow = bins.baseAddress! + Int(row) * featureCount
                    let target = targets[Int(row)]
                    for j in features.indices {
                        let cell = j * binStride + Int(binRow[features[j]])
                        histogramSums[cell] += target
                        histogramCounts[cell] += 1
                    }
                }
                var best = Split()
                let minimumLeaf = limits.minSamplesLeaf
                for j in features.indices {
                    let feature = features[j]
                    let sums = histogramSums + j * binStride, counts = histogramCounts + j * binStride
                    var leftCount = 0, leftSum = 0.0
                    for bin in 0..<(data.binCount(feature) - 1) where counts[bin] > 0 {
                        leftCount += Int(counts[bin])
                        leftSum += sums[bin]
                        let rightCount = n - leftCount
                        if rightCount < minimumLeaf { break }
                        guard leftCount >= minimumLeaf else { continue }
                        let rightSum = total - leftSum
                        let gain = leftSum * leftSum / Double(leftCount) + rightSum * rightSum / Double(rightCount)
                        let candidate = Split(gain: gain, feature: feature, bin: bin)
                        if best.isWorse(than: candidate) { best = candidate }
                    }
                }
                return best
            }
        }
    }

    private func sortedSplit(_ rows: UnsafeBufferPointer<Int32>, _ targets: UnsafePointer<Double>,
                             features: [Int], total: Double) -> Split {
        let n = rows.count
        let featureCount = data.featureCount
        let minimumLeaf = limits.minSamplesLeaf
        var best = Split()
        data.bins.withUnsafeBufferPointer { bins in
            sortBins.withUnsafeMutableBufferPointer { keys in
                sortTargets.withUnsafeMutableBufferPointer { values in
                    for feature in features {
                        // Insertion sort by bin: stable, and fast for the few rows of a small node.
                        for i in 0..<n {
                            let key = bins[Int(rows[i]) * featureCount + feature]
                            let value = targets[Int(rows[i])]
                            var position = i
                            while position > 0, keys[position - 1] > key {
                                keys[position] = keys[position - 1]
                                values[position] = values[position - 1]
                                position -= 1
                            }
                            keys[position] = key
                            values[position] = value
                        }
                        var leftSum = 0.0
                        for i in 0..<(n - 1) {
                            leftSum += values[i]
                            guard keys[i] != keys[i + 1] else { continue }
                            let leftCount = i + 1, rightCount = n - leftCount
                            if rightCount < minimumLeaf { break }
                            guard leftCount >= minimumLeaf else { continue }
                            let rightSum = total - leftSum
                            let gain = leftSum * leftSum / Double(leftCount) + rightSum * rightSum / Double(rightCount)
                            let candidate = Split(gain: gain, feature: feature, bin: Int(keys[i]))
                            if best.isWorse(than: candidate) { best = candidate }
                        }
                    }
                }
            }
        }
        return best
    }

    /// Every rank's best split per node, combined: the best over the ranks, on every rank.
    private func agree(on splits: [Split], world: Communicator) throws -> [Split] {
        var packed = [Double](repeating: 0, count: 3 * splits.count)
        for (index, split) in splits.enumerated() {
            packed[3 * index] = split.gain
            packed[3 * index + 1] = Double(split.feature)
            packed[3 * index + 2] = Double(split.bin)
        }
        let gathered = try packed.withUnsafeBufferPointer { try world.allgather($0) }
        var combined = splits
        for rank in 0..<world.size {
            for index in splits.indices {
                let base = rank * packed.count + 3 * index
                let candidate = Split(gain: gathered[base], feature: Int(gathered[base + 1]), bin: Int(gathered[base + 2]))
                if combined[index].isWorse(than: candidate) { combined[index] = candidate }
            }
        }
        return combined
    }

    /// Stable partition of `order[range]` into rows with `bin <= bin` of `feature`, then the rest;
    /// returns the first index of the second part.
    private func partition(_ order: inout [Int32], scratch: inout [Int32], _ range: Range<Int>, feature: Int, bin: Int) -> Int {
        let featureCount = data.featureCount
        var leftEnd = range.lowerBound
        var rightCount = 0
        data.bins.withUnsafeBufferPointer { bins in
            order.withUnsafeMutableBufferPointer { order in
                scratch.withUnsafeMutableBufferPointer { scratch in
                    for index in range {
                        let row = order[index]
                        if Int(bins[Int(row) * featureCount + feature]) <= bin {
                            order[leftEnd] = row
                            leftEnd += 1
                        } else {
                            scratch[rightCount] = row
                            rightCount += 1
                        }
                    }
                    for k in 0..<rightCount { order[leftEnd + k] = scratch[k] }
                }
            }
        }
        return leftEnd
    }
}
