import MatGAN
import NeuralNet
import TestSupport
import XCTest

/// The penalty gradient of MatGAN's real critics (see NeuralNetTests/GradientPenaltyTests for the method).
final class CriticPenaltyTests: XCTestCase {
    private let weight: Float = 10

    /// The real critic at batch 2 (to keep the Double loops short): checks the coordinates with
    /// the largest penalty gradient in the named slices.
    private func checkMatGANCritic(_ variant: MatGANVariant, slices names: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let batch = 2
        let store = ParameterStore()
        let network = Sequential(store: store, layers: MatGANNetworks.criticLayers(variant, store: store, maxBatch: batch),
                                 maxBatch: batch)
        GradientCheck.randomize(store, seed: 21, weightGain: 1.5)
        let input = GradientCheck.randomBuffer(batch * network.inputCount, seed: 22)
        store.zeroGradients()
        try network.forward(input.pointer, batch: batch, mode: .training)
        try network.accumulateGradientPenalty(weight: weight)
        let indices = names.map { name -> Int in
            let slice = store.parameterSlice(named: name)!
            return slice.range.max { abs(store.gradients[$0]) < abs(store.gradients[$1]) }!
        }
        try GradientCheck.checkPenalty("MatGAN-\(variant) critic", weight: weight, batch: batch, indices: indices, tolerance: 1e-2,
                                   seed: 21, file: file, line: line) { store in
            MatGANNetworks.criticLayers(variant, store: store, maxBatch: batch)
        }
    }

    func testMatGANICSDCriticOnSelectedParameters() throws {
        // The first conv (no BN), BN scales and shifts, and the widest conv (242,289 parameters).
        try checkMatGANCritic(.icsd, slices: ["critic.conv1.weight", "critic.conv2_bn.gamma", "critic.conv4_bn.beta", "critic.conv5.weight"])
    }

    func testMatGANOQMDCriticOnSelectedParameters() throws {
        // 1,113,377 parameters; fewer coordinates, as each Double evaluation is slower.
        try checkMatGANCritic(.oqmd, slices: ["critic.conv1.weight", "critic.conv6_bn.gamma", "critic.conv7.weight"])
    }
}
