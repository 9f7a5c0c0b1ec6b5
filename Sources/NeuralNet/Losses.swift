import Foundation

/// Loss functions over flat Float32 buffers.
///
/// Every function returns the loss and, when handed a gradient buffer, **writes** (`=`, not `+=`)
/// the gradient of that returned loss with respect to the prediction, so the buffer can feed a
/// network's backward pass directly. Sums are accumulated in Double: a batch of 65,536 × 8 Float
/// terms would otherwise lose about three significant digits.
public enum Loss {

    /// How an elementwise loss over a row-major `[rows, columns]` batch becomes one number.
    public enum Reduction: Sendable {
        /// Mean over all `rows · columns` elements (PyTorch's and Keras's default).
        case meanOverElements
        /// Sum over the columns of each row, mean over the rows: a per-sample sum averaged over
        /// the batch, e.g. the cVAE reconstruction term `Σ (x − x_rec)²` (docs/elpasolite.md,
        /// "cVAE").
        case meanOverRows

        func divisor(rows: Int, columns: Int) -> Double {
            switch self {
            case .meanOverElements: Double(rows * columns)
            case .meanOverRows: Double(rows)
            }
        }
    }

    // MARK: - Regression and classification

    /// Squared error `Σ (p − t)²` reduced by `reduction`; gradient `2 (p − t) / divisor`.
    public static func squaredError(
        prediction: UnsafePointer<Float>, target: UnsafePointer<Float>, rows: Int, columns: Int,
        reduction: Reduction = .meanOverElements, gradient: UnsafeMutablePointer<Float>? = nil
    ) -> Float {
        let count = rows * columns
        let divisor = reduction.divisor(rows: rows, columns: columns)
        let gradientScale = Float(2 / divisor)
        var sum = 0.0
        for i in 0..<count {
            let difference = prediction[i] - target[i]
            sum += Double(difference * difference)
            gradient?[i] = gradientScale * difference
        }
        return Float(sum / divisor)
    }

    /// Binary cross-entropy on probabilities, `−[t log p + (1 − t) log(1 − p)]`, reduced by
    /// `reduction`, with PyTorch's `BCELoss` safeguards: each log is clamped at −100 (so p = 0 or 1
    /// gives a large finite loss) and the gradient `(p − t) / (p (1 − p))` uses a denominator of at
    /// least 1e-12, so a saturated sigmoid still gets a finite push back. Prefer
    /// ``binaryCrossEntropyWithLogits(logit:target:rows:columns:reduction:gradient:)`` when the
    /// logits are available.
    public static func binaryCrossEntropy(
        probability: UnsafePointer<Float>, target: UnsafePointer<Float>, rows: Int, columns: Int,
        reduction: Reduction = .meanOverElements, gradient: UnsafeMutablePointer<Float>? = nil
    ) -> Float {
        let count = rows * columns
        let divisor = reduction.divisor(rows: rows, columns: columns)
        let gradientScale = 1 / divisor
        var sum = 0.0
        for i in 0..<count {
            let p = Double(probability[i]), t = Double(target[i])
            let logP = max(log(p), -100), logOneMinusP = max(log1p(-p), -100)
            sum -= t * logP + (1 - t) * logOneMinusP
            gradient?[i] = Float(gradientScale * (p - t) / max(p * (1 - p), 1e-12))
        }
        return Float(sum / divisor)
    }

    /// Binary cross-entropy of `sigmoid(z)` against `t`, computed from the logit `z` in the stable
    /// form `max(z, 0) − z t + log(1 + e^(−|z|))`, reduced by `reduction`; gradient
    /// `(sigmoid(z) − t) / divisor`. Exact for any finite logit, unlike the probability form.
    public static func binaryCrossEntropyWithLogits(
        logit: UnsafePointer<Float>, target: UnsafePointer<Float>, rows: Int, columns: Int,
        reduction: Reduction = .meanOverElements, gradient: UnsafeMutablePointer<Float>? = nil
    ) -> Float {
        let count = rows * columns
        let divisor = reduction.divisor(rows: rows, columns: columns)
        let gradientScale = 1 / divisor
        var sum = 0.0
        for i in 0..<count {
            let z = Double(logit[i]), t = Double(target[i])
            let e = exp(-abs(z))
            sum += max(z, 0) - z * t + log1p(e)
            // sigmoid(z) from e = exp(−|z|) without overflow on either side.
            let sigmoid = z >= 0 ? 1 / (1 + e) : e / (1 + e)
            gradient?[i] = Float(gradientScale * (sigmoid - t))
        }
        return Float(sum / divisor)
    }

