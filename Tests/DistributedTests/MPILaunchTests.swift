import TestSupport
import XCTest

/// Runs `matgan-dist selftest` under real `mpirun` jobs and checks every rank's answers.
final class MPILaunchTests: XCTestCase {
    private func assertSelfTestPasses(ranks: Int?, file: StaticString = #filePath, line: UInt = #line) throws {
        let outcome = try CommandRunner.run(["selftest"], ranks: ranks, timeout: 60)
        XCTAssertEqual(outcome.exitCode, 0, outcome.standardError, file: file, line: line)
        let size = ranks ?? 1
        let lines = outcome.standardOutput.split(separator: "\n").map(String.init)
        for rank in 0..<size {
            for check in ["allreduce sum Float[1000]", "allreduce mean Double[17]", "allreduce bitwise-or UInt64[3]",
                          "allgather Int64", "alltoallv Int64 unequal counts", "broadcast Double[5] from rank \(size - 1)"] {
                XCTAssertTrue(lines.contains("rank \(rank): \(check): ok"),
                              "rank \(rank) did not pass '\(check)':\n\(outcome.standardOutput)", file: file, line: line)
            }
        }
        XCTAssertTrue(lines.contains("rank 0: gatherv Int32 unequal counts: ok"), file: file, line: line)
        XCTAssertFalse(outcome.standardOutput.contains("FAILED"), outcome.standardOutput, file: file, line: line)
        XCTAssertEqual(lines.last, "selftest: \(14 * size) passed, 0 failed on \(size) rank(s)", file: file, line: line)
    }

    func testCollectivesWithoutLauncher() throws {
        try assertSelfTestPasses(ranks: nil)
    }

    func testCollectivesOnTwoRanks() throws {
        try assertSelfTestPasses(ranks: 2)
    }

    func testCollectivesOnFourOversubscribedRanks() throws {
        try assertSelfTestPasses(ranks: 4)
    }

    func testFailingRankAbortsTheJobWithItsMessage() throws {
        let outcome = try CommandRunner.run(["selftest", "--fail-rank", "1"], ranks: 2, timeout: 30)
        XCTAssertFalse(outcome.timedOut, "the job hung after rank 1 failed")
        XCTAssertNotEqual(outcome.exitCode, 0)
        XCTAssertLessThan(outcome.seconds, 15)
        XCTAssertTrue(outcome.standardError.contains("rank 1 of 2: error: rank 1 failed on purpose"), outcome.standardError)
    }

    func testKilledRankEndsTheJob() throws {
        let outcome = try CommandRunner.run(["selftest", "--fail-rank", "0", "--fail-how", "signal"], ranks: 2, timeout: 30)
        XCTAssertFalse(outcome.timedOut, "the job hung after rank 0 was killed")
        XCTAssertNotEqual(outcome.exitCode, 0)
        XCTAssertLessThan(outcome.seconds, 15)
    }

    func testInvalidFailRankIsRejected() throws {
        let outcome = try CommandRunner.run(["selftest", "--fail-rank", "5"], ranks: 2, timeout: 30)
        XCTAssertNotEqual(outcome.exitCode, 0)
        XCTAssertTrue(outcome.standardError.contains("--fail-rank 5"), outcome.standardError)
    }

    func testInfoPrintsEveryRank() throws {
        let outcome = try CommandRunner.run(["info"], ranks: 2, timeout: 30)
        XCTAssertEqual(outcome.exitCode, 0, outcome.standardError)
        XCTAssertTrue(outcome.standardOutput.contains("ranks:          2"), outcome.standardOutput)
        XCTAssertTrue(outcome.standardOutput.contains("Open MPI"), outcome.standardOutput)
        XCTAssertTrue(outcome.standardOutput.contains("HDF5:           1."), outcome.standardOutput)
        XCTAssertTrue(outcome.standardOutput.contains("rank 1: host"), outcome.standardOutput)
    }

    func testDataDirectoryResolution() throws {
        let missing = try CommandRunner.run(["info", "--data-dir", "/nonexistent/data"], timeout: 30)
        XCTAssertTrue(missing.standardOutput.contains("--data-dir /nonexistent/data: no such directory"),
                      missing.standardOutput)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("matgan-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fromEnvironment = try CommandRunner.run(["info"], timeout: 30, environment: ["MATGAN_DATA": directory.path])
        XCTAssertTrue(fromEnvironment.standardOutput.contains("data directory: \(directory.path) (0 CSV files)"),
                      fromEnvironment.standardOutput)
        let badEnvironment = try CommandRunner.run(["info"], timeout: 30, environment: ["MATGAN_DATA": "/nonexistent/env"])
        XCTAssertTrue(badEnvironment.standardOutput.contains("$MATGAN_DATA=/nonexistent/env: no such directory"),
                      badEnvironment.standardOutput)
    }
}
