import Distributed
import NeuralNet

/// The engine's ``Reducer`` over an MPI communicator: one allreduce per call, none on one rank.
public struct MPIReducer: Reducer {
    public let world: Communicator

    public init(world: Communicator) {
        self.world = world
    }

    public var replicaCount: Int { world.size }

    public func sum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        if world.size > 1 { try world.allreduce(values, .sum) }
    }

    public func sum(_ values: UnsafeMutableBufferPointer<Double>) throws {
        if world.size > 1 { try world.allreduce(values, .sum) }
    }

    public func mean(_ values: UnsafeMutableBufferPointer<Float>) throws {
        if world.size > 1 { try world.allreduce(values, .mean) }
    }

    public func mean(_ values: UnsafeMutableBufferPointer<Double>) throws {
        if world.size > 1 { try world.allreduce(values, .mean) }
    }
}
