import NeuralNet
import Random
import TestSupport
import XCTest

/// LayerNorm against an independent Double implementation. 37 features exercise both the 16-lane
/// reductions and their scalar tails. Tolerances: the layer's Float reductions over 37 terms and
/// the division by the deviation leave ~1e-6 relative error, so 1e-4 of the largest entry (or 1e-5
/// for plain values) is a 100x margin that still catches any wrong term, which is O(1).
final class LayerNormTests: XCTestCase {
    private let batch = 3, features = 37

    private struct Fixture {
        let layer: LayerNorm
        let store: ParameterStore
        let x: [Float], gamma: [Float], beta: [Float]
    }

    private func makeFixture(seed: UInt64) -> Fixture {
        var stream = RandomStream(seed: seed)
        let store = ParameterStore()
        let layer = LayerNorm(store: store, name: "norm", features: features, maxBatch: batch)
        store.seal()
        // Rows with nonzero means and different spreads; γ around 1 and β around 0, both non-trivial.
        var x = randomFloats(batch * features, in: -1.5...2.5, &stream)
        for j in 0..<features { x[features + j] *= 0.2; x[2 * features + j] = 3 * x[2 * features + j] - 4 }
        let gamma = randomFloats(features, in: 0.5...1.5, &stream)
        let beta = randomFloats(features, in: -0.5...0.5, &stream)
        store.parameter(layer.scale).update(from: gamma, count: features)
        store.parameter(layer.shift).update(from: beta, count: features)
        return Fixture(layer: layer, store: store, x: x, gamma: gamma, beta: beta)
    }

