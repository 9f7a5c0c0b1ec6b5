import Chemistry
import NeuralNet
import Random

/// The class-conditional networks of the elpasolite benchmark (Türk et al. 2022;
/// docs/elpasolite.md, "Models"): a cVAE, a cWGAN-GP and a double-DQN Q network. Compositions are 8
/// numbers in (−1, 1) — the (period, group) of sites A, B, C, D, each scaled by `(2x − 1)/n − 1` —
/// and the condition is a one-hot energy class among 10. Every network starts with a
/// ``ConcatenateCondition`` layer, so its ``Sequential`` input is the data part only and the class
/// is written into that layer's `conditions` (`setOneHot(classes:batch:)`) before each pass.
public enum ElpasoliteNetworks {
    /// Numbers per composition: period and main group of sites A, B, C, D.
    public static let featureCount = Elpasolite.vectorLength
    /// Energy classes of equal width over the DFT range.
    public static let classCount = ElpasoliteEnergyClasses.count
    /// LeakyReLU slope of every hidden layer.
    public static let leakySlope: Float = 0.2
    /// Weight initialisation (the paper names none; docs/elpasolite.md, "Weight initialisation"):
    /// PyTorch's default for `nn.Linear`, Kaiming uniform with a = √5, i.e. U(±1/√fanIn). Biases
    /// start at 0 (PyTorch draws them from the same range).
    public static let weightInitializer = Initializer.heUniform(negativeSlope: Float(5).squareRoot())

    /// Latent noise addressed by global sample index, so generation split over ranks or calls in
    /// any way draws the same numbers: sample `i` gets values `width·i ..< width·(i + 1)` of the
    /// normal sequence of `RandomStream(seed: seed)`. A fill must start on a group of 16 normals
    /// (4 Philox blocks), so up to 15 values before the first sample are drawn and skipped. Fills
    /// `scratch` (from ``sampleNoiseBuffer(rows:width:)``) and returns the first requested
    /// sample's values; `rows` rows of `width` follow.
    static func sampleNoise(
        seed: UInt64, firstSampleIndex: Int, rows: Int, width: Int, scratch: FloatBuffer
    ) -> UnsafePointer<Float> {
        let first = firstSampleIndex * width, skipped = first % 16
        precondition(skipped + rows * width <= scratch.count, "ElpasoliteNetworks.sampleNoise: \(rows) rows exceed the scratch buffer")
        var stream = RandomStream(seed: seed, position: UInt64((first - skipped) / 16 * 4))
        stream.fillNormal(UnsafeMutableBufferPointer(start: scratch.pointer, count: skipped + rows * width))
        return UnsafePointer(scratch.pointer + skipped)
    }

    /// Scratch for ``sampleNoise(seed:firstSampleIndex:rows:width:scratch:)`` of up to `rows` rows.
    static func sampleNoiseBuffer(rows: Int, width: Int) -> FloatBuffer {
        FloatBuffer(count: 15 + rows * width)
    }

    /// `ConcatenateCondition(classCount)`, then for each hidden width `Linear → [LayerNorm] →
    /// LeakyReLU(0.2)`, then `Linear` to `outputCount` and the optional `output` activation.
    /// Slices are named `name.hidden1.weight`, `name.norm1.scale`, …, `name.output.bias`.
    static func conditionalPerceptron(
        store: ParameterStore, name: String, inputCount: Int, hidden: [Int], layerNorm: Bool,
        outputCount: Int, output: ActivationFunction?, maxBatch: Int
    ) -> (condition: ConcatenateCondition, layers: [any Layer]) {
        let condition = ConcatenateCondition(features: inputCount, conditionCount: classCount, maxBatch: maxBatch)
        var layers: [any Layer] = [condition]
        var width = inputCount + classCount
        for (index, hiddenCount) in hidden.enumerated() {
            layers.append(Linear(store: store, name: "\(name).hidden\(index + 1)", inputCount: width, outputCount: hiddenCount))
            if layerNorm {
                layers.append(LayerNorm(store: store, name: "\(name).norm\(index + 1)", features: hiddenCount, maxBatch: maxBatch))
            }
            layers.append(Activation(.leakyReLU(slope: leakySlope), shape: [hiddenCount]))
            width = hiddenCount
        }
        layers.append(Linear(store: store, name: "\(name).output", inputCount: width, outputCount: outputCount))
        if let output { layers.append(Activation(output, shape: [outputCount])) }
        return (condition, layers)
    }
}

/// The conditional WGAN-GP (docs/elpasolite.md, "cWGAN-GP"): generator
/// `noise 8 + class 10 → 512 → 8, tanh` and critic `composition 8 + class 10 → 512 → 1`,
/// LeakyReLU(0.2) hidden layers. Generator and critic have separate stores (separate optimizers
/// and gradient allreduces).
///
/// Parameter counts: generator 18·512 + 512 + 512·8 + 8 = 13,832; critic 18·512 + 512 + 512 + 1
/// = 10,241.
public final class ElpasoliteConditionalGAN {
    /// Generator noise size.
    public static let noiseCount = 8
    /// Width of the hidden layer of both networks.
    public static let hiddenCount = 512
    /// `[noise 8]` → `[composition 8]` in (−1, 1); its class goes into ``generatorCondition``.
    public let generator: Sequential
    /// `[composition 8]` → `[score]`; its class goes into ``criticCondition``.
    public let critic: Sequential
    /// The generator's class input.
    public let generatorCondition: ConcatenateCondition
    /// The critic's class input.
    public let criticCondition: ConcatenateCondition

