import CMPI
import Foundation

/// A failed MPI call, turned into a Swift error with the operation and the rank that saw it.
public struct MPIError: Error, CustomStringConvertible, Sendable {
    /// The MPI function or collective that failed, e.g. `MPI_Allreduce`.
    public let operation: String
    /// MPI's error code, or `nil` for a usage error caught before calling MPI.
    public let code: Int32?
    /// The rank in `MPI_COMM_WORLD` that observed the failure (`-1` before initialisation).
    public let rank: Int
    /// MPI's error string, or a description of the usage error.
    public let message: String

    public var description: String {
        let codeText = code.map { " (MPI error \($0))" } ?? ""
        return "rank \(rank): \(operation) failed\(codeText): \(message)"
    }
}

/// How `allreduce` combines the ranks' values element by element.
public enum Reduction: String, Sendable, CaseIterable {
    /// Sum over ranks.
    case sum
    /// Sum over ranks divided by the rank count; floating-point element types only.
    case mean
    /// Largest value over ranks.
    case max
    /// Smallest value over ranks.
    case min
    /// Bitwise or over ranks; integer element types only.
    case bitwiseOr
}

/// An element type that MPI can send and reduce.
public protocol MPIScalar: Sendable {
    /// The matching predefined MPI datatype.
    static var mpiDatatype: MPI_Datatype { get }
    /// Integers reduce with `bitwiseOr`; floating-point values with `mean`.
    static var isInteger: Bool { get }
    /// Divides every element by `count`; called for floating-point types only.
    static func divide(_ buffer: UnsafeMutableBufferPointer<Self>, by count: Int)
}

extension MPIScalar where Self: BinaryFloatingPoint {
    public static var isInteger: Bool { false }
    public static func divide(_ buffer: UnsafeMutableBufferPointer<Self>, by count: Int) {
        let scale = 1 / Self(count)
        for index in buffer.indices { buffer[index] *= scale }
    }
}

extension MPIScalar where Self: FixedWidthInteger {
    public static var isInteger: Bool { true }
    public static func divide(_ buffer: UnsafeMutableBufferPointer<Self>, by count: Int) {
        preconditionFailure("integer buffers have no mean")
    }
}

extension Float: MPIScalar { public static var mpiDatatype: MPI_Datatype { cmpi_float() } }
extension Double: MPIScalar { public static var mpiDatatype: MPI_Datatype { cmpi_double() } }
extension Int32: MPIScalar { public static var mpiDatatype: MPI_Datatype { cmpi_int32() } }
extension Int64: MPIScalar { public static var mpiDatatype: MPI_Datatype { cmpi_int64() } }
extension UInt64: MPIScalar { public static var mpiDatatype: MPI_Datatype { cmpi_uint64() } }
extension UInt8: MPIScalar { public static var mpiDatatype: MPI_Datatype { cmpi_uint8() } }

/// A handle on an MPI communicator: the ranks of one job and the collectives between them.
///
/// `Communicator.world` initialises MPI on first use (a plain process without `mpirun`
/// becomes a one-rank job) and finalises it at exit. Every collective checks MPI's return
/// code and throws ``MPIError``; every rank must call the collectives in the same order.
public struct Communicator: @unchecked Sendable {
    // MPI_Comm is an opaque pointer; handles are immutable once created, hence unchecked Sendable.
    private let handle: MPI_Comm
    /// This process's rank, `0..<size`.
    public let rank: Int
    /// The number of ranks.
    public let size: Int

    /// Whether this rank is rank 0, the one that logs and writes shared files.
    public var isRoot: Bool { rank == 0 }

    /// The communicator of all ranks of the job, initialising MPI if needed.
    public static var world: Communicator {
        get throws { try MPIRuntime.shared.world() }
    }

    init(handle: MPI_Comm) throws {
        self.handle = handle
        var rank: Int32 = 0
        var size: Int32 = 0
        try Communicator.check(MPI_Comm_rank(handle, &rank), "MPI_Comm_rank", rank: -1)
        try Communicator.check(MPI_Comm_size(handle, &size), "MPI_Comm_size", rank: Int(rank))
        self.rank = Int(rank)
        self.size = Int(size)
    }

    /// The ranks that pass the same `color`, as a communicator of their own ordered by `key`
    /// (ties by rank here). Collective over this communicator; lives until the job ends.
    public func split(color: Int, key: Int) throws -> Communicator {
        var subgroup: MPI_Comm? = cmpi_comm_null()
        try check(MPI_Comm_split(handle, Int32(color), Int32(key), &subgroup), "MPI_Comm_split")
        guard let subgroup else { throw MPIError(operation: "MPI_Comm_split", code: nil, rank: rank, message: "no communicator returned") }
        return try Communicator(handle: subgroup)
    }

    // MARK: - Synchronisation

    /// Blocks until every rank has called `barrier`.
    public func barrier() throws {
        try check(MPI_Barrier(handle), "MPI_Barrier")
    }

