import Distributed

/// Counts distinct samples over ranks that each hold a contiguous block of one ordered stream
/// of valid samples (rank 0 the first block, rank 1 the next, ...).
///
/// Each rank sets the bits of its own samples; at every checkpoint `n` each rank contributes
/// its samples with global position `< n` and one bitwise-or allreduce merges the bitmaps, so
/// every rank sees the distinct tuples among the first `n` samples of the whole stream — the
/// points of a ``DiscoveryCurve``. The last checkpoint is the whole stream.
public enum DistributedDiscovery {
    /// Merges every rank's `localSamples` (tuple indices, in stream order). Collective.
    ///
    /// - Parameters:
    ///   - checkpoints: how many evenly spaced curve points to take (at least 1); each costs
    ///     one allreduce of 241 KiB.
    ///   - record: called on every rank at each checkpoint with the number of samples so far
    ///     and their distinct tuples.
    /// - Returns: the distinct tuples of the whole stream, on every rank.
    public static func merge(localSamples: [Int], checkpoints: Int, communicator: Communicator,
                             record: (_ samples: Int, _ unique: TupleBitmap) -> Void) throws -> TupleBitmap {
        precondition(checkpoints >= 1, "at least one checkpoint")
        let counts = try communicator.allgather(Int64(localSamples.count)).map { Int($0) }
        let first = counts[..<communicator.rank].reduce(0, +)
        let total = counts.reduce(0, +)
        var local = TupleBitmap()
        var merged = TupleBitmap()
        var cursor = 0
        var previous = -1
        for point in 1...checkpoints {
            let samples = total * point / checkpoints
            if samples == previous { continue }
            previous = samples
            while cursor < localSamples.count, first + cursor < samples {
                local.insert(localSamples[cursor])
                cursor += 1
            }
            merged = local
            try merged.formUnion(over: communicator)
            record(samples, merged)
        }
        return merged
    }
}
