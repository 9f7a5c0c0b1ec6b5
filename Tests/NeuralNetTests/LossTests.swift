import Foundation
import NeuralNet
import Random
import XCTest

/// Each loss is compared with an independent Double implementation of its formula: the Float value
/// must match it, and the Float gradient must match central finite differences of it taken in
/// Double (step 1e-6: truncation error ~h² ≈ 1e-12, rounding ~1e-16/h ≈ 1e-10, both far below the
/// Float gradient's own few-ulp error). Tolerances are therefore set by Float rounding alone.
final class LossTests: XCTestCase {

    // MARK: Regression and classification

    func testSquaredErrorBothReductions() {
        var stream = RandomStream(seed: 11)
        let rows = 5, columns = 7
        let prediction = randomFloats(rows * columns, in: -2...2, &stream)
        let target = randomFloats(rows * columns, in: -2...2, &stream)
        for (reduction, divisor) in [(Loss.Reduction.meanOverElements, Double(rows * columns)), (.meanOverRows, Double(rows))] {
            var gradient = [Float](repeating: .nan, count: rows * columns)
            let loss = Loss.squaredError(prediction: prediction, target: target, rows: rows, columns: columns,
                                         reduction: reduction, gradient: &gradient)
            let reference = { (p: [Double]) -> Double in
                zip(p, target).reduce(0) { $0 + ($1.0 - Double($1.1)) * ($1.0 - Double($1.1)) } / divisor
            }
            assertLoss(loss, gradient, matches: reference, at: prediction)
        }
    }

    func testBinaryCrossEntropyOnProbabilities() {
        var stream = RandomStream(seed: 12)
        let rows = 4, columns = 6
        // Probabilities away from 0 and 1, where the clamps are inactive; soft targets are allowed.
        let probability = randomFloats(rows * columns, in: 0.05...0.95, &stream)
        let target = randomFloats(rows * columns, in: 0...1, &stream)
        for (reduction, divisor) in [(Loss.Reduction.meanOverElements, Double(rows * columns)), (.meanOverRows, Double(rows))] {
            var gradient = [Float](repeating: .nan, count: rows * columns)
            let loss = Loss.binaryCrossEntropy(probability: probability, target: target, rows: rows, columns: columns,
                                               reduction: reduction, gradient: &gradient)
            let reference = { (p: [Double]) -> Double in
                zip(p, target).reduce(0) { sum, pair in
                    let (p, t) = (pair.0, Double(pair.1))
                    return sum - (t * log(p) + (1 - t) * log(1 - p))
                } / divisor
            }
            assertLoss(loss, gradient, matches: reference, at: probability)
        }
    }

    func testBinaryCrossEntropyClampsSaturatedProbabilities() {
        // p = 0 with t = 1 and p = 1 with t = 0: each log is clamped at −100, so the mean loss is 100;
        // the gradient (p − t)/max(p(1 − p), 1e-12)/2 is ∓5e11, finite.
        var gradient: [Float] = [0, 0]
        let loss = Loss.binaryCrossEntropy(probability: [0, 1], target: [1, 0], rows: 1, columns: 2, gradient: &gradient)
        XCTAssertEqual(loss, 100, accuracy: 1e-4)
        XCTAssertEqual(gradient[0], -5e11, accuracy: 5e11 * 1e-6)
        XCTAssertEqual(gradient[1], 5e11, accuracy: 5e11 * 1e-6)
    }

    func testBinaryCrossEntropyWithLogits() {
        var stream = RandomStream(seed: 13)
        let rows = 3, columns = 8
        let logit = randomFloats(rows * columns, in: -6...6, &stream)
        let target = randomFloats(rows * columns, in: 0...1, &stream)
        var gradient = [Float](repeating: .nan, count: rows * columns)
        let loss = Loss.binaryCrossEntropyWithLogits(logit: logit, target: target, rows: rows, columns: columns,
                                                     reduction: .meanOverRows, gradient: &gradient)
        // The naive probability form, fine in Double for |z| ≤ 6.
        let reference = { (z: [Double]) -> Double in
            zip(z, target).reduce(0) { sum, pair in
                let p = 1 / (1 + exp(-pair.0)), t = Double(pair.1)
                return sum - (t * log(p) + (1 - t) * log(1 - p))
            } / Double(rows)
        }
        assertLoss(loss, gradient, matches: reference, at: logit)
    }

