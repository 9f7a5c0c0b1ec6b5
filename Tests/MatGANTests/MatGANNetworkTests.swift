import MatGAN
import NeuralNet
import TestSupport
import XCTest

/// Shapes and parameter counts of the MatGAN networks against docs/matgan.md, "Networks".
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
        // Intermediate shapes of docs/matgan.md, "Networks".
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

    /// Active design's 87-row autoencoder (docs/active-design.md, "Autoencoder"): only the two
    /// tallest stages grow (85 → 87, 43 → 44), so it has exactly the 85-row parameters; with logits
    /// the decoder's output is the pre-sigmoid value of the same network.
    func testEightySevenRowAutoencoder() throws {
        let (encoder, decoder) = MatGANNetworks.autoencoder(.icsd, rows: 87, logits: true, maxBatch: 2)
        XCTAssertEqual(encoder.inputShape, [87, 8, 1])
        XCTAssertEqual(decoder.outputShape, [87, 8, 1])
        XCTAssertEqual(encoder.layers.compactMap { ($0 as? Conv2d)?.outputShape },
                       [[87, 8, 16], [44, 8, 16], [44, 8, 32], [44, 8, 64], [22, 4, 128]])
        XCTAssertEqual(decoder.layers.compactMap { ($0 as? ConvTranspose2d)?.outputShape },
                       [[11, 8, 64], [22, 8, 32], [44, 8, 16], [87, 8, 1]])
        XCTAssertEqual(encoder.store.parameterCount, MatGANNetworks.autoencoder(.icsd, maxBatch: 2).encoder.store.parameterCount)
        XCTAssertFalse(decoder.layers.last is Activation)

        GradientCheck.randomize(decoder.store, seed: 3)
        let (_, probabilities) = MatGANNetworks.autoencoder(.icsd, rows: 87, maxBatch: 2)
        _ = probabilities.store.parameters.update(fromContentsOf: decoder.store.parameters)
        _ = probabilities.store.buffers.update(fromContentsOf: decoder.store.buffers)
        let code = GradientCheck.randomBuffer(2 * 128, seed: 5)
        let logits = Array(UnsafeBufferPointer(start: try decoder.forward(code.pointer, batch: 2, mode: .inference), count: 2 * 87 * 8))
        let sigmoid = try probabilities.forward(code.pointer, batch: 2, mode: .inference)
        for i in logits.indices { XCTAssertEqual(sigmoid[i], 1 / (1 + expf(-logits[i])), accuracy: 1e-6) }
    }

    func testGeneratorOutputsProbabilities() throws {
        let generator = MatGANNetworks.generator(.icsd, maxBatch: 4)
        GradientCheck.randomize(generator.store, seed: 3)
        let noise = GradientCheck.randomBuffer(4 * 128, seed: 4)
        for mode in [Mode.training, .inference] {
            let output = try generator.forward(noise.pointer, batch: 4, mode: mode)
            for i in 0 ..< 4 * 85 * 8 { XCTAssertTrue(output[i] > 0 && output[i] < 1) }
        }
    }

    func testCriticWithoutBatchNormDropsOnlyTheNormLayers() {
        let withNorm = MatGANNetworks.critic(.icsd, maxBatch: 2)
        let withoutNorm = MatGANNetworks.critic(.icsd, maxBatch: 2, batchNorm: false)
        XCTAssertEqual(withNorm.store.parameterCount, 242_289)
        // γ and β of the four normalised stages (16 + 32 + 64 + 128 channels).
        XCTAssertEqual(withoutNorm.store.parameterCount, 242_289 - 2 * (16 + 32 + 64 + 128))
        XCTAssertEqual(withoutNorm.store.stateCount, 0)
        XCTAssertFalse(withoutNorm.layers.contains { $0 is BatchNorm })
        XCTAssertEqual(withoutNorm.outputShape, [1])
    }
}
