import Foundation
import Random

/// How ``GaussianProcess/fit(inputs:dimension:targets:noise:options:start:workers:)`` searches the kernel's
/// hyper-parameters.
public struct HyperparameterSearch: Sendable, Equatable {
    /// Bounds of the amplitude (normalised targets have variance 1).
    public var amplitudeRange: ClosedRange<Double> = 1e-2 ... 1e2
    /// Bounds of the length scale, in input units (the unit cube of the latent box).
    public var lengthScaleRange: ClosedRange<Double> = 1e-2 ... 1e3
    /// Extra starts drawn log-uniformly inside the bounds, besides the given start.
    public var restarts = 2
    /// BFGS iterations per start.
    public var maximumIterations = 60
    /// Seed of the restart points.
    public var seed: UInt64 = 0

    public init(restarts: Int = 2, seed: UInt64 = 0) {
        self.restarts = restarts
        self.seed = seed
    }
}

extension GaussianProcess {
    /// Conditions a process on the data with the kernel that maximises the log marginal
    /// likelihood: BFGS with analytic gradients in (log amplitude, log length scale), projected
    /// onto the bounds, from `start` and from `search.restarts` seeded log-uniform points. The
    /// starts are dealt over `workers` and the best result (ties: the earlier start) is kept, so
    /// the fit does not depend on the number of workers. Collective over `workers`.
    public static func fit(
        inputs: [Double], dimension: Int, targets: [Double], noise: Double = 1e-6,
        search: HyperparameterSearch = HyperparameterSearch(),
        start: Matern52Kernel = Matern52Kernel(amplitude: 1, lengthScale: 1), workers: any WorkerGroup = SingleProcess()
    ) throws -> GaussianProcess {
        guard dimension > 0, inputs.count == targets.count * dimension, !targets.isEmpty else {
            throw GaussianProcessError(message: "Gaussian process: \(inputs.count) input values do not make "
                                       + "\(targets.count) points of dimension \(dimension)")
        }
        let (mean, scale) = normalization(targets)
        let (_, distances) = pairwiseSquaredDistances(inputs, dimension: dimension)
        let likelihood = MarginalLikelihood(squaredDistances: distances, targets: targets.map { ($0 - mean) / scale }, noise: noise)
        let lower = [log(search.amplitudeRange.lowerBound), log(search.lengthScaleRange.lowerBound)]
        let upper = [log(search.amplitudeRange.upperBound), log(search.lengthScaleRange.upperBound)]
        var starts = [[min(max(log(start.amplitude), lower[0]), upper[0]), min(max(log(start.lengthScale), lower[1]), upper[1])]]
        for restart in 0 ..< search.restarts {
            var stream = RandomStream(seed: derivedSeed(search.seed, for: .gaussianProcessRestarts), stream: UInt64(restart))
            starts.append((0..<2).map { lower[$0] + (upper[$0] - lower[$0]) * stream.uniformDouble() })
        }
        // Per start: log likelihood, log amplitude, log length scale.
        var results = [Double](repeating: 0, count: 3 * starts.count)
        for (index, point) in starts.enumerated() where workers.owns(index) {
            let objective: ([Double]) -> (Double, [Double])? = { theta in
                let kernel = Matern52Kernel(amplitude: exp(theta[0]), lengthScale: exp(theta[1]))
                return likelihood.evaluate(kernel, gradient: true).map { ($0.value, $0.gradient) }
            }
            let best = maximizeWithBFGS(objective, start: point, lower: lower, upper: upper,
                                        maximumIterations: search.maximumIterations)
            results[3 * index ..< 3 * index + 3] = [best?.value ?? -.infinity, best?.point[0] ?? 0, best?.point[1] ?? 0]
        }
        try workers.sum(&results)
        var chosen: Int?
        for index in starts.indices where results[3 * index].isFinite {
            if chosen == nil || results[3 * index] > results[3 * chosen!] { chosen = index }
        }
        guard let chosen else {
            throw GaussianProcessError(message: "Gaussian process: no kernel in the bounds gives a positive-definite covariance "
                                       + "for \(targets.count) points (are some inputs repeated?)")
        }
        let kernel = Matern52Kernel(amplitude: exp(results[3 * chosen + 1]), lengthScale: exp(results[3 * chosen + 2]))
        return try GaussianProcess(inputs: inputs, dimension: dimension, targets: targets, kernel: kernel, noise: noise)
    }
}

/// Maximises `objective` (value and gradient, `nil` where undefined) inside the box
/// `lower...upper` by BFGS with a projected backtracking (Armijo) line search; returns the best
/// point found, or `nil` when the objective is undefined at the start.
func maximizeWithBFGS(
    _ objective: ([Double]) -> (Double, [Double])?, start: [Double], lower: [Double], upper: [Double], maximumIterations: Int
) -> (point: [Double], value: Double)? {
    let n = start.count
    guard var (value, gradient) = objective(start) else { return nil }
    var point = start
    var inverseHessian = identity(n)
    for _ in 0 ..< maximumIterations {
        var direction = (0..<n).map { i in (0..<n).reduce(0) { $0 + inverseHessian[i * n + $1] * gradient[$1] } }
        if zip(direction, gradient).reduce(0, { $0 + $1.0 * $1.1 }) <= 0 {
            inverseHessian = identity(n)
            direction = gradient
        }
        var step = 1.0
        var accepted: (point: [Double], value: Double, gradient: [Double])?
        for _ in 0..<40 {
            let trial = (0..<n).map { min(max(point[$0] + step * direction[$0], lower[$0]), upper[$0]) }
            let slope = (0..<n).reduce(0) { $0 + gradient[$1] * (trial[$1] - point[$1]) }
            if let (trialValue, trialGradient) = objective(trial), trialValue >= value + 1e-4 * slope, trialValue.isFinite {
                accepted = (trial, trialValue, trialGradient)
                break
            }
            step *= 0.5
        }
        guard let accepted else { break }
        let s = (0..<n).map { accepted.point[$0] - point[$0] }
        let y = (0..<n).map { gradient[$0] - accepted.gradient[$0] }  // change of the gradient of −objective
        let improvement = accepted.value - value
        (point, value, gradient) = (accepted.point, accepted.value, accepted.gradient)
        let curvature = zip(s, y).reduce(0) { $0 + $1.0 * $1.1 }
        if curvature > 1e-12 { inverseHessian = bfgsUpdate(inverseHessian, s: s, y: y, curvature: curvature) }
        // The projected gradient: components pushing against an active bound do not count.
        let projected = (0..<n).map { i -> Double in
            if point[i] <= lower[i] && gradient[i] < 0 { return 0 }
            if point[i] >= upper[i] && gradient[i] > 0 { return 0 }
            return gradient[i]
        }
        if improvement <= 1e-10 * (1 + abs(value)) || projected.allSatisfy({ abs($0) < 1e-7 }) { break }
    }
    return (point, value)
}

private func identity(_ n: Int) -> [Double] {
    (0 ..< n * n).map { $0 / n == $0 % n ? 1 : 0 }
}

/// `H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ`, `ρ = 1 / (yᵀ s)`.
private func bfgsUpdate(_ h: [Double], s: [Double], y: [Double], curvature: Double) -> [Double] {
    let n = s.count, rho = 1 / curvature
    let hy = (0..<n).map { i in (0..<n).reduce(0) { $0 + h[i * n + $1] * y[$1] } }
    let yhy = zip(y, hy).reduce(0) { $0 + $1.0 * $1.1 }
    var result = h
    for i in 0..<n {
        for j in 0..<n {
            result[i * n + j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j]
        }
    }
    return result
}
