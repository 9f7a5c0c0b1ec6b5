import CMPI
import Foundation

/// MPI's process-wide lifecycle: initialised once on first use, finalised at exit.
///
/// Under `mpirun` or `srun --mpi=pmix` the process joins the job; a plain process becomes a
/// one-rank job (MPI singleton initialisation), so every command also runs without a launcher.
/// A task that `srun` started without PMIx exits before `MPI_Init` with one line that says how
/// to launch it (``launchProblem(environment:)``).
public final class MPIRuntime: @unchecked Sendable {
    // The lock guards `worldCommunicator`; MPI itself is only called from the main thread.
    private let lock = NSLock()
    private var worldCommunicator: Communicator?

    /// The process's runtime.
    public static let shared = MPIRuntime()

    private init() {}

    /// Whether MPI is initialised and not yet finalised.
    public static var isActive: Bool {
        var initialized: Int32 = 0
        var finalized: Int32 = 0
        MPI_Initialized(&initialized)
        MPI_Finalized(&finalized)
        return initialized != 0 && finalized == 0
    }

    /// The library's version banner, e.g. "Open MPI v4.1.4, package: Debian OpenMPI, ...".
    /// Callable before initialisation.
    public static var libraryVersion: String {
        var buffer = [CChar](repeating: 0, count: Int(cmpi_max_library_version_string()) + 1)
        var length: Int32 = 0
        guard MPI_Get_library_version(&buffer, &length) == cmpi_success() else { return "unknown" }
        return text(buffer, length: length)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The MPI standard version the library implements, e.g. "3.1".
    public static var standardVersion: String {
        var major: Int32 = 0
        var minor: Int32 = 0
        MPI_Get_version(&major, &minor)
        return "\(major).\(minor)"
    }

    /// The name MPI gives this process's node (usually the host name).
    public static var processorName: String {
        var buffer = [CChar](repeating: 0, count: Int(cmpi_max_processor_name()) + 1)
        var length: Int32 = 0
        guard MPI_Get_processor_name(&buffer, &length) == cmpi_success() else {
            return ProcessInfo.processInfo.hostName
        }
        return text(buffer, length: length)
    }

    func world() throws -> Communicator {
        lock.lock()
        defer { lock.unlock() }
        if let worldCommunicator { return worldCommunicator }
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            Self.exitIfLaunchCannotFormWorld()
            var provided: Int32 = 0
            try Communicator.check(
                MPI_Init_thread(nil, nil, cmpi_thread_funneled(), &provided), "MPI_Init_thread", rank: -1)
            atexit { MPIRuntime.finalize() }
        }
        // Return codes instead of MPI's default of aborting inside the library, so every
        // failure surfaces as an MPIError that names the operation and the rank.
        try Communicator.check(
            MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return()), "MPI_Comm_set_errhandler", rank: -1)
        let communicator = try Communicator(handle: cmpi_comm_world())
        worldCommunicator = communicator
        return communicator
    }

    /// The exit status of a process whose launch cannot form an MPI world: a usage error, as
    /// ArgumentParser's `ValidationError` (sysexits' `EX_USAGE`).
    public static let launchErrorExitCode: Int32 = 64

    /// Why this process cannot join an MPI world, judged from `environment` before `MPI_Init`, or
    /// `nil` when it can.
    ///
    /// A task that `srun` started (it has `SLURM_STEP_ID`) finds its peers only through the PMI
    /// the step offers, and Debian's Open MPI speaks PMIx alone: under Slurm's default
    /// (`MpiDefault=none`) or `--mpi=pmi2` every task, even a lone one, aborts inside `MPI_Init`
    /// with "OMPI was not built with SLURM's PMI support". A PMIx server (`PMIX_NAMESPACE`,
    /// `PMIX_SERVER_URI*`: `srun --mpi=pmix`) or mpirun (`OMPI_COMM_WORLD_SIZE`) makes the launch
    /// work. The batch script itself is no step, so a command it runs directly stays a one-rank job.
    public static func launchProblem(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard environment["SLURM_JOB_ID"] != nil, environment["SLURM_STEP_ID"] ?? environment["SLURM_STEPID"] != nil else {
            return nil
        }
        let hasPMIx = environment["PMIX_NAMESPACE"] != nil || environment.keys.contains { $0.hasPrefix("PMIX_SERVER_URI") }
        guard !hasPMIx, environment["OMPI_COMM_WORLD_SIZE"] == nil else { return nil }
        let tasks = environment["SLURM_STEP_NUM_TASKS"] ?? environment["SLURM_NTASKS"] ?? "?"
        let plugin = environment["SLURM_MPI_TYPE"].map { "--mpi=\($0)" } ?? "the cluster's default MPI plugin"
        return "srun started \(tasks) task(s) with \(plugin), which gives them no PMIx server, and this Open MPI "
            + "reaches Slurm only through PMIx: launch with `srun --mpi=pmix` (or export SLURM_MPI_TYPE=pmix), "
            + "or with mpirun inside the allocation"
    }

    /// Ends the process before `MPI_Init` when ``launchProblem(environment:)`` finds one: MPI
    /// would abort every task with a message that does not say what to change. Task 0 prints the
    /// problem as one line; the others exit silently, so a job prints it once.
    private static func exitIfLaunchCannotFormWorld() {
        let environment = ProcessInfo.processInfo.environment
        guard let problem = launchProblem(environment: environment) else { return }
        if environment["SLURM_PROCID"] ?? "0" == "0" {
            FileHandle.standardError.write(Data("matgan-dist: error: \(problem)\n".utf8))
        }
        exit(launchErrorExitCode)
    }

    /// Finalises MPI if it is active. Called automatically at exit; calling it earlier ends
    /// all communication for this process.
    public static func finalize() {
        if isActive { MPI_Finalize() }
    }

    static func errorString(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        guard MPI_Error_string(code, &buffer, &length) == cmpi_success() else { return "unknown MPI error" }
        return text(buffer, length: length)
    }

    /// The first `length` characters MPI wrote into `buffer`, up to a NUL (some implementations
    /// count the terminator in `length`).
    private static func text(_ buffer: [CChar], length: Int32) -> String {
        String(decoding: buffer.prefix(Int(length)).prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
