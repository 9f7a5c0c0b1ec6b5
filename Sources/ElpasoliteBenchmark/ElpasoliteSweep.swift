import Chemistry
import Distributed
import Foundation
import NeuralNet

/// Conditional generation over the ranks until a budget of valid samples (Türk et al.'s
/// sweeps), counting distinct tuples in one bitmap per rank.
///
/// The global sample indices 0, 1, 2, ... are generated in rounds of whole blocks of
/// ``blockSize``; the blocks of a round are split over the ranks in rank order, and each rank
/// decodes its samples into a buffer of one round's share, never more. One allgather of the
/// ranks' valid counts per round places every valid sample in the global order, so the run
/// accepts exactly the first `budget` valid samples of the index sequence: the same samples,
/// bitmap and counts on any rank count. Invalid samples (not a real element, or a repeated
/// element) before the last accepted one are counted separately. At each discovery-curve point
/// the ranks merge a copy of their bitmaps with one bitwise-or allreduce.
public struct ElpasoliteSweep {
    /// Samples per block: generation calls and rank shares are aligned to it, so every sample
    /// goes through the same GEMM blocking on any rank count.
    public static let blockSize = 4096
    /// The most blocks in one round (4 Mi samples) unless there are more ranks, which bounds
    /// memory per rank.
    public static let maximumRoundBlocks = 1024

    public let source: ElpasoliteSampleSource
    /// The requested class number 1...10.
    public let requestedClass: Int
    /// Valid samples to draw over all ranks.
    public let budget: Int
    /// The seed of the generation noise.
    public let seed: UInt64
    /// Points of the discovery curve (evenly spaced in valid samples; the last is the budget).
    public let curvePoints: Int
    public let world: Communicator
    /// The class (1...10) of every tuple index, to count the accepted samples per class,
    /// repeats included.
    public let tupleClasses: [UInt8]

    public init(source: ElpasoliteSampleSource, requestedClass: Int, budget: Int, seed: UInt64, curvePoints: Int,
                world: Communicator, tupleClasses: [UInt8]) {
        precondition((1...ElpasoliteNetworks.classCount).contains(requestedClass), "requested class \(requestedClass) outside 1...10")
        precondition(budget >= 1 && curvePoints >= 1, "need a positive budget and at least one curve point")
        self.source = source
        self.requestedClass = requestedClass
        self.budget = budget
        self.seed = seed
        self.curvePoints = curvePoints
        self.world = world
        self.tupleClasses = tupleClasses
    }

    /// What a sweep found, identical on every rank.
    public struct Result: Sendable {
        /// The distinct valid tuples.
        public let unique: TupleBitmap
        /// Valid samples accepted (the budget).
        public let validSamples: Int
        /// Invalid samples drawn before the last accepted valid one.
        public let invalidSamples: Int
        /// Accepted samples per class 1...10 (index 0 = class 1), repeats included.
        public let samplesPerClass: [Int]
        /// Seconds this rank spent generating and decoding; merging and waiting.
        public let generationSeconds: Double
        public let mergeSeconds: Double
    }

