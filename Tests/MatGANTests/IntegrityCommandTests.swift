import Foundation
import HDF5
import TestSupport
import XCTest

/// The integrity of the commands' files, end to end: checksums on every dataset, damaged
/// checkpoints refused, writers on a full disk, stale temporary files, `generate`'s free-space
/// check.
final class IntegrityCommandTests: XCTestCase {
    private static let fixture = TrainingFixture(name: "integrity")
    private static var dataPath: String { fixture.dataPath }

    override class func tearDown() {
        fixture.remove()
        super.tearDown()
    }

    private func path(_ name: String) -> String { Self.fixture.path(name) }

    private func prepareData() throws { try Self.fixture.prepare() }

    private func trainArguments(_ runDirectory: String, steps: Int, extra: [String] = []) -> [String] {
        Self.fixture.trainArguments(runDirectory, steps: steps, extra: extra)
    }

    func testEveryDatasetOfPreparedCheckpointAndSampleFilesIsChecksummed() throws {
        try prepareData()
        try assertSucceeds(trainArguments("checksummed", steps: 1))
        try assertSucceeds(["generate", "--checkpoint", path("checksummed/checkpoint.h5"), "--samples", "50", "--save-matrices",
                            "--output", path("checksummed.h5")])
        for path in [Self.dataPath, path("checksummed/checkpoint.h5"), path("checksummed.h5")] {
            let datasets = try Self.datasets(in: File.open(path))
            XCTAssertGreaterThanOrEqual(datasets.count, 7, path)
            for dataset in datasets {
                XCTAssertTrue(try dataset.isChecksummed, "\(path): \(dataset.name)")
            }
        }
    }

    func testFlippedBytesInACheckpointStopGenerateAndResume() throws {
        try prepareData()
        try assertSucceeds(trainArguments("intact", steps: 1))
        let intact = path("intact/checkpoint.h5")
        let file = try File.open(intact)
        let weights = try Self.distinctiveBytes(of: file.read("networks/generator/parameters", as: Float.self))
        let moments = try Self.distinctiveBytes(of: file.read("optimizers/critic/exp_avg_sq", as: Float.self))

        // 100 bytes of the generator's weights: generate stops before writing anything.
        let damagedWeights = path("damaged-weights.h5")
        try FileManager.default.copyItem(atPath: intact, toPath: damagedWeights)
        try invertBytes(weights, inFileAt: damagedWeights)
        let generation = try CommandRunner.run(["generate", "--checkpoint", damagedWeights, "--samples", "50",
                                                "--output", path("from-damaged.h5")])
        XCTAssertNotEqual(generation.exitCode, 0)
        for fragment in [damagedWeights, "/networks/generator/parameters", "the data is corrupt (checksum mismatch)"] {
            XCTAssertTrue(generation.standardError.contains(fragment), generation.standardError)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("from-damaged.h5")))

