import Foundation
import Random
import XCTest
@testable import BayesianOptimization

final class GaussianProcessTests: XCTestCase {
    /// Eight seeded points in three dimensions with a smooth target.
    private func sample() -> (inputs: [Double], targets: [Double]) {
        var stream = RandomStream(seed: 7)
        let inputs = (0..<24).map { _ in stream.uniformDouble() }
        let targets = (0..<8).map { (i: Int) -> Double in
            let wave: Double = sin(3 * inputs[3 * i])
            return wave + inputs[3 * i + 1] * inputs[3 * i + 2]
        }
        return (inputs, targets)
    }

    func testMarginalLikelihoodGradientMatchesFiniteDifferences() throws {
        let (inputs, targets) = sample()
        let (mean, scale) = GaussianProcess.normalization(targets)
        let (_, distances) = GaussianProcess.pairwiseSquaredDistances(inputs, dimension: 3)
        let likelihood = MarginalLikelihood(squaredDistances: distances, targets: targets.map { ($0 - mean) / scale }, noise: 1e-6)
        for (amplitude, lengthScale) in [(1.0, 1.0), (0.3, 0.4), (2.5, 1.7)] {
            let kernel = Matern52Kernel(amplitude: amplitude, lengthScale: lengthScale)
            let analytic = try XCTUnwrap(likelihood.evaluate(kernel, gradient: true)).gradient
            let h = 1e-5
            func value(_ logA: Double, _ logL: Double) throws -> Double {
                try XCTUnwrap(likelihood.evaluate(Matern52Kernel(amplitude: exp(logA), lengthScale: exp(logL)), gradient: false)).value
            }
            let (logA, logL) = (log(amplitude), log(lengthScale))
            let byAmplitude = (try value(logA + h, logL) - value(logA - h, logL)) / (2 * h)
            let byLength = (try value(logA, logL + h) - value(logA, logL - h)) / (2 * h)
            XCTAssertEqual(analytic[0], byAmplitude, accuracy: 1e-5 * max(1, abs(byAmplitude)))
            XCTAssertEqual(analytic[1], byLength, accuracy: 1e-5 * max(1, abs(byLength)))
        }
    }

    func testFitDoesNotLowerTheMarginalLikelihood() throws {
        let (inputs, targets) = sample()
        let start = Matern52Kernel(amplitude: 1, lengthScale: 1)
        let fixed = try GaussianProcess(inputs: inputs, dimension: 3, targets: targets, kernel: start)
        let fitted = try GaussianProcess.fit(inputs: inputs, dimension: 3, targets: targets, start: start)
        XCTAssertGreaterThan(fitted.logMarginalLikelihood, fixed.logMarginalLikelihood + 1e-3)
        // A local maximum: nudging either hyper-parameter does not help.
        for (da, dl) in [(1.05, 1.0), (0.95, 1.0), (1.0, 1.05), (1.0, 0.95)] {
            let kernel = Matern52Kernel(amplitude: fitted.kernel.amplitude * da, lengthScale: fitted.kernel.lengthScale * dl)
            let nudged = try GaussianProcess(inputs: inputs, dimension: 3, targets: targets, kernel: kernel)
            XCTAssertLessThanOrEqual(nudged.logMarginalLikelihood, fitted.logMarginalLikelihood + 1e-9)
        }
    }

    /// Two observations y = 1 at x = 0 and y = 3 at x = 1, unit kernel: normalised targets −1, +1,
    /// so at x = 0.5 the mean is exactly 2 and the variance `1 − 2 k(0.5)² / (1 + η + k(1))`.
    func testPosteriorOnTwoPointsMatchesHandComputation() throws {
        let kernel = Matern52Kernel(amplitude: 1, lengthScale: 1)
        let process = try GaussianProcess(inputs: [0, 1], dimension: 1, targets: [1, 3], kernel: kernel, noise: 1e-6)
        XCTAssertEqual(process.targetMean, 2)
        XCTAssertEqual(process.targetScale, 1)
        func matern(_ r: Double) -> Double { (1 + 5.0.squareRoot() * r + 5 * r * r / 3) * exp(-5.0.squareRoot() * r) }
        let posterior = process.predict([0.5, 0, 2])
        XCTAssertEqual(posterior.mean[0], 2, accuracy: 1e-12)
        let variance = 1 - 2 * matern(0.5) * matern(0.5) / (1 + 1e-6 + matern(1))
        XCTAssertEqual(posterior.standardDeviation[0], variance.squareRoot(), accuracy: 1e-10)
        // At an observation the mean reproduces it (up to the 1e-6 noise).
        XCTAssertEqual(posterior.mean[1], 1, accuracy: 1e-5)
        XCTAssertLessThan(posterior.standardDeviation[1], 2e-3)
        // At x = 2: k* = (k(2), k(1)); mean = k*ᵀ K⁻¹ y by Cramer's rule.
        let (k1, k2, diagonal) = (matern(1), matern(2), 1 + 1e-6)
        let determinant = diagonal * diagonal - k1 * k1
        let alpha = [(-diagonal - k1) / determinant, (diagonal + k1) / determinant]
        XCTAssertEqual(posterior.mean[2], 2 + k2 * alpha[0] + k1 * alpha[1], accuracy: 1e-10)
    }