    /// Negative soft Dice coefficient of the MatGAN autoencoder (docs/matgan.md, "Autoencoder"),
    /// `L = −(2 Σ A·B + s) / (Σ A + Σ B + s)` with A the prediction, B the target and the sums
    /// running over the **whole batch** (`count` elements), as the reference formula is written:
    /// one coefficient per batch, not a mean of per-sample coefficients. The smoothing constant `s`
    /// (default 1, Keras's customary value) keeps an all-zero pair at L = −1 instead of 0/0; a
    /// MatGAN batch of 1024 samples has Σ B ≈ 4,000, so s = 1 shifts the loss by < 3e-4.
    /// Gradient: `∂L/∂A_i = −2 B_i / D + N / D²` with N = 2 Σ A·B + s, D = Σ A + Σ B + s.
    ///
    /// Under data parallelism the batch is split over replicas: `reducer` sums this replica's
    /// `[Σ A·B, Σ A + Σ B]` over all of them (one reduction), so the loss and gradient are those of
    /// the global batch.
    public static func negativeDice(
        prediction: UnsafePointer<Float>, target: UnsafePointer<Float>, count: Int,
        smoothing: Float = 1, gradient: UnsafeMutablePointer<Float>? = nil,
        reducer: any Reducer = SingleReplica()
    ) throws -> Float {
        var sums = SIMD2<Double>(0, 0)
        for i in 0..<count {
            sums[0] += Double(prediction[i] * target[i])
            sums[1] += Double(prediction[i]) + Double(target[i])
        }
        try withUnsafeMutableBytes(of: &sums) { try reducer.sum($0.bindMemory(to: Double.self)) }
        let overlap = sums[0], total = sums[1] + Double(smoothing)
        let numerator = 2 * overlap + Double(smoothing)
        if let gradient {
            let targetScale = Float(-2 / total), offset = Float(numerator / (total * total))
            for i in 0..<count { gradient[i] = targetScale * target[i] + offset }
        }
        return Float(-numerator / total)
    }

    // MARK: - Variational autoencoder

    /// `weight` times the batch mean of KL(N(μ, diag e^v) ‖ N(0, I)),
    /// `weight/batch · Σ −½ (1 + v − μ² − e^v)` summed over the latent dimensions, for encoder
    /// `statistics` laid out `[batch, 2 · latent]`: each row is μ (first `latent` values) followed by
    /// the log-variance v (one linear head produces both). When `gradient` (same layout) is given,
    /// writes `∂L/∂μ = weight·μ/batch` and `∂L/∂v = weight·(e^v − 1)/(2 batch)`; the reconstruction
    /// path is then added on top by ``GaussianLatent/backward(latentGradient:noise:statistics:statisticsGradient:batch:latent:)``.
    public static func gaussianKLDivergence(
        statistics: UnsafePointer<Float>, batch: Int, latent: Int, weight: Float = 1,
        gradient: UnsafeMutablePointer<Float>? = nil
    ) -> Float {
        let scale = Double(weight) / Double(batch)
        var sum = 0.0
        for i in 0..<batch {
            let mean = statistics + i * 2 * latent, logVariance = mean + latent
            for j in 0..<latent {
                let mu = Double(mean[j]), v = Double(logVariance[j])
                let variance = exp(v)
                sum += -0.5 * (1 + v - mu * mu - variance)
                if let gradient {
                    gradient[i * 2 * latent + j] = Float(scale * mu)
                    gradient[i * 2 * latent + latent + j] = Float(scale * 0.5 * (variance - 1))
                }
            }
        }
        return Float(scale * sum)
    }

    // MARK: - Q-learning

    /// The penalty applied to a temporal-difference error d = Q(s, a) − y.
    public enum TemporalDifferencePenalty: Sendable {
        /// Huber with δ = 1: ½ d² for |d| ≤ 1, |d| − ½ beyond (PyTorch's `smooth_l1_loss`);
        /// gradient clamp(d, −1, 1).
        case huber
        /// Squared error d²; gradient 2d.
        case squared
    }

