import Chemistry
import NeuralNet
import Random

/// A block of generated samples, decoded: sample `firstIndex + i` has the composition key
/// words `keyWords[2i], keyWords[2i+1]` (both 0 when it decoded to fewer than 2 or more than 8
/// elements) and validity flags (0/1).
public struct DecodedBlock {
    public var firstIndex: Int
    public var count: Int
    public var keyWords: [UInt64]
    public var elementCounts: [UInt8]
    public var chargeNeutral: [UInt8]
    public var electronegativityBalanced: [UInt8]
    public var smactValid: [UInt8]
    /// The one-hot matrices of the decoded compositions (`count * 680` bytes, all zero for a
    /// sample that decoded to nothing), only when asked for.
    public var matrices: [UInt8]

    init(capacity: Int, keepMatrices: Bool) {
        firstIndex = 0
        count = 0
        keyWords = []
        keyWords.reserveCapacity(2 * capacity)
        elementCounts = []
        elementCounts.reserveCapacity(capacity)
        chargeNeutral = []
        chargeNeutral.reserveCapacity(capacity)
        electronegativityBalanced = []
        electronegativityBalanced.reserveCapacity(capacity)
        smactValid = []
        smactValid.reserveCapacity(capacity)
        matrices = []
        if keepMatrices { matrices.reserveCapacity(capacity * MatrixEncoding.matgan.cellCount) }
    }
}

/// Draws MatGAN samples from a trained generator: sample i's noise comes from the random
/// stream (seed, i), so a sample is the same whichever rank, block or batch produces it.
public final class SampleGenerator {
    public let generator: Sequential
    public let seed: UInt64
    public let decoding: MatrixDecodingRule
    /// MatGAN's rule: gives the charge-neutral and electronegativity flags.
    public let matganValidity: ValidityChecker
    /// SMACT's rule: gives `smact_valid`.
    public let smactValidity: ValidityChecker
    private let noise: FloatBuffer
    private let encoding = MatrixEncoding.matgan

    /// - Parameter oxidationStates: the oxidation-state set both validity rules use.
    public init(generator: Sequential, seed: UInt64, decoding: MatrixDecodingRule, oxidationStates: OxidationStateSet) {
        precondition(generator.outputCount == MatrixEncoding.matgan.cellCount,
                     "SampleGenerator: generator output \(generator.outputShape) is not a 85x8 matrix")
        self.generator = generator
        self.seed = seed
        self.decoding = decoding
        matganValidity = ValidityChecker(rule: .matgan, oxidationStates: oxidationStates)
        smactValidity = ValidityChecker(rule: .smact, oxidationStates: oxidationStates)
        noise = FloatBuffer(count: generator.maxBatch * generator.inputCount)
    }

    /// The noise of sample `index`, written to `destination` (`inputCount` values).
    public static func fillNoise(_ destination: UnsafeMutableBufferPointer<Float>, seed: UInt64, sampleIndex: Int) {
        var stream = RandomStream(seed: seed, stream: UInt64(sampleIndex))
        stream.fillNormal(destination)
    }

    /// Generates and decodes samples `range` (at most `generator.maxBatch` of them).
    public func generate(_ range: Range<Int>, keepMatrices: Bool) throws -> DecodedBlock {
        precondition(range.count <= generator.maxBatch, "SampleGenerator: block of \(range.count) exceeds the batch")
        var block = DecodedBlock(capacity: range.count, keepMatrices: keepMatrices)
        block.firstIndex = range.lowerBound
        block.count = range.count
        guard !range.isEmpty else { return block }
        let width = generator.inputCount
        for (row, index) in range.enumerated() {
            Self.fillNoise(UnsafeMutableBufferPointer(start: noise.pointer + row * width, count: width),
                           seed: seed, sampleIndex: index)
        }
        let output = try generator.forward(noise.pointer, batch: range.count, mode: .inference)
        let cells = encoding.cellCount
        for row in 0..<range.count {
            let matrix = UnsafeBufferPointer(start: output + row * cells, count: cells)
            if keepMatrices { block.matrices.append(contentsOf: repeatElement(0, count: cells)) }
            guard let composition = encoding.decode(matrix, rule: decoding), let key = composition.key else {
                block.keyWords.append(contentsOf: [0, 0])
                block.elementCounts.append(0)
                block.chargeNeutral.append(0)
                block.electronegativityBalanced.append(0)
                block.smactValid.append(0)
                continue
            }
            if keepMatrices {
                for (element, count) in zip(composition.elements, composition.counts) {
                    block.matrices[(row * encoding.rowCount + encoding.row(of: element)!) * MatrixEncoding.maximumCount
                                   + count - 1] = 1
                }
            }
            let words = key.words
            block.keyWords.append(contentsOf: [words.low, words.high])
            block.elementCounts.append(UInt8(composition.elementCount))
            let matgan = matganValidity.check(composition)
            block.chargeNeutral.append(matgan.isChargeNeutral ? 1 : 0)
            block.electronegativityBalanced.append(matgan.isElectronegativityBalanced ? 1 : 0)
            block.smactValid.append(smactValidity.check(composition).isValid ? 1 : 0)
        }
        return block
    }
}

extension GeneratedShard {
    /// Appends the samples of `block`, which must follow the shard's last sample.
    public mutating func append(_ block: DecodedBlock) {
        precondition(block.firstIndex == firstIndex + keys.count || block.count == 0,
                     "GeneratedShard: block at \(block.firstIndex) does not follow samples \(firstIndex)..<\(firstIndex + keys.count)")
        for sample in 0..<block.count {
            keys.append(CompositionKey(words: (block.keyWords[2 * sample], block.keyWords[2 * sample + 1])))
            chargeNeutral.append(block.chargeNeutral[sample] != 0)
            electronegativityBalanced.append(block.electronegativityBalanced[sample] != 0)
        }
    }
}
