import Chemistry
import Datasets
import Foundation
import HDF5
import TestSupport
import XCTest

/// prepare → train --model active-ae → property train → active run / sweep-kappa as real jobs of
/// the built binary on a small synthetic band-gap list: one rank and two ranks must write the
/// same suggestions, counts and screening report; bad inputs fail with clear messages.
final class ActiveDesignTests: XCTestCase {
    private static let work = FileManager.default.temporaryDirectory.appendingPathComponent("matgan-active-\(UUID().uuidString)")

    override class func setUp() {
        super.setUp()
        try? FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        // 160 distinct binaries and ternaries; the "gap" grows with the anion's electronegativity.
        let cations = ["Li", "Na", "K", "Mg", "Ca", "Sr", "Ba", "Al", "Ga", "Zn"]
        let anions = [("O", 4.0), ("S", 2.0), ("F", 7.0), ("Cl", 5.0), ("N", 3.0), ("Se", 1.5), ("Br", 4.5), ("I", 3.5)]
        var rows: [String] = []
        for (index, cation) in cations.enumerated() {
            for (anion, gap) in anions {
                rows.append("\(cation)\(1 + index % 2)\(anion)\(1 + index % 3),\(gap + Double(index) / 10)")
                rows.append("\(cation)1\(anion)\(2 + index % 2)Cu1,\(gap / 2)")
            }
        }
        try? Data(("formula,band_gap_ev\n" + rows.joined(separator: "\n") + "\n").utf8)
            .write(to: work.appendingPathComponent("gaps.csv"))
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(at: work)
        super.tearDown()
    }

    private func path(_ name: String) -> String { Self.work.appendingPathComponent(name).path }

    private func prepareInputs() throws {
        guard !FileManager.default.fileExists(atPath: path("oracle.h5")) else { return }
        try assertSucceeds(["prepare", "--input", path("gaps.csv"), "--target-column", "band_gap_ev", "--output", path("data.h5"),
                            "--holdout-fraction", "0.2", "--seed", "1"])
        try assertSucceeds(["train", "--model", "active-ae", "--data", path("data.h5"), "--run-dir", path("ae"), "--steps", "3",
                            "--batch-size", "16", "--log-every", "1"])
        try assertSucceeds(["property", "train", "--model", "rf", "--data", path("data.h5"), "--trees", "5", "--output", path("oracle.h5")])
        let samples = try File.create(path("samples.h5"))
        try samples.createGroup("samples").writeStrings("formula", ["Li1F1", "", "Mg1O1", "Li1F1", "Ba1S1", "Na1Cl1", "Ga1N1"])
        try samples.commit()
    }

    private func activeArguments(_ command: String, output: String, extra: [String] = []) -> [String] {
        ["active", command, "--autoencoder", path("ae/checkpoint.h5"), "--oracle", path("oracle.h5"), "--data", path("data.h5"),
         "--output-dir", path(output), "--start-size", "24", "--budget", "10", "--batch-size", "4", "--candidates", "96",
         "--refined", "4", "--threshold", "3", "--seed", "2"] + extra
    }

