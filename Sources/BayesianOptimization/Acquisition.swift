import Foundation

/// An acquisition function: how much a point with posterior mean μ and standard deviation σ is
/// worth evaluating next (larger is better), in the targets' units.
public enum Acquisition: Sendable, Equatable, CustomStringConvertible {
    /// Upper confidence bound `μ + κ σ` (the reference code's default κ is 100; the paper found
    /// κ = 10 best).
    case upperConfidenceBound(kappa: Double)
    /// Expected improvement over the best target so far plus `xi`:
    /// `(μ − best − ξ) Φ(z) + σ φ(z)`, `z = (μ − best − ξ) / σ`; `max(μ − best − ξ, 0)` at σ = 0.
    case expectedImprovement(xi: Double)

    public var description: String {
        switch self {
        case .upperConfidenceBound(let kappa): "UCB (kappa \(kappa))"
        case .expectedImprovement(let xi): "EI (xi \(xi))"
        }
    }

    /// The acquisition value; `best` is the largest target observed (used by EI only).
    public func value(mean: Double, standardDeviation sigma: Double, best: Double) -> Double {
        switch self {
        case .upperConfidenceBound(let kappa):
            return mean + kappa * sigma
        case .expectedImprovement(let xi):
            let gain = mean - best - xi
            guard sigma > 0 else { return max(gain, 0) }
            let z = gain / sigma
            return gain * standardNormalCDF(z) + sigma * standardNormalPDF(z)
        }
    }

    /// `(∂a/∂μ, ∂a/∂σ)`: for EI, `(Φ(z), φ(z))`.
    public func partialDerivatives(mean: Double, standardDeviation sigma: Double, best: Double) -> (mean: Double, deviation: Double) {
        switch self {
        case .upperConfidenceBound(let kappa):
            return (1, kappa)
        case .expectedImprovement(let xi):
            let gain = mean - best - xi
            guard sigma > 0 else { return (gain > 0 ? 1 : 0, 0) }
            let z = gain / sigma
            return (standardNormalCDF(z), standardNormalPDF(z))
        }
    }
}

/// Φ(z), the standard normal distribution function.
public func standardNormalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

/// φ(z), the standard normal density.
public func standardNormalPDF(_ z: Double) -> Double { exp(-0.5 * z * z) / (2 * Double.pi).squareRoot() }
