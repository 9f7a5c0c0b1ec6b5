import COpenBLAS
import Foundation

/// A Gaussian process that cannot be built.
public struct GaussianProcessError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// The posterior of a Gaussian process at a set of points, in the targets' own units.
public struct Posterior: Sendable {
    public var mean: [Double]
    public var standardDeviation: [Double]
}

/// The posterior with its gradients with respect to the inputs, for local refinement.
public struct PosteriorWithGradient: Sendable {
    public var mean: [Double]
    public var standardDeviation: [Double]
    /// `∂μ/∂x`, row-major `[points, dimension]`.
    public var meanGradient: [Double]
    /// `∂σ/∂x`, row-major `[points, dimension]`; zero where σ is zero.
    public var standardDeviationGradient: [Double]
}

/// Squared Euclidean distances between the columns of two column-major point sets
/// (`dimension × count`) as one GEMM, `|x|² + |y|² − 2 xᵀy`, clamped at 0 against cancellation.
func squaredDistances(_ x: UnsafePointer<Double>, xNorms: UnsafePointer<Double>, count n: Int,
                      _ y: UnsafePointer<Double>, count m: Int, dimension d: Int) -> [Double] {
    var result = [Double](repeating: 0, count: n * m)
    var yNorms = [Double](repeating: 0, count: m)
    for j in 0..<m {
        var sum = 0.0
        for k in 0..<d { sum += y[j * d + k] * y[j * d + k] }
        yNorms[j] = sum
    }
    result.withUnsafeMutableBufferPointer { distances in
        let c = distances.baseAddress!
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(m), Int32(d), -2,
                    x, Int32(d), y, Int32(d), 0, c, Int32(n))
        for j in 0..<m {
            for i in 0..<n { c[j * n + i] = max(c[j * n + i] + xNorms[i] + yNorms[j], 0) }
        }
    }
    return result
}

/// Squared norms of the points of a row-major `[count, dimension]` set.
func squaredNorms(_ points: [Double], dimension: Int) -> [Double] {
    stride(from: 0, to: points.count, by: dimension).map { start in
        var sum = 0.0
        for k in start ..< start + dimension { sum += points[k] * points[k] }
        return sum
    }
}

/// Gaussian-process regression with a Matérn 5/2 kernel (docs/active-design.md, "Bayesian
/// optimisation"): targets normalised to mean 0 and standard deviation 1, a small noise variance on
/// the diagonal, Cholesky through LAPACK in Double, and posterior means and standard deviations for
/// whole blocks of points with BLAS 3 (one GEMM for the cross-covariances, one triangular solve).
///
/// Points are row-major `[count, dimension]`, which is the column-major `dimension × count`
/// matrix BLAS is handed.
public final class GaussianProcess {
    public let dimension: Int
    /// Observations.
    public let count: Int
    public let inputs: [Double]
    /// The targets in their own units.
    public let targets: [Double]
    public let kernel: Matern52Kernel
    /// Noise variance added to the diagonal, in normalised target units.
    public let noise: Double
    /// Mean and standard deviation used to normalise the targets (1 when they are all equal).
    public let targetMean: Double
    public let targetScale: Double

    private let inputNorms: [Double]
    private let cholesky: Cholesky
    /// `K⁻¹ y` for the normalised targets.
    private let weights: [Double]
    /// Log marginal likelihood of the normalised targets.
    public let logMarginalLikelihood: Double

    /// Conditions the process on `targets` at `inputs` with the given kernel. Throws when the
    /// sizes disagree or the covariance matrix is not positive definite.
    public init(inputs: [Double], dimension: Int, targets: [Double], kernel: Matern52Kernel, noise: Double = 1e-6) throws {
        guard dimension > 0, inputs.count == targets.count * dimension, !targets.isEmpty else {
            throw GaussianProcessError(message: "Gaussian process: \(inputs.count) input values do not make "
                                       + "\(targets.count) points of dimension \(dimension)")
        }
        self.dimension = dimension
        count = targets.count
        self.inputs = inputs
        self.targets = targets
        self.kernel = kernel
        self.noise = noise
        let (mean, scale) = Self.normalization(targets)
        (targetMean, targetScale) = (mean, scale)
        let normalized = targets.map { ($0 - mean) / scale }
        let (norms, distances) = Self.pairwiseSquaredDistances(inputs, dimension: dimension)
        inputNorms = norms
        guard let evaluation = MarginalLikelihood(squaredDistances: distances, targets: normalized, noise: noise)
            .evaluate(kernel, gradient: false) else {
            throw GaussianProcessError(message: "Gaussian process: the covariance matrix of \(targets.count) points is not positive "
                                       + "definite (amplitude \(kernel.amplitude), length scale \(kernel.lengthScale), noise \(noise))")
        }
        cholesky = evaluation.cholesky
        weights = evaluation.weights
        logMarginalLikelihood = evaluation.value
    }

