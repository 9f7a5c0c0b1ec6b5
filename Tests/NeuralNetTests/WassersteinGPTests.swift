import NeuralNet
import Random
import TestSupport
import XCTest

/// The WGAN-GP updates hand the exact gradients of their losses to the gradient hook: compared
/// with Float central differences of the losses the trainer reports (optimizers with learning
/// rate 0 keep the parameters fixed; the random stream is rewound so every evaluation sees the same
/// noise and interpolation weights). Smooth activations keep the differences free of kinks.
final class WassersteinGPTests: XCTestCase {
    private func makeTrainer(batch: Int) -> WassersteinGP {
        let generatorStore = ParameterStore(), criticStore = ParameterStore()
        let generator = Sequential(store: generatorStore, layers: [
            Linear(store: generatorStore, name: "g1", inputCount: 3, outputCount: 6),
            BatchNorm(store: generatorStore, name: "gbn", shape: [6]),
            Activation(.tanh, shape: [6]),
            Linear(store: generatorStore, name: "g2", inputCount: 6, outputCount: 4),
            Activation(.sigmoid, shape: [4]),
        ], maxBatch: batch)
        let critic = Sequential(store: criticStore, layers: [
            Linear(store: criticStore, name: "d1", inputCount: 4, outputCount: 5),
            BatchNorm(store: criticStore, name: "dbn", shape: [5]),
            Activation(.tanh, shape: [5]),
            Linear(store: criticStore, name: "d2", inputCount: 5, outputCount: 1),
        ], maxBatch: batch)
        GradientCheck.randomize(generatorStore, seed: 31, weightGain: 2)
        GradientCheck.randomize(criticStore, seed: 32, weightGain: 3)
        return WassersteinGP(
            generator: generator, critic: critic,
            generatorOptimizer: Adam(parameterCount: generatorStore.parameterCount, learningRate: .constant(0)),
            criticOptimizer: Adam(parameterCount: criticStore.parameterCount, learningRate: .constant(0)),
            penaltyWeight: 10, criticIterations: 2, randomness: SampleRandomness(seed: 33))
    }

    func testUpdatesHandExactLossGradientsToTheReducer() throws {
        let batch = 5
        let trainer = makeTrainer(batch: batch)
        let real = GradientCheck.randomBuffer(batch * 4, seed: 34)
        for i in 0 ..< batch * 4 { real.pointer[i] = 1 / (1 + real.pointer[i] * real.pointer[i]) }
        var captured: [[Float]] = []
        trainer.reducer = ClosureReducer(floats: { captured.append(Array($0)) })
        let start = trainer.randomness
        let iteration = try trainer.train(batch: batch) { _ in UnsafePointer(real.pointer) }
        XCTAssertEqual(captured.count, 3, "two critic updates and one generator update")
        XCTAssertEqual(captured[0].count, trainer.critic.store.parameterCount)
        XCTAssertEqual(captured[2].count, trainer.generator.store.parameterCount)
        XCTAssertEqual(iteration.critic.loss, iteration.critic.fakeScore - iteration.critic.realScore + iteration.critic.penalty)
        trainer.reducer = SingleReplica()

        // The second critic update's loss (after one update with rate 0: same parameters).
        let afterFirstCritic = try { () throws -> SampleRandomness in
            trainer.randomness = start
            try trainer.updateCritic(real: real.pointer, batch: batch)
            return trainer.randomness
        }()
        let criticLoss = { () throws -> Double in
            trainer.randomness = afterFirstCritic
            return Double(try trainer.updateCritic(real: real.pointer, batch: batch).loss)
        }
        let criticIndices = GradientCheck.sampleIndices(trainer.critic.store.parameterCount)
        let criticNumeric = try GradientCheck.finiteDifferences(trainer.critic.store.parameters.baseAddress!, at: criticIndices,
                                                            step: 1e-2, criticLoss)
        XCTAssertLessThan(GradientCheck.relativeError(criticIndices.map { Double(captured[1][$0]) }, criticNumeric), 1e-2)

        let beforeGenerator = try { () throws -> SampleRandomness in
            trainer.randomness = afterFirstCritic
            try trainer.updateCritic(real: real.pointer, batch: batch)
            return trainer.randomness
        }()
        let generatorLoss = { () throws -> Double in
            trainer.randomness = beforeGenerator
            return Double(try trainer.updateGenerator(batch: batch))
        }
        let generatorIndices = GradientCheck.sampleIndices(trainer.generator.store.parameterCount)
        let generatorNumeric = try GradientCheck.finiteDifferences(trainer.generator.store.parameters.baseAddress!,
                                                               at: generatorIndices, step: 1e-2, generatorLoss)
        XCTAssertLessThan(GradientCheck.relativeError(generatorIndices.map { Double(captured[2][$0]) }, generatorNumeric), 1e-2)
    }

