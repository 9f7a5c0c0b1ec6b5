import Foundation

/// The Matérn 5/2 covariance with one length scale for all input dimensions,
/// `k(r) = a (1 + √5 r/ℓ + 5 r²/(3ℓ²)) exp(−√5 r/ℓ)`, with `a` the amplitude (signal variance)
/// and `ℓ` the length scale.
///
/// Isotropic, not ARD: the optimiser works in the latent box rescaled to the unit cube, which
/// already removes the dimensions' different ranges (what ARD mostly learns here), and 128
/// length scales fitted to a few hundred noisy observations would overfit the marginal
/// likelihood while making each gradient 128 times dearer. The reference code (scikit-learn's
/// `Matern(nu=2.5)` inside `bayes_opt`) is isotropic as well.
public struct Matern52Kernel: Sendable, Equatable {
    /// Signal variance `a`: the prior variance of the (normalised) target.
    public var amplitude: Double
    /// Length scale `ℓ`, in input units.
    public var lengthScale: Double

    public init(amplitude: Double, lengthScale: Double) {
        self.amplitude = amplitude
        self.lengthScale = lengthScale
    }

    static let sqrt5 = 5.0.squareRoot()

    /// `k` for the squared distance `d²` between two inputs.
    @inline(__always)
    public func covariance(squaredDistance: Double) -> Double {
        let s = (squaredDistance / (lengthScale * lengthScale)).squareRoot() * Self.sqrt5
        return amplitude * (1 + s + s * s / 3) * exp(-s)
    }

    /// `∂k/∂ log ℓ = a (5/3) (r/ℓ)² (1 + √5 r/ℓ) exp(−√5 r/ℓ)`.
    @inline(__always)
    func derivativeByLogLengthScale(squaredDistance: Double) -> Double {
        let scaled = squaredDistance / (lengthScale * lengthScale)
        let s = scaled.squareRoot() * Self.sqrt5
        return amplitude * (5.0 / 3) * scaled * (1 + s) * exp(-s)
    }

    /// The factor `c` with `∂k(x, y)/∂x = c (x − y)`: `c = −a (5/(3ℓ²)) (1 + √5 r/ℓ) exp(−√5 r/ℓ)`.
    @inline(__always)
    func gradientFactor(squaredDistance: Double) -> Double {
        let s = (squaredDistance / (lengthScale * lengthScale)).squareRoot() * Self.sqrt5
        return -amplitude * 5 / (3 * lengthScale * lengthScale) * (1 + s) * exp(-s)
    }
}
