import Random

/// WGAN-GP training of a generator against a critic (docs/matgan.md, "WGAN-GP training"; Gulrajani
/// et al. 2017).
///
/// Critic update: `L_D = mean D(G(z)) − mean D(x) + λ · mean_i (‖∇D(x̂_i)‖ − 1)²` with
/// `x̂ = x + e·(G(z) − x)`, `e ~ U(0, 1)` per sample; the critic is evaluated three times (real,
/// fake, interpolated), each in training mode with its own batch statistics, and the penalty's
/// gradient is exact (``Sequential/accumulateGradientPenalty(weight:)``). Generator update:
/// `L_G = −mean D(G(z))`. Noise is `z ~ N(0, 1)`. ``criticIterations`` critic updates (each on its
/// own real batch) precede each generator update.
///
/// Data parallelism plugs in through ``reducer``: each model's flat gradient buffer is averaged
/// over the replicas right before its optimizer step (for synchronised batch norm, install the
/// same reducer in both networks with ``Sequential/synchronizeBatchNorm(over:)``). All buffers
/// are allocated in `init`; steps allocate nothing.
public final class WassersteinGP {
    /// Maps noise `[noiseCount]` to samples `[sampleCount]`.
    public let generator: Sequential
    /// Maps samples to one score each.
    public let critic: Sequential
    /// Updates the generator's store.
    public let generatorOptimizer: any Optimizer
    /// Updates the critic's store.
    public let criticOptimizer: any Optimizer
    /// λ of the gradient penalty (10 in MatGAN).
    public var penaltyWeight: Float
    /// Critic updates per generator update (see ``train(batch:realBatch:)``).
    public var criticIterations: Int
    /// Averages `store.gradients` of the model about to be updated (critic, then generator) over
    /// the data-parallel replicas.
    public var reducer: any Reducer
    /// Noise and interpolation weights, addressed by update and global sample index; each
    /// critic or generator update advances ``SampleRandomness/update``.
    public var randomness: SampleRandomness

    private let noise: FloatBuffer
    private let interpolates: FloatBuffer
    private let weights: FloatBuffer
    private let outputGradient: FloatBuffer

    /// Losses of one critic update.
    public struct CriticUpdate: Sendable {
        /// `mean D(real)`.
        public var realScore: Float
        /// `mean D(fake)`.
        public var fakeScore: Float
        /// `λ · mean (‖∇D(x̂)‖ − 1)²`.
        public var penalty: Float
        /// `fakeScore − realScore + penalty`, the critic's loss.
        public var loss: Float { fakeScore - realScore + penalty }
        /// `realScore − fakeScore`, the Wasserstein-1 estimate.
        public var wassersteinEstimate: Float { realScore - fakeScore }

        public init(realScore: Float, fakeScore: Float, penalty: Float) {
            self.realScore = realScore
            self.fakeScore = fakeScore
            self.penalty = penalty
        }
    }

    /// Losses of one ``train(batch:realBatch:)`` call: the last critic update and the generator's.
    public struct Iteration: Sendable {
        /// The last critic update.
        public var critic: CriticUpdate
        /// `−mean D(G(z))`.
        public var generatorLoss: Float
    }

    /// A trainer for `generator` (noise → samples) and `critic` (samples → `[1]`), whose stores
    /// `generatorOptimizer` and `criticOptimizer` update. Both networks must allow the training
    /// batch (`maxBatch`).
    public init(
        generator: Sequential, critic: Sequential, generatorOptimizer: any Optimizer, criticOptimizer: any Optimizer,
        penaltyWeight: Float = 10, criticIterations: Int = 1, randomness: SampleRandomness,
        reducer: any Reducer = SingleReplica()
    ) {
        precondition(generator.outputCount == critic.inputCount,
                     "WassersteinGP: generator output \(generator.outputShape) does not fit critic input \(critic.inputShape)")
        precondition(critic.outputCount == 1, "WassersteinGP: the critic must output one score per sample, got \(critic.outputShape)")
        precondition(generatorOptimizer.parameterCount == generator.store.parameterCount
                     && criticOptimizer.parameterCount == critic.store.parameterCount,
                     "WassersteinGP: optimizer sizes do not match the networks' parameter counts")
        precondition(criticIterations >= 1, "WassersteinGP: criticIterations must be at least 1")
        self.generator = generator
        self.critic = critic
        self.generatorOptimizer = generatorOptimizer
        self.criticOptimizer = criticOptimizer
        self.penaltyWeight = penaltyWeight
        self.criticIterations = criticIterations
        self.randomness = randomness
        self.reducer = reducer
        let maxBatch = Swift.min(generator.maxBatch, critic.maxBatch)
        noise = FloatBuffer(count: maxBatch * generator.inputCount)
        interpolates = FloatBuffer(count: maxBatch * critic.inputCount)
        weights = FloatBuffer(count: maxBatch)
        outputGradient = FloatBuffer(count: maxBatch)
    }