    func testBinaryCrossEntropyWithLogitsIsExactForHugeLogits() {
        // z = 100, t = 0 and z = −100, t = 1 each cost 100 + log(1 + e^-100) = 100; z = ±100 with the
        // matching target costs e^-100 ≈ 0: mean 50 over four. The sigmoid saturates to 1 or 0, so the
        // gradients are (1 − 0)/4, (0 − 1)/4 and about ±e^-100/4 ≈ 0.
        var gradient: [Float] = [0, 0, 0, 0]
        let loss = Loss.binaryCrossEntropyWithLogits(logit: [100, -100, 100, -100], target: [0, 1, 1, 0],
                                                     rows: 1, columns: 4, gradient: &gradient)
        XCTAssertEqual(loss, 50, accuracy: 1e-5)
        for (value, expected) in zip(gradient, [Float(0.25), -0.25, 0, 0]) {
            XCTAssertEqual(value, expected, accuracy: 1e-30)
        }
    }

    func testNegativeDiceHandValues() {
        // A = B = [1, 0, 1], s = 1: −(2·2 + 1)/(2 + 2 + 1) = −1 (perfect overlap).
        XCTAssertEqual(Loss.negativeDice(prediction: [1, 0, 1], target: [1, 0, 1], count: 3), -1, accuracy: 1e-7)
        // A = [1, 1], B = [1, 0], s = 1: −(2·1 + 1)/(2 + 1 + 1) = −0.75; without smoothing −2/3.
        XCTAssertEqual(Loss.negativeDice(prediction: [1, 1], target: [1, 0], count: 2), -0.75, accuracy: 1e-7)
        XCTAssertEqual(Loss.negativeDice(prediction: [1, 1], target: [1, 0], count: 2, smoothing: 0), -2 / 3, accuracy: 1e-7)
        // Both all-zero: the smoothing keeps it at −1 instead of 0/0.
        XCTAssertEqual(Loss.negativeDice(prediction: [0, 0], target: [0, 0], count: 2), -1)
    }

    func testNegativeDiceGradient() {
        var stream = RandomStream(seed: 14)
        let count = 40
        let prediction = randomFloats(count, in: 0...1, &stream)
        let target = (0..<count).map { _ in Float(stream.uniformInt(below: 4) == 0 ? 1 : 0) }
        for smoothing: Float in [1, 0.01] {
            var gradient = [Float](repeating: .nan, count: count)
            let loss = Loss.negativeDice(prediction: prediction, target: target, count: count,
                                         smoothing: smoothing, gradient: &gradient)
            let reference = { (a: [Double]) -> Double in
                let overlap = zip(a, target).reduce(0) { $0 + $1.0 * Double($1.1) }
                let total = a.reduce(0, +) + target.reduce(0) { $0 + Double($1) } + Double(smoothing)
                return -(2 * overlap + Double(smoothing)) / total
            }
            assertLoss(loss, gradient, matches: reference, at: prediction)
        }
    }

    // MARK: Variational autoencoder

    func testGaussianKLHandValues() {
        // μ = 0, v = 0 is the prior: KL 0. μ = 1, v = 0: ½ μ² = ½ per entry; two entries in a batch of
        // one, weight 0.1 → 0.1. v = log 2, μ = 0: −½(1 + log 2 − 2) = ½(1 − log 2).
        XCTAssertEqual(Loss.gaussianKLDivergence(mean: [0, 0], logVariance: [0, 0], batch: 1, latent: 2), 0)
        XCTAssertEqual(Loss.gaussianKLDivergence(mean: [1, 1], logVariance: [0, 0], batch: 1, latent: 2, weight: 0.1),
                       0.1, accuracy: 1e-7)
        XCTAssertEqual(Loss.gaussianKLDivergence(mean: [0], logVariance: [Float(log(2.0))], batch: 1, latent: 1),
                       Float(0.5 * (1 - log(2.0))), accuracy: 1e-7)
    }