    /// Q-learning regression loss over a batch: the mean over samples of `penalty(Q[i, a_i] − y_i)`,
    /// where `values` is the network output `[batch, actionCount]`, `actions[i]` the action taken in
    /// sample i and `targets[i]` its (already bootstrapped) target y. The gradient `[batch,
    /// actionCount]` is zero except at each sample's chosen action. Traps on an action outside
    /// `0..<actionCount` (a caller bug, not a data condition).
    public static func temporalDifference(
        values: UnsafePointer<Float>, actions: UnsafePointer<Int>, targets: UnsafePointer<Float>,
        batch: Int, actionCount: Int, penalty: TemporalDifferencePenalty = .huber,
        gradient: UnsafeMutablePointer<Float>? = nil
    ) -> Float {
        let inverseBatch = 1 / Float(batch)
        gradient?.update(repeating: 0, count: batch * actionCount)
        var sum = 0.0
        for i in 0..<batch {
            let action = actions[i]
            precondition((0..<actionCount).contains(action),
                         "temporalDifference: action \(action) of sample \(i) is outside 0..<\(actionCount)")
            let d = values[i * actionCount + action] - targets[i]
            let (term, slope): (Float, Float)
            switch penalty {
            case .huber: (term, slope) = abs(d) <= 1 ? (0.5 * d * d, d) : (abs(d) - 0.5, d > 0 ? 1 : -1)
            case .squared: (term, slope) = (d * d, 2 * d)
            }
            sum += Double(term)
            gradient?[i * actionCount + action] = inverseBatch * slope
        }
        return Float(sum / Double(batch))
    }

    // MARK: - Wasserstein GAN

    /// WGAN critic loss without its penalty, `mean(D(fake)) − mean(D(real))` (docs/matgan.md,
    /// "WGAN-GP training"), over `batch` scores of each kind; writes the constant gradients
    /// −1/batch (real) and +1/batch (fake).
    public static func wassersteinCritic(
        realScores: UnsafePointer<Float>, fakeScores: UnsafePointer<Float>, batch: Int,
        realGradient: UnsafeMutablePointer<Float>? = nil, fakeGradient: UnsafeMutablePointer<Float>? = nil
    ) -> Float {
        let inverseBatch = 1 / Float(batch)
        var sum = 0.0
        for i in 0..<batch { sum += Double(fakeScores[i]) - Double(realScores[i]) }
        realGradient?.update(repeating: -inverseBatch, count: batch)
        fakeGradient?.update(repeating: inverseBatch, count: batch)
        return Float(sum / Double(batch))
    }

    /// WGAN generator loss `−mean(D(fake))` (docs/matgan.md, "WGAN-GP training"); writes the
    /// gradient −1/batch per score.
    public static func wassersteinGenerator(
        fakeScores: UnsafePointer<Float>, batch: Int, gradient: UnsafeMutablePointer<Float>? = nil
    ) -> Float {
        var sum = 0.0
        for i in 0..<batch { sum -= Double(fakeScores[i]) }
        gradient?.update(repeating: -1 / Float(batch), count: batch)
        return Float(sum / Double(batch))
    }
}

/// The reparameterisation of a diagonal Gaussian latent, z = μ + e^(v/2) · ε, which lets a VAE
/// backpropagate through sampling: ε ~ N(0, I) is drawn by the caller and kept for the backward.
/// Encoder `statistics` are `[batch, 2 · latent]` rows of μ followed by the log-variance v, as in
/// ``Loss/gaussianKLDivergence(statistics:batch:latent:weight:gradient:)``; `noise` and `z` are
/// `[batch, latent]`.
public enum GaussianLatent {
    /// Writes `z = μ + exp(v / 2) · ε` for every sample.
    public static func sample(
        statistics: UnsafePointer<Float>, noise: UnsafePointer<Float>, into z: UnsafeMutablePointer<Float>,
        batch: Int, latent: Int
    ) {
        for i in 0..<batch {
            let mean = statistics + i * 2 * latent, logVariance = mean + latent
            let epsilon = noise + i * latent, row = z + i * latent
            for j in 0..<latent { row[j] = mean[j] + expf(0.5 * logVariance[j]) * epsilon[j] }
        }
    }

    /// Backward of ``sample(statistics:noise:into:batch:latent:)``: **adds** `∂L/∂z` to the μ half
    /// and `∂L/∂z · ½ e^(v/2) ε` to the v half of `statisticsGradient`, on top of what is already
    /// there (typically the KL term written by ``Loss/gaussianKLDivergence(statistics:batch:latent:weight:gradient:)``).
    public static func backward(
        latentGradient dz: UnsafePointer<Float>, noise: UnsafePointer<Float>, statistics: UnsafePointer<Float>,
        statisticsGradient: UnsafeMutablePointer<Float>, batch: Int, latent: Int
    ) {
        for i in 0..<batch {
            let logVariance = statistics + i * 2 * latent + latent
            let dMean = statisticsGradient + i * 2 * latent, dLogVariance = dMean + latent
            let upstream = dz + i * latent, epsilon = noise + i * latent
            for j in 0..<latent {
                dMean[j] += upstream[j]
                dLogVariance[j] += upstream[j] * 0.5 * expf(0.5 * logVariance[j]) * epsilon[j]
            }
        }
    }
}
