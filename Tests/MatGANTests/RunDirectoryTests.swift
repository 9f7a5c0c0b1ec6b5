import Foundation
import HDF5
import TestSupport
import XCTest

/// Drills for a run directory's safety (issue "nothing lost, nothing silent"): one run per
/// directory, no checkpoint overwritten by accident, `--resume` alone continues a run, metrics
/// cut back to the checkpoint, signals and bad numbers reported as a script can rely on.
final class RunDirectoryTests: XCTestCase {
    private static let fixture = TrainingFixture(name: "run-directory")

    override class func tearDown() {
        fixture.remove()
        super.tearDown()
    }

    private func path(_ name: String) -> String { Self.fixture.path(name) }

    private func train(_ runDirectory: String, steps: Int, _ extra: [String] = []) -> [String] {
        Self.fixture.trainArguments(runDirectory, steps: steps, extra: extra)
    }

    private func checkpointStep(_ runDirectory: String) throws -> Int? {
        try File.open(path(runDirectory + "/checkpoint.h5")).attribute("step").intValue
    }

    /// The steps of the progress records.
    private func loggedSteps(_ runDirectory: String) throws -> [Int] {
        try Self.fixture.metricsRecords(runDirectory).compactMap { $0["step"] as? Int }
    }

    func testACheckpointIsNeverOverwrittenWithoutResumeOrOverwrite() throws {
        try Self.fixture.prepare()
        try assertSucceeds(train("kept", steps: 3))
        let refused = try CommandRunner.run(train("kept", steps: 2))
        XCTAssertNotEqual(refused.exitCode, 0)
        XCTAssertTrue(refused.standardError.contains("already holds a checkpoint of matgan-mp at step 3")
                      && refused.standardError.contains("--resume") && refused.standardError.contains("--overwrite"),
                      refused.standardError)
        XCTAssertEqual(try checkpointStep("kept"), 3, "the refused run left the checkpoint alone")

        try assertSucceeds(train("kept", steps: 2, ["--overwrite"]))
        XCTAssertEqual(try checkpointStep("kept"), 2)
        XCTAssertEqual(try loggedSteps("kept"), [1, 2], "--overwrite starts the metrics afresh")
        let both = try CommandRunner.run(train("kept", steps: 2, ["--overwrite", "--resume"]))
        XCTAssertTrue(both.standardError.contains("--resume and --overwrite exclude each other"), both.standardError)
    }

