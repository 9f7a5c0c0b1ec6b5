import Chemistry
import Distributed

/// The distinct compositions of a sample set spread over the ranks, each held by exactly one
/// owner rank (chosen by the key's stable hash) with the index of its first occurrence.
///
/// No rank ever holds the whole sample set: every rank first reduces its own samples to a local
/// unique set, then one all-to-all sends each key to its owner, which keeps the smallest index.
public struct DistributedUniqueSet {
    /// The keys this rank owns, with the global index of each key's first occurrence.
    public private(set) var firstOccurrence: [CompositionKey: Int]
    /// The communicator the set is spread over.
    public let world: Communicator

    /// Merges every rank's `keys` (sample `firstIndex + i` decoded to `keys[i]`, `nil` when it
    /// decoded to nothing) into a set spread over the owners. Collective.
    public init(keys: [CompositionKey?], firstIndex: Int, world: Communicator) throws {
        var local: [CompositionKey: Int] = [:]
        for (offset, key) in keys.enumerated() {
            guard let key else { continue }
            if local[key] == nil { local[key] = firstIndex + offset }
        }
        self.world = world
        if world.size == 1 {
            firstOccurrence = local
            return
        }
        // Triplets (low word, high word, first index) bound for each owner.
        var outgoing = [[UInt64]](repeating: [], count: world.size)
        for (key, index) in local {
            let owner = Self.owner(of: key, worldSize: world.size)
            let words = key.words
            outgoing[owner].append(contentsOf: [words.low, words.high, UInt64(index)])
        }
        let incoming = try world.alltoallv(outgoing)
        var merged: [CompositionKey: Int] = [:]
        merged.reserveCapacity(incoming.count / 3)
        for start in stride(from: 0, to: incoming.count, by: 3) {
            guard let key = CompositionKey(words: (incoming[start], incoming[start + 1])) else { continue }
            let index = Int(incoming[start + 2])
            if let existing = merged[key], existing <= index { continue }
            merged[key] = index
        }
        firstOccurrence = merged
    }

    /// The rank that owns `key` among `worldSize` ranks.
    public static func owner(of key: CompositionKey, worldSize: Int) -> Int {
        Int(key.stableHash % UInt64(worldSize))
    }

    /// Whether this rank owns `key`.
    public func owns(_ key: CompositionKey) -> Bool {
        Self.owner(of: key, worldSize: world.size) == world.rank
    }

    /// The number of distinct keys over all ranks. Collective.
    public func totalCount() throws -> Int {
        Int(try world.allreduce(Int64(firstOccurrence.count), .sum))
    }

    /// For each sample count n in `sampleCounts`, the number of distinct keys among the first n
    /// samples, over all ranks (the uniqueness curve). Collective.
    public func uniqueCounts(atSampleCounts sampleCounts: [Int]) throws -> [Int] {
        let sorted = firstOccurrence.values.sorted()
        var counts = sampleCounts.map { n -> Int64 in
            // Keys first seen at an index below n.
            var low = 0
            var high = sorted.count
            while low < high {
                let middle = (low + high) / 2
                if sorted[middle] < n { low = middle + 1 } else { high = middle }
            }
            return Int64(low)
        }
        try world.allreduce(&counts, .sum)
        return counts.map(Int.init)
    }
}
