import BayesianOptimization
import Chemistry
import Distributed
import MatGAN
import NeuralNet
import Training

/// The ranks of an MPI job as a ``WorkerGroup`` of the Bayesian optimiser.
public struct RankWorkers: WorkerGroup {
    public let world: Communicator

    public init(world: Communicator) {
        self.world = world
    }

    public var rank: Int { world.rank }
    public var size: Int { world.size }
    public func sum(_ values: inout [Double]) throws {
        guard world.size > 1 else { return }
        try world.allreduce(&values, .sum)
    }
}

/// A trained `active-ae` autoencoder (docs/active-design.md, "Autoencoder") as the map between
/// compositions and the 128-dimensional latent space: encoding through the encoder, decoding
/// through the decoder's logits with active design's rule (a cell is on at probability >= 0.5, i.e.
/// logit >= 0; an element row with more than one cell on, or fewer than 2 or more than 8 elements,
/// makes the point undecodable).
///
/// Rows are pushed through the networks in blocks of ``blockSize`` with fixed boundaries, so a
/// composition's code does not depend on how many ranks share the work.
public final class ActiveAutoencoder {
    public let encoder: Sequential
    public let decoder: Sequential
    public let world: Communicator
    /// Rows per forward pass.
    public let blockSize: Int
    /// The 87-row matrix layout.
    public let encoding = MatrixEncoding.activeDesign
    /// Latent dimension.
    public var dimension: Int { encoder.outputCount }

    /// Loads the `active-ae` checkpoint at `path` (rank 0 reads, then broadcasts). Collective.
    public init(checkpoint path: String, world: Communicator, blockSize: Int = 256) throws {
        self.world = world
        self.blockSize = blockSize
        let model = MatGANModel.activeAE
        (encoder, decoder) = MatGANNetworks.autoencoder(model.variant, rows: model.encoding.rowCount, logits: true, maxBatch: blockSize)
        var failure: Error?
        if world.isRoot {
            do {
                let header = try Checkpoint.readHeader(path)
                guard header.model == model.rawValue else {
                    throw TrainingError.checkpoint(path, "holds model \(header.model), not the active-design autoencoder "
                                          + "(train --model active-ae)")
                }
                _ = try Checkpoint.restore(from: path, networks: [("autoencoder", encoder.store)], optimizers: [])
            } catch {
                failure = error
            }
        }
        // Every rank learns whether rank 0 could load the file before waiting for its weights.
        let status = try world.broadcast(Int32(failure == nil ? 0 : 1))
        if let failure { throw failure }
        guard status == 0 else { throw TrainingError.checkpoint(path, "could not be loaded on rank 0") }
        try DataParallel(world: world).broadcastFromRoot([encoder.store])
    }

    /// Latent codes of `compositions`, row-major `[count, dimension]`, on every rank. Blocks are
    /// dealt over the ranks. Collective.
    public func encode(_ compositions: [Composition]) throws -> [Double] {
        let d = dimension, cells = encoding.cellCount
        var codes = [Double](repeating: 0, count: compositions.count * d)
        let input = FloatBuffer(count: blockSize * cells)
        for (block, start) in stride(from: 0, to: compositions.count, by: blockSize).enumerated() where block % world.size == world.rank {
            let rows = start ..< min(start + blockSize, compositions.count)
            for (slot, row) in rows.enumerated() {
                try encoding.encode(compositions[row], into: UnsafeMutableBufferPointer(start: input.pointer + slot * cells, count: cells))
            }
            let output = try encoder.forward(input.pointer, batch: rows.count, mode: .inference)
            for index in 0 ..< rows.count * d { codes[start * d + index] = Double(output[index]) }
        }
        try RankWorkers(world: world).sum(&codes)
        return codes
    }

    /// The compositions at latent `points` (row-major `[count, dimension]`), `nil` where
    /// undecodable. Every rank computes the same (the batches are small).
    public func decode(_ points: [Double]) throws -> [Composition?] {
        let d = dimension, cells = encoding.cellCount, count = points.count / d
        let input = FloatBuffer(count: blockSize * d)
        var compositions: [Composition?] = []
        for start in stride(from: 0, to: count, by: blockSize) {
            let rows = min(blockSize, count - start)
            for index in 0 ..< rows * d { input.pointer[index] = Float(points[start * d + index]) }
            let logits = try decoder.forward(input.pointer, batch: rows, mode: .inference)
            for row in 0..<rows {
                // Probability >= 0.5 is logit >= 0: decode the sign, no sigmoid needed.
                let matrix = (0..<cells).map { logits[row * cells + $0] >= 0 ? Float(1) : 0 }
                compositions.append(encoding.decode(matrix, rule: .activeDesign))
            }
        }
        return compositions
    }
}