    /// Runs the sweep; `record` is called on every rank at each curve point with the valid
    /// samples so far and their distinct tuples. Throws ``ElpasoliteError`` when the model
    /// produces almost no valid tuples (under one in 10,000 after 16 Mi samples). Collective.
    public func run(record: (_ samples: Int, _ unique: TupleBitmap) -> Void) throws -> Result {
        let block = Self.blockSize
        let checkpoints = Array(Set((1...curvePoints).map { budget * $0 / curvePoints }).filter { $0 > 0 }).sorted()
        let rankShareBlocks = max(1, (Self.maximumRoundBlocks + world.size - 1) / world.size)
        var tuples = [Int32](repeating: -1, count: rankShareBlocks * block)
        let samples = FloatBuffer(count: block * ElpasoliteNetworks.featureCount)
        var local = TupleBitmap()
        var merged = TupleBitmap()
        var nextCheckpoint = 0
        var validSoFar = 0, drawnSoFar = 0, invalid = 0
        var generationSeconds = 0.0, mergeSeconds = 0.0
        var perClass = [Int64](repeating: 0, count: ElpasoliteNetworks.classCount)

        while validSoFar < budget {
            // Size the round from the validity seen so far, at least one block per rank. Round
            // sizes change only how much is generated past the budget, never which samples count.
            let fraction = drawnSoFar == 0 ? 1 : max(Double(validSoFar) / Double(drawnSoFar), 1e-3)
            let wanted = (Double(budget - validSoFar) * 1.02 / fraction / Double(block)).rounded(.up)
            let blocks = max(world.size, Int(min(Double(Self.maximumRoundBlocks), wanted)))
            let myBlocks = (blocks * world.rank / world.size) ..< (blocks * (world.rank + 1) / world.size)
            let count = myBlocks.count * block
            let first = drawnSoFar + myBlocks.lowerBound * block

            let generationStart = Date()
            var localValid = 0
            try tuples.withUnsafeMutableBufferPointer { tuples in
                for offset in stride(from: 0, to: count, by: block) {
                    try source.generate(requestedClass: requestedClass - 1, count: block, firstSampleIndex: first + offset,
                                    seed: seed, into: samples.pointer)
                    localValid += ElpasoliteVectorDecoder.tupleIndices(samples.pointer, count: block,
                                                                       into: tuples.baseAddress! + offset)
                }
            }
            generationSeconds += Date().timeIntervalSince(generationStart)

            let mergeStart = Date()
            let counts = try world.allgather(Int64(localValid)).map { Int($0) }
            let validBefore = validSoFar + counts[..<world.rank].reduce(0, +)
            let roundValid = counts.reduce(0, +)
            let roundEnd = min(budget, validSoFar + roundValid)

            // Insert this rank's valid samples with global valid position below `limit`.
            var cursor = 0, position = validBefore
            func insert(below limit: Int) {
                while cursor < count, position < limit {
                    let index = Int(tuples[cursor])
                    if index >= 0 {
                        local.insert(index)
                        perClass[Int(tupleClasses[index]) - 1] += 1
                        position += 1
                    }
                    cursor += 1
                }
            }
            while nextCheckpoint < checkpoints.count, checkpoints[nextCheckpoint] <= roundEnd {
                insert(below: checkpoints[nextCheckpoint])
                merged = local
                try merged.formUnion(over: world)
                record(checkpoints[nextCheckpoint], merged)
                nextCheckpoint += 1
            }
            insert(below: roundEnd)

            if validSoFar + roundValid >= budget {
                // The last round: count samples up to the budget-th valid one. This rank's
                // cursor stopped just past its last accepted sample (or at 0 / the end).
                let drawnHere = validBefore >= budget ? 0 : (validBefore + localValid >= budget ? cursor : count)
                let drawnInRound = try world.allreduce(Int64(drawnHere), .sum)
                invalid += Int(drawnInRound) - (budget - validSoFar)
            } else {
                invalid += blocks * block - roundValid
                drawnSoFar += blocks * block
                if drawnSoFar >= 1 << 24, validSoFar + roundValid < drawnSoFar / 10_000 {
                    throw ElpasoliteError("only \(validSoFar + roundValid) valid samples among the first \(drawnSoFar) "
                                          + "generated for class \(requestedClass); the model does not produce valid tuples")
                }
            }
            validSoFar = roundEnd
            mergeSeconds += Date().timeIntervalSince(mergeStart)
        }
        try world.allreduce(&perClass, .sum)
        return Result(unique: merged, validSamples: budget, invalidSamples: invalid, samplesPerClass: perClass.map { Int($0) },
                      generationSeconds: generationSeconds, mergeSeconds: mergeSeconds)
    }
}
