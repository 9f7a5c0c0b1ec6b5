import Chemistry
import Foundation
import NeuralNet
import Random

/// Offline transitions of the elpasolite DQN agent built from the training set (docs/elpasolite.md,
/// "DQN").
///
/// Global sample `g` of update `u` is one transition of an episode that spells a training row
/// decision by decision: the row comes from the class-balanced draw of (u, g), and a requested
/// class (uniform over the 10) and a decision step (uniform over the 8) from a stream of their
/// own, so the transitions do not depend on the rank count. The action is the row's value at
/// that step; the reward is 0 until the last decision, then +1 when the row is in the requested
/// class and −1 otherwise.
public struct ElpasoliteEpisodes {
    public let batches: ClassBalancedBatches
    private let seed: UInt64

    public init(batches: ClassBalancedBatches, seed: UInt64) {
        self.batches = batches
        self.seed = derivedSeed(seed, for: .elpasoliteEpisodes)
    }

    /// This rank's transitions of update `update`: `[localBatch, 16]` states and next states,
    /// requested classes, actions, rewards and terminal flags.
    public func fill(update: Int, states: UnsafeMutablePointer<Float>, classes: UnsafeMutablePointer<Int>,
                     actions: UnsafeMutablePointer<Int>, rewards: UnsafeMutablePointer<Float>,
                     nextStates: UnsafeMutablePointer<Float>, terminal: UnsafeMutablePointer<Bool>) {
        let data = batches.data, width = ElpasoliteDecisions.stateCount, last = ElpasoliteDecisions.decisionCount - 1
        data.vectors.withUnsafeBufferPointer { vectors in
            for local in 0 ..< batches.localBatch {
                let sample = batches.rank + local * batches.worldSize
                let row = batches.row(step: update, sample: sample)
                var stream = RandomStream(seed: seed, stream: UInt64(update), position: UInt64(sample) << 8)
                let requested = stream.uniformInt(below: ElpasoliteNetworks.classCount)
                let step = stream.uniformInt(below: ElpasoliteDecisions.decisionCount)
                let values = vectors.baseAddress! + row * ElpasoliteNetworks.featureCount
                ElpasoliteDecisions.encodeState(values: values, step: step, into: states + local * width)
                ElpasoliteDecisions.encodeState(values: values, step: step + 1, into: nextStates + local * width)
                let levels = step % 2 == 0 ? Elpasolite.periodCount : Elpasolite.mainGroupCount
                actions[local] = Elpasolite.unscale(values[step], levels: levels)! - 1
                classes[local] = requested
                terminal[local] = step == last
                rewards[local] = step < last ? 0 : (data.classes[row] == requested ? 1 : -1)
            }
        }
    }
}

/// Generation with a trained elpasolite Q network: each of the 8 decisions draws its value from
/// softmax(β · Q) over the legal values, with the uniform of sample `i`, decision `t` taken from
/// block `8i + t` of the seed's stream, so any split of the samples draws the same tuples.
public final class ElpasoliteDQNSampler {
    /// Samples per network pass.
    public static let passRows = 512
    public let network: ElpasoliteQNetwork
    /// The inverse temperature of the softmax.
    public let beta: Float
    private let states: FloatBuffer
    private let classes: [Int]

    /// A sampler over `network` (built with a `maxBatch` of at least ``passRows``).
    public init(network: ElpasoliteQNetwork, beta: Float) {
        precondition(network.network.maxBatch >= Self.passRows, "ElpasoliteDQNSampler: the network's maxBatch is below \(Self.passRows)")
        self.network = network
        self.beta = beta
        states = FloatBuffer(count: Self.passRows * ElpasoliteDecisions.stateCount)
        classes = [Int](repeating: 0, count: Self.passRows)
    }

    /// Writes `count` samples `[count, 8]` of the 0-based class `requestedClass`, global sample
    /// indices `firstSampleIndex ..< firstSampleIndex + count`, into `samples`.
    public func generate(requestedClass: Int, count: Int, firstSampleIndex: Int, seed: UInt64,
                         into samples: UnsafeMutablePointer<Float>) throws {
        let features = ElpasoliteNetworks.featureCount, actionCount = ElpasoliteDecisions.actionCount
        let condition = [Int](repeating: requestedClass, count: Self.passRows)
        var done = 0
        while done < count {
            let rows = min(Self.passRows, count - done)
            let values = samples + done * features
            condition.withUnsafeBufferPointer { network.condition.setOneHot(classes: $0.baseAddress!, batch: rows) }
            for step in 0 ..< ElpasoliteDecisions.decisionCount {
                for row in 0 ..< rows {
                    ElpasoliteDecisions.encodeState(values: values + row * features, step: step,
                                                    into: states.pointer + row * ElpasoliteDecisions.stateCount)
                }
                let q = try network.network.forward(states.pointer, batch: rows, mode: .inference)
                let legal = ElpasoliteDecisions.legalActionCount(step: step)
                let levels = step % 2 == 0 ? Elpasolite.periodCount : Elpasolite.mainGroupCount
                for row in 0 ..< rows {
                    var stream = RandomStream(seed: seed, position: UInt64(firstSampleIndex + done + row) << 3 | UInt64(step))
                    let action = Self.softmaxDraw(q + row * actionCount, count: legal, beta: beta, uniform: stream.uniformDouble())
                    values[row * features + step] = Elpasolite.scale(action + 1, levels: levels)
                }
            }
            done += rows
        }
    }

    /// The index drawn from softmax(β · q[0..<count]) (count ≤ 8) by inverting its cumulative
    /// distribution at `uniform` in [0, 1).
    public static func softmaxDraw(_ q: UnsafePointer<Float>, count: Int, beta: Float, uniform: Double) -> Int {
        var largest = -Double.infinity
        for a in 0 ..< count { largest = max(largest, Double(beta * q[a])) }
        var weights = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        var total = 0.0
        withUnsafeMutableBytes(of: &weights) { raw in
            let w = raw.bindMemory(to: Double.self)
            for a in 0 ..< count {
                w[a] = Foundation.exp(Double(beta * q[a]) - largest)
                total += w[a]
            }
        }
        var remaining = uniform * total
        return withUnsafeBytes(of: weights) { raw in
            let w = raw.bindMemory(to: Double.self)
            for a in 0 ..< count - 1 {
                remaining -= w[a]
                if remaining < 0 { return a }
            }
            return count - 1
        }
    }
}