    /// Prints `message` to standard error prefixed with this rank and terminates every rank of
    /// the job with `code`. Without MPI (or after finalisation) it exits this process.
    public func abort(code: Int32 = 1, message: String) -> Never {
        FileHandle.standardError.write(Data("matgan-dist: rank \(rank) of \(size): \(message)\n".utf8))
        if MPIRuntime.isActive {
            MPI_Abort(handle, code)
        }
        exit(code)
    }

    // MARK: - Broadcast

    /// Replaces `buffer` on every rank with `root`'s contents. All ranks pass the same count.
    public func broadcast<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int = 0) throws {
        try validateRoot(root, "MPI_Bcast")
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        try check(MPI_Bcast(base, try mpiCount(buffer.count), T.mpiDatatype, Int32(root), handle), "MPI_Bcast")
    }

    /// Replaces `array` on every rank with `root`'s array; the other ranks need not know its length.
    public func broadcast<T: MPIScalar>(_ array: inout [T], root: Int = 0) throws {
        var count = [Int64(array.count)]
        try count.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
        if rank != root { array = [T](unsafeUninitializedCapacity: Int(count[0])) { _, n in n = Int(count[0]) } }
        try array.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
    }

    /// Returns `root`'s value on every rank.
    public func broadcast<T: MPIScalar>(_ value: T, root: Int = 0) throws -> T {
        var copy = value
        try withUnsafeMutablePointer(to: &copy) {
            try broadcast(UnsafeMutableBufferPointer(start: $0, count: 1), root: root)
        }
        return copy
    }

    /// Returns `root`'s string on every rank (for configurations and file names).
    public func broadcast(_ string: String, root: Int = 0) throws -> String {
        var bytes = Array(string.utf8)
        try broadcast(&bytes, root: root)
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Reductions

    /// Combines `buffer` element-wise over all ranks, in place; every rank gets the result.
    public func allreduce<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, _ reduction: Reduction) throws {
        let op: MPI_Op
        switch reduction {
        case .sum: op = cmpi_op_sum()
        case .max: op = cmpi_op_max()
        case .min: op = cmpi_op_min()
        case .mean:
            guard !T.isInteger else {
                throw usageError("MPI_Allreduce", "mean needs a floating-point type, not \(T.self)")
            }
            op = cmpi_op_sum()
        case .bitwiseOr:
            guard T.isInteger else {
                throw usageError("MPI_Allreduce", "bitwise-or needs an integer type, not \(T.self)")
            }
            op = cmpi_op_bor()
        }
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        try check(
            MPI_Allreduce(cmpi_in_place(), base, try mpiCount(buffer.count), T.mpiDatatype, op, handle),
            "MPI_Allreduce")
        if reduction == .mean { T.divide(buffer, by: size) }
    }

    /// Combines `array` element-wise over all ranks, in place.
    public func allreduce<T: MPIScalar>(_ array: inout [T], _ reduction: Reduction) throws {
        try array.withUnsafeMutableBufferPointer { try allreduce($0, reduction) }
    }

    /// Returns `value` combined over all ranks.
    public func allreduce<T: MPIScalar>(_ value: T, _ reduction: Reduction) throws -> T {
        var array = [value]
        try allreduce(&array, reduction)
        return array[0]
    }

    // MARK: - Gathers

    /// Returns every rank's `buffer` concatenated in rank order, on every rank. All ranks pass
    /// the same count.
    public func allgather<T: MPIScalar>(_ buffer: UnsafeBufferPointer<T>) throws -> [T] {
        let count = try mpiCount(buffer.count)
        return try [T](unsafeUninitializedCapacity: buffer.count * size) { result, initialized in
            if buffer.count > 0 {
                try check(MPI_Allgather(buffer.baseAddress, count, T.mpiDatatype,
                                        result.baseAddress, count, T.mpiDatatype, handle), "MPI_Allgather")
            }
            initialized = buffer.count * size
        }
    }

    /// Returns every rank's `value` in rank order, on every rank.
    public func allgather<T: MPIScalar>(_ value: T) throws -> [T] {
        try withUnsafePointer(to: value) { try allgather(UnsafeBufferPointer(start: $0, count: 1)) }
    }

    /// Gathers buffers of different lengths to `root`, concatenated in rank order.
    ///
    /// - Returns: on `root`, the concatenation and each rank's count; `nil` on other ranks.
    public func gatherv<T: MPIScalar>(
        _ buffer: UnsafeBufferPointer<T>, root: Int = 0
    ) throws -> (values: [T], counts: [Int])? {
        try validateRoot(root, "MPI_Gatherv")
        let localCount = try mpiCount(buffer.count)
        var counts = [Int32](repeating: 0, count: rank == root ? size : 0)
        try withUnsafePointer(to: localCount) { local in
            try counts.withUnsafeMutableBufferPointer { counts in
                try check(MPI_Gather(local, 1, cmpi_int32(), counts.baseAddress, 1, cmpi_int32(),
                                     Int32(root), handle), "MPI_Gather")
            }
        }
        guard rank == root else {
            try check(MPI_Gatherv(buffer.baseAddress, localCount, T.mpiDatatype, nil, nil, nil,
                                  T.mpiDatatype, Int32(root), handle), "MPI_Gatherv")
            return nil
        }
        let displacements = try offsets(of: counts)
        let total = counts.reduce(0) { $0 + Int($1) }
        _ = try mpiCount(total)
        let values = try [T](unsafeUninitializedCapacity: total) { result, initialized in
            try check(MPI_Gatherv(buffer.baseAddress, localCount, T.mpiDatatype, result.baseAddress,
                                  counts, displacements, T.mpiDatatype, Int32(root), handle), "MPI_Gatherv")
            initialized = total
        }
        return (values, counts.map(Int.init))
    }

    /// Gathers arrays of different lengths to `root`; `nil` on other ranks.
    public func gatherv<T: MPIScalar>(_ array: [T], root: Int = 0) throws -> (values: [T], counts: [Int])? {
        try array.withUnsafeBufferPointer { try gatherv($0, root: root) }
    }

    /// Sends `outgoing[r]` to rank r and returns what every rank sent to this one, concatenated
    /// in rank order (a personalised all-to-all with different lengths, for hash-partitioned
    /// merges).
    public func alltoallv<T: MPIScalar>(_ outgoing: [[T]]) throws -> [T] {
        guard outgoing.count == size else {
            throw usageError("MPI_Alltoallv", "needs one buffer per rank (\(size)), got \(outgoing.count)")
        }
        var sendCounts = try outgoing.map { try mpiCount($0.count) }
        var receiveCounts = [Int32](repeating: 0, count: size)
        try check(MPI_Alltoall(&sendCounts, 1, cmpi_int32(), &receiveCounts, 1, cmpi_int32(), handle), "MPI_Alltoall")
        let sendDisplacements = try offsets(of: sendCounts)
        let receiveDisplacements = try offsets(of: receiveCounts)
        let sendBuffer = outgoing.flatMap { $0 }
        let total = receiveCounts.reduce(0) { $0 + Int($1) }
        return try [T](unsafeUninitializedCapacity: total) { result, initialized in
            try sendBuffer.withUnsafeBufferPointer { send in
                try check(MPI_Alltoallv(send.baseAddress, sendCounts, sendDisplacements, T.mpiDatatype,
                                        result.baseAddress, receiveCounts, receiveDisplacements, T.mpiDatatype,
                                        handle), "MPI_Alltoallv")
            }
            initialized = total
        }
    }

    // MARK: - Checks

    /// Exclusive prefix sums of `counts`, checked against MPI's 32-bit displacements.
    private func offsets(of counts: [Int32]) throws -> [Int32] {
        var result = [Int32](repeating: 0, count: counts.count)
        var total = 0
        for index in counts.indices {
            result[index] = try mpiCount(total)
            total += Int(counts[index])
        }
        return result
    }


    private func validateRoot(_ root: Int, _ operation: String) throws {
        guard (0..<size).contains(root) else {
            throw usageError(operation, "root \(root) is not a rank of this \(size)-rank communicator")
        }
    }

    private func mpiCount(_ count: Int) throws -> Int32 {
        guard let value = Int32(exactly: count) else {
            throw usageError("MPI count", "\(count) elements exceed MPI's 32-bit count; split the buffer")
        }
        return value
    }

    private func usageError(_ operation: String, _ message: String) -> MPIError {
        MPIError(operation: operation, code: nil, rank: rank, message: message)
    }

    private func check(_ code: Int32, _ operation: String) throws {
        try Communicator.check(code, operation, rank: rank)
    }

    static func check(_ code: Int32, _ operation: String, rank: Int) throws {
        guard code != cmpi_success() else { return }
        throw MPIError(operation: operation, code: code, rank: rank, message: MPIRuntime.errorString(code))
    }
}

extension Communicator {
    /// Runs `body`, turning a thrown error into a job-wide abort when there are several ranks.
    ///
    /// With one rank the error is rethrown (the command line prints it and exits non-zero);
    /// with several, one rank's failure would leave the others blocked in a collective, so the
    /// rank prints the error with its rank number and aborts the whole job instead.
    public func abortingOnError<Result>(_ body: () throws -> Result) rethrows -> Result {
        do {
            return try body()
        } catch {
            if size == 1 { throw error }
            abort(code: 1, message: "error: \(error)")
        }
    }

    /// Fails with `error`, which every rank found alike (a setting that does not fit the job),
    /// so that it is reported once: rank 0 throws it, and inside ``abortingOnError(_:)`` ends the
    /// job with its message; the other ranks wait in a barrier rank 0 never enters until that
    /// abort ends them. Collective.
    public func failFromRoot(_ error: any Error) throws -> Never {
        if !isRoot { try barrier() }
        throw error
    }
}
