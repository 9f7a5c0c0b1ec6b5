import Foundation
import HDF5
import TestSupport
import XCTest

/// The job scripts on a real Slurm cluster: `scripts/slurm-local.sh` starts munge, slurmctld and
/// two slurmd daemons (nodes n1 and n2) from Debian's packages, and the tests submit the real
/// `jobs/*.sbatch` with tiny budgets from a directory outside the checkout, as a user would.
/// Skipped, with the reason printed, when the cluster cannot be started here (not root, Slurm or
/// munge not installed: `scripts/setup.sh --slurm`).
final class SlurmTests: XCTestCase {
    private static let cluster = LocalSlurmCluster()

    override class func tearDown() {
        cluster.stop()
        super.tearDown()
    }

    private var cluster: LocalSlurmCluster { Self.cluster }

    override func setUpWithError() throws {
        if let reason = cluster.unavailableReason {
            print("SlurmTests skipped: \(reason)")
            throw XCTSkip(reason)
        }
        _ = try XCTUnwrap(cluster.environment, "the local Slurm cluster did not start:\n\(cluster.startOutput)")
    }

    func testSrunWithPMIxFormsOneWorldAcrossTwoNodes() throws {
        let nodes = try cluster.run("srun", ["--nodes=2", "--ntasks=2", "printenv", "SLURMD_NODENAME"])
        XCTAssertEqual(Set(nodes.standardOutput.split(separator: "\n")), ["n1", "n2"], nodes.standardError)
        let world = try cluster.run("srun", ["--mpi=pmix", "--nodes=2", "--ntasks=2", CommandRunner.executable.path, "info"])
        XCTAssertEqual(world.exitCode, 0, world.standardError)
        XCTAssertTrue(world.standardOutput.contains("ranks:          2"), world.standardOutput)
        XCTAssertTrue(world.standardOutput.contains("rank 0: host"), world.standardOutput)
        XCTAssertTrue(world.standardOutput.contains("rank 1: host"), world.standardOutput)

        // Slurm's default plugin gives the tasks no PMIx: one line says how to launch instead of MPI_Init's abort.
        let plain = try cluster.run("srun", ["--mpi=none", "--nodes=2", "--ntasks=2", CommandRunner.executable.path, "info"])
        XCTAssertNotEqual(plain.exitCode, 0)
        let explanations = plain.standardError.components(separatedBy: "matgan-dist: error: srun started 2 task(s)").count - 1
        XCTAssertEqual(explanations, 1, plain.standardError)
        XCTAssertTrue(plain.standardError.contains("`srun --mpi=pmix`"), plain.standardError)
        XCTAssertFalse(plain.standardError.contains("OMPI was not built"), plain.standardError)
    }

    func testRequestLargerThanTheClusterFailsAtSubmission() throws {
        let queued = try cluster.run("squeue", ["-h"]).standardOutput
        let outcome = try cluster.submit("matgan-mp.sbatch", options: ["--ntasks=64"])
        XCTAssertEqual(outcome.exitCode, 1, outcome.standardOutput + outcome.standardError)
        XCTAssertLessThan(outcome.seconds, 20)
        XCTAssertTrue(outcome.standardError.contains("Slurm cannot run this request"), outcome.standardError)
        XCTAssertEqual(try cluster.run("squeue", ["-h"]).standardOutput, queued, "nothing was submitted")
    }

