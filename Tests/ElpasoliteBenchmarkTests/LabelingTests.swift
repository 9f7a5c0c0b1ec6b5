import Chemistry
import ElpasoliteBenchmark
import XCTest

final class LabelingTests: XCTestCase {
    /// The walk visits indices in order and decodes them as `Elpasolite(index:)` does, across
    /// boundaries of every site (A changes every 50,616 tuples, B every 1,332, C every 36).
    func testTupleWalkMatchesIndexDecoding() {
        for range in [0..<100, 50_500..<50_700, 1_331..<1_340, (Elpasolite.tupleCount - 80)..<Elpasolite.tupleCount] {
            var expected = range.lowerBound
            TupleSpace.forEachTuple(in: range) { index, a, b, c, d in
                XCTAssertEqual(index, expected)
                XCTAssertEqual([a, b, c, d], Elpasolite(index: index).sites, "index \(index)")
                expected += 1
            }
            XCTAssertEqual(expected, range.upperBound)
        }
    }

    func testSlicesCoverTheSpaceContiguously() {
        for size in [1, 2, 3, 7, 64] {
            let slices = (0..<size).map { TupleSpace.slice(rank: $0, size: size) }
            XCTAssertEqual(slices.first?.lowerBound, 0)
            XCTAssertEqual(slices.last?.upperBound, Elpasolite.tupleCount)
            for (left, right) in zip(slices, slices.dropFirst()) { XCTAssertEqual(left.upperBound, right.lowerBound) }
            XCTAssertLessThanOrEqual(slices.map(\.count).max()! - slices.map(\.count).min()!, 1)
        }
    }

    /// The tensor-contraction labelling equals direct kernel predictions on slices that start
    /// and end inside A blocks, and a compound and its A/B swap get the same energy.
    func testLabelerMatchesDirectPredictions() throws {
        var sampler = TupleSampler(seed: 5)
        let compounds = sampler.compounds(300)
        let energies = compounds.map { Double($0.sites.reduce(0, +) % 11) * 0.4 - 2 }
        let model = try KernelRidgeModel(fitting: compounds, energies: energies, kernel: LaplacianKernel(width: 7),
                                         regularisation: 1e-3)
        let labeler = SpaceLabeler(model: model)
        for range in [50_000..<52_000, 0..<700, (Elpasolite.tupleCount - 1_500)..<Elpasolite.tupleCount] {
            let labeled = labeler.energies(for: range)
            XCTAssertEqual(labeled.count, range.count)
            let direct = model.predictions(for: range.map { Elpasolite(index: $0) })
            for (offset, index) in range.enumerated() {
                XCTAssertEqual(Double(labeled[offset]), direct[offset], accuracy: 1e-5, "tuple \(index)")
            }
        }
        for compound in sampler.compounds(40) {
            let index = compound.index, swapped = compound.swappingAB.index
            XCTAssertEqual(labeler.energies(for: index..<(index + 1))[0], labeler.energies(for: swapped..<(swapped + 1))[0],
                           accuracy: 1e-5)
        }
        XCTAssertEqual(labeler.energies(for: 10..<10), [])
    }
}
