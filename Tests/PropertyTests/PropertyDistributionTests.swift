import Foundation
import TestSupport
import XCTest

/// End-to-end runs of `matgan-dist property distribution` on a slice of the band-gap data.
final class PropertyDistributionTests: XCTestCase {
    func testDistributionsDoNotDependOnTheRankCount() throws {
        let directory = try temporaryDirectory(self)
        let csv = try slice(of: "mp_band_gap_matbench.csv", rows: 800, into: directory, file: "gap.csv")
        let model = directory.appendingPathComponent("rf.h5").path
        let data = directory.appendingPathComponent("data.h5").path
        try assertSucceeds(["property", "train", "--model", "rf", "--data", csv, "--trees", "4", "-o", model])
        try assertSucceeds(["prepare", "--preset", "mp-bandgap", "--input", csv, "-o", data])

        var outputs: [String] = []
        for ranks in [nil, 2] {
            let prefix = directory.appendingPathComponent("gap-\(ranks ?? 1)").path
            let outcome = try assertSucceeds(["property", "distribution", "--model", model, "--data", data, "--random", "500",
                                              "--contains", "O", "--range", "0:8", "--bins", "16", "--threshold", "3",
                                              "--output-prefix", prefix], ranks: ranks, timeout: 120)
            XCTAssertTrue(outcome.standardOutput.contains("| random | 500 |"), outcome.standardOutput)
            XCTAssertTrue(FileManager.default.fileExists(atPath: prefix + ".svg"))
            outputs.append(try String(contentsOfFile: prefix + ".csv", encoding: .utf8))
        }
        XCTAssertEqual(outputs[0], outputs[1], "the histograms differ between 1 and 2 ranks")
        let rows = outputs[0].split(separator: "\n")
        XCTAssertEqual(rows.first, "bin_low,bin_high,training_fraction,training_count,random_fraction,random_count")
        XCTAssertEqual(rows.count, 17)
        let randomTotal = rows.dropFirst().map { Int($0.split(separator: ",")[5])! }.reduce(0, +)
        XCTAssertEqual(randomTotal, 500)
    }

    func testBadInputsFailWithoutOutput() throws {
        let directory = try temporaryDirectory(self)
        let prefix = directory.appendingPathComponent("out").path
        for (arguments, message) in [
            (["--model", "m.h5"], "give at least one set"),
            (["--model", "m.h5", "--random", "10"], "--random needs --data"),
            (["--model", "m.h5", "--data", "d.h5", "--contains", "Xx"], "--contains Xx"),
            (["--model", "m.h5", "--data", "d.h5", "--range", "3:1"], "--range 3:1"),
            (["--model", directory.appendingPathComponent("missing.h5").path, "--data", "d.h5"], "missing.h5"),
        ] {
            let outcome = try CommandRunner.run(["property", "distribution"] + arguments + ["--output-prefix", prefix], timeout: 60)
            XCTAssertNotEqual(outcome.exitCode, 0, "\(arguments)")
            XCTAssertTrue(outcome.standardError.contains(message), "expected '\(message)' in:\n\(outcome.standardError)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: prefix + ".csv"))
        }
    }
}