    /// Squared norms of `inputs` and their squared distances to each other (`n × n`).
    static func pairwiseSquaredDistances(_ inputs: [Double], dimension: Int) -> (norms: [Double], distances: [Double]) {
        let norms = squaredNorms(inputs, dimension: dimension)
        let n = inputs.count / dimension
        let distances = inputs.withUnsafeBufferPointer { x in
            norms.withUnsafeBufferPointer {
                squaredDistances(x.baseAddress!, xNorms: $0.baseAddress!, count: n, x.baseAddress!, count: n, dimension: dimension)
            }
        }
        return (norms, distances)
    }

    /// Mean and population standard deviation (1 when the targets are all equal).
    static func normalization(_ targets: [Double]) -> (mean: Double, scale: Double) {
        let mean = targets.reduce(0, +) / Double(targets.count)
        let variance = targets.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(targets.count)
        return (mean, variance > 0 ? variance.squareRoot() : 1)
    }

    /// Cross-covariances `K(X, P)` (column-major `count × m`) and the squared distances behind them.
    private func crossCovariance(_ points: UnsafePointer<Double>, count m: Int) -> (covariance: [Double], distances: [Double]) {
        let distances = inputs.withUnsafeBufferPointer { x in
            inputNorms.withUnsafeBufferPointer { norms in
                squaredDistances(x.baseAddress!, xNorms: norms.baseAddress!, count: count, points, count: m, dimension: dimension)
            }
        }
        return (distances.map { kernel.covariance(squaredDistance: $0) }, distances)
    }

    /// Posterior mean and standard deviation at the `points.count / dimension` points.
    public func predict(_ points: UnsafeBufferPointer<Double>) -> Posterior {
        let m = points.count / dimension
        guard m > 0 else { return Posterior(mean: [], standardDeviation: []) }
        var (covariance, _) = crossCovariance(points.baseAddress!, count: m)
        let mean = normalizedMean(covariance, points: m)
        covariance.withUnsafeMutableBufferPointer { cholesky.solveLower($0.baseAddress!, columns: m) }
        let deviation = posteriorVariance(solvedCovariance: covariance, points: m).map { $0.squareRoot() * targetScale }
        return Posterior(mean: mean.map { targetMean + targetScale * $0 }, standardDeviation: deviation)
    }

    /// Posterior at `points` (row-major `[m, dimension]`); see ``predict(_:)-(UnsafeBufferPointer<Double>)``.
    public func predict(_ points: [Double]) -> Posterior {
        points.withUnsafeBufferPointer { predict($0) }
    }

    /// Normalised posterior variance `k(p, p) − ‖L⁻¹ k(X, p)‖²` of each point, given the `[m, count]`
    /// columns `L⁻¹ k(X, p_j)`; clamped at 0 against rounding.
    private func posteriorVariance(solvedCovariance covariance: [Double], points m: Int) -> [Double] {
        (0..<m).map { j in
            var explained = 0.0
            for i in 0..<count { explained += covariance[j * count + i] * covariance[j * count + i] }
            return max(kernel.amplitude - explained, 0)
        }
    }

    /// `K(X, P)ᵀ K⁻¹ y` in normalised units.
    private func normalizedMean(_ covariance: [Double], points m: Int) -> [Double] {
        var mean = [Double](repeating: 0, count: m)
        cblas_dgemv(CblasColMajor, CblasTrans, Int32(count), Int32(m), 1, covariance, Int32(count),
                    weights, 1, 0, &mean, 1)
        return mean
    }

