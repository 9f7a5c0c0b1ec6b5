import Chemistry
import Datasets
import Distributed
import NeuralNet

/// Which formulas MatGAN's autoencoder reproduces exactly: a formula is decodable when its
/// one-hot matrix, encoded and decoded (inference mode), rounds back to itself cell for cell
/// (docs/matgan.md, "Autoencoder"; the paper: 96.31 % of training and 95.50 % of test formulas).
public struct DecodabilityCheck {
    public let encoder: Sequential
    public let decoder: Sequential
    public let world: Communicator
    /// A reconstructed cell is on when it reaches this value (0.5 for probabilities, 0 for a
    /// decoder that ends in logits).
    public let threshold: Float

    public init(encoder: Sequential, decoder: Sequential, world: Communicator, threshold: Float = 0.5) {
        self.encoder = encoder
        self.decoder = decoder
        self.world = world
        self.threshold = threshold
    }

    /// Checks every rank's contiguous slice of `rows` (indices into `data.trainingRows` when
    /// `split` is the training split, else into `data.holdoutRows`). Collective; returns on
    /// rank 0 the number checked and the keys of the formulas that do not come back.
    public func run(data: CompositionTrainingSet, split: UInt8) throws -> (checked: Int, failures: [CompositionKey])? {
        let fileRows = split == PreparedFile.trainSplit ? data.trainingRows : data.holdoutRows
        let slice = world.rank * fileRows.count / world.size ..< (world.rank + 1) * fileRows.count / world.size
        let cells = data.cellCount
        let batchSize = encoder.maxBatch
        let input = FloatBuffer(count: batchSize * cells)
        var failedWords: [UInt64] = []
        let encoding = data.encoding
        for start in stride(from: slice.lowerBound, to: slice.upperBound, by: batchSize) {
            let rows = Array(start ..< min(start + batchSize, slice.upperBound))
            let bytes = try data.readMatrices(rows, split: split)
            for index in bytes.indices { input.pointer[index] = Float(bytes[index]) }
            let code = try encoder.forward(input.pointer, batch: rows.count, mode: .inference)
            let output = try decoder.forward(code, batch: rows.count, mode: .inference)
            for row in 0 ..< rows.count {
                var exact = true
                for cell in 0 ..< cells where (output[row * cells + cell] >= threshold) != (bytes[row * cells + cell] != 0) {
                    exact = false
                    break
                }
                guard !exact else { continue }
                let matrix = UnsafeBufferPointer(start: input.pointer + row * cells, count: cells)
                if let words = encoding.decode(matrix, rule: .threshold(0.5))?.key?.words {
                    failedWords += [words.low, words.high]
                }
            }
        }
        let checked = try world.allreduce(Int64(slice.count), .sum)
        guard let gathered = try world.gatherv(failedWords) else { return nil }
        let failures = stride(from: 0, to: gathered.values.count, by: 2).compactMap {
            CompositionKey(words: (gathered.values[$0], gathered.values[$0 + 1]))
        }
        return (Int(checked), failures)
    }
}
