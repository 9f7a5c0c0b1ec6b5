/// Features quantised to at most 256 ordered bins per column, the input of tree building.
///
/// Column f's bins are separated by `edges[f]` (ascending): a value x falls in bin
/// `b = number of edges < x`, so `bin(x) <= b` exactly when `x <= edges[f][b]`. A split found on
/// bins is therefore the threshold split `x <= edges[f][b]` on raw values. A column with at most
/// 256 distinct values gets one bin per value (edges at midpoints, so splits are exact as in
/// CART on sorted values); otherwise edges sit between distinct values at (about) every
/// 1/256 quantile of the rows.
struct FeatureBins: Sendable {
    static let maximumBinCount = 256

    let rowCount: Int
    let featureCount: Int
    /// Row-major `rowCount x featureCount` bin indices.
    let bins: [UInt8]
    /// Per feature, the ascending bin edges (one fewer than its bins).
    let edges: [[Float]]

    /// The number of bins of `feature`.
    func binCount(_ feature: Int) -> Int { edges[feature].count + 1 }

    init(_ features: FeatureMatrix) {
        let rowCount = features.rowCount, featureCount = features.columnCount
        self.rowCount = rowCount
        self.featureCount = featureCount
        var edges: [[Float]] = []
        var bins = [UInt8](repeating: 0, count: rowCount * featureCount)
        var column = [Float](repeating: 0, count: rowCount)
        features.values.withUnsafeBufferPointer { values in
            for feature in 0..<featureCount {
                for row in 0..<rowCount { column[row] = values[row * featureCount + feature] }
                let featureEdges = Self.edges(sortedValues: column.sorted())
                edges.append(featureEdges)
                featureEdges.withUnsafeBufferPointer { edges in
                    bins.withUnsafeMutableBufferPointer { bins in
                        for row in 0..<rowCount {
                            bins[row * featureCount + feature] = UInt8(Self.bin(of: column[row], edges: edges))
                        }
                    }
                }
            }
        }
        self.bins = bins
        self.edges = edges
    }

    /// The bin of `value`: the number of edges below it (binary search).
    static func bin(of value: Float, edges: UnsafeBufferPointer<Float>) -> Int {
        var low = 0, high = edges.count
        while low < high {
            let middle = (low + high) / 2
            if edges[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Edges for one column's sorted values.
    private static func edges(sortedValues values: [Float]) -> [Float] {
        var distinct: [(value: Float, count: Int)] = []
        for value in values {
            if let last = distinct.last, last.value == value {
                distinct[distinct.count - 1].count += 1
            } else {
                distinct.append((value, 1))
            }
        }
        guard distinct.count > 1 else { return [] }
        var edges: [Float] = []
        if distinct.count <= maximumBinCount {
            for i in 1..<distinct.count { edges.append(edge(distinct[i - 1].value, distinct[i].value)) }
            return edges
        }
        let perBin = Double(values.count) / Double(maximumBinCount)
        var cumulative = 0
        for i in 0..<(distinct.count - 1) {
            cumulative += distinct[i].count
            if Double(cumulative) >= perBin * Double(edges.count + 1) {
                edges.append(edge(distinct[i].value, distinct[i + 1].value))
                if edges.count == maximumBinCount - 1 { break }
            }
        }
        return edges
    }

    /// A threshold between `lower < upper` that keeps `lower` at or below and `upper` above it.
    private static func edge(_ lower: Float, _ upper: Float) -> Float {
        let middle = Float((Double(lower) + Double(upper)) / 2)
        return middle < upper ? middle : lower
    }
}
