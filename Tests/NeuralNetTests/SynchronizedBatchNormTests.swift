import Foundation
import NeuralNet
import TestSupport
import XCTest

/// Synchronised batch norm: two "ranks" (threads) each normalise half of a batch, with a
/// statistics hook that sums their per-channel buffers; forward outputs, input gradients, double
/// backward outputs and the summed parameter gradients must equal one layer on the whole batch.
final class SynchronizedBatchNormTests: XCTestCase {
    /// An in-process two-party allreduce-sum: both callers block until both have contributed.
    /// Unchecked: the condition lock guards every mutable property across the two threads.
    private final class PairReduction: @unchecked Sendable {
        private let condition = NSCondition()
        private var pending: [[Float]] = []
        private var result: [Float] = []
        private var generation = 0

        func sum(_ buffer: UnsafeMutableBufferPointer<Float>) {
            condition.lock()
            defer { condition.unlock() }
            let myGeneration = generation
            pending.append(Array(buffer))
            if pending.count == 2 {
                result = zip(pending[0], pending[1]).map { $0 + $1 }
                pending.removeAll()
                generation += 1
                condition.broadcast()
            } else {
                while generation == myGeneration { condition.wait() }
            }
            _ = buffer.update(fromContentsOf: result)
        }
    }

    /// One party: a layer, its store, and the batch slice it normalises. Unchecked: each thread
    /// touches only its own party.
    private final class Rank: @unchecked Sendable {
        let layer: BatchNorm
        let store: ParameterStore
        var results: [[Float]] = []

        init(shape: [Int]) {
            store = ParameterStore()
            layer = BatchNorm(store: store, name: "bn", shape: shape)
            store.seal()
            GradientCheck.randomize(store, seed: 44)
        }

        /// Forward, backward and double backward on samples `offset ..< offset + samples`; records
        /// y, dx, dyBar, xBar, the parameter gradients and the running averages.
        func run(x: FloatBuffer, dy: FloatBuffer, a: FloatBuffer, offset: Int, samples: Int) throws {
            let count = layer.inputCount, n = samples * count
            let y = FloatBuffer(count: n), dx = FloatBuffer(count: n), dyBar = FloatBuffer(count: n), xBar = FloatBuffer(count: n)
            let start = offset * count
            try layer.forward(x.pointer + start, y.pointer, batch: samples, mode: .training)
            try layer.backward(input: x.pointer + start, output: y.pointer, outputGradient: dy.pointer + start,
                           inputGradient: dx.pointer, batch: samples, accumulateParameterGradients: true)
            try layer.backwardOfBackward(input: x.pointer + start, output: y.pointer, outputGradient: dy.pointer + start,
                                     inputGradientAdjoint: a.pointer + start, outputGradientAdjoint: dyBar.pointer,
                                     inputAdjoint: xBar.pointer, batch: samples)
            results = [Array(y.storage), Array(dx.storage), Array(dyBar.storage), Array(xBar.storage),
                       Array(store.gradients), Array(store.buffers)]
        }
    }

    func testTwoRanksMatchOneLayerOnTheWholeBatch() throws {
        let shape = [2, 3, 4], half = 3, batch = 2 * half
        let count = shape.reduce(1, *)
        // Read-only inputs that the two parties' threads share.
        nonisolated(unsafe) let x = GradientCheck.randomBuffer(batch * count, seed: 41)
        nonisolated(unsafe) let dy = GradientCheck.randomBuffer(batch * count, seed: 42)
        nonisolated(unsafe) let a = GradientCheck.randomBuffer(batch * count, seed: 43)

        let whole = Rank(shape: shape)
        try whole.run(x: x, dy: dy, a: a, offset: 0, samples: batch)
        let expected = whole.results

        let reduction = PairReduction()
        let ranks = [Rank(shape: shape), Rank(shape: shape)]
        for rank in ranks { rank.layer.reducer = ClosureReducer(replicaCount: 2, floats: { reduction.sum($0) }) }
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            do { try ranks[index].run(x: x, dy: dy, a: a, offset: index * half, samples: half) } catch { XCTFail("\(error)") }
        }
        let results = ranks.map(\.results)
        for (index, name) in ["y", "dx", "dyBar", "xBar"].enumerated() {
            let joined = results[0][index] + results[1][index]
            for (value, reference) in zip(joined, expected[index]) {
                XCTAssertEqual(value, reference, accuracy: 2e-5 * max(1, abs(reference)), name)
            }
        }
        // Per-rank parameter gradients sum to the whole batch's; running averages agree on both ranks.
        for (value, reference) in zip(zip(results[0][4], results[1][4]).map { $0 + $1 }, expected[4]) {
            XCTAssertEqual(value, reference, accuracy: 1e-4 * max(1, abs(reference)), "parameter gradients")
        }
        XCTAssertEqual(results[0][5], results[1][5])
        for (value, reference) in zip(results[0][5], expected[5]) {
            XCTAssertEqual(value, reference, accuracy: 1e-5, "running averages")
        }
    }
}