    /// Every line of a CSV without its last column (wall-clock seconds).
    private func withoutLastColumn(_ file: String) throws -> [String] {
        try String(contentsOfFile: path(file), encoding: .utf8).split(separator: "\n").map { line in
            line.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",")
        }
    }

    func testRunDoesNotDependOnTheRankCount() throws {
        try prepareInputs()
        let extra = ["--test-size", "10", "--trees", "5", "--samples", path("samples.h5"), "--screen-thresholds", "3,1.5"]
        let one = try assertSucceeds(activeArguments("run", output: "one", extra: extra))
        try assertSucceeds(activeArguments("run", output: "two", extra: extra), ranks: 2)
        XCTAssertTrue(one.standardOutput.contains("screen of 5 distinct generated compositions, predicted > 3 eV"), one.standardOutput)
        XCTAssertTrue(one.standardOutput.contains("screen of 5 distinct generated compositions, predicted > 1.5 eV"), one.standardOutput)
        for file in ["acquired.csv", "screening.txt", "discoveries.svg"] {
            XCTAssertEqual(try String(contentsOfFile: path("one/\(file)"), encoding: .utf8),
                           try String(contentsOfFile: path("two/\(file)"), encoding: .utf8), "\(file) differs between 1 and 2 ranks")
        }
        let iterations = try withoutLastColumn("one/iterations.csv")
        XCTAssertEqual(iterations, try withoutLastColumn("two/iterations.csv"))
        // 10 suggestions in batches of 4, 4, 2; suggestion counts are cumulative.
        XCTAssertEqual(iterations.dropFirst().map { $0.split(separator: ",")[1] }, ["4", "8", "10"])
        let acquired = try String(contentsOfFile: path("one/acquired.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(acquired.count, 11)
        for row in acquired.dropFirst() {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            // Undecodable suggestions carry no formula and target 0.
            if fields[2] == "0" { XCTAssertEqual(fields[1], ""); XCTAssertEqual(Double(fields[4]), 0) }
        }
    }

    /// The 85-row matrices of a prepared file come out as active design's 87-row ones, element by element.
    func testPreparedMatricesReadAsEightySevenRows() throws {
        try prepareInputs()
        let data = try CompositionTrainingSet(path: path("data.h5"), encoding: .activeDesign)
        XCTAssertEqual(data.cellCount, 87 * 8)
        let keys = try data.keys(split: PreparedFile.trainSplit)
        let matrices = try data.readMatrices(Array(0..<10), split: PreparedFile.trainSplit)
        for row in 0..<10 {
            let matrix = matrices[row * 696 ..< (row + 1) * 696].map(Float.init)
            XCTAssertEqual(MatrixEncoding.activeDesign.decode(matrix, rule: .activeDesign), keys[row].composition)
        }
    }

    func testKappaSweepWritesOneCurvePerKappa() throws {
        try prepareInputs()
        try assertSucceeds(activeArguments("sweep-kappa", output: "sweep", extra: ["--kappas", "0,10"]), ranks: 2)
        let csv = try String(contentsOfFile: path("sweep/kappa_sweep.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.first, "iteration,suggestions,kappa_0,kappa_10")
        XCTAssertEqual(csv.count, 4)
        XCTAssertTrue(try String(contentsOfFile: path("sweep/kappa_sweep.svg"), encoding: .utf8).contains("kappa 10"))

        let expectedImprovement = try assertSucceeds(activeArguments("run", output: "ei", extra: ["--ei", "0.01", "--test-size", "10",
                                                                                                 "--trees", "5"]))
        XCTAssertTrue(expectedImprovement.standardOutput.contains("EI (xi 0.01), 10 suggestions"), expectedImprovement.standardOutput)
    }

    func testBadInputsGiveClearErrors() throws {
        try prepareInputs()
        var arguments = activeArguments("run", output: "bad", extra: ["--test-size", "10"])
        arguments[arguments.firstIndex(of: "--autoencoder")! + 1] = path("oracle.h5")
        let wrongModel = try CommandRunner.run(arguments)
        XCTAssertNotEqual(wrongModel.exitCode, 0)
        XCTAssertTrue(wrongModel.standardError.contains("not a matgan-dist checkpoint"), wrongModel.standardError)

        let missing = try CommandRunner.run(activeArguments("run", output: "bad", extra: ["--test-size", "10", "--samples", path("data.h5")]))
        XCTAssertNotEqual(missing.exitCode, 0)
        XCTAssertTrue(missing.standardError.contains("no samples/formula dataset"), missing.standardError)

        let tooMany = try CommandRunner.run(activeArguments("run", output: "bad", extra: ["--test-size", "10000"]))
        XCTAssertTrue(tooMany.standardError.contains("--test-size 10000 exceeds"), tooMany.standardError)
    }
}
