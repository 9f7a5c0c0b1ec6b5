import Random
import XCTest

final class SamplingTests: XCTestCase {
    func testPermutationIsAPermutationPerEpoch() {
        let first = permutation(count: 1000, seed: 77, epoch: 0)
        XCTAssertEqual(first.sorted(), Array(0..<1000))
        XCTAssertEqual(first, permutation(count: 1000, seed: 77, epoch: 0))
        XCTAssertNotEqual(first, permutation(count: 1000, seed: 77, epoch: 1))
        XCTAssertNotEqual(first, permutation(count: 1000, seed: 78, epoch: 0))
        XCTAssertNotEqual(first, Array(0..<1000))
        XCTAssertEqual(permutation(count: 0, seed: 1, epoch: 0), [])
        XCTAssertEqual(permutation(count: 1, seed: 1, epoch: 0), [0])
    }

    /// Every one of the 6 orders of 3 items is equally likely: chi-square with 5 degrees of
    /// freedom over 60,000 epochs (0.999 quantile 20.5).
    func testPermutationOrdersAreUniform() {
        var counts = [[Int]: Int]()
        for epoch in 0..<60_000 { counts[permutation(count: 3, seed: 5, epoch: UInt64(epoch)), default: 0] += 1 }
        XCTAssertEqual(counts.count, 6)
        let chiSquare = counts.values.map { pow(Double($0) - 10_000, 2) / 10_000 }.reduce(0, +)
        XCTAssertLessThan(chiSquare, 20.5)
    }

    /// Frequencies follow the weights: for p = w / sum and n draws the standard error is
    /// sqrt(p (1 - p) / n); allow 5 of them. A zero weight is never drawn.
    func testWeightedSamplerFrequencies() throws {
        let weights: [Double] = [1, 0, 3, 0.5, 10, 5.5]
        let sampler = try WeightedSampler(weights: weights)
        var stream = RandomStream(seed: 21)
        let n = 400_000
        var counts = [Int](repeating: 0, count: weights.count)
        for index in sampler.sample(count: n, using: &stream) { counts[index] += 1 }
        let total = weights.reduce(0, +)
        for (index, weight) in weights.enumerated() {
            let p = weight / total
            let tolerance = 5 * (p * (1 - p) / Double(n)).squareRoot()
            XCTAssertEqual(Double(counts[index]) / Double(n), p, accuracy: tolerance, "index \(index)")
        }
        XCTAssertEqual(counts[1], 0)
    }

    func testWeightedSamplerRejectsBadWeights() {
        XCTAssertThrowsError(try WeightedSampler(weights: [])) { XCTAssertEqual($0 as? WeightedSamplerError, .empty) }
        XCTAssertThrowsError(try WeightedSampler(weights: [0, 0])) { XCTAssertEqual($0 as? WeightedSamplerError, .zeroTotal) }
        XCTAssertThrowsError(try WeightedSampler(weights: [1, -1])) {
            XCTAssertEqual($0 as? WeightedSamplerError, .invalidWeight(index: 1, value: -1))
        }
        XCTAssertThrowsError(try WeightedSampler(weights: [1, .nan]))
    }
}