        // 100 bytes of Adam's second moments: a two-rank resume stops.
        try FileManager.default.createDirectory(atPath: path("damaged-run"), withIntermediateDirectories: true)
        let damagedState = path("damaged-run/checkpoint.h5")
        try FileManager.default.copyItem(atPath: intact, toPath: damagedState)
        try invertBytes(moments, inFileAt: damagedState)
        let resume = try CommandRunner.run(trainArguments("damaged-run", steps: 2, extra: ["--resume"]), ranks: 2)
        XCTAssertNotEqual(resume.exitCode, 0)
        for fragment in [damagedState, "/optimizers/critic/exp_avg_sq", "the data is corrupt (checksum mismatch)"] {
            XCTAssertTrue(resume.standardError.contains(fragment), resume.standardError)
        }
    }

    /// prepare, a training checkpoint and generate on a nearly full 24 MiB tmpfs: each ends
    /// with an error naming its file and the lack of space (not a crash), and leaves the file
    /// it was replacing as it was and no temporary file.
    func testWritersOnAFullDiskFailCleanlyAndKeepThePreviousFile() throws {
        try prepareData()
        let small = try SmallFileSystem(megabytes: 24)
        func assertFailsForLackOfSpace(_ outcome: CommandRunner.Outcome, writing path: String,
                                       file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertTrue(outcome.exitCode != 0 && outcome.exitCode < 128,
                          "expected a clean failure, got exit code \(outcome.exitCode):\n\(outcome.standardError)", file: file, line: line)
            XCTAssertTrue(outcome.standardError.contains("HDF5 error in \(path)")
                          && outcome.standardError.contains("no space left on device"), outcome.standardError, file: file, line: line)
        }
        func assertNoTemporaryFiles(in directory: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            XCTAssertFalse(names.contains { $0.contains(".tmp-") }, "\(names)", file: file, line: line)
        }

        let prepared = small.file("data.h5")
        try FileManager.default.copyItem(atPath: Self.dataPath, toPath: prepared)
        let previousData = try Data(contentsOf: URL(fileURLWithPath: prepared))
        try small.fill(leaving: 16 << 10)
        let prepare = try CommandRunner.run(["prepare", "--input", path("formulas.csv"), "--output", prepared, "--seed", "3"])
        assertFailsForLackOfSpace(prepare, writing: prepared)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: prepared)), previousData)
        try assertNoTemporaryFiles(in: small.path)

        try FileManager.default.removeItem(atPath: small.file("filler"))
        let runDirectory = small.file("run")
        let checkpoint = runDirectory + "/checkpoint.h5"
        try assertSucceeds(["train", "--model", "matgan-mp", "--data", Self.dataPath, "--run-dir", runDirectory, "--steps", "1",
                            "--batch-size", "8", "--seed", "5"])
        let previousCheckpoint = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        try small.fill(leaving: 256 << 10)
        let train = try CommandRunner.run(["train", "--model", "matgan-mp", "--data", Self.dataPath, "--run-dir", runDirectory,
                                           "--steps", "2", "--batch-size", "8", "--seed", "5", "--resume"], ranks: 2)
        assertFailsForLackOfSpace(train, writing: checkpoint)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: checkpoint)), previousCheckpoint)
        XCTAssertEqual(try File.open(checkpoint).attribute("step").intValue, 1)
        try assertNoTemporaryFiles(in: runDirectory)

        // The disk fills while generate runs; the failure comes when it writes.
        try FileManager.default.removeItem(atPath: small.file("filler"))
        let samples = small.file("samples.h5")
        try Data("previous samples".utf8).write(to: URL(fileURLWithPath: samples))
        let generation = try CommandRunner.start(["generate", "--checkpoint", checkpoint, "--samples", "20000", "--output", samples],
                                                 timeout: 300)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, generation.process.isRunning,
              !(try FileManager.default.contentsOfDirectory(atPath: small.path)).contains(where: { $0.hasPrefix("samples.h5.tmp-") }) {
            Thread.sleep(forTimeInterval: 0.02)
        }
        try small.fill(leaving: 0)
        assertFailsForLackOfSpace(try generation.wait(), writing: samples)
        XCTAssertEqual(try String(contentsOfFile: samples, encoding: .utf8), "previous samples")
        try assertNoTemporaryFiles(in: small.path)
    }

    func testGenerateRefusesAnOutputThatWouldNotFit() throws {
        try prepareData()
        try assertSucceeds(trainArguments("for-refusal", steps: 1))
        let small = try SmallFileSystem(megabytes: 2)
        let output = small.file("samples.h5")
        let refused = try CommandRunner.run(["generate", "--checkpoint", path("for-refusal/checkpoint.h5"), "--samples", "100000000",
                                             "--output", output])
        XCTAssertNotEqual(refused.exitCode, 0)
        for fragment in ["HDF5 error in \(output)", "not enough free space for the file: it needs about 6.8 GB", "'\(small.path)' has 2"] {
            XCTAssertTrue(refused.standardError.contains(fragment), refused.standardError)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: small.path), [])
    }

    func testWritersRemoveTemporaryFilesOfDeadProcesses() throws {
        let dead: pid_t = 999_999
        guard kill(dead, 0) != 0, errno == ESRCH else { throw XCTSkip("process \(dead) exists on this host") }
        try prepareData()
        try assertSucceeds(trainArguments("stale-source", steps: 1))
        let directory = path("stale")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let stale = directory + "/samples.h5.tmp-\(dead)", live = directory + "/other.h5.tmp-\(getpid())"
        for file in [stale, live] { try Data("partial".utf8).write(to: URL(fileURLWithPath: file)) }
        let generation = try assertSucceeds(["generate", "--checkpoint", path("stale-source/checkpoint.h5"), "--samples", "50",
                                             "--output", directory + "/samples.h5"])
        let removals = generation.standardError.split(separator: "\n").filter { $0.contains("removed") }
        XCTAssertEqual(removals.count, 1, generation.standardError)
        XCTAssertTrue(removals.first?.contains("removed \(stale): a temporary file of process \(dead), which no longer runs") ?? false,
                      generation.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale))
        XCTAssertTrue(FileManager.default.fileExists(atPath: live))
    }

    /// Every dataset in `group` and the groups below it.
    private static func datasets(in group: Group) throws -> [Dataset] {
        try group.memberNames().flatMap { name in
            if let dataset = try? group.openDataset(name) { return [dataset] }
            return try datasets(in: group.openGroup(name))
        }
    }

    /// The bytes of 25 consecutive nonzero values (100 bytes), which identify a place in the file.
    private static func distinctiveBytes(of values: [Float]) throws -> [UInt8] {
        let start = try XCTUnwrap((0 ..< values.count - 25).first { start in values[start ..< start + 25].allSatisfy { $0 != 0 } })
        return values[start ..< start + 25].withUnsafeBytes { Array($0) }
    }
}
