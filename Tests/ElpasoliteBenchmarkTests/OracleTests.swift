import Chemistry
import Datasets
import ElpasoliteBenchmark
import Foundation
import TestSupport
import XCTest

final class OracleTests: XCTestCase {
    private func dataSet() throws -> ElpasoliteDataSet {
        try ElpasoliteDataSet(path: TestData.directory.appendingPathComponent(ElpasoliteDataSet.fileName).path)
    }

    func testDataSetRowsRangeAndDigest() throws {
        let path = TestData.directory.appendingPathComponent(ElpasoliteDataSet.fileName).path
        let data = try dataSet()
        XCTAssertEqual(data.records.count, 10_590)
        XCTAssertEqual(data.energyRange.lowerBound, -3.067, accuracy: 5e-4)
        XCTAssertEqual(data.energyRange.upperBound, 5.019, accuracy: 5e-4)
        XCTAssertEqual(data.sha256, FileDigest.sha256(of: try DataFile.read(path)))
        // The first row of the file: 0,OCXe2Sb6,O,C,Xe,Sb,...
        XCTAssertEqual(data.records[0].compound, compound("O", "C", "Xe", "Sb"))
        XCTAssertEqual(data.records[0].energy, 0.9603148225999998, accuracy: 1e-15)
        // 34 compositions appear in both site orders: with swaps, 21,112 tuples.
        var tuples = Set<Int>()
        for record in data.records { tuples.formUnion([record.compound.index, record.compound.swappingAB.index]) }
        XCTAssertEqual(tuples.count, 21_112)
    }

    func testBadRowsNameFileLineAndProblem() {
        let header = "A,B,C,D,e_form_ev_per_atom\n"
        XCTAssertThrowsError(try ElpasoliteDataSet(csv: Array((header + "Na,K,Cl,F,0.5\nFe,K,Cl,F,0.1\n").utf8), source: "t.csv")) {
            XCTAssertTrue("\($0)".contains("t.csv:3"), "\($0)")
        }
        XCTAssertThrowsError(try ElpasoliteDataSet(csv: Array((header + "Na,K,Cl,F,abc\n").utf8), source: "t.csv")) {
            XCTAssertTrue("\($0)".contains("t.csv:2"), "\($0)")
        }
        XCTAssertThrowsError(try ElpasoliteDataSet(csv: Array("A,B,C,energy\nNa,K,Cl,0.5\n".utf8), source: "t.csv")) {
            XCTAssertTrue("\($0)".contains("t.csv:1: column 'D'"), "\($0)")
        }
    }

    func testSplitIsSeededExactAndKeepsSwapPairsTogether() throws {
        let records = try dataSet().records
        let split = try OracleSplit(records: records, testCount: 1590, foldCount: 5, seed: 2016)
        XCTAssertEqual(split.trainingRows.count, 9000)
        XCTAssertEqual(split.testRows.count, 1590)
        XCTAssertTrue(Set(split.trainingRows).isDisjoint(with: split.testRows))
        XCTAssertEqual(try OracleSplit(records: records, testCount: 1590, foldCount: 5, seed: 2016), split)
        XCTAssertNotEqual(try OracleSplit(records: records, testCount: 1590, foldCount: 5, seed: 7).testRows, split.testRows)
        let testTuples = Set(split.testRows.map { records[$0].compound })
        for row in split.trainingRows { XCTAssertFalse(testTuples.contains(records[row].compound.swappingAB)) }
        let foldSizes = (0..<5).map { fold in split.folds.filter { $0 == fold }.count }
        XCTAssertEqual(foldSizes.reduce(0, +), 9000)
        XCTAssertLessThanOrEqual(foldSizes.max()! - foldSizes.min()!, 2)
        XCTAssertThrowsError(try OracleSplit(records: records, testCount: 0, foldCount: 5, seed: 1))
        XCTAssertThrowsError(try OracleSplit(records: records, testCount: 100, foldCount: 1, seed: 1))
    }

    func testCompoundListRowsAndMessages() {
        let text = "A,B,C,D\n\n# comment\nNa, K ,Cl,F\nFe,K,Cl,F\nNa,K,Na,F\nXx,K,Cl,F\nNa,K,Cl\n"
        let rows = CompoundList.rows(Array(text.utf8), file: "-")
        XCTAssertEqual(rows.count, 5)
        XCTAssertEqual(rows[0], .compound(line: 4, compound("Na", "K", "Cl", "F")))
        let messages = rows.dropFirst().map { row -> String in
            guard case .rejected(let error) = row else { return "accepted" }
            return error.description
        }
        XCTAssertTrue(messages[0].hasPrefix("-:5: site A: Fe is not one of the 39 elpasolite elements"), messages[0])
        XCTAssertTrue(messages[1].hasPrefix("-:6: Na is on both site A and site C"), messages[1])
        XCTAssertTrue(messages[2].hasPrefix("-:7: site A: 'Xx' is not an element symbol"), messages[2])
        XCTAssertTrue(messages[3].hasPrefix("-:8: expected 4 element symbols"), messages[3])
    }