    func testPosteriorGradientsMatchFiniteDifferences() throws {
        let (inputs, targets) = sample()
        let process = try GaussianProcess(inputs: inputs, dimension: 3, targets: targets,
                                          kernel: Matern52Kernel(amplitude: 1.3, lengthScale: 0.6))
        let points = [0.2, 0.5, 0.9, 0.7, 0.1, 0.4]
        let analytic = process.predictWithGradient(points)
        let plain = process.predict(points)
        for j in 0..<2 {
            XCTAssertEqual(analytic.mean[j], plain.mean[j], accuracy: 1e-12)
            XCTAssertEqual(analytic.standardDeviation[j], plain.standardDeviation[j], accuracy: 1e-12)
            for k in 0..<3 {
                let h = 1e-6
                var up = points, down = points
                up[j * 3 + k] += h
                down[j * 3 + k] -= h
                let (above, below) = (process.predict(up), process.predict(down))
                XCTAssertEqual(analytic.meanGradient[j * 3 + k], (above.mean[j] - below.mean[j]) / (2 * h), accuracy: 1e-6)
                XCTAssertEqual(analytic.standardDeviationGradient[j * 3 + k],
                               (above.standardDeviation[j] - below.standardDeviation[j]) / (2 * h), accuracy: 1e-6)
            }
        }
        let joint = process.jointPosterior(points)
        XCTAssertEqual(joint.mean[1], plain.mean[1], accuracy: 1e-12)
        XCTAssertEqual(joint.covariance[3].squareRoot(), plain.standardDeviation[1], accuracy: 1e-9)
    }

    func testAcquisitionFormulas() {
        let ucb = Acquisition.upperConfidenceBound(kappa: 2)
        XCTAssertEqual(ucb.value(mean: 1, standardDeviation: 0.5, best: 10), 2)
        let ei = Acquisition.expectedImprovement(xi: 0)
        XCTAssertEqual(ei.value(mean: 3, standardDeviation: 1, best: 3), 1 / (2 * Double.pi).squareRoot(), accuracy: 1e-12)
        // gain 1, sigma 2: z = 0.5, EI = Φ(0.5) + 2 φ(0.5) = 0.691462461 + 2 · 0.352065327.
        XCTAssertEqual(ei.value(mean: 4, standardDeviation: 2, best: 3), 0.691462461274013 + 2 * 0.3520653267642995, accuracy: 1e-12)
        XCTAssertEqual(Acquisition.expectedImprovement(xi: 0.5).value(mean: 4, standardDeviation: 0, best: 3), 0.5)
        XCTAssertEqual(ei.value(mean: 2, standardDeviation: 0, best: 3), 0)
        // ∂EI/∂μ = Φ(z), ∂EI/∂σ = φ(z), checked by differences.
        let h = 1e-6
        let slopes = ei.partialDerivatives(mean: 4, standardDeviation: 2, best: 3)
        XCTAssertEqual(slopes.mean, (ei.value(mean: 4 + h, standardDeviation: 2, best: 3) - ei.value(mean: 4 - h, standardDeviation: 2, best: 3)) / (2 * h), accuracy: 1e-8)
        XCTAssertEqual(slopes.deviation, (ei.value(mean: 4, standardDeviation: 2 + h, best: 3) - ei.value(mean: 4, standardDeviation: 2 - h, best: 3)) / (2 * h), accuracy: 1e-8)
    }

    /// Batches of five on `f(x, y) = −10 ((x − 0.3)² + (y + 0.4)²)` over [−1, 1]²: the optimiser
    /// gets close to the maximum at (0.3, −0.4) within a few iterations.
    func testOptimizerFindsTheMaximumOfATwoDimensionalFunction() throws {
        func f(_ p: ArraySlice<Double>) -> Double { -10 * (pow(p[p.startIndex] - 0.3, 2) + pow(p[p.startIndex + 1] + 0.4, 2)) }
        let box = try SearchBox(lower: [-1, -1], upper: [1, 1])
        var stream = RandomStream(seed: 3)
        let points = (0..<10).map { _ in -1 + 2 * stream.uniformDouble() }
        let targets = stride(from: 0, to: 10, by: 2).map { f(points[$0 ..< $0 + 2]) }
        for acquisition in [Acquisition.upperConfidenceBound(kappa: 1), .expectedImprovement(xi: 0.01)] {
            var (searchPoints, searchTargets) = (points, targets)
            let suggester = try BatchSuggester(box: box, acquisition: acquisition,
                                               options: BatchOptions(batchSize: 5, candidateCount: 1000, refinedCount: 8), seed: 1)
            for iteration in 0..<6 {
                let process = try GaussianProcess.fit(inputs: box.unitCoordinates(searchPoints), dimension: 2, targets: searchTargets)
                let batch = try suggester.suggest(process: process, iteration: iteration)
                XCTAssertEqual(batch.count, 5)
                XCTAssertEqual(Set(batch.map(\.point)).count, 5, "suggestions must be distinct")
                for suggestion in batch {
                    XCTAssertTrue(zip(suggestion.point, [-1.0, -1]).allSatisfy { $0 >= $1 } && suggestion.point.allSatisfy { $0 <= 1 })
                    searchPoints += suggestion.point
                    searchTargets.append(f(suggestion.point[...]))
                }
            }
            XCTAssertGreaterThan(searchTargets.max()!, -0.01, "\(acquisition): best \(searchTargets.max()!)")
        }
    }

    func testSearchBoxEnclosesPointsAndRescales() throws {
        let box = try SearchBox(enclosing: [1, 5, 3, 5, 2, 5], dimension: 2)
        XCTAssertEqual(box.lower, [1, 5])
        XCTAssertEqual(box.upper, [3, 5])
        XCTAssertEqual(box.unitCoordinates([2, 5]), [0.5, 0])
        XCTAssertEqual(box.boxCoordinates([0.5, 0.25]), [2, 5.25])
        XCTAssertThrowsError(try SearchBox(lower: [0, 1], upper: [1, 0]))
    }
}