    /// Largest batch the buffers allow.
    public var maxBatch: Int { weights.count }

    /// `criticIterations` critic updates, each on the `batch` samples `realBatch(i)` returns for
    /// i = 0, 1, … (valid until the next call), then one generator update.
    @discardableResult
    public func train(batch: Int, realBatch: (Int) throws -> UnsafePointer<Float>) throws -> Iteration {
        var last = CriticUpdate(realScore: 0, fakeScore: 0, penalty: 0)
        for i in 0 ..< criticIterations {
            last = try updateCritic(real: try realBatch(i), batch: batch)
        }
        return Iteration(critic: last, generatorLoss: try updateGenerator(batch: batch))
    }

    /// One critic update on `batch` real samples.
    @discardableResult
    public func updateCritic(real: UnsafePointer<Float>, batch: Int) throws -> CriticUpdate {
        precondition(batch > 0 && batch <= maxBatch, "WassersteinGP: batch \(batch) outside 1...\(maxBatch)")
        let fake = try sampleGenerator(batch: batch, purpose: .criticNoise)
        let store = critic.store
        store.zeroGradients()
        let realScore = try scoreAndBackpropagate(real, batch: batch, gradient: -1 / Float(batch))
        let fakeScore = try scoreAndBackpropagate(fake, batch: batch, gradient: 1 / Float(batch))

        let width = critic.inputCount
        randomness.fillUniform(weights.pointer, count: batch, purpose: .interpolation)
        randomness.update += 1
        let x = interpolates.pointer
        for i in 0 ..< batch {
            let e = weights.pointer[i]
            for j in i * width ..< (i + 1) * width { x[j] = real[j] + e * (fake[j] - real[j]) }
        }
        try critic.forward(x, batch: batch, mode: .training)
        let penalty = try critic.accumulateGradientPenalty(weight: penaltyWeight)

        try reducer.mean(store.gradients)
        criticOptimizer.step(store)
        return CriticUpdate(realScore: realScore, fakeScore: fakeScore, penalty: penalty)
    }

    /// One generator update on `batch` noise samples; returns `−mean D(G(z))`.
    @discardableResult
    public func updateGenerator(batch: Int) throws -> Float {
        precondition(batch > 0 && batch <= maxBatch, "WassersteinGP: batch \(batch) outside 1...\(maxBatch)")
        let fake = try sampleGenerator(batch: batch, purpose: .generatorNoise)
        randomness.update += 1
        let score = try critic.forward(fake, batch: batch, mode: .training)
        var total = 0.0
        for i in 0 ..< batch { total += Double(score[i]) }
        outputGradient.pointer.update(repeating: -1 / Float(batch), count: batch)
        try critic.backward(outputGradient: outputGradient.pointer, computeInputGradient: true, accumulateParameterGradients: false)
        generator.store.zeroGradients()
        try generator.backward(outputGradient: critic.inputGradient)
        try reducer.mean(generator.store.gradients)
        generatorOptimizer.step(generator.store)
        return Float(-total / Double(batch))
    }

    /// Draws z ~ N(0, 1) and runs the generator in training mode; returns its output buffer.
    private func sampleGenerator(batch: Int, purpose: SampleRandomness.Purpose) throws -> UnsafeMutablePointer<Float> {
        randomness.fillNormal(noise.pointer, rows: batch, width: generator.inputCount, purpose: purpose)
        return try generator.forward(noise.pointer, batch: batch, mode: .training)
    }

    /// Critic forward on `samples`, backward of `gradient · ΣD` into the critic's gradients;
    /// returns mean D.
    private func scoreAndBackpropagate(_ samples: UnsafePointer<Float>, batch: Int, gradient: Float) throws -> Float {
        let score = try critic.forward(samples, batch: batch, mode: .training)
        var total = 0.0
        for i in 0 ..< batch { total += Double(score[i]) }
        outputGradient.pointer.update(repeating: gradient, count: batch)
        try critic.backward(outputGradient: outputGradient.pointer)
        return Float(total / Double(batch))
    }
}
