import Distributed
import NeuralNet

/// The collectives that keep data-parallel replicas identical (docs/distributed.md): one broadcast
/// of every flat buffer at start, one allreduce of a model's flat gradient buffer per update, and
/// batch-norm statistics either per rank or summed over ranks.
public struct DataParallel {
    public let world: Communicator

    public init(world: Communicator) {
        self.world = world
    }

    /// Copies rank 0's parameters and batch-norm state into every rank's `stores`.
    public func broadcastFromRoot(_ stores: [ParameterStore]) throws {
        for store in stores {
            try world.broadcast(store.parameters, root: 0)
            try world.broadcast(store.buffers, root: 0)
        }
    }

    /// Copies rank 0's optimizer state (moments and step count) into every rank's `optimizers`.
    public func broadcastFromRoot(_ optimizers: [any Optimizer]) throws {
        for optimizer in optimizers {
            optimizer.stepCount = Int(try world.broadcast(Int64(optimizer.stepCount), root: 0))
            for buffer in optimizer.stateBuffers { try world.broadcast(buffer.values, root: 0) }
        }
    }

    /// Averages the running batch-norm statistics of `stores` over the ranks, so every replica
    /// generates alike (called before each checkpoint).
    public func averageBatchNormState(_ stores: [ParameterStore]) throws {
        guard world.size > 1 else { return }
        for store in stores where store.stateCount > 0 {
            try world.allreduce(store.buffers, .mean)
        }
    }

    /// Throws unless every rank holds bit-identical parameters and batch-norm state in
    /// `networks` (compared through a hash of their bytes), naming the first network that differs.
    public func verifyReplicasAgree(_ networks: [(name: String, store: ParameterStore)], step: Int) throws {
        guard world.size > 1 else { return }
        for (name, store) in networks {
            var digest = [Self.fingerprint(store.parameters), Self.fingerprint(store.buffers)]
            var lowest = digest
            try world.allreduce(&digest, .max)
            try world.allreduce(&lowest, .min)
            guard digest == lowest else {
                throw TrainingError(kind: .replicasDiffer, message: "replicas of network '\(name)' differ at step \(step): "
                                        + "the ranks no longer hold identical \(digest[0] == lowest[0] ? "batch-norm state" : "parameters")")
            }
        }
    }

    /// FNV-1a over the bytes of `values`.
    static func fingerprint(_ values: UnsafeMutableBufferPointer<Float>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in UnsafeRawBufferPointer(values) {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