    func testResumeAloneContinuesWithTheStoredConfigurationAndCutsMetricsBack() throws {
        try Self.fixture.prepare()
        try assertSucceeds(train("resumed", steps: 4, ["--critic-iterations", "2", "--init", "he"]), ranks: 2)
        // A crash after logging steps 5 and 6 but before their checkpoint.
        let metrics = path("resumed/metrics.jsonl")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: metrics))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"step\":5}\n{\"step\":6}\n".utf8))
        try handle.close()

        let resumed = try assertSucceeds(["train", "--run-dir", path("resumed"), "--resume", "--steps", "6"], ranks: 2)
        XCTAssertTrue(resumed.standardOutput.contains("trained matgan-mp to step 6"), resumed.standardOutput)
        XCTAssertTrue(resumed.standardError.contains("dropped 2 metrics record(s)"), resumed.standardError)
        XCTAssertEqual(try loggedSteps("resumed"), [1, 2, 3, 4, 5, 6])
        let configuration = try XCTUnwrap(File.open(path("resumed/checkpoint.h5")).attribute("config").stringValue)
        XCTAssertTrue(configuration.contains("\"criticIterations\":2") && configuration.contains("\"initialization\":\"he\""),
                      "the stored configuration was continued: \(configuration)")

        let conflicting = try CommandRunner.run(["train", "--run-dir", path("resumed"), "--resume", "--steps", "7",
                                                 "--batch-size", "16"])
        XCTAssertNotEqual(conflicting.exitCode, 0)
        XCTAssertTrue(conflicting.standardError.contains("--batch-size 16 conflicts with 8"), conflicting.standardError)
        let otherModel = try CommandRunner.run(["train", "--model", "matgan-oqmd", "--run-dir", path("resumed"), "--resume"])
        XCTAssertTrue(otherModel.standardError.contains("--model matgan-oqmd conflicts with"), otherModel.standardError)
    }

    func testASecondRunOnTheSameDirectoryIsRefusedAndSignalsEndWith128PlusTheSignal() throws {
        try Self.fixture.prepare()
        let first = try CommandRunner.start(train("busy", steps: 100_000, ["--checkpoint-every", "0"]), timeout: 300)
        let metrics = path("busy/metrics.jsonl")
        let deadline = Date().addingTimeInterval(240)
        while Date() < deadline, first.process.isRunning,
              ((try? String(contentsOfFile: metrics, encoding: .utf8))?.split(separator: "\n").count ?? 0) < 2 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let second = try CommandRunner.run(train("busy", steps: 2, ["--resume"]))
        XCTAssertNotEqual(second.exitCode, 0)
        XCTAssertTrue(second.standardError.contains("is in use by another training run (pid \(first.process.processIdentifier)"),
                      second.standardError)

        kill(first.process.processIdentifier, SIGINT)
        let outcome = try first.wait()
        XCTAssertEqual(outcome.exitCode, 128 + SIGINT, outcome.standardError)
        XCTAssertTrue(outcome.standardOutput.contains("received signal 2"), outcome.standardOutput)
        XCTAssertGreaterThanOrEqual(try checkpointStep("busy") ?? 0, 2, "the interrupted run checkpointed first")
        // The lock went with the process: the directory can be resumed now.
        try assertSucceeds(["train", "--run-dir", path("busy"), "--resume", "--steps", String((try checkpointStep("busy") ?? 0) + 1)])
    }

    func testBadNumbersAndPathsAreRefusedInPlainWords() throws {
        try Self.fixture.prepare()
        for (arguments, expected) in [
            (["--batch-size", "-4"], "--batch-size must be positive, got -4"),
            (["--critic-lr", "nan"], "--critic-lr must be a positive number, got nan"),
            (["--generator-lr", "-1"], "--generator-lr must be a positive number, got -1.0"),
            (["--beta1", "1"], "--beta1 must be in [0, 1), got 1.0"),
            (["--penalty-weight", "inf"], "--penalty-weight must be a finite number, 0 or more, got inf"),
            (["--log-every", "0"], "--log-every must be positive, got 0"),
            (["--eval-every", "0"], "--eval-every must be positive, got 0"),
            (["--eval-every", "-3"], "--eval-every must be positive, got -3"),
            (["--eval-samples", "0"], "--eval-samples must be positive, got 0"),
        ] {
            let outcome = try CommandRunner.run(train("numbers", steps: 1, arguments))
            XCTAssertNotEqual(outcome.exitCode, 0, "\(arguments)")
            XCTAssertTrue(outcome.standardError.contains(expected), "\(arguments): \(outcome.standardError)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("numbers")), "a refused command created nothing")

        FileManager.default.createFile(atPath: path("a-file"), contents: Data("x".utf8))
        let notDirectory = try CommandRunner.run(train("a-file", steps: 1))
        XCTAssertNotEqual(notDirectory.exitCode, 0)
        XCTAssertTrue(notDirectory.standardError.contains("a-file is a file, not a directory"), notDirectory.standardError)
    }

    func testANonFiniteStepStopsTheRunAndKeepsTheLastGoodCheckpoint() throws {
        try Self.fixture.prepare()
        // Rates far beyond any sensible value overflow the weights within a few updates.
        let outcome = try CommandRunner.run(train("diverged", steps: 200, ["--critic-lr", "1e30", "--generator-lr", "1e30",
                                                                          "--checkpoint-every", "1"]))
        XCTAssertNotEqual(outcome.exitCode, 0)
        XCTAssertTrue(outcome.standardError.contains("is not a finite number") || outcome.standardError.contains("the checkpoint is not written"),
                      outcome.standardError)
        if let step = try? checkpointStep("diverged") {
            let file = try File.open(path("diverged/checkpoint.h5"))
            for network in ["generator", "critic"] {
                XCTAssertTrue(try file.read("networks/\(network)/parameters", as: Float.self).allSatisfy(\.isFinite),
                              "the kept checkpoint (step \(step)) is finite")
            }
        }
    }
}
