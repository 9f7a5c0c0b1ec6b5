import Foundation

/// Runs the built `matgan-dist` executable (alone or under `mpirun`) or any other program for
/// end-to-end tests, with closed standard input and a time limit.
public enum CommandRunner {
    /// What a finished command left behind.
    public struct Outcome: Sendable {
        /// The exit status, or 128 + signal number when the process was killed.
        public let exitCode: Int32
        public let standardOutput: String
        public let standardError: String
        /// Whether the command was killed because it ran past its time limit.
        public let timedOut: Bool
        public let seconds: Double
    }

    /// A command started in the background.
    public final class Running {
        public let process: Process
        let outputDirectory: URL
        let output: FileHandle
        let error: FileHandle
        let start = Date()
        let timeout: Double

        init(process: Process, outputDirectory: URL, output: FileHandle, error: FileHandle, timeout: Double) {
            self.process = process
            self.outputDirectory = outputDirectory
            self.output = output
            self.error = error
            self.timeout = timeout
        }

        /// Process ids of the launched process's children (the ranks, under mpirun).
        public var childProcessIdentifiers: [Int32] {
            let children = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/task/\(process.processIdentifier)/children",
                                        encoding: .utf8)) ?? ""
            return children.split(separator: " ").compactMap { Int32($0) }
        }

        /// Waits for the command (killing it past its time limit) and collects its output.
        public func wait() throws -> Outcome {
            defer { try? FileManager.default.removeItem(at: outputDirectory) }
            var timedOut = false
            while process.isRunning {
                if Date().timeIntervalSince(start) > timeout {
                    timedOut = true
                    process.terminate()
                    Thread.sleep(forTimeInterval: 2)
                    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                    break
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
            process.waitUntilExit()
            try output.close()
            try error.close()
            let exitCode = process.terminationReason == .uncaughtSignal
                ? 128 + process.terminationStatus : process.terminationStatus
            return Outcome(
                exitCode: exitCode,
                standardOutput: try String(contentsOf: outputDirectory.appendingPathComponent("stdout"), encoding: .utf8),
                standardError: try String(contentsOf: outputDirectory.appendingPathComponent("stderr"), encoding: .utf8),
                timedOut: timedOut,
                seconds: Date().timeIntervalSince(start))
        }
    }

    /// The `matgan-dist` binary built beside the test bundle.
    public static var executable: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("matgan-dist")
    }

    /// Runs `matgan-dist arguments...`; with `ranks` set, under `mpirun -np ranks`
    /// (oversubscribing the cores when needed, one BLAS thread per rank). `environment` is added
    /// to the test's own; the variables in `unsetting` are removed from it.
    public static func run(
        _ arguments: [String], ranks: Int? = nil, timeout: Double = 120,
        environment: [String: String] = [:], unsetting: [String] = [], workingDirectory: URL? = nil
    ) throws -> Outcome {
        try start(arguments, ranks: ranks, timeout: timeout, environment: environment, unsetting: unsetting,
                  workingDirectory: workingDirectory).wait()
    }

    /// Starts `matgan-dist arguments...` (under `mpirun` when `ranks` is set) in the background.
    public static func start(
        _ arguments: [String], ranks: Int? = nil, timeout: Double = 120,
        environment: [String: String] = [:], unsetting: [String] = [], workingDirectory: URL? = nil
    ) throws -> Running {
        var processEnvironment = ["OPENBLAS_NUM_THREADS": "1"]
        if let ranks {
            processEnvironment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
            processEnvironment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
            processEnvironment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
            // More ranks than cores: waiting ranks yield instead of spinning (docs/platform.md).
            if ranks > ProcessInfo.processInfo.activeProcessorCount { processEnvironment["OMPI_MCA_mpi_yield_when_idle"] = "1" }
            processEnvironment.merge(environment) { $1 }
            return try startProgram("/usr/bin/mpirun", ["-np", String(ranks), "--oversubscribe", executable.path] + arguments,
                                    timeout: timeout, environment: processEnvironment, unsetting: unsetting,
                                    workingDirectory: workingDirectory)
        }
        processEnvironment.merge(environment) { $1 }
        return try startProgram(executable.path, arguments, timeout: timeout, environment: processEnvironment,
                                unsetting: unsetting, workingDirectory: workingDirectory)
    }

    /// Runs `program` (a path, or a name looked up on PATH) with `arguments`.
    public static func runProgram(
        _ program: String, _ arguments: [String], timeout: Double = 120, environment: [String: String] = [:],
        workingDirectory: URL? = nil
    ) throws -> Outcome {
        let path = program.contains("/") ? program : "/usr/bin/env"
        return try startProgram(path, program.contains("/") ? arguments : [program] + arguments,
                                timeout: timeout, environment: environment, unsetting: [], workingDirectory: workingDirectory).wait()
    }

    private static func startProgram(
        _ path: String, _ arguments: [String], timeout: Double, environment: [String: String], unsetting: [String],
        workingDirectory: URL?
    ) throws -> Running {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        // A test process that called MPI itself (a one-rank singleton) carries Open MPI's job
        // variables; a child mpirun inheriting them would think it runs inside that job.
        let inherited = ProcessInfo.processInfo.environment.filter { key, _ in
            !["OMPI_", "PMIX_", "OPAL_", "ORTE_"].contains { key.hasPrefix($0) } && !unsetting.contains(key)
        }
        process.environment = inherited.merging(environment) { $1 }
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }

        let outputDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("matgan-dist-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        let outputURL = outputDirectory.appendingPathComponent("stdout")
        let errorURL = outputDirectory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        let error = try FileHandle(forWritingTo: errorURL)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = error
        try process.run()
        return Running(process: process, outputDirectory: outputDirectory, output: output, error: error, timeout: timeout)
    }
}
