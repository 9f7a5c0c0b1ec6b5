/// Combines values across the data-parallel replicas of one model (docs/distributed.md).
///
/// The engine knows no MPI. Everything that needs the global batch goes through this protocol:
/// trainers average gradients with ``mean(_:)-(UnsafeMutableBufferPointer<Float>)`` before each
/// optimizer step, synchronised batch norm sums its per-channel statistics, the Dice loss sums its
/// two totals. `Training` implements it over an MPI communicator; ``SingleReplica`` is the
/// identity of a single process. A failed reduction throws, and the step that asked for it throws.
public protocol Reducer {
    /// Replicas taking part; 1 means there is nothing to combine.
    var replicaCount: Int { get }
    /// Replaces every element by its sum over the replicas.
    func sum(_ values: UnsafeMutableBufferPointer<Float>) throws
    /// Replaces every element by its sum over the replicas.
    func sum(_ values: UnsafeMutableBufferPointer<Double>) throws
    /// Replaces every element by its mean over the replicas.
    func mean(_ values: UnsafeMutableBufferPointer<Float>) throws
    /// Replaces every element by its mean over the replicas.
    func mean(_ values: UnsafeMutableBufferPointer<Double>) throws
}

/// The reducer of a model trained by one process: every reduction leaves the values as they are.
public struct SingleReplica: Reducer {
    public init() {}
    public var replicaCount: Int { 1 }
    public func sum(_ values: UnsafeMutableBufferPointer<Float>) {}
    public func sum(_ values: UnsafeMutableBufferPointer<Double>) {}
    public func mean(_ values: UnsafeMutableBufferPointer<Float>) {}
    public func mean(_ values: UnsafeMutableBufferPointer<Double>) {}
}

extension Reducer {
    /// The mean of `value` over the replicas.
    public func mean(_ value: Double) throws -> Double {
        var value = value
        try withUnsafeMutablePointer(to: &value) { try mean(UnsafeMutableBufferPointer(start: $0, count: 1)) }
        return value
    }
}
