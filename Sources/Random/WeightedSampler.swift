/// Samples indices `i` with probability `weights[i] / sum(weights)` in constant time per sample
/// (Walker's alias method, built with Vose's numerically stable construction).
public struct WeightedSampler: Sendable {
    /// Probability of keeping column `i` rather than taking `alias[i]`.
    private let keep: [Double]
    private let alias: [Int]

    /// The number of indices (the count of weights).
    public var count: Int { keep.count }

    /// Builds the alias table. Weights must be finite and non-negative with a positive sum.
    public init(weights: [Double]) throws(WeightedSamplerError) {
        guard !weights.isEmpty else { throw .empty }
        for (index, weight) in weights.enumerated() where !(weight.isFinite && weight >= 0) {
            throw .invalidWeight(index: index, value: weight)
        }
        let total = weights.reduce(0, +)
        guard total > 0 else { throw .zeroTotal }

        let n = weights.count
        var scaled = weights.map { $0 * Double(n) / total }  // mean 1
        var keep = [Double](repeating: 1, count: n)
        var alias = Array(0..<n)
        var small = scaled.indices.filter { scaled[$0] < 1 }
        var large = scaled.indices.filter { scaled[$0] >= 1 }
        while let under = small.popLast(), let over = large.popLast() {
            keep[under] = scaled[under]
            alias[under] = over
            scaled[over] -= 1 - scaled[under]
            if scaled[over] < 1 { small.append(over) } else { large.append(over) }
        }
        // Whatever is left has scaled weight 1 up to rounding and keeps itself (keep = 1).
        self.keep = keep
        self.alias = alias
    }

    /// One index; consumes two blocks of `stream` (a column, then the keep-or-alias choice).
    public func sample(using stream: inout RandomStream) -> Int {
        let column = stream.uniformInt(below: keep.count)
        return stream.uniformDouble() < keep[column] ? column : alias[column]
    }

    /// `count` independent indices.
    public func sample(count: Int, using stream: inout RandomStream) -> [Int] {
        (0..<count).map { _ in sample(using: &stream) }
    }
}

/// Why a `WeightedSampler` could not be built.
public enum WeightedSamplerError: Error, Equatable, CustomStringConvertible {
    case empty
    case invalidWeight(index: Int, value: Double)
    case zeroTotal

    public var description: String {
        switch self {
        case .empty: "WeightedSampler: the weights array is empty; expected at least one weight"
        case let .invalidWeight(index, value): "WeightedSampler: weight \(index) is \(value); expected a finite, non-negative number"
        case .zeroTotal: "WeightedSampler: all weights are zero; expected a positive sum"
        }
    }
}