    func testParametersStartAtIdentity() throws {
        let store = ParameterStore()
        let layer = LayerNorm(store: store, name: "norm", features: 4, maxBatch: 1)
        store.seal()
        XCTAssertEqual(store.parameterCount, 8)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: store.parameter(layer.scale), count: 4)), [1, 1, 1, 1])
        XCTAssertEqual(Array(UnsafeBufferPointer(start: store.parameter(layer.shift), count: 4)), [0, 0, 0, 0])
        // x = [1, 2, 3, 4]: mean 2.5, variance 1.25, so y = (x − 2.5)/sqrt(1.25 + 1e-5).
        var y = [Float](repeating: 0, count: 4)
        try layer.forward([1, 2, 3, 4], &y, batch: 1, mode: .training)
        let r = 1 / (1.25 + 1e-5).squareRoot()
        for (value, expected) in zip(y, [-1.5 * r, -0.5 * r, 0.5 * r, 1.5 * r]) {
            XCTAssertEqual(Double(value), expected, accuracy: 1e-6)
        }
    }

    func testForwardIsTheSameInTrainingAndInference() throws {
        let f = makeFixture(seed: 21)
        var training = [Float](repeating: 0, count: batch * features), inference = training
        try f.layer.forward(f.x, &training, batch: batch, mode: .training)
        try f.layer.forward(f.x, &inference, batch: batch, mode: .inference)
        XCTAssertEqual(training, inference)
        let reference = referenceForward(f.x.map(Double.init), f.gamma.map(Double.init), f.beta.map(Double.init))
        assertClose(training, reference, tolerance: 1e-5, "y")
    }

    func testBackwardMatchesFiniteDifferences() throws {
        let f = makeFixture(seed: 22)
        var stream = RandomStream(seed: 23)
        let dy = randomFloats(batch * features, in: -1...1, &stream)
        var y = [Float](repeating: 0, count: batch * features), dx = y
        try f.layer.forward(f.x, &y, batch: batch, mode: .training)
        f.store.zeroGradients()
        try f.layer.backward(input: f.x, output: y, outputGradient: dy, inputGradient: &dx, batch: batch,
                         accumulateParameterGradients: true)
        let x64 = f.x.map(Double.init), gamma64 = f.gamma.map(Double.init), beta64 = f.beta.map(Double.init)
        let loss = { (x: [Double], gamma: [Double], beta: [Double]) -> Double in
            zip(self.referenceForward(x, gamma, beta), dy).reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        assertClose(dx, centralDifferences(of: { loss($0, gamma64, beta64) }, at: x64), tolerance: 1e-4, "dx")
        assertClose(gradient(f, f.layer.scale), centralDifferences(of: { loss(x64, $0, beta64) }, at: gamma64),
                    tolerance: 1e-4, "dγ")
        assertClose(gradient(f, f.layer.shift), centralDifferences(of: { loss(x64, gamma64, $0) }, at: beta64),
                    tolerance: 1e-4, "dβ")
        // The Double backward used by the double-backward test is itself the derivative of the forward.
        let referenceDx = referenceBackward(x64, gamma64, dy.map(Double.init))
        let numeric = centralDifferences(of: { loss($0, gamma64, beta64) }, at: x64)
        for (a, b) in zip(referenceDx, numeric) { XCTAssertEqual(a, b, accuracy: 1e-7) }
        // Without parameter accumulation the store is left alone.
        f.store.zeroGradients()
        try f.layer.backward(input: f.x, output: y, outputGradient: dy, inputGradient: nil, batch: batch,
                         accumulateParameterGradients: false)
        XCTAssertTrue(f.store.gradients.allSatisfy { $0 == 0 })
    }

    func testBackwardOfBackwardMatchesFiniteDifferences() throws {
        let f = makeFixture(seed: 24)
        var stream = RandomStream(seed: 25)
        let dy = randomFloats(batch * features, in: -1...1, &stream)
        let adjoint = randomFloats(batch * features, in: -1...1, &stream)
        var y = [Float](repeating: 0, count: batch * features), dyBar = y, xBar = y
        try f.layer.forward(f.x, &y, batch: batch, mode: .training)
        f.store.zeroGradients()
        try f.layer.backwardOfBackward(input: f.x, output: y, outputGradient: dy, inputGradientAdjoint: adjoint,
                                   outputGradientAdjoint: &dyBar, inputAdjoint: &xBar, batch: batch)
        let x64 = f.x.map(Double.init), gamma64 = f.gamma.map(Double.init), beta64 = f.beta.map(Double.init)
        let dy64 = dy.map(Double.init), adjoint64 = adjoint.map(Double.init)

        // dyBar = J_x ā: a directional central difference of the forward map.
        let h = 1e-6
        let plus = referenceForward(zip(x64, adjoint64).map { $0 + h * $1 }, gamma64, beta64)
        let minus = referenceForward(zip(x64, adjoint64).map { $0 - h * $1 }, gamma64, beta64)
        assertClose(dyBar, zip(plus, minus).map { ($0 - $1) / (2 * h) }, tolerance: 1e-4, "dyBar")

        // γ̄ and x̄ are the gradients of ⟨B(x, γ, dy), ā⟩; β does not enter B.
        let pairing = { (x: [Double], gamma: [Double]) -> Double in
            zip(self.referenceBackward(x, gamma, dy64), adjoint64).reduce(0) { $0 + $1.0 * $1.1 }
        }
        assertClose(xBar, centralDifferences(of: { pairing($0, gamma64) }, at: x64), tolerance: 1e-4, "x̄")
        assertClose(gradient(f, f.layer.scale), centralDifferences(of: { pairing(x64, $0) }, at: gamma64),
                    tolerance: 1e-4, "γ̄")
        XCTAssertTrue(gradient(f, f.layer.shift).allSatisfy { $0 == 0 }, "β̄ must be 0")
    }

    private func referenceForward(_ x: [Double], _ gamma: [Double], _ beta: [Double]) -> [Double] {
        referenceLayerNorm(x, gamma: gamma, beta: beta, features: features)
    }

    private func referenceBackward(_ x: [Double], _ gamma: [Double], _ dy: [Double]) -> [Double] {
        referenceLayerNormBackward(x, gamma: gamma, dy: dy, features: features)
    }

    private func gradient(_ f: Fixture, _ slice: ParameterSlice) -> [Float] {
        Array(UnsafeBufferPointer(start: f.store.gradient(slice), count: slice.count))
    }
}
