/// Batch normalisation over the last axis (channels) of NHWC or `[batch, features]` input:
/// moments over every other axis, `y = γ (x − μ) / sqrt(σ² + ε) + β`.
///
/// Training mode uses the batch's mean and (biased) variance and updates the running averages
/// `r ← decay·r + (1 − decay)·batch value` (TF's `moving_mean`/`moving_variance`, decay 0.9);
/// inference mode uses the running averages. The running averages live in the store's state
/// buffer. With a ``reducer`` (synchronised batch norm), every per-channel sum — the forward
/// moments, the two backward sums and the five double-backward sums — is summed over the
/// replicas together with the element count (one reduction of `[sums…, elementCount]`), so each
/// replica sees the statistics of the global batch.
public final class BatchNorm: Layer {
    public let inputShape: [Int]
    public var outputShape: [Int] { inputShape }
    public var backwardDependsOnInput: Bool { true }
    /// Normalised channels (the last axis).
    public let channels: Int
    /// Running-average decay; ``Sequential/recalibrateBatchNorm(batches:batchSize:input:)`` changes
    /// it while it re-estimates the averages.
    public var decay: Float
    /// Added to the variance.
    public let epsilon: Float
    /// γ, `[channels]`.
    public let scale: ParameterSlice
    /// β, `[channels]`.
    public let shift: ParameterSlice
    /// Running mean (state), `[channels]`.
    public let runningMean: ParameterSlice
    /// Running variance (state), `[channels]`.
    public let runningVariance: ParameterSlice
    /// Sums the statistics over the replicas (nil: each replica normalises with its own batch).
    public var reducer: (any Reducer)?

    private let store: ParameterStore
    private let positions: Int
    /// Mean and 1/sqrt(var + ε) the last forward normalised with.
    private let mean: FloatBuffer
    private let inverseDeviation: FloatBuffer
    private var lastMode = Mode.training
    /// Eight per-channel Double accumulators and the reducer's Float exchange buffer.
    private let sums: UnsafeMutableBufferPointer<Double>
    private let exchange: FloatBuffer

    /// Batch norm of per-sample `shape` (channels = last axis); slices `name.gamma`, `name.beta`,
    /// state `name.moving_mean`, `name.moving_variance`.
    public init(store: ParameterStore, name: String, shape: [Int], decay: Float = 0.9, epsilon: Float = 1e-5) {
        precondition(!shape.isEmpty && shape.allSatisfy { $0 > 0 }, "BatchNorm \(name): invalid shape \(shape)")
        self.store = store
        inputShape = shape
        channels = shape[shape.count - 1]
        positions = shape.reduce(1, *) / channels
        self.decay = decay
        self.epsilon = epsilon
        scale = store.addParameter(name: "\(name).gamma", shape: [channels], role: .scale)
        shift = store.addParameter(name: "\(name).beta", shape: [channels], role: .shift)
        runningMean = store.addState(name: "\(name).moving_mean", shape: [channels], initialValue: 0)
        runningVariance = store.addState(name: "\(name).moving_variance", shape: [channels], initialValue: 1)
        mean = FloatBuffer(count: channels)
        inverseDeviation = FloatBuffer(count: channels)
        sums = .allocate(capacity: 8 * channels)
        sums.initialize(repeating: 0)
        exchange = FloatBuffer(count: 5 * channels + 1)
    }

    deinit { sums.deallocate() }

