/// Layer normalisation over the features of each sample (Ba et al. 2016):
/// `y = γ ⊙ x̂ + β` with `x̂ = (x − μ) · r`, `μ` and `σ²` the mean and (biased) variance of the
/// sample's features and `r = 1/sqrt(σ² + ε)`. Statistics are per sample, so training and inference
/// compute the same function and nothing is kept between batches.
///
/// With `g = γ ⊙ dy`, the backward is `dx = r (g − mean(g) − x̂ · mean(g ⊙ x̂))`. It depends on x,
/// so the gradient penalty's double backward has a nonzero x̄ (see ``backwardOfBackward(input:output:outputGradient:inputGradientAdjoint:outputGradientAdjoint:inputAdjoint:batch:)``).
public final class LayerNorm: Layer {
    public let inputShape: [Int]
    public let outputShape: [Int]
    public var backwardDependsOnInput: Bool { true }
    /// γ, `[features]`, initially 1.
    public let scale: ParameterSlice
    /// β, `[features]`, initially 0.
    public let shift: ParameterSlice
    /// Added to the variance; PyTorch's default 1e-5.
    public let epsilon: Float
    private let store: ParameterStore
    /// x̂ of the last forward pass, `[maxBatch, features]`.
    private let normalized: FloatBuffer
    /// r of the last forward pass, one per sample.
    private let inverseDeviation: FloatBuffer

    /// Normalises `features` values per sample; slices are `name.scale` and `name.shift`.
    public init(store: ParameterStore, name: String, features: Int, maxBatch: Int, epsilon: Float = 1e-5) {
        precondition(features > 1, "LayerNorm \(name): needs at least 2 features, got \(features)")
        self.store = store
        self.epsilon = epsilon
        inputShape = [features]
        outputShape = [features]
        scale = store.addParameter(name: "\(name).scale", shape: [features], role: .scale)
        shift = store.addParameter(name: "\(name).shift", shape: [features], role: .shift)
        normalized = FloatBuffer(count: maxBatch * features)
        inverseDeviation = FloatBuffer(count: maxBatch)
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, mode: Mode) throws {
        let features = inputShape[0]
        let gamma = store.parameter(scale), beta = store.parameter(shift)
        let inverseFeatures = 1 / Float(features)
        for i in 0 ..< batch {
            let row = x + i * features, xHat = normalized.pointer + i * features, out = y + i * features
            let mean = sum(row, features) * inverseFeatures
            for j in 0 ..< features { xHat[j] = row[j] - mean }
            let r = 1 / (dot(xHat, xHat, features) * inverseFeatures + epsilon).squareRoot()
            inverseDeviation.pointer[i] = r
            for j in 0 ..< features {
                xHat[j] *= r
                out[j] = gamma[j] * xHat[j] + beta[j]
            }
        }
    }

    public func backward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>,
        outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>?,
        batch: Int, accumulateParameterGradients: Bool
    ) throws {
        let features = inputShape[0]
        let gamma = store.parameter(scale), dGamma = store.gradient(scale), dBeta = store.gradient(shift)
        let inverseFeatures = 1 / Float(features)
        for i in 0 ..< batch {
            let upstream = dy + i * features, xHat = normalized.pointer + i * features
            if accumulateParameterGradients {
                for j in 0 ..< features {
                    dGamma[j] += upstream[j] * xHat[j]
                    dBeta[j] += upstream[j]
                }
            }
            guard let dx else { continue }
            let out = dx + i * features, r = inverseDeviation.pointer[i]
            // dx is written as g first, so the row needs no scratch buffer.
            for j in 0 ..< features { out[j] = gamma[j] * upstream[j] }
            let meanG = sum(out, features) * inverseFeatures
            let meanGXHat = dot(out, xHat, features) * inverseFeatures
            for j in 0 ..< features { out[j] = r * (out[j] - meanG - xHat[j] * meanGXHat) }
        }
    }

    /// Differentiates `⟨dx, ā⟩ = Σ_k ā_k r (g_k − ḡ − x̂_k m)` (ḡ = mean(g), m = mean(g ⊙ x̂),
    /// g = γ ⊙ dy) per sample, with A = Σ ā, B = Σ ā ⊙ x̂ and C = ā·g − ḡ A:
    /// - `dyBar = γ ⊙ u` with `u = J_x̂ ā = r (ā − A/F − x̂ B/F)` (J_x̂ is symmetric);
    /// - `γ̄ += Σ_samples dy ⊙ u` (β does not enter dx);
    /// - `x̄ = −(r²/F) [x̂ (C − 3 m B) + m (F ā − A) + B (g − ḡ)]`, from ∂r/∂x = −r² x̂/F,
    ///   `∂m/∂x = (r/F)(g − ḡ − m x̂)` and `∂B/∂x = u`.
    public func backwardOfBackward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        inputGradientAdjoint dxBar: UnsafePointer<Float>, outputGradientAdjoint dyBar: UnsafeMutablePointer<Float>,
        inputAdjoint xBar: UnsafeMutablePointer<Float>?, batch: Int
    ) throws {
        let features = inputShape[0]
        let gamma = store.parameter(scale), dGamma = store.gradient(scale)
        let count = Float(features), inverseFeatures = 1 / count
        for i in 0 ..< batch {
            let upstream = dy + i * features, adjoint = dxBar + i * features
            let xHat = normalized.pointer + i * features
            let outAdjoint = dyBar + i * features
            let r = inverseDeviation.pointer[i]
            let a = sum(adjoint, features), b = dot(adjoint, xHat, features)
            for j in 0 ..< features {
                let u = r * (adjoint[j] - (a + xHat[j] * b) * inverseFeatures)
                outAdjoint[j] = gamma[j] * u
                dGamma[j] += upstream[j] * u
            }
            guard let xBar else { continue }
            let row = xBar + i * features
            // x̄ is written as g first; the three reductions then read it in place.
            for j in 0 ..< features { row[j] = gamma[j] * upstream[j] }
            let sumG = sum(row, features)
            let meanG = sumG * inverseFeatures, m = dot(row, xHat, features) * inverseFeatures
            let c = dot(adjoint, row, features) - meanG * a
            let factor = -r * r * inverseFeatures
            let xHatCoefficient = c - 3 * m * b, constant = -m * a - b * meanG
            for j in 0 ..< features {
                row[j] = factor * (xHat[j] * xHatCoefficient + m * count * adjoint[j] + b * row[j] + constant)
            }
        }
    }
}

/// `Σ x[j]` for `count` Floats, in 16 independent lanes so the loop vectorises.
@inline(__always)
private func sum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var lanes = SIMD16<Float>()
    var j = 0
    let raw = UnsafeRawPointer(x)
    while j + 16 <= count {
        lanes += raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
        j += 16
    }
    var total = lanes.sum()
    while j < count { total += x[j]; j += 1 }
    return total
}

/// `Σ x[j]·y[j]` for `count` Floats, in 16 independent lanes so the loop vectorises.
@inline(__always)
private func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ count: Int) -> Float {
    var lanes = SIMD16<Float>()
    var j = 0
    let rawX = UnsafeRawPointer(x), rawY = UnsafeRawPointer(y)
    while j + 16 <= count {
        lanes += rawX.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
            * rawY.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
        j += 16
    }
    var total = lanes.sum()
    while j < count { total += x[j] * y[j]; j += 1 }
    return total
}
