import Distributed
import TestSupport
import XCTest

/// A task that `srun` starts without PMIx cannot form an MPI world with Debian's Open MPI:
/// matgan-dist must say so before `MPI_Init` aborts it with a message that does not.
final class SrunLaunchTests: XCTestCase {
    /// What a task of `srun -n 2 --mpi=pmi2` sees (no PMIx server, no mpirun).
    private let pmi2Task = ["SLURM_JOB_ID": "41", "SLURM_STEP_ID": "0", "SLURM_PROCID": "0", "SLURM_NTASKS": "2",
                            "SLURM_STEP_NUM_TASKS": "2", "SLURM_MPI_TYPE": "pmi2", "PMI_FD": "11", "PMI_SIZE": "2"]

    func testLaunchProblemIsFoundOnlyInStepsWithoutPMIxOrMpirun() {
        XCTAssertNil(MPIRuntime.launchProblem(environment: [:]), "a plain process is a one-rank job")
        let problem = MPIRuntime.launchProblem(environment: pmi2Task)
        XCTAssertEqual(problem?.contains("srun started 2 task(s) with --mpi=pmi2"), true, problem ?? "no problem found")
        XCTAssertEqual(problem?.contains("srun --mpi=pmix"), true)
        XCTAssertEqual(problem?.contains("mpirun inside the allocation"), true)
        var lone = pmi2Task
        lone["SLURM_STEP_NUM_TASKS"] = "1"
        lone["SLURM_MPI_TYPE"] = nil
        XCTAssertNotNil(MPIRuntime.launchProblem(environment: lone), "Open MPI aborts a lone srun task without PMIx too")
        var pmix = pmi2Task
        pmix["PMIX_SERVER_URI4"] = "pmix-server.5083;tcp4://127.0.0.1:54663"
        XCTAssertNil(MPIRuntime.launchProblem(environment: pmix))
        pmix = pmi2Task
        pmix["PMIX_NAMESPACE"] = "slurm.pmix.41.0"
        XCTAssertNil(MPIRuntime.launchProblem(environment: pmix))
        var mpirun = pmi2Task
        mpirun["OMPI_COMM_WORLD_SIZE"] = "2"
        XCTAssertNil(MPIRuntime.launchProblem(environment: mpirun), "mpirun inside an srun step brings its own PMIx")
        var batchScript = pmi2Task
        batchScript["SLURM_STEP_ID"] = nil
        XCTAssertNil(MPIRuntime.launchProblem(environment: batchScript), "the batch script is no step")
    }

    func testSrunTaskWithoutPMIxExitsWithOneLineBeforeMPIInit() throws {
        let first = try CommandRunner.run(["info"], timeout: 30, environment: pmi2Task)
        XCTAssertEqual(first.exitCode, MPIRuntime.launchErrorExitCode, first.standardError)
        XCTAssertEqual(first.standardOutput, "")
        let lines = first.standardError.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, first.standardError)
        XCTAssertTrue(first.standardError.hasPrefix("matgan-dist: error: srun started 2 task(s) with --mpi=pmi2"),
                      first.standardError)
        XCTAssertTrue(first.standardError.contains("`srun --mpi=pmix`"), first.standardError)
        XCTAssertFalse(first.standardError.contains("OMPI"), "MPI_Init ran: \(first.standardError)")

        var second = pmi2Task
        second["SLURM_PROCID"] = "1"
        let other = try CommandRunner.run(["info"], timeout: 30, environment: second)
        XCTAssertEqual(other.exitCode, MPIRuntime.launchErrorExitCode, other.standardError)
        XCTAssertEqual(other.standardError, "", "only task 0 explains, so the job prints the line once")
    }

    func testCommandRunDirectlyByTheBatchScriptIsOneRankJob() throws {
        var batchScript = pmi2Task
        for name in ["SLURM_STEP_ID", "SLURM_STEP_NUM_TASKS", "SLURM_MPI_TYPE", "PMI_FD", "PMI_SIZE"] { batchScript[name] = nil }
        let outcome = try CommandRunner.run(["info"], timeout: 30, environment: batchScript)
        XCTAssertEqual(outcome.exitCode, 0, outcome.standardError)
        XCTAssertTrue(outcome.standardOutput.contains("ranks:          1"), outcome.standardOutput)
    }
}
