import NeuralNet
import TestSupport
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
    ) throws {
        try GradientCheck.checkPenalty(label, weight: weight, batch: batch, indices: indices, tolerance: tolerance, seed: seed,
                                   weightGain: weightGain, file: file, line: line, build: build)
    }


    func testSmallConvolutionalCriticWithBatchNorm() throws {
        try check("conv critic", batch: 4) { store in
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

    func testDenseCriticOfTheElpasoliteGAN() throws {
        // Critic shape of docs/elpasolite.md, "cWGAN-GP" (8 + 10 → hidden → 1, LeakyReLU 0.2),
        // hidden width reduced.
        try check("elpasolite critic", batch: 5) { store in
            [
                Linear(store: store, name: "fc1", inputCount: 18, outputCount: 12),
                Activation(.leakyReLU(slope: 0.2), shape: [12]),
                Linear(store: store, name: "fc2", inputCount: 12, outputCount: 1),
            ]
        }
    }

    func testDenseCriticWithBatchNormTanhAndSigmoid() throws {
        try check("dense BN/tanh/sigmoid critic", batch: 6, weightGain: 3) { store in
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
}
