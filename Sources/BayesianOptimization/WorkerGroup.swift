/// The processes that share the optimiser's work (MPI ranks, or one process).
///
/// Work is cut into pieces whose boundaries do not depend on the group size; each piece is
/// computed by one member, which writes its results into a zero-filled array of the full
/// length, and ``sum(_:)`` adds the arrays of all members. Every value then comes from exactly
/// one member and is exact, so results do not depend on the number of processes.
public protocol WorkerGroup {
    /// This member's index, `0 ..< size`.
    var rank: Int { get }
    var size: Int { get }
    /// Replaces `values` with their element-wise sum over all members (all pass the same count).
    func sum(_ values: inout [Double]) throws
}

/// A group of one: the calling process does everything.
public struct SingleProcess: WorkerGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func sum(_ values: inout [Double]) throws {}
}

extension WorkerGroup {
    /// Whether this member computes piece `index` (pieces are dealt round robin).
    func owns(_ index: Int) -> Bool { index % size == rank }
}
