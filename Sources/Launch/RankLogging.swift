import BLAS
import Foundation
import Logging

/// Log lines on standard error, stamped with time and rank. Rank 0 logs at `.info`; the
/// other ranks only report warnings and errors, so a 64-rank job prints one progress stream.
struct RankLogHandler: LogHandler {
    let rank: Int
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let time = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false))
        let level = event.level >= .warning ? " \(event.level.rawValue.uppercased()):" : ""
        FileHandle.standardError.write(Data("[\(time) rank \(rank)]\(level) \(event.message)\n".utf8))
    }

    /// Installs the handler for this process; call once, after MPI told us the rank.
    static func bootstrap(rank: Int, verbose: Bool) {
        let level: Logger.Level = verbose ? .debug : (rank == 0 ? .info : .warning)
        LoggingSystem.bootstrap { _ in RankLogHandler(rank: rank, logLevel: level) }
    }
}

extension Logger {
    /// On rank 0: which BLAS kernels run, why and how fast, and a warning when the CPU allows faster ones.
    func logBLASKernels(isRoot: Bool) {
        guard isRoot else { return }
        info("BLAS: \(KernelChoice.summary)")
        if let warning = KernelChoice.warning { self.warning("\(warning)") }
    }
}
