import Chemistry
import NeuralNet
import Training

/// A trained elpasolite generator read from a training checkpoint: the cGAN's generator (on
/// the fast ``ElpasoliteGANSampler``), the cVAE's decoder applied to prior draws, or the DQN
/// agent's softmax(β · Q) rollouts (``ElpasoliteDQNSampler``).
///
/// Sample `i` is generated from the noise of global sample index `i` of the seed, so any split
/// of the indices over ranks or calls produces the same samples.
public final class ElpasoliteSampleSource {
    /// The model of the checkpoint.
    public let model: ElpasoliteModel
    /// The checkpoint's header.
    public let header: Checkpoint.Header
    private let generateBlock: (_ requestedClass: Int, _ count: Int, _ first: Int, _ seed: UInt64,
                                _ samples: UnsafeMutablePointer<Float>) throws -> Void

    /// Loads the networks of the elpasolite checkpoint at `path`; `blockRows` is the most
    /// samples one ``generate(requestedClass:count:firstSampleIndex:seed:into:)`` call asks for;
    /// `beta` is the DQN's softmax inverse temperature (the paper's 5).
    public init(checkpoint path: String, blockRows: Int, beta: Float = 5) throws {
        header = try Checkpoint.readHeader(path)
        guard let model = ElpasoliteModel(rawValue: header.model) else {
            throw TrainingError.checkpoint(path, "is for model \(header.model), not an elpasolite model ("
                                  + ElpasoliteModel.allCases.map(\.rawValue).joined(separator: " or ") + ")")
        }
        self.model = model
        switch model {
        case .conditionalGAN:
            let gan = ElpasoliteConditionalGAN(maxBatch: 1, seed: 0)
            _ = try Checkpoint.restore(from: path, networks: [("generator", gan.generator.store), ("critic", gan.critic.store)],
                                       optimizers: [])
            let sampler = ElpasoliteGANSampler(model: gan)
            generateBlock = { sampler.generate(requestedClass: $0, count: $1, firstSampleIndex: $2, seed: $3, into: $4) }
        case .conditionalVAE:
            let vae = ElpasoliteConditionalVAE(maxBatch: blockRows, seed: 0)
            _ = try Checkpoint.restore(from: path, networks: [("cvae", vae.store)], optimizers: [])
            generateBlock = { try vae.generate(requestedClass: $0, count: $1, firstSampleIndex: $2, seed: $3, into: $4) }
        case .doubleDQN:
            let network = ElpasoliteQNetwork(maxBatch: ElpasoliteDQNSampler.passRows, seed: 0)
            _ = try Checkpoint.restore(from: path, networks: [("q", network.network.store)], optimizers: [])
            let sampler = ElpasoliteDQNSampler(network: network, beta: beta)
            generateBlock = { try sampler.generate(requestedClass: $0, count: $1, firstSampleIndex: $2, seed: $3, into: $4) }
        }
    }

    /// Writes `count` samples `[count, 8]` of the 0-based class `requestedClass`, global sample
    /// indices `firstSampleIndex ..< firstSampleIndex + count`, into `samples`.
    public func generate(requestedClass: Int, count: Int, firstSampleIndex: Int, seed: UInt64,
                         into samples: UnsafeMutablePointer<Float>) throws {
        try generateBlock(requestedClass, count, firstSampleIndex, seed, samples)
    }
}

/// Decodes generated 8-number vectors straight to tuple indices, without allocating: the same
/// rounding and validity as `Elpasolite(vector:)` followed by `index`.
public enum ElpasoliteVectorDecoder {
    /// Vocabulary position per (period − 1) · 8 + (group − 1), −1 where no element sits.
    private static let positions: [Int8] = {
        var table = [Int8](repeating: -1, count: Elpasolite.periodCount * Elpasolite.mainGroupCount)
        for (position, element) in Elpasolite.vocabulary.enumerated() {
            table[(element.period - 1) * Elpasolite.mainGroupCount + Elpasolite.mainGroup(of: element) - 1] = Int8(position)
        }
        return table
    }()

    /// The tuple index of the vector at `values` (8 numbers), or −1 when a number rounds outside
    /// its levels, a (period, group) pair is not one of the 39 elements, or an element repeats.
    public static func tupleIndex(_ values: UnsafePointer<Float>) -> Int {
        positions.withUnsafeBufferPointer { tupleIndex(values, table: $0) }
    }

    /// Decodes `count` vectors `[count, 8]` into `indices` (−1 for invalid ones); returns the
    /// number of valid ones.
    public static func tupleIndices(_ values: UnsafePointer<Float>, count: Int, into indices: UnsafeMutablePointer<Int32>) -> Int {
        positions.withUnsafeBufferPointer { table in
            var valid = 0
            for row in 0 ..< count {
                let index = tupleIndex(values + row * Elpasolite.vectorLength, table: table)
                indices[row] = Int32(truncatingIfNeeded: index)
                if index >= 0 { valid += 1 }
            }
            return valid
        }
    }

    @inline(__always)
    private static func tupleIndex(_ values: UnsafePointer<Float>, table: UnsafeBufferPointer<Int8>) -> Int {
        var sites = (0, 0, 0, 0)
        for site in 0 ..< Elpasolite.siteCount {
            let period = level(values[2 * site], levels: Elpasolite.periodCount)
            let group = level(values[2 * site + 1], levels: Elpasolite.mainGroupCount)
            guard period > 0, group > 0 else { return -1 }
            let position = Int(table[(period - 1) * Elpasolite.mainGroupCount + group - 1])
            guard position >= 0 else { return -1 }
            switch site {
            case 0: sites.0 = position
            case 1: sites.1 = position
            case 2: sites.2 = position
            default: sites.3 = position
            }
        }
        let (a, b, c, d) = sites
        guard a != b, a != c, a != d, b != c, b != d, c != d else { return -1 }
        // Each site's rank among the elements the earlier sites left unused.
        let rankB = b - (a < b ? 1 : 0)
        let rankC = c - (a < c ? 1 : 0) - (b < c ? 1 : 0)
        let rankD = d - (a < d ? 1 : 0) - (b < d ? 1 : 0) - (c < d ? 1 : 0)
        return ((a * 38 + rankB) * 37 + rankC) * 36 + rankD
    }

    /// `Elpasolite.unscale` returning 0 instead of `nil`.
    @inline(__always)
    private static func level(_ value: Float, levels: Int) -> Int {
        let level = (((value + 1) * Float(levels) + 1) / 2).rounded()
        return level.isFinite && level >= 1 && level <= Float(levels) ? Int(level) : 0
    }
}