    /// The whole pipeline under `mpirun -np 2` with a one-point grid and 2 folds (debug build),
    /// then `predict` on the file it wrote.
    func testOracleEndToEndOnTwoRanksThenPredict() throws {
        let directory = TestData.directory
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("elpasolite-oracle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("oracle.h5").path
        let run = try CommandRunner.run(
            ["elpasolite", "oracle", "--data-dir", directory.path, "--output", output, "--widths", "16",
             "--regularisations", "1e-4", "--folds", "2"], ranks: 2, timeout: 600)
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        XCTAssertTrue(run.standardOutput.contains("labelled 1974024 tuples on 2 rank(s)"), run.standardOutput)
        XCTAssertTrue(run.standardOutput.contains("hold-out MAE"), run.standardOutput)

        let space = try LabeledSpace(contentsOf: output)
        XCTAssertEqual(space.dataSetBitmap.count, 21_112)
        XCTAssertEqual(space.classSizes.reduce(0, +), Elpasolite.tupleCount)
        let model = try OracleFile.readModel(from: output)
        XCTAssertEqual(model.compounds.count, 9000)
        XCTAssertEqual(model.kernel.width, 16)
        var sampler = TupleSampler(seed: 99)
        let indices = (0..<300).map { _ in sampler.nextIndex() }
        let direct = model.predictions(for: indices.map { Elpasolite(index: $0) })
        for (index, prediction) in zip(indices, direct) {
            XCTAssertEqual(Double(space.energies[index]), prediction, accuracy: 1e-4)
            XCTAssertEqual(Int(space.classes[index]), space.energyClasses.index(ofEnergy: Double(space.energies[index])) + 1)
        }

        let input = scratch.appendingPathComponent("rows.csv")
        try "A,B,C,D\nNa,K,Cl,F\nFe,K,Cl,F\nNa,K,Na,F\n".write(to: input, atomically: true, encoding: .utf8)
        let predict = try CommandRunner.run(["elpasolite", "predict", "--oracle", output, input.path], timeout: 60)
        XCTAssertEqual(predict.exitCode, 1, predict.standardError)
        let lines = predict.standardOutput.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertEqual(lines[0], "A,B,C,D,e_form_ev_per_atom,class")
        let index = compound("Na", "K", "Cl", "F").index
        XCTAssertEqual(lines[1], "Na,K,Cl,F," + String(format: "%.4f", Double(space.energies[index])) + ",\(space.classes[index])")
        XCTAssertTrue(predict.standardError.contains("\(input.path):3: site A: Fe is not one of the 39"), predict.standardError)
        XCTAssertTrue(predict.standardError.contains("\(input.path):4: Na is on both site A and site C"), predict.standardError)
        XCTAssertTrue(predict.standardError.contains("2 of 3 rows rejected"), predict.standardError)

        // evaluate on 2 ranks: rank 0 parses lines 1-3 (two valid), rank 1 lines 4-6 (a repeat, a
        // DFT row, a new tuple). The merged counts must equal a serial count of the same stream.
        let stream = [compound("Na", "K", "Cl", "F"), compound("K", "Na", "Cl", "F"), compound("Na", "K", "Cl", "F"),
                      compound("O", "C", "Xe", "Sb"), compound("Cs", "Rb", "Br", "I")]
        let samplesFile = scratch.appendingPathComponent("samples.csv")
        try "A,B,C,D\nNa,K,Cl,F\nK,Na,Cl,F\nFe,K,Cl,F\nNa,K,Cl,F\nO,C,Xe,Sb\nCs,Rb,Br,I\n"
            .write(to: samplesFile, atomically: true, encoding: .utf8)
        let requestedClass = Int(space.classes[index])
        let prefix = scratch.appendingPathComponent("eval").path
        let evaluate = try CommandRunner.run(
            ["elpasolite", "evaluate", samplesFile.path, "--class", String(requestedClass), "--oracle", output,
             "--curve-points", "2", "--output-prefix", prefix], ranks: 2, timeout: 120)
        XCTAssertEqual(evaluate.exitCode, 0, evaluate.standardError)
        XCTAssertTrue(evaluate.standardOutput.contains("6 samples (5 valid, 1 invalid), 4 distinct valid"), evaluate.standardOutput)
        var expectedCurve = DiscoveryCurve(requestedClass: requestedClass)
        expectedCurve.record(samples: 2, unique: TupleBitmap(stream.prefix(2).map(\.index)), space: space)
        expectedCurve.record(samples: 5, unique: TupleBitmap(stream.map(\.index)), space: space)
        XCTAssertEqual(try String(contentsOfFile: prefix + "-curve.csv", encoding: .utf8), expectedCurve.csv)
        XCTAssertEqual(expectedCurve.points[1].rediscoveries, 1)
        var reference = space.dataSetBitmap
        reference.formIntersection(space.classBitmaps[requestedClass - 1])
        let expectedMetrics = ClassMetrics(unique: TupleBitmap(stream.map(\.index)), requestedClass: requestedClass,
                                           space: space, reference: SiteFrequencies(reference))
        XCTAssertEqual(try String(contentsOfFile: prefix + "-metrics.csv", encoding: .utf8),
                       ClassMetrics.csvHeader + "\n" + expectedMetrics.csvRow + "\n")
        XCTAssertEqual(expectedMetrics.inClassCount, 2)
        XCTAssertTrue(try String(contentsOfFile: prefix + "-curve.svg", encoding: .utf8).hasSuffix("</svg>\n"))
    }
}