    /// Posterior mean, standard deviation and their gradients at `points` (row-major `[m, dimension]`).
    ///
    /// With `c_ij` the kernel's gradient factor (`∂k(p_j, x_i)/∂p_j = c_ij (p_j − x_i)`):
    /// `∂μ_j = Σ_i α_i c_ij (p_j − x_i)` and `∂σ²_j = −2 Σ_i w_ij c_ij (p_j − x_i)` with
    /// `w = K⁻¹ K(X, p_j)`; both sums are one GEMM with the inputs.
    public func predictWithGradient(_ points: [Double]) -> PosteriorWithGradient {
        let m = points.count / dimension, n = count, d = dimension
        var (covariance, distances) = points.withUnsafeBufferPointer { crossCovariance($0.baseAddress!, count: m) }
        let mean = normalizedMean(covariance, points: m)
        covariance.withUnsafeMutableBufferPointer { cholesky.solveLower($0.baseAddress!, columns: m) }
        let variance = posteriorVariance(solvedCovariance: covariance, points: m)
        covariance.withUnsafeMutableBufferPointer { cholesky.solveUpper($0.baseAddress!, columns: m) }
        // Weighted gradient factors, column-major n × m: α_i c_ij for the mean, w_ij c_ij for the variance.
        var meanFactors = [Double](repeating: 0, count: n * m)
        var varianceFactors = [Double](repeating: 0, count: n * m)
        for index in 0 ..< n * m {
            let factor = kernel.gradientFactor(squaredDistance: distances[index])
            meanFactors[index] = weights[index % n] * factor
            varianceFactors[index] = covariance[index] * factor
        }
        var meanGradient = [Double](repeating: 0, count: m * d)
        var varianceGradient = [Double](repeating: 0, count: m * d)
        // G = X A (d × m): Σ_i x_i A_ij.
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(d), Int32(m), Int32(n), -1,
                    inputs, Int32(d), meanFactors, Int32(n), 0, &meanGradient, Int32(d))
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(d), Int32(m), Int32(n), 2,
                    inputs, Int32(d), varianceFactors, Int32(n), 0, &varianceGradient, Int32(d))
        var deviation = [Double](repeating: 0, count: m)
        for j in 0..<m {
            var meanSum = 0.0, varianceSum = 0.0
            for i in 0..<n {
                meanSum += meanFactors[j * n + i]
                varianceSum += varianceFactors[j * n + i]
            }
            let sigma = variance[j].squareRoot()
            deviation[j] = sigma * targetScale
            for k in 0..<d {
                let p = points[j * d + k]
                meanGradient[j * d + k] = targetScale * (meanGradient[j * d + k] + p * meanSum)
                let varianceSlope = varianceGradient[j * d + k] - 2 * p * varianceSum
                varianceGradient[j * d + k] = sigma > 0 ? targetScale * varianceSlope / (2 * sigma) : 0
            }
        }
        return PosteriorWithGradient(mean: mean.map { targetMean + targetScale * $0 }, standardDeviation: deviation,
                                     meanGradient: meanGradient, standardDeviationGradient: varianceGradient)
    }

    /// Posterior mean (`m`) and covariance (row-major `m × m`) of the points jointly, in target units.
    public func jointPosterior(_ points: [Double]) -> (mean: [Double], covariance: [Double]) {
        let m = points.count / dimension
        var (cross, _) = points.withUnsafeBufferPointer { crossCovariance($0.baseAddress!, count: m) }
        let mean = normalizedMean(cross, points: m)
        cross.withUnsafeMutableBufferPointer { cholesky.solveLower($0.baseAddress!, columns: m) }
        let norms = squaredNorms(points, dimension: dimension)
        var covariance = points.withUnsafeBufferPointer { p in
            norms.withUnsafeBufferPointer { squaredDistances(p.baseAddress!, xNorms: $0.baseAddress!, count: m,
                                                             p.baseAddress!, count: m, dimension: dimension) }
        }.map { kernel.covariance(squaredDistance: $0) }
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, Int32(m), Int32(m), Int32(count), -1,
                    cross, Int32(count), cross, Int32(count), 1, &covariance, Int32(m))
        let scale2 = targetScale * targetScale
        return (mean.map { targetMean + targetScale * $0 }, covariance.map { $0 * scale2 })
    }
}

/// The log marginal likelihood of normalised targets as a function of the kernel, with its
/// gradient with respect to (log amplitude, log length scale):
/// `log p(y) = −½ yᵀα − ½ log det K − (n/2) log 2π`, `α = K⁻¹ y`,
/// `∂/∂θ = ½ tr((α αᵀ − K⁻¹) ∂K/∂θ)`.
struct MarginalLikelihood {
    let squaredDistances: [Double]
    let targets: [Double]
    let noise: Double

    struct Evaluation {
        var value: Double
        /// (∂/∂ log amplitude, ∂/∂ log length scale), empty unless asked for.
        var gradient: [Double]
        var cholesky: Cholesky
        var weights: [Double]
    }

    /// Evaluates at `kernel`, or returns `nil` when the covariance is not positive definite.
    func evaluate(_ kernel: Matern52Kernel, gradient wantsGradient: Bool) -> Evaluation? {
        let n = targets.count
        var covariance = squaredDistances.map { kernel.covariance(squaredDistance: $0) }
        for i in 0..<n { covariance[i * n + i] += noise }
        guard let cholesky = Cholesky(covariance, order: n) else { return nil }
        var weights = targets
        weights.withUnsafeMutableBufferPointer { cholesky.solve($0.baseAddress!, columns: 1) }
        var fit = 0.0
        for i in 0..<n { fit += targets[i] * weights[i] }
        let value = -0.5 * fit - 0.5 * cholesky.logDeterminant - 0.5 * Double(n) * log(2 * Double.pi)
        guard wantsGradient else { return Evaluation(value: value, gradient: [], cholesky: cholesky, weights: weights) }
        let inverse = cholesky.inverse()
        var amplitudeSlope = 0.0, lengthSlope = 0.0
        for j in 0..<n {
            for i in 0..<n {
                let index = j * n + i
                let outer = weights[i] * weights[j] - inverse[index]
                // ∂K/∂ log a is the noiseless kernel itself.
                let kernelValue = i == j ? covariance[index] - noise : covariance[index]
                amplitudeSlope += outer * kernelValue
                lengthSlope += outer * kernel.derivativeByLogLengthScale(squaredDistance: squaredDistances[index])
            }
        }
        return Evaluation(value: value, gradient: [0.5 * amplitudeSlope, 0.5 * lengthSlope], cholesky: cholesky, weights: weights)
    }
}
