import Chemistry
import XCTest

final class RandomCompositionTests: XCTestCase {
    func testCandidatesFollowTheElementCountsAndDependOnlyOnSeedAndIndex() throws {
        let sampler = try RandomCompositionSampler(encoding: .matgan, elementCountWeights: [0, 0, 3, 1], seed: 9)
        var elementCounts = [0, 0, 0, 0]
        for index in 0..<4_000 {
            let candidate = sampler.candidate(index)
            elementCounts[candidate.elementCount] += 1
            XCTAssertEqual(Set(candidate.elements).count, candidate.elementCount)
            XCTAssertTrue(candidate.counts.allSatisfy { (1...8).contains($0) })
            XCTAssertTrue(candidate.elements.allSatisfy { $0.matgan85Index != nil })
        }
        XCTAssertEqual(elementCounts[0] + elementCounts[1], 0)
        XCTAssertEqual(Double(elementCounts[2]) / 4_000, 0.75, accuracy: 0.03)
        XCTAssertEqual(sampler.candidate(1234), try RandomCompositionSampler(encoding: .matgan, elementCountWeights: [0, 0, 3, 1],
                                                                              seed: 9).candidate(1234))
        XCTAssertNotEqual((0..<20).map(sampler.candidate),
                          (0..<20).map(try RandomCompositionSampler(encoding: .matgan, elementCountWeights: [0, 0, 3, 1], seed: 10).candidate))
    }

    func testUnusableWeightsAreRejected() {
        for weights in [[1.0, 1], [0, 0, 0], [0, 1, 0, 0, 0, 0, 0, 0, 0, 1], [0, -1, 2]] {
            XCTAssertThrowsError(try RandomCompositionSampler(encoding: .matgan, elementCountWeights: weights, seed: 1), "\(weights)")
        }
    }
}