    /// Job A runs the pipeline without interruption. Job B trains the same steps on A's data, gets
    /// Slurm's warning signal after its first checkpoint (`scancel --signal=TERM` reaches the job
    /// steps as `--signal=TERM@T` does), requeues itself and resumes to the same parameters.
    func testPipelineJobRequeuesAtTheWarningSignalAndResumesToTheUninterruptedResult() throws {
        let budget = ["STEPS": "40", "SAMPLES": "2000"]
        let trainOptions = ["--batch-size", "8", "--log-every", "5", "--checkpoint-every", "5"]
        let jobA = try cluster.submitJob("matgan-mp.sbatch", environment: budget.merging(["RUN": "runs/whole"]) { $1 },
                                         arguments: trainOptions)
        let whole = cluster.workDirectory.appendingPathComponent("runs/whole")
        try cluster.waitFor("job \(jobA) to prepare its data", timeout: 120) {
            FileManager.default.fileExists(atPath: whole.appendingPathComponent("data.h5").path)
        }
        let jobB = try cluster.submitJob(
            "matgan-mp.sbatch", environment: budget.merging(["DATA": whole.appendingPathComponent("data.h5").path]) { $1 },
            arguments: trainOptions)
        // The default run directory is the job's own.
        let interrupted = cluster.workDirectory.appendingPathComponent("runs/matgan-mp-\(jobB)")
        try cluster.waitFor("job \(jobB)'s first checkpoint", timeout: 180) {
            FileManager.default.fileExists(atPath: interrupted.appendingPathComponent("checkpoint.h5").path)
        }
        XCTAssertEqual(try cluster.run("scancel", ["--signal=TERM", jobB]).exitCode, 0)
        try cluster.waitFor("job \(jobB) to requeue itself", timeout: 120) {
            let job = try cluster.job(jobB)
            return job["Restarts"] == "1" && job["JobState"] == "PENDING"
        }
        // Slurm holds a requeued job for two minutes; the test need not wait for that.
        XCTAssertEqual(try cluster.run("scontrol", ["update", "JobId=\(jobB)", "StartTime=now"]).exitCode, 0)
        try cluster.waitForEnd(of: [jobA, jobB], timeout: 360)

        let logA = try cluster.log(of: "matgan-mp", job: jobA)
        XCTAssertEqual(try cluster.job(jobA)["JobState"], "COMPLETED", logA)
        XCTAssertTrue(logA.contains("srun --mpi=pmix"), logA)
        XCTAssertTrue(logA.contains("trained matgan-mp to step 40"), logA)
        for output in ["checkpoint.h5", "metrics.jsonl", "samples.h5", "evaluation/evaluation.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: whole.appendingPathComponent(output).path), "job A left no \(output)")
        }

        let logB = try cluster.log(of: "matgan-mp", job: jobB)
        let stateB = try cluster.job(jobB)
        XCTAssertEqual(stateB["JobState"], "COMPLETED", logB)
        XCTAssertEqual(stateB["Restarts"], "1", logB)
        XCTAssertTrue(logB.contains("received signal 15"), logB)
        XCTAssertTrue(logB.contains("requeueing job \(jobB) (restart 1)"), logB)
        XCTAssertTrue(logB.contains("(restart 1)"), "the log was not appended to across the restart:\n\(logB)")
        XCTAssertTrue(logB.contains("resuming from"), logB)
        XCTAssertEqual(logB.components(separatedBy: "stage generate:").count - 1, 1,
                       "generate ran before train reached its goal:\n\(logB)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: interrupted.appendingPathComponent("evaluation/evaluation.json").path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: interrupted.path).filter { $0.contains(".tmp") }
        XCTAssertEqual(leftovers, [], "temporary files under the run directory")

        try assertSameTraining(whole.appendingPathComponent("checkpoint.h5").path,
                               interrupted.appendingPathComponent("checkpoint.h5").path)
    }

    func testElpasoliteJobCompletes() throws {
        let budget = ["FITS": "1", "STEPS": "20", "DQN_STEPS": "20", "VALID_SAMPLES": "500", "CLASS5_SAMPLES": "2000",
                      "ORACLE_ARGS": "--widths 8 --regularisations 1e-4 --folds 2", "RUN": "runs/elpasolite"]
        let job = try cluster.submitJob("elpasolite.sbatch", environment: budget, options: ["--ntasks=2"])
        try cluster.waitForEnd(of: [job], timeout: 420)
        let log = try cluster.log(of: "elpasolite", job: job)
        XCTAssertEqual(try cluster.job(job)["JobState"], "COMPLETED", log)
        let run = cluster.workDirectory.appendingPathComponent("runs/elpasolite")
        for output in ["oracle.h5", "cvae-class1-fits.csv", "cgan-class1-fits.csv", "dqn-class1-fits.csv", "cvae-class5-metrics.csv",
                       "cgan-class5-metrics.csv"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent(output).path), "no \(output):\n\(log)")
        }
        XCTAssertTrue(log.contains("elpasolite benchmark: done"), log)
    }

    /// Both checkpoints hold the same step, counters, parameters and optimizer moments bit for bit,
    /// and the same batch-norm running statistics up to rounding: every checkpoint averages them
    /// over the ranks, so the extra one at the signal rounds differently (the average commutes
    /// with their moving average, so only rounding can differ).
    private func assertSameTraining(_ expectedPath: String, _ actualPath: String, file: StaticString = #filePath,
                                    line: UInt = #line) throws {
        let expected = try File.open(expectedPath)
        let actual = try File.open(actualPath)
        XCTAssertEqual(try actual.attribute("step").intValue, try expected.attribute("step").intValue, file: file, line: line)
        let counters = try expected.openGroup("counters")
        for name in try counters.attributeNames() {
            XCTAssertEqual(try actual.openGroup("counters").attribute(name).int64Value, try counters.attribute(name).int64Value,
                           "counter \(name)", file: file, line: line)
        }
        var compared = 0
        for group in ["networks", "optimizers"] {
            for member in try expected.openGroup(group).memberNames() {
                for dataset in try expected.openGroup("\(group)/\(member)").memberNames() {
                    let path = "\(group)/\(member)/\(dataset)"
                    let want = try expected.read(path, as: Float.self), got = try actual.read(path, as: Float.self)
                    guard want.count == got.count else {
                        XCTFail("\(path): \(got.count) values, the uninterrupted run has \(want.count)", file: file, line: line)
                        continue
                    }
                    let difference = zip(want, got).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? 0
                    let tolerance: Float = dataset == "state" ? 1e-5 : 0
                    XCTAssertLessThanOrEqual(difference, tolerance, "\(path) differs from the uninterrupted run by up to "
                                             + "\(difference) (relative)", file: file, line: line)
                    compared += 1
                }
            }
        }
        XCTAssertGreaterThanOrEqual(compared, 6, "too few datasets compared", file: file, line: line)
    }
}

