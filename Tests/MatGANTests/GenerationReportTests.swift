import Chemistry
import Distributed
import MatGAN
import XCTest

/// The generation metrics on a sample set small enough to count by hand (one rank; the
/// multi-rank merge is exercised end to end under mpirun in `PipelineTests`).
final class GenerationReportTests: XCTestCase {
    private func key(_ formula: String) throws -> CompositionKey {
        try XCTUnwrap(Composition(parsing: formula).key)
    }

    func testMetricsOfAHandCountedSampleSet() throws {
        let world = try Communicator.world
        let formulas: [String?] = ["NaCl", "NaCl", "CaO", nil, "SrTiO3", "KCl", "NaCl", "Ti2O4", "Al3Li", "CaO"]
        let keys = try formulas.map { try $0.map(key) }
        let checker = ValidityChecker(rule: .matgan)
        let checks = keys.map { $0.map { checker.check($0.composition) } }
        let shard = GeneratedShard(
            firstIndex: 0, keys: keys, chargeNeutral: checks.map { $0?.isChargeNeutral ?? false },
            electronegativityBalanced: checks.map { $0?.isElectronegativityBalanced ?? false })
        let training = ReferenceSet(name: "training", keys: try ["NaCl", "KCl", "MgO"].map(key))
        let holdout = ReferenceSet(name: "hold-out", keys: try ["CaO", "LiF"].map(key))
        let other = ReferenceSet(name: "oqmd", keys: try ["SrTiO3", "NaCl", "Al3Li", "BaO"].map(key))
        let evaluator = try GenerationEvaluator(world: world, validity: checker, training: training, holdout: holdout, references: [other])
        let report = try XCTUnwrap(evaluator.evaluate(shard: shard, totalSamples: 10, curveSampleCounts: [1, 2, 3, 5, 10]))

        // Binary: NaCl x3, CaO x2, KCl, Ti2O4, Al3Li; ternary: SrTiO3; one sample decoded to nothing.
        XCTAssertEqual(report.decodedByBucket, [8, 1, 0, 0])
        // MatGAN's rule: Ti2O4 (not reduced) and Al3Li (no neutral assignment) fail.
        XCTAssertEqual(report.generatedValidity, .init(count: 9, chargeNeutral: 7, electronegativityBalanced: 7))
        XCTAssertEqual(report.unique, 6)
        XCTAssertEqual(report.uniqueValidity, .init(count: 6, chargeNeutral: 4, electronegativityBalanced: 4))
        XCTAssertEqual(report.trainingValidity, .init(count: 3, chargeNeutral: 3, electronegativityBalanced: 3))
        // First occurrences at 0 (NaCl), 2 (CaO), 4 (SrTiO3), 5 (KCl), 7 (Ti2O4), 8 (Al3Li).
        XCTAssertEqual(report.uniquenessCurve.map(\.unique), [1, 1, 2, 3, 6])
        XCTAssertEqual(report.uniquenessCurve.map(\.decoded), [1, 2, 3, 4, 9], "sample 3 decoded to nothing")
        XCTAssertEqual(report.uniquenessCurve[4].percentOfDecoded, 100.0 * 6 / 9, accuracy: 1e-12)
        XCTAssertEqual(report.novel, BucketCounts(found: [3, 1, 0, 0], total: [5, 1, 0, 0]))
        XCTAssertEqual(report.novelOutsideHoldout, 3, "SrTiO3, Ti2O4 and Al3Li")
        XCTAssertEqual(report.recovery["training"], BucketCounts(found: [2, 0, 0, 0], total: [3, 0, 0, 0]))
        XCTAssertEqual(report.recovery["hold-out"], BucketCounts(found: [1, 0, 0, 0], total: [2, 0, 0, 0]))
        XCTAssertEqual(report.recovery["oqmd"], BucketCounts(found: [2, 1, 0, 0], total: [3, 1, 0, 0]))
        XCTAssertEqual(report.confirmedElsewhere, ["hold-out": 1, "oqmd": 2], "CaO; SrTiO3 and Al3Li (NaCl is not novel)")
        // Element occurrences: 19 over the decoded samples, Cl in 4; 6 in training, Cl in 2.
        let chlorine = try XCTUnwrap(MatrixEncoding.matgan.row(of: XCTUnwrap(Element(symbol: "Cl"))))
        XCTAssertEqual(report.generatedElementFrequency[chlorine], 4.0 / 19, accuracy: 1e-12)
        XCTAssertEqual(report.trainingElementFrequency[chlorine], 2.0 / 6, accuracy: 1e-12)
        XCTAssertEqual(report.elementJensenShannonDistance,
                       jensenShannonDistance(report.generatedElementFrequency, report.trainingElementFrequency))
        let table = report.table(paper: .materialsProject)
        XCTAssertTrue(table.contains("recovered hold-out formulas"), table)
        XCTAssertTrue(table.contains("48.82 %"), table)
    }
}