    func testBatchNormReducerSeesEveryStatistic() throws {
        let trainer = makeTrainer(batch: 4)
        var calls = 0, lastCount: Float = 0
        let reducer = ClosureReducer(floats: { buffer in
            calls += 1
            lastCount = buffer[buffer.count - 1]
        })
        trainer.generator.synchronizeBatchNorm(over: reducer)
        trainer.critic.synchronizeBatchNorm(over: reducer)
        let real = GradientCheck.randomBuffer(4 * 4, seed: 35)
        let synchronized = try trainer.updateCritic(real: real.pointer, batch: 4)
        XCTAssertGreaterThan(calls, 0)
        XCTAssertEqual(lastCount, 4, "one sample per row for dense batch norm")
        // An identity reduction (one rank) must not change anything.
        trainer.generator.synchronizeBatchNorm(over: nil)
        trainer.critic.synchronizeBatchNorm(over: nil)
        let reference = try makeTrainer(batch: 4).updateCritic(real: real.pointer, batch: 4)
        XCTAssertEqual(synchronized.loss, reference.loss, accuracy: 1e-5 * max(1, abs(reference.loss)))
    }

    /// A reduction that fails throws out of the update that asked for it, before the optimizer
    /// touches the parameters; nothing aborts inside the engine.
    func testFailedReductionThrowsOutOfTheUpdate() throws {
        struct Unreachable: Error {}
        struct FailingReducer: Reducer {
            var replicaCount: Int { 2 }
            func sum(_ values: UnsafeMutableBufferPointer<Float>) throws { throw Unreachable() }
            func sum(_ values: UnsafeMutableBufferPointer<Double>) throws { throw Unreachable() }
            func mean(_ values: UnsafeMutableBufferPointer<Float>) throws { throw Unreachable() }
            func mean(_ values: UnsafeMutableBufferPointer<Double>) throws { throw Unreachable() }
        }
        let real = GradientCheck.randomBuffer(4 * 4, seed: 36)
        let gradientsFail = makeTrainer(batch: 4)
        gradientsFail.reducer = FailingReducer()
        let before = Array(gradientsFail.critic.store.parameters)
        XCTAssertThrowsError(try gradientsFail.updateCritic(real: real.pointer, batch: 4)) { XCTAssertTrue($0 is Unreachable) }
        XCTAssertEqual(Array(gradientsFail.critic.store.parameters), before, "no update after a failed gradient reduction")
        XCTAssertEqual(gradientsFail.criticOptimizer.stepCount, 0)

        let statisticsFail = makeTrainer(batch: 4)
        statisticsFail.critic.synchronizeBatchNorm(over: FailingReducer())
        XCTAssertThrowsError(try statisticsFail.updateCritic(real: real.pointer, batch: 4)) { XCTAssertTrue($0 is Unreachable) }
        XCTAssertEqual(statisticsFail.criticOptimizer.stepCount, 0)
    }
}
