import NeuralNet
import XCTest

/// The WGAN-GP penalty `L = λ mean_i (sqrt(1e-8 + ‖∂ΣD/∂x̂_i‖²) − 1)²` and its exact parameter
/// gradient (double backward through every layer, batch statistics included) against central
/// differences (step 1e-6) of an independent Double evaluation of L (`PenaltyReference`). The
/// engine works in Float, so its gradient carries relative rounding errors of ~1e-5 (amplified
/// somewhat by batch norm over small batches); a missing or wrong term is an O(1) error. Float
/// differences of the engine itself would not do: a Float step large enough to beat rounding
/// moves LeakyReLU pre-activations across the kink, where L is not differentiable.
final class GradientPenaltyTests: XCTestCase {
    private let weight: Float = 10

    private func check(
        _ label: String, batch: Int, indices: [Int]? = nil, tolerance: Double = 2e-3,
        seed: UInt64 = 5, weightGain: Float = 1.5, file: StaticString = #filePath, line: UInt = #line,
        build: (ParameterStore) -> [any Layer]
    ) {
        let store = ParameterStore()
        let network = Sequential(store: store, layers: build(store), maxBatch: batch)
        GradientCheck.randomize(store, seed: seed, weightGain: weightGain)
        let input = GradientCheck.randomBuffer(batch * network.inputCount, seed: seed + 1)

        store.zeroGradients()
        network.forward(input.pointer, batch: batch, mode: .training)
        let loss = network.accumulateGradientPenalty(weight: weight)

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

    func testSmallConvolutionalCriticWithBatchNorm() {
        check("conv critic", batch: 4) { store in
            [
                Conv2d(store: store, name: "c1", input: (5, 4, 1), outputChannels: 3, kernel: (3, 3), stride: (2, 1), maxBatch: 4),
                BatchNorm(store: store, name: "bn1", shape: [3, 4, 3]),
                Activation(.leakyReLU(slope: 0.2), shape: [3, 4, 3]),
                Conv2d(store: store, name: "c2", input: (3, 4, 3), outputChannels: 4, kernel: (3, 3), stride: (2, 2), maxBatch: 4),
                BatchNorm(store: store, name: "bn2", shape: [2, 2, 4]),
                Activation(.leakyReLU(slope: 0.2), shape: [2, 2, 4]),
                Reshape(flattening: [2, 2, 4]),
                Linear(store: store, name: "fc", inputCount: 16, outputCount: 1),
            ]
        }
    }

    func testDenseCriticOfTheElpasoliteGAN() {
        // Critic shape of docs/elpasolite.md, "cWGAN-GP" (8 + 10 → hidden → 1, LeakyReLU 0.2),
        // hidden width reduced.
        check("elpasolite critic", batch: 5) { store in
            [
                Linear(store: store, name: "fc1", inputCount: 18, outputCount: 12),
                Activation(.leakyReLU(slope: 0.2), shape: [12]),
                Linear(store: store, name: "fc2", inputCount: 12, outputCount: 1),
            ]
        }
    }

    func testDenseCriticWithBatchNormTanhAndSigmoid() {
        check("dense BN/tanh/sigmoid critic", batch: 6, weightGain: 3) { store in
            [
                Linear(store: store, name: "fc1", inputCount: 6, outputCount: 5),
                BatchNorm(store: store, name: "bn", shape: [5]),
                Activation(.tanh, shape: [5]),
                Linear(store: store, name: "fc2", inputCount: 5, outputCount: 4),
                Activation(.sigmoid, shape: [4]),
                Linear(store: store, name: "fc3", inputCount: 4, outputCount: 1),
            ]
        }
    }

    /// The real critic at batch 2 (to keep the Double loops short): checks the coordinates with
    /// the largest penalty gradient in the named slices.
    private func checkMatGANCritic(_ variant: MatGANVariant, slices names: [String], file: StaticString = #filePath, line: UInt = #line) {
        let batch = 2
        let store = ParameterStore()
        let network = Sequential(store: store, layers: MatGANNetworks.criticLayers(variant, store: store, maxBatch: batch),
                                 maxBatch: batch)
        GradientCheck.randomize(store, seed: 21, weightGain: 1.5)
        let input = GradientCheck.randomBuffer(batch * network.inputCount, seed: 22)
        store.zeroGradients()
        network.forward(input.pointer, batch: batch, mode: .training)
        network.accumulateGradientPenalty(weight: weight)
        let indices = names.map { name -> Int in
            let slice = store.parameterSlice(named: name)!
            return slice.range.max { abs(store.gradients[$0]) < abs(store.gradients[$1]) }!
        }
        check("MatGAN-\(variant) critic", batch: batch, indices: indices, tolerance: 1e-2, seed: 21, file: file, line: line) { store in
            MatGANNetworks.criticLayers(variant, store: store, maxBatch: batch)
        }
    }

    func testMatGANICSDCriticOnSelectedParameters() {
        // The first conv (no BN), BN scales and shifts, and the widest conv (242,289 parameters).
        checkMatGANCritic(.icsd, slices: ["critic.conv1.weight", "critic.conv2_bn.gamma", "critic.conv4_bn.beta", "critic.conv5.weight"])
    }

    func testMatGANOQMDCriticOnSelectedParameters() {
        // 1,113,377 parameters; fewer coordinates, as each Double evaluation is slower.
        checkMatGANCritic(.oqmd, slices: ["critic.conv1.weight", "critic.conv6_bn.gamma", "critic.conv7.weight"])
    }
}
