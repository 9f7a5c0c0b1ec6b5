import Chemistry
import Foundation
import HDF5
import Property
import TestSupport
import XCTest

/// End-to-end runs of `matgan-dist property` on a slice of the band-gap data, alone and under
/// `mpirun -np 2`.
final class PropertyCommandTests: XCTestCase {
    /// The first 600 rows of the band-gap data set in a temporary directory.
    private func bandGapSlice() throws -> (directory: URL, csv: String) {
        let directory = try temporaryDirectory(self)
        let csv = try slice(of: "mp_band_gap_matbench.csv", rows: 600, into: directory, file: "gap.csv")
        return (directory, csv)
    }

    func testTrainedModelsDoNotDependOnTheRankCount() throws {
        let (directory, csv) = try bandGapSlice()
        for (kind, options) in [("rf", ["--trees", "6"]), ("gbdt", ["--trees", "4", "--max-depth", "6"])] {
            var models: [PropertyModel] = []
            for ranks in [nil, 2] {
                let path = directory.appendingPathComponent("\(kind)-\(ranks ?? 1).h5").path
                let outcome = try assertSucceeds(["property", "train", "--model", kind, "--data", csv, "--seed", "3", "-o", path] + options,
                                                 ranks: ranks, timeout: 120)
                XCTAssertTrue(outcome.standardOutput.contains("hold-out: R2"), outcome.standardOutput)
                models.append(try PropertyModel(contentsOf: path))
            }
            guard case .trees(let one) = models[0].regressor, case .trees(let two) = models[1].regressor else {
                return XCTFail("\(kind): expected tree ensembles")
            }
            XCTAssertEqual(one, two, "\(kind): the model differs between 1 and 2 ranks")
            XCTAssertEqual(models[0].provenance["holdout_r2"], models[1].provenance["holdout_r2"])
        }
    }

    func testPredictScoresFormulasOverRanks() throws {
        let (directory, csv) = try bandGapSlice()
        let model = directory.appendingPathComponent("rf.h5").path
        try assertSucceeds(["property", "train", "--model", "rf", "--data", csv, "--trees", "4", "-o", model])
        let formulas = directory.appendingPathComponent("formulas.txt").path
        try "NaCl\nFe2O3\n\nSiO2\nGaAs\nLiF\n".write(toFile: formulas, atomically: true, encoding: .utf8)
        var outputs: [String] = []
        for ranks in [nil, 2] {
            let output = directory.appendingPathComponent("predictions-\(ranks ?? 1).csv").path
            try assertSucceeds(["property", "predict", "--model", model, formulas, "-o", output], ranks: ranks)
            outputs.append(try String(contentsOfFile: output, encoding: .utf8))
        }
        XCTAssertEqual(outputs[0], outputs[1])
        let lines = outputs[0].split(separator: "\n")
        XCTAssertEqual(lines.first, "index,formula,band_gap_ev")
        XCTAssertEqual(lines.count, 6)
        XCTAssertTrue(lines[4].hasPrefix("3,GaAs,"), "\(lines)")
    }

    func testBadInputsFailCleanlyWithoutOutput() throws {
        let (directory, csv) = try bandGapSlice()
        let model = directory.appendingPathComponent("rf.h5").path
        try assertSucceeds(["property", "train", "--model", "rf", "--data", csv, "--trees", "2", "-o", model])
        let output = directory.appendingPathComponent("out.csv").path
        func assertFails(_ arguments: [String], _ message: String, line: UInt = #line) throws {
            let outcome = try CommandRunner.run(arguments, timeout: 60)
            XCTAssertNotEqual(outcome.exitCode, 0, line: line)
            XCTAssertTrue(outcome.standardError.contains(message), "expected '\(message)' in:\n\(outcome.standardError)", line: line)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), line: line)
        }
        let formulas = directory.appendingPathComponent("formulas.txt").path
        try "NaCl\nFe2O3\nNa0.5Cl\n".write(toFile: formulas, atomically: true, encoding: .utf8)
        try assertFails(["property", "predict", "--model", model, formulas, "-o", output], "line 3")
        try assertFails(["property", "predict", "--model", directory.appendingPathComponent("nope.h5").path, formulas, "-o", output],
                        "nope.h5")
        try assertFails(["property", "predict", "--model", csv, formulas, "-o", output], "gap.csv")
        let empty = directory.appendingPathComponent("empty.txt").path
        try "\n".write(toFile: empty, atomically: true, encoding: .utf8)
        try assertFails(["property", "predict", "--model", model, empty, "-o", output], "empty candidate set")
        try assertFails(["property", "train", "--model", "rf", "--data", csv, "--target", "gap", "-o", output], "no such column")
        let trainOnly = directory.appendingPathComponent("train-only.csv").path
        try "formula,e_form_ev_per_atom,split\nNaCl,-2,train\nMgO,-3,train\nFe2O3,-1,val\n".write(toFile: trainOnly, atomically: true, encoding: .utf8)
        try assertFails(["property", "train", "--model", "rf", "--data", trainOnly, "-o", output], "0 hold-out rows")
    }

    /// A `generate` sample file: undecoded samples ("") are skipped, indices are sample numbers.
    func testPredictReadsGeneratedSampleFiles() throws {
        let (directory, csv) = try bandGapSlice()
        let model = directory.appendingPathComponent("gbdt.h5").path
        try assertSucceeds(["property", "train", "--model", "gbdt", "--data", csv, "--trees", "3", "--max-depth", "4", "-o", model])
        let samples = directory.appendingPathComponent("samples.h5").path
        let file = try File.create(samples)
        try file.createGroup("samples").writeStrings("formula", ["NaCl", "", "Fe2O3", "", "MgO"])
        try file.commit()
        let output = directory.appendingPathComponent("predictions.csv").path
        try assertSucceeds(["property", "predict", "--model", model, samples, "-o", output], ranks: 2)
        let rows = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",") }
        XCTAssertEqual(rows.map { $0.prefix(2).joined(separator: ",") }, ["index,formula", "0,NaCl", "2,Fe2O3", "4,MgO"])
        let direct = try PropertyModel(contentsOf: model).predict(
            [try Composition(parsing: "NaCl"), try Composition(parsing: "Fe2O3"), try Composition(parsing: "MgO")],
            magpie: try MagpieFeaturizer(dataDirectory: TestData.directory))
        XCTAssertEqual(rows.dropFirst().map { Float(String($0[2]))! }, direct)
    }
}
