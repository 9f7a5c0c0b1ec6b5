import Foundation
import HDF5
import TestSupport
import XCTest

/// Training on rank counts that are not the paper's: `--batch-per-rank`, a global batch the ranks
/// cannot share, resuming on another rank count, and 8 and 16 oversubscribed ranks training,
/// resuming and generating as real `mpirun` jobs of the built binary.
final class RankCountTests: XCTestCase {
    private static let fixture = TrainingFixture(name: "rank-count")

    override class func tearDown() {
        fixture.remove()
        super.tearDown()
    }

    private func path(_ name: String) -> String { Self.fixture.path(name) }

    private func trainArguments(_ runDirectory: String, steps: Int, batch: [String], extra: [String] = []) -> [String] {
        Self.fixture.trainArguments(runDirectory, steps: steps, batch: batch, extra: extra)
    }

    private func parameters(_ runDirectory: String) throws -> [String: [Float]] {
        let file = try File.open(path(runDirectory + "/checkpoint.h5"))
        return try ["generator", "critic"].reduce(into: [:]) { result, name in
            result[name] = try file.read("networks/\(name)/parameters", as: Float.self)
            result[name + ".state"] = try file.read("networks/\(name)/state", as: Float.self)
            result[name + ".exp_avg"] = try file.read("optimizers/\(name)/exp_avg", as: Float.self)
        }
    }

    private func step(_ runDirectory: String) throws -> Int? {
        try File.open(path(runDirectory + "/checkpoint.h5")).attribute("step").intValue
    }

    /// `matgan-dist ...` fails and says `message` once on standard error.
    private func assertRefused(_ arguments: [String], ranks: Int? = nil, saying message: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let outcome = try CommandRunner.run(arguments, ranks: ranks, timeout: 60)
        XCTAssertNotEqual(outcome.exitCode, 0, file: file, line: line)
        XCTAssertEqual(outcome.standardError.components(separatedBy: message).count - 1, 1,
                       "expected '\(message)' once:\n\(outcome.standardError)", file: file, line: line)
    }