    func testGaussianKLGradients() {
        var stream = RandomStream(seed: 15)
        let batch = 3, latent = 4, weight: Float = 0.1
        let mean = randomFloats(batch * latent, in: -2...2, &stream)
        let logVariance = randomFloats(batch * latent, in: -3...1.5, &stream)
        var meanGradient = [Float](repeating: .nan, count: batch * latent)
        var logVarianceGradient = meanGradient
        let loss = meanGradient.withUnsafeMutableBufferPointer { dMean in
            logVarianceGradient.withUnsafeMutableBufferPointer { dLogVariance in
                Loss.gaussianKLDivergence(mean: mean, logVariance: logVariance, batch: batch, latent: latent,
                                          weight: weight, gradients: (dMean.baseAddress!, dLogVariance.baseAddress!))
            }
        }
        let reference = { (mu: [Double], v: [Double]) -> Double in
            Double(weight) / Double(batch) * zip(mu, v).reduce(0) { $0 - 0.5 * (1 + $1.1 - $1.0 * $1.0 - exp($1.1)) }
        }
        assertLoss(loss, meanGradient, matches: { reference($0, logVariance.map(Double.init)) }, at: mean)
        assertLoss(loss, logVarianceGradient, matches: { reference(mean.map(Double.init), $0) }, at: logVariance)
    }

    func testReparameterisationBackwardAddsToExistingGradients() {
        var stream = RandomStream(seed: 16)
        let count = 10
        let mean = randomFloats(count, in: -1...1, &stream)
        let logVariance = randomFloats(count, in: -2...1, &stream)
        let noise = randomFloats(count, in: -2...2, &stream)
        let upstream = randomFloats(count, in: -1...1, &stream)   // ∂L/∂z for L = Σ upstream·z
        var z = [Float](repeating: .nan, count: count)
        GaussianLatent.sample(mean: mean, logVariance: logVariance, noise: noise, into: &z, count: count)
        for i in 0..<count {
            XCTAssertEqual(Double(z[i]), Double(mean[i]) + exp(0.5 * Double(logVariance[i])) * Double(noise[i]),
                           accuracy: 1e-6)
        }
        // Start from a known prior gradient of 1 to check that the backward accumulates.
        var meanGradient = [Float](repeating: 1, count: count), logVarianceGradient = meanGradient
        GaussianLatent.backward(latentGradient: upstream, noise: noise, logVariance: logVariance,
                                meanGradient: &meanGradient, logVarianceGradient: &logVarianceGradient, count: count)
        let loss = { (mu: [Double], v: [Double]) -> Double in
            var sum = 0.0
            for i in 0..<count {
                let z: Double = mu[i] + exp(0.5 * v[i]) * Double(noise[i])
                sum += Double(upstream[i]) * z
            }
            return sum
        }
        let mean64 = mean.map(Double.init), logVariance64 = logVariance.map(Double.init)
        assertGradient(meanGradient.map { $0 - 1 }, matches: { loss($0, logVariance64) }, at: mean64)
        assertGradient(logVarianceGradient.map { $0 - 1 }, matches: { loss(mean64, $0) }, at: logVariance64)
    }

    // MARK: Q-learning

