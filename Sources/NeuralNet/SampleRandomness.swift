import Random

/// The random draws of data-parallel training, addressed by (update, global sample index):
/// sample i of the global batch gets the same noise and interpolation weight whichever rank
/// holds it, so runs on different rank counts (with synchronised batch norm) follow the same
/// trajectory, and a resumed run continues the exact sequence of an uninterrupted one.
public struct SampleRandomness: Sendable, Equatable {
    /// Draws no other purpose shares.
    public let seed: UInt64
    /// Global index of this replica's first sample in each batch (its rank).
    public var sampleOffset: Int
    /// Distance between the global indices of consecutive local samples (the rank count):
    /// local sample j is global sample `sampleOffset + j · sampleStride`, as a rank takes
    /// every world-th row of each global batch.
    public var sampleStride: Int
    /// Updates drawn for so far; saved in checkpoints.
    public var update: UInt64

    /// What a draw is for; each purpose has its own stream per update.
    public enum Purpose: UInt64, Sendable {
        case criticNoise = 0, interpolation = 1, generatorNoise = 2, latentNoise = 3
    }

    public init(seed: UInt64, sampleOffset: Int = 0, sampleStride: Int = 1, update: UInt64 = 0) {
        self.seed = seed
        self.sampleOffset = sampleOffset
        self.sampleStride = sampleStride
        self.update = update
    }

    /// Fills `count` rows of `width` N(0, 1) values, row j for local sample j.
    public func fillNormal(_ destination: UnsafeMutablePointer<Float>, rows count: Int, width: Int, purpose: Purpose) {
        for row in 0 ..< count {
            var stream = stream(purpose: purpose, sample: sampleOffset + row * sampleStride)
            stream.fillNormal(UnsafeMutableBufferPointer(start: destination + row * width, count: width))
        }
    }

    /// Fills `count` U(0, 1) values, value j for local sample j.
    public func fillUniform(_ destination: UnsafeMutablePointer<Float>, count: Int, purpose: Purpose) {
        for row in 0 ..< count {
            var stream = stream(purpose: purpose, sample: sampleOffset + row * sampleStride)
            stream.fillUniform(UnsafeMutableBufferPointer(start: destination + row, count: 1))
        }
    }

    private func stream(purpose: Purpose, sample: Int) -> RandomStream {
        RandomStream(seed: seed, stream: update << 2 | purpose.rawValue, position: UInt64(sample) << 32)
    }
}
