import Foundation
import HDF5
import TestSupport
import XCTest

/// Drills for outputs (issue "nothing lost, nothing silent"): no command writes over its own
/// input, `evaluate` refuses data other than the model's, and repeated names are refused.
final class OutputSafetyTests: XCTestCase {
    private static let fixture = TrainingFixture(name: "output-safety")

    override class func tearDown() {
        fixture.remove()
        super.tearDown()
    }

    private func path(_ name: String) -> String { Self.fixture.path(name) }

    private func trainedCheckpoint() throws -> String {
        try Self.fixture.prepare()
        let checkpoint = path("gan/checkpoint.h5")
        if !FileManager.default.fileExists(atPath: checkpoint) {
            try assertSucceeds(["train", "--model", "matgan-mp", "--data", Self.fixture.dataPath, "--run-dir", path("gan"),
                                "--steps", "2", "--batch-size", "8"])
        }
        return checkpoint
    }

    func testNoCommandWritesOverItsInput() throws {
        let checkpoint = try trainedCheckpoint()
        let before = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        // The same file by another spelling.
        let sameFile = path("gan/../gan/checkpoint.h5")
        let generate = try CommandRunner.run(["generate", "--checkpoint", checkpoint, "--samples", "10", "-o", sameFile])
        XCTAssertNotEqual(generate.exitCode, 0)
        XCTAssertTrue(generate.standardError.contains("--output names the --checkpoint input"), generate.standardError)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: checkpoint)), before, "the checkpoint is intact")

        let csv = path("formulas.csv")
        let csvBefore = try Data(contentsOf: URL(fileURLWithPath: csv))
        let prepare = try CommandRunner.run(["prepare", "--input", csv, "-o", csv])
        XCTAssertNotEqual(prepare.exitCode, 0)
        XCTAssertTrue(prepare.standardError.contains("--output names the --input input"), prepare.standardError)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: csv)), csvBefore)
    }

    func testEvaluateRefusesOtherDataAndRepeatedNames() throws {
        let checkpoint = try trainedCheckpoint()
        try assertSucceeds(["generate", "--checkpoint", checkpoint, "--samples", "200", "-o", path("samples.h5")])
        // Another prepared file: the same formulas with another split seed, so another digest.
        try assertSucceeds(["prepare", "--input", path("formulas.csv"), "--output", path("other.h5"), "--seed", "4"])
        let refused = try CommandRunner.run(["evaluate", "--samples", path("samples.h5"), "--data", path("other.h5"),
                                             "--output-dir", path("report-other")])
        XCTAssertNotEqual(refused.exitCode, 0)
        XCTAssertTrue(refused.standardError.contains("is not the file the samples' model was trained on")
                      && refused.standardError.contains("--allow-other-data"), refused.standardError)
        let warned = try assertSucceeds(["evaluate", "--samples", path("samples.h5"), "--data", path("other.h5"),
                                         "--output-dir", path("report-other"), "--allow-other-data"])
        XCTAssertTrue(warned.standardError.contains("warning: --data"), warned.standardError)

        let repeated = try CommandRunner.run(["evaluate", "--samples", path("samples.h5"), "--data", Self.fixture.dataPath,
                                              "--compare", "x=\(path("other.h5"))", "--compare", "x=\(Self.fixture.dataPath)"])
        XCTAssertNotEqual(repeated.exitCode, 0)
        XCTAssertTrue(repeated.standardError.contains("the name x is taken"), repeated.standardError)
        let malformed = try CommandRunner.run(["evaluate", "--samples", path("samples.h5"), "--data", Self.fixture.dataPath,
                                               "--compare", "no-equals-sign"])
        XCTAssertTrue(malformed.standardError.contains("'no-equals-sign'") && malformed.standardError.contains("--compare"),
                      malformed.standardError)
    }

    func testNegativeCountsAreRefusedAsNotPositive() throws {
        let checkpoint = try trainedCheckpoint()
        for (arguments, expected) in [(["--samples", "-5"], "--samples must be positive, got -5"),
                                      (["--samples", "10", "--batch-size", "-4"], "--batch-size must be positive, got -4")] {
            let outcome = try CommandRunner.run(["generate", "--checkpoint", checkpoint, "-o", path("never.h5")] + arguments)
            XCTAssertNotEqual(outcome.exitCode, 0)
            XCTAssertTrue(outcome.standardError.contains(expected), "\(arguments): \(outcome.standardError)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("never.h5")))
    }
}
