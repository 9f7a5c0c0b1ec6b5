import ArgumentParser
import Distributed
import Foundation

/// `matgan-dist selftest`: checks that MPI collectives give the right answers on every rank
/// and that a failing rank brings the whole job down, so a cluster's MPI set-up can be
/// trusted before a long run.
struct SelfTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Check MPI collectives on every rank of this job (run it under mpirun or srun).",
        discussion: """
            Every rank computes the expected result of each collective on its own and compares. \
            Rank 0 prints one line per rank and check, then a summary; the exit status is \
            non-zero if any check failed on any rank. --fail-rank R makes rank R fail after the \
            checks, to confirm that the launcher tears the job down instead of hanging.
            """)

    enum FailureKind: String, ExpressibleByArgument, CaseIterable {
        /// The rank throws an error, which aborts the job with a message.
        case error
        /// The rank dies from SIGKILL, as on a node failure or an out-of-memory kill.
        case signal
    }

    @Option(help: "After the checks, make this rank fail while the others wait in a collective.")
    var failRank: Int?

    @Option(help: "How the failing rank fails: \(FailureKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var failHow: FailureKind = .error

    func run() throws {
        let world = try Communicator.world
        if let failRank, !(0..<world.size).contains(failRank) {
            throw ValidationError("--fail-rank \(failRank): the job has ranks 0..<\(world.size)")
        }
        try world.abortingOnError {
            let results = try CollectiveChecks(world: world).run()
            let failures = try world.allreduce(Int64(results.filter { !$0.passed }.count), .sum)
            let report = results.map { "rank \(world.rank): \($0.name): \($0.passed ? "ok" : "FAILED: \($0.detail)")" }
                .joined(separator: "\n") + "\n"
            if let gathered = try world.gatherv(Array(report.utf8)) {
                print(String(decoding: gathered.values, as: UTF8.self), terminator: "")
                print("selftest: \(results.count * world.size - Int(failures)) passed, \(failures) failed "
                      + "on \(world.size) rank(s)")
            }
            if let failRank {
                if world.rank == failRank {
                    if failHow == .signal { kill(getpid(), SIGKILL) }
                    throw ValidationError("rank \(failRank) failed on purpose (--fail-rank)")
                }
                // The other ranks block here until the launcher ends the job.
                try world.barrier()
                throw ValidationError("the job survived the failure of rank \(failRank)")
            }
            if failures > 0 { throw ExitCode.failure }
        }
    }
}

/// The checks, each computing its expected answer locally from the rank and size.
private struct CollectiveChecks {
    struct Result {
        let name: String
        let passed: Bool
        let detail: String
    }

    let world: Communicator
    private var rank: Int { world.rank }
    private var size: Int { world.size }

    func run() throws -> [Result] {
        var results: [Result] = []
        func expect<T: Equatable>(_ name: String, _ actual: T, _ expected: T) {
            results.append(Result(name: name, passed: actual == expected, detail: "got \(actual), expected \(expected)"))
        }

        // rank + i on every rank: sum = size*i + size(size-1)/2.
        var floats = (0..<1000).map { Float(rank + $0) }
        try world.allreduce(&floats, .sum)
        expect("allreduce sum Float[1000]", floats, (0..<1000).map { Float(size * $0 + size * (size - 1) / 2) })

        var doubles = (0..<17).map { Double(rank) + Double($0) * 0.5 }
        try world.allreduce(&doubles, .mean)
        expect("allreduce mean Double[17]", doubles, (0..<17).map { Double(size - 1) / 2 + Double($0) * 0.5 })

        expect("allreduce max Int32", try world.allreduce(Int32(rank * 3 - 7), .max), Int32((size - 1) * 3 - 7))
        expect("allreduce min Int64", try world.allreduce(Int64(-rank) << 40, .min), Int64(-(size - 1)) << 40)
        expect("allreduce sum Int64", try world.allreduce(Int64(rank + 1), .sum), Int64(size * (size + 1) / 2))

        var bits = [UInt64](repeating: 0, count: 3)
        bits[rank % 3] = 1 << UInt64(rank % 64)
        try world.allreduce(&bits, .bitwiseOr)
        var expectedBits = [UInt64](repeating: 0, count: 3)
        for other in 0..<size { expectedBits[other % 3] |= 1 << UInt64(other % 64) }
        expect("allreduce bitwise-or UInt64[3]", bits, expectedBits)

        expect("allgather Int64", try world.allgather(Int64(rank * 10)), (0..<size).map { Int64($0 * 10) })

        // Rank r sends r+1 copies of r: the unequal counts are the point.
        let gathered = try world.gatherv([Int32](repeating: Int32(rank), count: rank + 1), root: 0)
        if let gathered {
            expect("gatherv Int32 unequal counts", gathered.values,
                   (0..<size).flatMap { [Int32](repeating: Int32($0), count: $0 + 1) })
            expect("gatherv counts", gathered.counts, (0..<size).map { $0 + 1 })
        } else {
            expect("gatherv non-root gets nil", rank == 0, false)
        }

        // Rank r sends rank s (s+1) copies of 100r+s.
        let exchanged = try world.alltoallv((0..<size).map { [Int64](repeating: Int64(100 * rank + $0), count: $0 + 1) })
        expect("alltoallv Int64 unequal counts", exchanged,
               (0..<size).flatMap { [Int64](repeating: Int64(100 * $0 + rank), count: rank + 1) })

        let root = size - 1
        var broadcastArray = rank == root ? [Double](repeating: 2.5, count: 5) : []
        try world.broadcast(&broadcastArray, root: root)
        expect("broadcast Double[5] from rank \(root)", broadcastArray, [Double](repeating: 2.5, count: 5))
        expect("broadcast String from rank \(root)",
               try world.broadcast(rank == root ? "från rank \(root)" : "", root: root), "från rank \(root)")

        var integers: [Int32] = [1, 2]
        expect("allreduce mean of Int32 is refused", (try? world.allreduce(&integers, .mean)) == nil, true)
        expect("broadcast from rank \(size) is refused", (try? world.broadcast(Int64(1), root: size)) == nil, true)

        try world.barrier()
        return results
    }
}
