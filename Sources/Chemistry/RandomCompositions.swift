import Random

/// Random compositions in a matrix encoding's space: the baseline of "randomly enumerated"
/// materials (MatGAN's Fig. 6).
///
/// Candidate `i` draws its number of elements from `elementCountWeights`, that many distinct
/// elements uniformly from the encoding's rows and each count uniformly from 1 ... 8, all from
/// stream `i` of the seed, so a candidate depends on nothing but `(seed, i)` and any split of
/// the indices over ranks draws the same compositions.
public struct RandomCompositionSampler: Sendable {
    public let encoding: MatrixEncoding
    /// Sampler of the element count (index k = k elements).
    private let elementCounts: WeightedSampler
    private let seed: UInt64

    /// A sampler drawing k elements with probability `elementCountWeights[k]` (index 0 and
    /// indices above 8 must be 0; weights need not be normalised).
    public init(encoding: MatrixEncoding, elementCountWeights: [Double], seed: UInt64) throws(ChemistryError) {
        guard elementCountWeights.count >= 2, elementCountWeights[0] == 0,
              elementCountWeights.dropFirst(MatrixEncoding.maximumCount + 1).allSatisfy({ $0 == 0 }) else {
            throw ChemistryError(formula: "", reason: .unusableElementCountWeights("element-count weights must give 1 ... \(MatrixEncoding.maximumCount) elements only"))
        }
        guard let sampler = try? WeightedSampler(weights: elementCountWeights) else {
            throw ChemistryError(formula: "", reason: .unusableElementCountWeights("element-count weights must be finite, non-negative and not all 0"))
        }
        self.encoding = encoding
        elementCounts = sampler
        self.seed = derivedSeed(seed, for: .randomCompositions)
    }

    /// Candidate `index`.
    public func candidate(_ index: Int) -> Composition {
        var stream = RandomStream(seed: seed, stream: UInt64(index))
        let elementCount = elementCounts.sample(using: &stream)
        let rows = encoding.rowElements.count
        var chosen: [Int] = []
        chosen.reserveCapacity(elementCount)
        while chosen.count < elementCount {
            let row = stream.uniformInt(below: rows)
            if !chosen.contains(row) { chosen.append(row) }
        }
        return Composition(chosen.map { (encoding.rowElements[$0], 1 + stream.uniformInt(below: MatrixEncoding.maximumCount)) })
    }
}