    /// Replaces `sums[0 ..< count]` by their cross-rank totals and returns the total element
    /// count (`elements` without a reducer).
    @inline(__always)
    private func reduce(count: Int, elements: Int) throws -> Double {
        guard let reducer else { return Double(elements) }
        let buffer = exchange.pointer
        for i in 0 ..< count { buffer[i] = Float(sums[i]) }
        buffer[count] = Float(elements)
        try reducer.sum(UnsafeMutableBufferPointer(start: buffer, count: count + 1))
        for i in 0 ..< count { sums[i] = Double(buffer[i]) }
        return Double(buffer[count])
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, mode: Mode) throws {
        let (c, rows) = (channels, batch * positions)
        let mu = mean.pointer, inverse = inverseDeviation.pointer
        lastMode = mode
        switch mode {
        case .training:
            let s = sums.baseAddress!
            s.update(repeating: 0, count: c)
            for r in 0 ..< rows {
                let row = x + r * c
                for j in 0 ..< c { s[j] += Double(row[j]) }
            }
            let total = try reduce(count: c, elements: rows)
            for j in 0 ..< c { mu[j] = Float(s[j] / total) }
            s.update(repeating: 0, count: c)
            for r in 0 ..< rows {
                let row = x + r * c
                for j in 0 ..< c {
                    let d = row[j] - mu[j]
                    s[j] += Double(d * d)
                }
            }
            _ = try reduce(count: c, elements: rows)
            let runMean = store.state(runningMean), runVariance = store.state(runningVariance)
            for j in 0 ..< c {
                let variance = Float(s[j] / total)
                inverse[j] = 1 / (variance + epsilon).squareRoot()
                runMean[j] = decay * runMean[j] + (1 - decay) * mu[j]
                runVariance[j] = decay * runVariance[j] + (1 - decay) * variance
            }
        case .inference:
            let runMean = store.state(runningMean), runVariance = store.state(runningVariance)
            for j in 0 ..< c {
                mu[j] = runMean[j]
                inverse[j] = 1 / (runVariance[j] + epsilon).squareRoot()
            }
        }
        // y = a·x + b per channel; `sums` is free scratch here.
        let gamma = store.parameter(scale), beta = store.parameter(shift)
        let a = exchange.pointer, b = exchange.pointer + c
        for j in 0 ..< c {
            a[j] = gamma[j] * inverse[j]
            b[j] = beta[j] - a[j] * mu[j]
        }
        for r in 0 ..< rows {
            let input = x + r * c, output = y + r * c
            for j in 0 ..< c { output[j] = a[j] * input[j] + b[j] }
        }
    }

