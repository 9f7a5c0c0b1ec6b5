import Chemistry
import Distributed
import Property
import XCTest

final class PredictedDistributionTests: XCTestCase {
    func testHistogramAndMomentsOfHandCountedPredictions() throws {
        var distribution = PredictedDistribution(target: "gap", range: 0...1, binCount: 4, threshold: 0.32)
        try distribution.add(name: "set", predictions: [0.1, 0.3, 0.35, 2.0, -1], world: Communicator.world)
        let series = try XCTUnwrap(distribution.series.first)
        // 0.1 and the clamped -1 in bin 0, 0.3 and 0.35 in bin 1, the clamped 2.0 in bin 3.
        XCTAssertEqual(series.counts, [2, 2, 0, 1])
        XCTAssertEqual(series.count, 5)
        XCTAssertEqual(series.aboveThreshold, 2)
        XCTAssertEqual(series.mean, 0.35, accuracy: 1e-6)
        // Sample variance of (0.1, 0.3, 0.35, 2, -1) around 0.35: (0.0625 + 0.0025 + 0 + 2.7225 + 1.8225) / 4.
        XCTAssertEqual(series.standardDeviation, (4.61 / 4.0).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(distribution.csv.split(separator: "\n")[1], "0.0000,0.2500,0.400000,2")
    }

    func testRandomSetKeepsTheFirstPassingCandidatesInIndexOrder() throws {
        let sampler = try RandomCompositionSampler(encoding: .matgan, elementCountWeights: [0, 0, 1, 1], seed: 5)
        let checker = ValidityChecker(rule: .matgan)
        let keep: (Composition) -> Bool = { checker.check($0).isValid }
        let set = try CompositionSets.random(sampler: sampler, count: 300, maximumCandidates: 10_000_000, keep: keep,
                                             world: Communicator.world)
        let expected = (0...).lazy.map(sampler.candidate).filter(keep).prefix(300)
        XCTAssertEqual(set, Array(expected))
        XCTAssertThrowsError(try CompositionSets.random(sampler: sampler, count: 300, maximumCandidates: 1, keep: { _ in false },
                                                        world: Communicator.world))
    }
}
