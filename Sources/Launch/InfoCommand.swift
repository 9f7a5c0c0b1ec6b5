import ArgumentParser
import BLAS
import Distributed
import Foundation
import HDF5

/// `matgan-dist info`: what this job runs on, as seen from every rank.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print the job's ranks, MPI, HDF5 and BLAS versions and the data directory found.")

    @OptionGroup var data: DataOptions

    func run() throws {
        let world = try Communicator.world
        try world.abortingOnError {
            let rankLine = "rank \(world.rank): host \(MPIRuntime.processorName), pid \(getpid()), "
                + "BLAS core \(BLASRuntime.coreName), \(BLASRuntime.threadCount) BLAS thread(s), "
                + "sgemm \(String(format: "%.0f", BLASRuntime.sgemmGFLOPS)) GFLOP/s, restarts \(KernelChoice.restarts)"
            let gathered = try world.gatherv(Array(rankLine.utf8))
            guard let gathered else { return }
            var offset = 0
            var rankLines: [String] = []
            for count in gathered.counts {
                rankLines.append(String(decoding: gathered.values[offset..<offset + count], as: UTF8.self))
                offset += count
            }
            let dataLine: String
            do {
                let directory = try data.resolve()
                let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?
                    .filter { $0.hasSuffix(".csv") || $0.hasSuffix(".csv.gz") }.count ?? 0
                dataLine = "\(directory.path) (\(files) CSV files)"
            } catch {
                dataLine = "not found: \(error)"
            }
            print("""
                matgan-dist
                ranks:          \(world.size)
                MPI:            \(MPIRuntime.libraryVersion) (MPI \(MPIRuntime.standardVersion))
                HDF5:           \(HDF5Library.version)
                BLAS:           \(BLASRuntime.configuration)
                BLAS kernels:   \(KernelChoice.summary)
                data directory: \(dataLine)
                """)
            if let warning = KernelChoice.warning { print("warning: \(warning)") }
            rankLines.forEach { print($0) }
        }
    }
}
