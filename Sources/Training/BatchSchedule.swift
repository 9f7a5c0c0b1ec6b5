import Random

/// Which training rows each rank uses at each step of data-parallel training.
///
/// Every epoch, one permutation of the rows (from the shared seed and the epoch number) is cut
/// into global batches of `globalBatchSize`; rank r takes every `worldSize`-th row of each batch,
/// starting at r. The global batch is the same for any rank count, so a run on 2 ranks with
/// synchronised batch norm follows the same trajectory as one process. The last incomplete
/// batch of an epoch is dropped, as in the reference implementations. A global batch the ranks
/// cannot share evenly is refused, never changed (docs/distributed.md, "Batch size and rank
/// count").
public struct BatchSchedule: Sendable, Equatable {
    public let rowCount: Int
    public let globalBatchSize: Int
    public let rank: Int
    public let worldSize: Int
    public let seed: UInt64

    /// Fails when the global batch cannot be split evenly or is larger than the data.
    public init(rowCount: Int, globalBatchSize: Int, rank: Int, worldSize: Int, seed: UInt64) throws(TrainingError) {
        guard globalBatchSize > 0, globalBatchSize % worldSize == 0 else {
            throw .indivisibleBatch(globalBatchSize: globalBatchSize, worldSize: worldSize)
        }
        guard rowCount >= globalBatchSize else {
            throw .tooFewRows(rowCount: rowCount, globalBatchSize: globalBatchSize)
        }
        self.rowCount = rowCount
        self.globalBatchSize = globalBatchSize
        self.rank = rank
        self.worldSize = worldSize
        self.seed = seed
    }

    /// Rows per rank in every step.
    public var localBatchSize: Int { globalBatchSize / worldSize }

    /// Full global batches per epoch.
    public var stepsPerEpoch: Int { rowCount / globalBatchSize }

    /// This rank's rows for every step of `epoch`, step-major: rows of step s are
    /// `[s * localBatchSize ..< (s + 1) * localBatchSize]`.
    public func localRows(epoch: Int) -> [Int] {
        let order = permutation(count: rowCount, seed: seed, epoch: UInt64(epoch))
        var rows: [Int] = []
        rows.reserveCapacity(stepsPerEpoch * localBatchSize)
        for step in 0..<stepsPerEpoch {
            let start = step * globalBatchSize
            for position in stride(from: start + rank, to: start + globalBatchSize, by: worldSize) {
                rows.append(order[position])
            }
        }
        return rows
    }

    /// The multiples of `worldSize` nearest to `globalBatchSize`: the largest below it (nil when
    /// that would be 0: more ranks than the batch has rows) and the smallest above it.
    public static func nearestSplittableBatches(around globalBatchSize: Int, worldSize: Int) -> (below: Int?, above: Int) {
        let below = globalBatchSize / worldSize * worldSize
        return (below > 0 ? below : nil, below + worldSize)
    }

    /// The rank counts nearest to `worldSize` that split `globalBatchSize` evenly: the largest
    /// below it (at least 1) and the smallest above it (nil when no larger count divides it).
    public static func nearestDividingRankCounts(of globalBatchSize: Int, around worldSize: Int) -> (below: Int, above: Int?) {
        let below = (1 ..< worldSize).last { globalBatchSize % $0 == 0 } ?? 1
        let above = stride(from: worldSize + 1, through: globalBatchSize, by: 1).first { globalBatchSize % $0 == 0 }
        return (below, above)
    }
}
