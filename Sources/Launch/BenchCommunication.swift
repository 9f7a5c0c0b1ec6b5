import Distributed
import Foundation
import MatGAN
import NeuralNet
import Training

/// The communication cost of data-parallel training: one gradient allreduce (mean, as
/// `MPIReducer` does it once per update) against its size. Run under `mpirun -np R`; on one rank
/// there is nothing to reduce and the times are those of an empty call.
enum CommunicationBenchmarks {
    static let cases = [
        BenchmarkCase(name: "allreduce") { seconds in
            let world = try Communicator.world
            let critic = MatGANNetworks.critic(.icsd, maxBatch: 1).store.parameterCount
            let generator = MatGANNetworks.generator(.icsd, maxBatch: 1).store.parameterCount
            let sizes = [(1 << 10, "1K"), (1 << 14, "16K"), (1 << 18, "256K"), (critic, "MatGAN-MP critic gradient"),
                         (generator, "MatGAN-MP generator gradient"), (1 << 22, "4M")]
            return try sizes.map { count, name in try allreduce(count: count, name: name, world: world, seconds: seconds) }
        },
    ]

    /// One `mean` allreduce of `count` Floats over `world`, timed as the slowest rank saw it; the
    /// row's batch and samples are Floats.
    static func allreduce(count: Int, name: String, world: Communicator, seconds: Double) throws -> BenchmarkResult {
        let reducer = MPIReducer(world: world)
        let gradients = FloatBuffer(count: count)
        try reducer.mean(gradients.storage)
        // Every rank must make the same number of calls: rank 0 times one and decides for all.
        try world.barrier()
        var start = DispatchTime.now().uptimeNanoseconds
        try reducer.mean(gradients.storage)
        let once = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let calls = try world.broadcast(Int64(min(max(seconds / max(once, 1e-9), 3), 1e6)), root: 0)
        try world.barrier()
        start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = ProcessMemory.cpuSeconds
        for _ in 0 ..< calls { try reducer.mean(gradients.storage) }
        let elapsed = try world.allreduce(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, .max)
        let cpu = ProcessMemory.cpuSeconds - cpuStart
        let rates = Rates(steps: Int(calls), perSecond: Double(calls) / elapsed, perCPUSecond: Double(calls) / cpu, gemmOperationsPerCall: 0)
        return BenchmarkResult(workload: "allreduce mean, \(world.size) rank(s), \(name) Floats",
                               batch: count, rates: rates, samplesPerCall: count, reference: nil)
    }
}