    /// Networks for batches of up to `maxBatch` samples, weights drawn from
    /// ``ElpasoliteNetworks/weightInitializer`` with `seed`.
    public init(maxBatch: Int, seed: UInt64) {
        let generatorStore = ParameterStore(), criticStore = ParameterStore()
        let g = ElpasoliteNetworks.conditionalPerceptron(
            store: generatorStore, name: "generator", inputCount: Self.noiseCount, hidden: [Self.hiddenCount],
            layerNorm: false, outputCount: ElpasoliteNetworks.featureCount, output: .tanh, maxBatch: maxBatch)
        let c = ElpasoliteNetworks.conditionalPerceptron(
            store: criticStore, name: "critic", inputCount: ElpasoliteNetworks.featureCount, hidden: [Self.hiddenCount],
            layerNorm: false, outputCount: 1, output: nil, maxBatch: maxBatch)
        generator = Sequential(store: generatorStore, layers: g.layers, maxBatch: maxBatch)
        critic = Sequential(store: criticStore, layers: c.layers, maxBatch: maxBatch)
        generatorCondition = g.condition
        criticCondition = c.condition
        generatorStore.initializeWeights(ElpasoliteNetworks.weightInitializer, seed: seed)
        criticStore.initializeWeights(ElpasoliteNetworks.weightInitializer, seed: seed)
    }
}

/// The conditional VAE (docs/elpasolite.md, "cVAE"): encoder
/// `composition 8 + class 10 → 256 → 256 → (μ, log σ²)` with LayerNorm before each LeakyReLU(0.2);
/// decoder `latent 8 + class 10 → 256 → 256 → 8, tanh`. Encoder and decoder share one store (one
/// optimizer, one gradient allreduce). The encoder's last layer is one Linear head of 16 outputs
/// per sample: μ then log σ², the layout of
/// ``Loss/gaussianKLDivergence(statistics:batch:latent:weight:gradient:)`` and ``GaussianLatent``.
///
/// Parameter counts: encoder 18·256 + 256 + 2·256 (norm) + 256·256 + 256 + 2·256 + 256·16 + 16 =
/// 75,792; decoder 18·256 + 256 + 256·256 + 256 + 256·8 + 8 = 72,712; total 148,504.
public final class ElpasoliteConditionalVAE {
    /// Latent size.
    public static let latentCount = 8
    /// Width of the hidden layers.
    public static let hiddenCount = 256
    /// Owner of encoder and decoder parameters.
    public let store: ParameterStore
    /// `[composition 8]` → `[μ 8, log σ² 8]`; its class goes into ``encoderCondition``.
    public let encoder: Sequential
    /// `[latent 8]` → `[composition 8]` in (−1, 1); its class goes into ``decoderCondition``.
    public let decoder: Sequential
    /// The encoder's class input.
    public let encoderCondition: ConcatenateCondition
    /// The decoder's class input.
    public let decoderCondition: ConcatenateCondition
    private let noise: FloatBuffer

    /// Networks for batches of up to `maxBatch`, weights from ``ElpasoliteNetworks/weightInitializer`` and `seed`.
    public init(maxBatch: Int, seed: UInt64) {
        let store = ParameterStore()
        let hidden = [Self.hiddenCount, Self.hiddenCount]
        let e = ElpasoliteNetworks.conditionalPerceptron(
            store: store, name: "encoder", inputCount: ElpasoliteNetworks.featureCount, hidden: hidden, layerNorm: true,
            outputCount: 2 * Self.latentCount, output: nil, maxBatch: maxBatch)
        let d = ElpasoliteNetworks.conditionalPerceptron(
            store: store, name: "decoder", inputCount: Self.latentCount, hidden: hidden, layerNorm: false,
            outputCount: ElpasoliteNetworks.featureCount, output: .tanh, maxBatch: maxBatch)
        self.store = store
        encoder = Sequential(store: store, layers: e.layers, maxBatch: maxBatch)
        decoder = Sequential(store: store, layers: d.layers, maxBatch: maxBatch)
        encoderCondition = e.condition
        decoderCondition = d.condition
        noise = ElpasoliteNetworks.sampleNoiseBuffer(rows: maxBatch, width: Self.latentCount)
        store.initializeWeights(ElpasoliteNetworks.weightInitializer, seed: seed)
    }

    /// Writes `count` samples `[count, 8]` of class `requestedClass` into `samples`: the decoder
    /// (in blocks of `maxBatch`) applied to prior draws z ~ N(0, I), sample `i` from the noise of
    /// global sample `firstSampleIndex + i` (``ElpasoliteNetworks/sampleNoise(seed:firstSampleIndex:rows:width:scratch:)``),
    /// so a generation split over ranks or calls produces the same samples as one call.
    public func generate(
        requestedClass: Int, count: Int, firstSampleIndex: Int = 0, seed: UInt64, into samples: UnsafeMutablePointer<Float>
    ) throws {
        precondition((0 ..< ElpasoliteNetworks.classCount).contains(requestedClass),
                     "ElpasoliteConditionalVAE.generate: class \(requestedClass) outside 0..<\(ElpasoliteNetworks.classCount)")
        let features = ElpasoliteNetworks.featureCount
        var done = 0
        while done < count {
            let rows = min(decoder.maxBatch, count - done)
            let z = ElpasoliteNetworks.sampleNoise(
                seed: seed, firstSampleIndex: firstSampleIndex + done, rows: rows, width: Self.latentCount, scratch: noise)
            decoderCondition.conditions.pointer.update(repeating: 0, count: rows * ElpasoliteNetworks.classCount)
            for r in 0 ..< rows { decoderCondition.conditions.pointer[r * ElpasoliteNetworks.classCount + requestedClass] = 1 }
            (samples + done * features).update(from: try decoder.forward(z, batch: rows, mode: .inference), count: rows * features)
            done += rows
        }
    }
}
