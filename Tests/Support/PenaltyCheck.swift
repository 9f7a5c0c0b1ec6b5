import NeuralNet
import XCTest

extension GradientCheck {
    /// Checks `accumulateGradientPenalty` of the network `build` makes against ``PenaltyReference``:
    /// the penalty value, and its parameter gradient against central differences (step 1e-6).
    package static func checkPenalty(
        _ label: String, weight: Float, batch: Int, indices: [Int]? = nil, tolerance: Double = 2e-3,
        seed: UInt64 = 5, weightGain: Float = 1.5, file: StaticString = #filePath, line: UInt = #line,
        build: (ParameterStore) -> [any Layer]
    ) throws {
        let store = ParameterStore()
        let network = Sequential(store: store, layers: build(store), maxBatch: batch)
        GradientCheck.randomize(store, seed: seed, weightGain: weightGain)
        let input = GradientCheck.randomBuffer(batch * network.inputCount, seed: seed + 1)

        store.zeroGradients()
        try network.forward(input.pointer, batch: batch, mode: .training)
        let loss = try network.accumulateGradientPenalty(weight: weight)

        let reference = PenaltyReference(layers: network.layers, batch: batch, weight: Double(weight))
        let parameters = store.parameters.map(Double.init)
        let x = input.storage.prefix(batch * network.inputCount).map(Double.init)
        let expected = reference.penalty(parameters: parameters, input: x)
        XCTAssertEqual(Double(loss), expected, accuracy: 1e-4 * Swift.max(1, expected), "\(label) penalty value", file: file, line: line)
        XCTAssertGreaterThan(loss, 0.01, "\(label): penalty too small to test its gradient", file: file, line: line)

        let chosen = indices ?? GradientCheck.sampleIndices(store.parameterCount, limit: 400)
        let analytic = GradientCheck.gather(store.gradients.baseAddress!, chosen)
        var probe = parameters
        let numeric = chosen.map { i -> Double in
            let h = 1e-6
            probe[i] = parameters[i] + h
            let plus = reference.penalty(parameters: probe, input: x)
            probe[i] = parameters[i] - h
            let minus = reference.penalty(parameters: probe, input: x)
            probe[i] = parameters[i]
            return (plus - minus) / (2 * h)
        }
        let error = GradientCheck.relativeError(analytic, numeric)
        XCTAssertLessThan(error, tolerance, "\(label) ∂L_gp/∂θ", file: file, line: line)
        // Guard against a vacuous check: the penalty gradient must be substantial.
        XCTAssertGreaterThan(analytic.map(abs).max() ?? 0, 1e-3, "\(label): zero gradient", file: file, line: line)
    }
}