    public func backward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>,
        outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>?,
        batch: Int, accumulateParameterGradients: Bool
    ) throws {
        let (c, rows) = (channels, batch * positions)
        let mu = mean.pointer, inverse = inverseDeviation.pointer, gamma = store.parameter(scale)
        let s = sums.baseAddress!
        // s[0..<c] = Σ dy, s[c..<2c] = Σ dy·x̂ (local).
        s.update(repeating: 0, count: 2 * c)
        for r in 0 ..< rows {
            let input = x + r * c, gradient = dy + r * c
            for j in 0 ..< c {
                s[j] += Double(gradient[j])
                s[c + j] += Double(gradient[j] * (input[j] - mu[j]) * inverse[j])
            }
        }
        if accumulateParameterGradients {
            let dGamma = store.gradient(scale), dBeta = store.gradient(shift)
            for j in 0 ..< c {
                dBeta[j] += Float(s[j])
                dGamma[j] += Float(s[c + j])
            }
        }
        guard let dx else { return }
        switch lastMode {
        case .inference:
            for r in 0 ..< rows {
                let gradient = dy + r * c, output = dx + r * c
                for j in 0 ..< c { output[j] = gradient[j] * gamma[j] * inverse[j] }
            }
        case .training:
            // dx = γ r (dy − mean(dy) − x̂ · mean(dy x̂)), means over the (global) batch.
            let total = try reduce(count: 2 * c, elements: rows)
            let meanGradient = exchange.pointer, meanProduct = exchange.pointer + c, a = exchange.pointer + 2 * c
            for j in 0 ..< c {
                meanGradient[j] = Float(s[j] / total)
                meanProduct[j] = Float(s[c + j] / total)
                a[j] = gamma[j] * inverse[j]
            }
            for r in 0 ..< rows {
                let input = x + r * c, gradient = dy + r * c, output = dx + r * c
                for j in 0 ..< c {
                    let normalized = (input[j] - mu[j]) * inverse[j]
                    output[j] = a[j] * (gradient[j] - meanGradient[j] - normalized * meanProduct[j])
                }
            }
        }
    }

    /// With batch statistics, `B(x, γ, dy) = γ r (dy − m₁ − x̂ m₂)` where `m₁ = mean(dy)`,
    /// `m₂ = mean(dy x̂)`. With `a = dxBar`, `m₃ = mean(a)`, `m₄ = mean(a x̂)`, `m₅ = mean(a dy)`:
    /// `dyBar = γ r (a − m₃ − x̂ m₄)` (the Jacobian is symmetric),
    /// `γ̄ += r Σ (dy − m₁ − x̂ m₂) a`, and
    /// `x̄ = γ r² [−x̂ (m₅ − m₃ m₁) + 3 x̂ m₂ m₄ − m₂ (a − m₃) − m₄ (dy − m₁)]`
    /// (from `∂r/∂x_i = −r² x̂_i / M` and `∂x̂_j/∂x_i = r (δ_ij − 1/M − x̂_i x̂_j / M)`).
    /// With running averages, B is linear in dy only: `dyBar = γ r a`, `γ̄ += Σ r dy a`, `x̄ = 0`.
    public func backwardOfBackward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        inputGradientAdjoint dxBar: UnsafePointer<Float>, outputGradientAdjoint dyBar: UnsafeMutablePointer<Float>,
        inputAdjoint xBar: UnsafeMutablePointer<Float>?, batch: Int
    ) throws {
        let (c, rows) = (channels, batch * positions)
        let mu = mean.pointer, inverse = inverseDeviation.pointer, gamma = store.parameter(scale)
        let dGamma = store.gradient(scale)
        let s = sums.baseAddress!
        if lastMode == .inference {
            s.update(repeating: 0, count: c)
            for r in 0 ..< rows {
                let adjoint = dxBar + r * c, gradient = dy + r * c, output = dyBar + r * c
                for j in 0 ..< c {
                    output[j] = gamma[j] * inverse[j] * adjoint[j]
                    s[j] += Double(gradient[j] * adjoint[j])
                }
            }
            for j in 0 ..< c { dGamma[j] += Float(s[j]) * inverse[j] }
            xBar?.update(repeating: 0, count: rows * c)
            return
        }
        // Local sums Σdy, Σdy x̂, Σa, Σa x̂, Σa dy.
        s.update(repeating: 0, count: 5 * c)
        for r in 0 ..< rows {
            let input = x + r * c, gradient = dy + r * c, adjoint = dxBar + r * c
            for j in 0 ..< c {
                let normalized = (input[j] - mu[j]) * inverse[j]
                s[j] += Double(gradient[j])
                s[c + j] += Double(gradient[j] * normalized)
                s[2 * c + j] += Double(adjoint[j])
                s[3 * c + j] += Double(adjoint[j] * normalized)
                s[4 * c + j] += Double(adjoint[j] * gradient[j])
            }
        }
        // Keep the local Σa, Σa x̂, Σa dy for γ̄ (a per-rank gradient), then take global means.
        let local = s + 5 * c
        local.update(from: s + 2 * c, count: 3 * c)
        let total = try reduce(count: 5 * c, elements: rows)
        let m = exchange.pointer  // m[k·c + j] = k-th mean of channel j
        for k in 0 ..< 5 {
            for j in 0 ..< c { m[k * c + j] = Float(s[k * c + j] / total) }
        }
        for j in 0 ..< c {
            let weighted = local[2 * c + j] - Double(m[j]) * local[j] - Double(m[c + j]) * local[c + j]
            dGamma[j] += Float(weighted) * inverse[j]
        }
        for r in 0 ..< rows {
            let input = x + r * c, adjoint = dxBar + r * c, output = dyBar + r * c
            for j in 0 ..< c {
                let normalized = (input[j] - mu[j]) * inverse[j]
                output[j] = gamma[j] * inverse[j] * (adjoint[j] - m[2 * c + j] - normalized * m[3 * c + j])
            }
        }
        guard let xBar else { return }
        for r in 0 ..< rows {
            let input = x + r * c, gradient = dy + r * c, adjoint = dxBar + r * c, output = xBar + r * c
            for j in 0 ..< c {
                let (m1, m2, m3, m4, m5) = (m[j], m[c + j], m[2 * c + j], m[3 * c + j], m[4 * c + j])
                let normalized = (input[j] - mu[j]) * inverse[j]
                let cross = m5 - m3 * m1
                output[j] = gamma[j] * inverse[j] * inverse[j]
                    * (-normalized * cross + 3 * normalized * m2 * m4 - m2 * (adjoint[j] - m3) - m4 * (gradient[j] - m1))
            }
        }
    }
}