    func testBadBatchAndScheduleOptionsNameTheFlag() throws {
        try Self.fixture.prepare()
        let perRank = ["--batch-per-rank", "2"]
        for (batch, extra, message) in [
            (["--batch-per-rank", "0"], [], "--batch-per-rank must be positive, got 0"),
            (["--batch-per-rank", "-3"], [], "--batch-per-rank must be positive, got -3"),
            (["--batch-size", "-8"], [], "--batch-size must be positive, got -8"),
            (["--batch-size", "8"] + perRank, [], "--batch-size and --batch-per-rank exclude each other"),
            (perRank, ["--warmup-steps", "-1"], "--warmup-steps must be 0 or more, got -1"),
            (perRank, ["--lr-scaling", "cubic"], "'cubic'"),
        ] as [([String], [String], String)] {
            try assertRefused(trainArguments("bad", steps: 1, batch: batch, extra: extra), saying: message)
        }
        try assertRefused(["train", "--model", "elpasolite-cvae", "--data", Self.fixture.dataPath, "--batch-per-rank", "2"],
                          saying: "--batch-per-rank does not apply to elpasolite-cvae")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("bad")), "a refused run leaves no run directory")
    }

    /// 8 ranks x 2: an interrupted run resumed on 8 ranks ends bit for bit where an uninterrupted
    /// one does, through the warm-up and the scaled rates; on 4 ranks it keeps the global batch,
    /// on 3 it is refused; generation runs on 8.
    func testEightRanksTrainResumeOnAnyDivisorAndGenerate() throws {
        try Self.fixture.prepare()
        let batch = ["--batch-per-rank", "2"]
        // Checkpoints average the ranks' batch-norm statistics, so both runs checkpoint at step 2.
        let schedule = ["--lr-scaling", "sqrt", "--warmup-steps", "2", "--checkpoint-every", "2"]
        let straight = try assertSucceeds(trainArguments("straight", steps: 3, batch: batch, extra: schedule), ranks: 8)
        XCTAssertTrue(straight.standardError.contains(
            "batch: 8 rank(s) x 2 per rank = global batch 16 (given as --batch-per-rank 2); reference batch of matgan-mp 32"),
                      straight.standardError)
        XCTAssertTrue(straight.standardError.contains(
            "learning rates: generator 0.000707, critic 0.00707 (--lr-scaling sqrt x0.707, linear warm-up over 2 steps, no decay)"),
                      straight.standardError)
        let configuration = try File.open(path("straight/checkpoint.h5")).attribute("config").stringValue ?? ""
        XCTAssertTrue(configuration.contains("\"batchPerRank\":2") && configuration.contains("\"batchSize\":16"), configuration)

        try assertSucceeds(trainArguments("resumed", steps: 2, batch: batch, extra: schedule), ranks: 8)
        try FileManager.default.copyItem(atPath: path("resumed"), toPath: path("other-count"))
        try assertSucceeds(trainArguments("resumed", steps: 3, batch: [], extra: ["--resume"]), ranks: 8)
        let expected = try parameters("straight"), resumed = try parameters("resumed")
        for (name, values) in expected { XCTAssertTrue(values == resumed[name], "\(name) differs after resuming") }

        try assertRefused(trainArguments("other-count", steps: 3, batch: [], extra: ["--resume"]), ranks: 3,
                          saying: "was trained with a global batch of 16, which cannot be split evenly over 3 ranks; resume it on 2 or 4 ranks")
        try assertRefused(trainArguments("other-count", steps: 3, batch: ["--batch-per-rank", "4"], extra: ["--resume"]),
                          saying: "--batch-per-rank 4 on 1 rank(s) is a global batch of 4, which conflicts with 16")
        let four = try assertSucceeds(trainArguments("other-count", steps: 3, batch: [], extra: ["--resume"]), ranks: 4)
        XCTAssertTrue(four.standardError.contains("batch: 4 rank(s) x 4 per rank = global batch 16 (given as --batch-per-rank 2)"),
                      four.standardError)
        XCTAssertEqual(try step("other-count"), 3)

        try assertSucceeds(["generate", "--checkpoint", path("resumed/checkpoint.h5"), "--samples", "160", "--batch-size", "16",
                            "--output", path("eight.h5")], ranks: 8)
        XCTAssertEqual(try File.open(path("eight.h5")).openDataset("samples/key").shape, [160, 2])
    }

    /// 16 ranks: a global batch they cannot share is refused once with the nearest that they can;
    /// --batch-size 32 trains, checkpoints, resumes where an uninterrupted run ends, and generates.
    func testSixteenRanksRefuseAnUnsharedBatchThenTrainResumeAndGenerate() throws {
        try Self.fixture.prepare()
        try assertRefused(trainArguments("sixteen", steps: 2, batch: ["--batch-size", "24"]), ranks: 16,
                          saying: "--batch-size 24 cannot be split evenly over 16 ranks: use --batch-size 16 or 32 (multiples of 16), "
                              + "or --batch-per-rank N for a global batch of 16 x N")
        let first = try assertSucceeds(trainArguments("sixteen", steps: 2, batch: ["--batch-size", "32"],
                                                      extra: ["--lr-scaling", "linear"]), ranks: 16)
        XCTAssertTrue(first.standardError.contains("batch: 16 rank(s) x 2 per rank = global batch 32 (given as the global batch)"),
                      first.standardError)
        XCTAssertEqual(try step("sixteen"), 2)
        try assertSucceeds(trainArguments("sixteen", steps: 3, batch: [], extra: ["--resume"]), ranks: 16)
        XCTAssertEqual(try step("sixteen"), 3)
        try assertSucceeds(trainArguments("sixteen-straight", steps: 3, batch: ["--batch-size", "32"],
                                          extra: ["--lr-scaling", "linear", "--checkpoint-every", "2"]), ranks: 16)
        let expected = try parameters("sixteen-straight"), resumed = try parameters("sixteen")
        for (name, values) in expected { XCTAssertTrue(values == resumed[name], "\(name) differs after resuming") }
        XCTAssertEqual(try Self.fixture.metricsRecords("sixteen").compactMap { $0["step"] as? Int }, [1, 2, 3],
                       "one progress record per step, none repeated by the resume")
        try assertSucceeds(["generate", "--checkpoint", path("sixteen/checkpoint.h5"), "--samples", "160", "--batch-size", "16",
                            "--output", path("sixteen.h5")], ranks: 16)
        XCTAssertEqual(try File.open(path("sixteen.h5")).openDataset("samples/key").shape, [160, 2])
    }
}