    func testTemporalDifferenceLosses() {
        let batch = 4, actionCount = 3
        // Errors d = Q[i, a_i] − y_i of −2.5, 0.4, −0.7 and 1.75: two in the Huber's linear part.
        let values: [Float] = [0.5, 9, 9, 9, 1.4, 9, 9, 9, -0.2, 2.25, 9, 9]
        let actions = [0, 1, 2, 0]
        let targets: [Float] = [3, 1, 0.5, 0.5]
        for penalty in [Loss.TemporalDifferencePenalty.huber, .squared] {
            var gradient = [Float](repeating: .nan, count: batch * actionCount)
            let loss = Loss.temporalDifference(values: values, actions: actions, targets: targets, batch: batch,
                                               actionCount: actionCount, penalty: penalty, gradient: &gradient)
            let reference = { (q: [Double]) -> Double in
                (0..<batch).reduce(0) { sum, i in
                    let d = q[i * actionCount + actions[i]] - Double(targets[i])
                    switch penalty {
                    case .huber: return sum + (abs(d) <= 1 ? 0.5 * d * d : abs(d) - 0.5)
                    case .squared: return sum + d * d
                    }
                } / Double(batch)
            }
            assertLoss(loss, gradient, matches: reference, at: values)
        }
        // Hand values: Huber (2 + 0.08 + 0.245 + 1.25)/4, squared (6.25 + 0.16 + 0.49 + 3.0625)/4.
        XCTAssertEqual(Loss.temporalDifference(values: values, actions: actions, targets: targets, batch: batch,
                                               actionCount: actionCount), 3.575 / 4, accuracy: 1e-6)
        XCTAssertEqual(Loss.temporalDifference(values: values, actions: actions, targets: targets, batch: batch,
                                               actionCount: actionCount, penalty: .squared), 9.9625 / 4, accuracy: 1e-6)
    }

    // MARK: Wasserstein GAN

    func testWassersteinLosses() {
        let real: [Float] = [1, 2, 3, 6], fake: [Float] = [-1, 0, 0.5, 0.5]
        var realGradient = [Float](repeating: .nan, count: 4), fakeGradient = realGradient
        // mean(fake) − mean(real) = 0 − 3.
        XCTAssertEqual(Loss.wassersteinCritic(realScores: real, fakeScores: fake, batch: 4,
                                              realGradient: &realGradient, fakeGradient: &fakeGradient), -3)
        XCTAssertEqual(realGradient, [-0.25, -0.25, -0.25, -0.25])
        XCTAssertEqual(fakeGradient, [0.25, 0.25, 0.25, 0.25])
        var generatorGradient = [Float](repeating: .nan, count: 4)
        XCTAssertEqual(Loss.wassersteinGenerator(fakeScores: fake, batch: 4, gradient: &generatorGradient), 0)
        XCTAssertEqual(Loss.wassersteinGenerator(fakeScores: real, batch: 4), -3)
        XCTAssertEqual(generatorGradient, [-0.25, -0.25, -0.25, -0.25])
    }

    // MARK: Helpers

    private func randomFloats(_ count: Int, in range: ClosedRange<Float>, _ stream: inout RandomStream) -> [Float] {
        (0..<count).map { _ in Float.random(in: range, using: &stream) }
    }

    /// The Float loss must equal the Double reference at the same (Float-representable) point to a
    /// relative 1e-5 (Float inputs and per-term Float arithmetic contribute ~1e-7), and its gradient
    /// must match the reference's finite differences.
    private func assertLoss(_ loss: Float, _ gradient: [Float], matches reference: ([Double]) -> Double,
                            at point: [Float], file: StaticString = #filePath, line: UInt = #line) {
        let x = point.map(Double.init)
        let expected = reference(x)
        XCTAssertEqual(Double(loss), expected, accuracy: 1e-5 * max(1, abs(expected)), "loss value", file: file, line: line)
        assertGradient(gradient, matches: reference, at: x, file: file, line: line)
    }

    /// Central differences of `reference` in Double against the Float gradient. Each entry may differ
    /// by 1e-5 of the largest gradient entry: a Float gradient is off by a few ulps (~1e-7 relative),
    /// whereas a wrong factor or sign is off by O(1) of it.
    private func assertGradient(_ gradient: [Float], matches reference: ([Double]) -> Double, at x: [Double],
                                file: StaticString = #filePath, line: UInt = #line) {
        let h = 1e-6
        var numeric = [Double](repeating: 0, count: x.count)
        var probe = x
        for i in x.indices {
            probe[i] = x[i] + h
            let plus = reference(probe)
            probe[i] = x[i] - h
            let minus = reference(probe)
            probe[i] = x[i]
            numeric[i] = (plus - minus) / (2 * h)
        }
        let scale = max(numeric.map(abs).max() ?? 0, 1e-6)
        for i in x.indices {
            XCTAssertEqual(Double(gradient[i]), numeric[i], accuracy: 1e-5 * scale, "gradient entry \(i)", file: file, line: line)
        }
    }
}