/// A local cluster started once for the test class by `scripts/slurm-local.sh`, and the commands
/// the tests run against it.
private final class LocalSlurmCluster: @unchecked Sendable {
    // Unchecked: XCTest runs a class's tests one after another; nothing here is shared across threads.
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("matgan-slurm-\(UUID().uuidString.prefix(8))")
    /// Where jobs are submitted from: outside the checkout, as a user's project directory.
    let workDirectory: URL
    /// Why the cluster cannot start on this machine, or `nil`.
    let unavailableReason: String?
    /// SLURM_CONF and the job defaults, once the cluster is up.
    private(set) var environment: [String: String]?
    private(set) var startOutput = ""
    private let script = TestData.checkout.appendingPathComponent("scripts/slurm-local.sh").path

    init() {
        workDirectory = directory.appendingPathComponent("work")
        let missing = ["munged", "slurmctld", "slurmd", "sbatch", "srun"].filter { program in
            !(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").contains {
                FileManager.default.isExecutableFile(atPath: "\($0)/\(program)")
            }
        }
        if getuid() != 0 {
            unavailableReason = "the local Slurm cluster needs root (slurmd starts jobs as their user)"
        } else if !missing.isEmpty {
            unavailableReason = "\(missing.joined(separator: ", ")) not installed; scripts/setup.sh --slurm installs Slurm and munge"
        } else {
            unavailableReason = nil
            start()
        }
    }

    private func start() {
        do {
            try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
            let outcome = try CommandRunner.runProgram(script, ["start", directory.appendingPathComponent("cluster").path], timeout: 90)
            startOutput = outcome.standardOutput + outcome.standardError
            guard outcome.exitCode == 0 else { return }
            environment = [
                "SLURM_CONF": directory.appendingPathComponent("cluster/slurm.conf").path,
                // The debug binary beside the tests, not a release build the checkout may lack.
                "BIN": CommandRunner.executable.path,
                "OPENBLAS_NUM_THREADS": "1",
            ]
        } catch {
            startOutput = "\(error)"
        }
    }

    func stop() {
        guard unavailableReason == nil else { return }
        _ = try? CommandRunner.runProgram(script, ["stop", directory.appendingPathComponent("cluster").path], timeout: 90)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs a Slurm command (or any program) against the cluster, from the work directory.
    func run(_ program: String, _ arguments: [String], environment extra: [String: String] = [:],
             timeout: Double = 120) throws -> CommandRunner.Outcome {
        try CommandRunner.runProgram(program, arguments, timeout: timeout,
                                     environment: (environment ?? [:]).merging(extra) { $1 },
                                     workingDirectory: workDirectory)
    }

    /// `jobs/submit.sh [options] CHECKOUT/jobs/name [arguments]` from the work directory.
    func submit(_ name: String, options: [String] = [], environment extra: [String: String] = [:],
                arguments: [String] = []) throws -> CommandRunner.Outcome {
        let jobs = TestData.checkout.appendingPathComponent("jobs")
        return try run(jobs.appendingPathComponent("submit.sh").path,
                       ["--nodes=2", "--ntasks=2", "--time=15"] + options + [jobs.appendingPathComponent(name).path] + arguments,
                       environment: extra)
    }

    /// Submits and returns the job id.
    func submitJob(_ name: String, environment extra: [String: String] = [:], options: [String] = [],
                   arguments: [String] = []) throws -> String {
        let outcome = try submit(name, options: options, environment: extra, arguments: arguments)
        guard outcome.exitCode == 0 else {
            throw ClusterError("submitting \(name) failed: \(outcome.standardOutput)\(outcome.standardError)")
        }
        return outcome.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The fields of `scontrol show job ID` (JobState, Restarts, ...).
    func job(_ id: String) throws -> [String: String] {
        let text = try run("scontrol", ["show", "job", "-o", id]).standardOutput
        return text.split(separator: " ").reduce(into: [:]) { fields, word in
            let parts = word.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]).trimmingCharacters(in: .whitespacesAndNewlines) }
        }
    }

    /// The job's log, `slurm-NAME-ID.out` in the work directory.
    func log(of name: String, job id: String) throws -> String {
        try String(contentsOf: workDirectory.appendingPathComponent("slurm-\(name)-\(id).out"), encoding: .utf8)
    }

    func waitFor(_ what: String, timeout: Double, _ condition: () throws -> Bool) throws {
        let start = Date()
        while try !condition() {
            guard Date().timeIntervalSince(start) < timeout else { throw ClusterError("timed out after \(Int(timeout)) s waiting for \(what)") }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    /// Waits until none of `ids` is pending or running.
    func waitForEnd(of ids: [String], timeout: Double) throws {
        try waitFor("jobs \(ids.joined(separator: ", ")) to end", timeout: timeout) {
            try ids.allSatisfy { !["PENDING", "RUNNING", "COMPLETING", "REQUEUED"].contains(try job($0)["JobState"] ?? "") }
        }
    }
}

private struct ClusterError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
