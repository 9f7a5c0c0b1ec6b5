import Foundation

/// Runs the built `matgan-dist` executable, alone or under `mpirun`, for end-to-end tests.
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

    /// The `matgan-dist` binary built beside the test bundle.
    public static var executable: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("matgan-dist")
    }

    /// Runs `matgan-dist arguments...`; with `ranks` set, under `mpirun -np ranks`
    /// (oversubscribing the cores when needed and one BLAS thread per rank).
    public static func run(
        _ arguments: [String],
        ranks: Int? = nil,
        timeout: Double = 120,
        environment: [String: String] = [:],
        workingDirectory: URL? = nil
    ) throws -> Outcome {
        let process = Process()
        var launchArguments = arguments
        var processEnvironment = ProcessInfo.processInfo.environment
        processEnvironment["OPENBLAS_NUM_THREADS"] = "1"
        if let ranks {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/mpirun")
            launchArguments = ["-np", String(ranks), "--oversubscribe", executable.path] + arguments
            processEnvironment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
            processEnvironment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
            processEnvironment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
        } else {
            process.executableURL = executable
        }
        processEnvironment.merge(environment) { $1 }
        process.arguments = launchArguments
        process.environment = processEnvironment
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }

        let outputDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("matgan-dist-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outputDirectory) }
        let outputURL = outputDirectory.appendingPathComponent("stdout")
        let errorURL = outputDirectory.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        let error = try FileHandle(forWritingTo: errorURL)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = error

        let start = Date()
        try process.run()
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
            standardOutput: try String(contentsOf: outputURL, encoding: .utf8),
            standardError: try String(contentsOf: errorURL, encoding: .utf8),
            timedOut: timedOut,
            seconds: Date().timeIntervalSince(start))
    }
}
