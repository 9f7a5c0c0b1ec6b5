import NeuralNet
import XCTest

/// Shapes and parameter counts of the MatGAN networks against REFERENCE §2.
final class MatGANNetworkTests: XCTestCase {
    func testParameterCountsMatchThePaper() {
        XCTAssertEqual(MatGANNetworks.generator(.icsd, maxBatch: 1).store.parameterCount, 630_753)
        XCTAssertEqual(MatGANNetworks.critic(.icsd, maxBatch: 1).store.parameterCount, 242_289)
        XCTAssertEqual(MatGANNetworks.generator(.oqmd, maxBatch: 1).store.parameterCount, 1_911_393)
        XCTAssertEqual(MatGANNetworks.critic(.oqmd, maxBatch: 1).store.parameterCount, 1_113_377)
    }

    func testShapes() {
        for variant in MatGANVariant.allCases {
            let generator = MatGANNetworks.generator(variant, maxBatch: 2)
            XCTAssertEqual(generator.inputShape, [128])
            XCTAssertEqual(generator.outputShape, [85, 8, 1])
            let critic = MatGANNetworks.critic(variant, maxBatch: 2)
            XCTAssertEqual(critic.inputShape, [85, 8, 1])
            XCTAssertEqual(critic.outputShape, [1])
            let (encoder, decoder) = MatGANNetworks.autoencoder(variant, maxBatch: 2)
            XCTAssertEqual(encoder.outputShape, [128])
            XCTAssertEqual(decoder.outputShape, [85, 8, 1])
            XCTAssertTrue(encoder.store === decoder.store)
            XCTAssertEqual(encoder.store.parameterCount,
                           critic.store.parameterCount - critic.layers.last!.inputCount - 1
                               + critic.layers.last!.inputCount * 128 + 128 + generator.store.parameterCount)
        }
        // Intermediate shapes of REFERENCE §2.
        let icsdCritic = MatGANNetworks.critic(.icsd, maxBatch: 1)
        let convShapes = icsdCritic.layers.compactMap { ($0 as? Conv2d)?.outputShape }
        XCTAssertEqual(convShapes, [[85, 8, 16], [43, 8, 16], [43, 8, 32], [43, 8, 64], [22, 4, 128]])
        XCTAssertEqual(icsdCritic.layers.last!.inputCount, 11_264)
        let oqmdCritic = MatGANNetworks.critic(.oqmd, maxBatch: 1)
        XCTAssertEqual(oqmdCritic.layers.compactMap { ($0 as? Conv2d)?.outputShape }.last, [6, 4, 256])
        XCTAssertEqual(oqmdCritic.layers.last!.inputCount, 6_144)
        let icsdGenerator = MatGANNetworks.generator(.icsd, maxBatch: 1)
        XCTAssertEqual(icsdGenerator.layers.compactMap { ($0 as? ConvTranspose2d)?.outputShape },
                       [[11, 8, 64], [22, 8, 32], [43, 8, 16], [85, 8, 1]])
        // 11x8 → 6x4 (OQMD) with a 5x5 kernel pads H (2, 2), W (1, 2); so does 43x8 → 22x4 (ICSD).
        let last = icsdCritic.layers.compactMap { $0 as? Conv2d }.last!.geometry
        XCTAssertEqual([last.padTop, last.padBottom, last.padLeft, last.padRight], [2, 2, 1, 2])
    }

    func testGeneratorOutputsProbabilities() {
        let generator = MatGANNetworks.generator(.icsd, maxBatch: 4)
        GradientCheck.randomize(generator.store, seed: 3)
        let noise = GradientCheck.randomBuffer(4 * 128, seed: 4)
        for mode in [Mode.training, .inference] {
            let output = generator.forward(noise.pointer, batch: 4, mode: mode)
            for i in 0 ..< 4 * 85 * 8 { XCTAssertTrue(output[i] > 0 && output[i] < 1) }
        }
    }
}
