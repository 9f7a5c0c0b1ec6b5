import Foundation
import NeuralNet
import Random
import TestSupport
import XCTest

/// Each loss is compared with an independent Double implementation of its formula: the Float value
/// must match it, and the Float gradient must match central finite differences of it taken in
/// Double (``centralDifferences(of:at:step:)``), so tolerances are set by Float rounding alone.
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
        XCTAssertEqual(try Loss.negativeDice(prediction: [1, 0, 1], target: [1, 0, 1], count: 3), -1, accuracy: 1e-7)
        // A = [1, 1], B = [1, 0], s = 1: −(2·1 + 1)/(2 + 1 + 1) = −0.75; without smoothing −2/3.
        XCTAssertEqual(try Loss.negativeDice(prediction: [1, 1], target: [1, 0], count: 2), -0.75, accuracy: 1e-7)
        XCTAssertEqual(try Loss.negativeDice(prediction: [1, 1], target: [1, 0], count: 2, smoothing: 0), -2 / 3, accuracy: 1e-7)
        // Both all-zero: the smoothing keeps it at −1 instead of 0/0.
        XCTAssertEqual(try Loss.negativeDice(prediction: [0, 0], target: [0, 0], count: 2), -1)
    }

    func testNegativeDiceGradient() throws {
        var stream = RandomStream(seed: 14)
        let count = 40
        let prediction = randomFloats(count, in: 0...1, &stream)
        let target = (0..<count).map { _ in Float(stream.uniformInt(below: 4) == 0 ? 1 : 0) }
        for smoothing: Float in [1, 0.01] {
            var gradient = [Float](repeating: .nan, count: count)
            let loss = try Loss.negativeDice(prediction: prediction, target: target, count: count,
                                         smoothing: smoothing, gradient: &gradient)
            let reference = { (a: [Double]) -> Double in
                let overlap = zip(a, target).reduce(0) { $0 + $1.0 * Double($1.1) }
                let total = a.reduce(0, +) + target.reduce(0) { $0 + Double($1) } + Double(smoothing)
                return -(2 * overlap + Double(smoothing)) / total
            }
            assertLoss(loss, gradient, matches: reference, at: prediction)
        }
    }

    func testNegativeDiceOverSplitBatchMatchesWholeBatch() throws {
        // Two "ranks" holding halves of the batch: with a reducer adding the other half's sums
        // (what the allreduce does), each half gets the whole batch's loss and its own part of the
        // whole batch's gradient.
        var stream = RandomStream(seed: 17)
        let count = 24
        let prediction = randomFloats(count, in: 0...1, &stream)
        let target = (0..<count).map { _ in Float(stream.uniformInt(below: 3) == 0 ? 1 : 0) }
        var whole = [Float](repeating: .nan, count: count)
        let wholeLoss = try Loss.negativeDice(prediction: prediction, target: target, count: count, gradient: &whole)
        let halves = [0..<(count / 2), (count / 2)..<count]
        let halfSums = halves.map { range in
            SIMD2<Double>(range.reduce(0) { $0 + Double(prediction[$1] * target[$1]) },
                          range.reduce(0) { $0 + Double(prediction[$1]) + Double(target[$1]) })
        }
        for (rank, range) in halves.enumerated() {
            var part = [Float](repeating: .nan, count: range.count)
            let loss = try Loss.negativeDice(
                prediction: Array(prediction[range]), target: Array(target[range]), count: range.count, gradient: &part,
                reducer: ClosureReducer(replicaCount: 2, doubles: { sums in
                    sums[0] += halfSums[1 - rank][0]
                    sums[1] += halfSums[1 - rank][1]
                }))
            XCTAssertEqual(loss, wholeLoss, accuracy: 1e-6)
            for (value, expected) in zip(part, whole[range]) { XCTAssertEqual(value, expected, accuracy: 1e-7) }
        }
    }

    // MARK: Variational autoencoder

    func testGaussianKLHandValues() {
        // Rows are (μ, v) with latent 1. μ = 0, v = 0 is the prior: KL 0. μ = 1, v = 0: ½ μ² = ½ per
        // sample; two samples, weight 0.1 → 0.1 · ½ = 0.05. μ = 0, v = log 2: −½(1 + log 2 − 2).
        XCTAssertEqual(Loss.gaussianKLDivergence(statistics: [0, 0, 0, 0], batch: 2, latent: 1), 0)
        XCTAssertEqual(Loss.gaussianKLDivergence(statistics: [1, 0, 1, 0], batch: 2, latent: 1, weight: 0.1),
                       0.05, accuracy: 1e-7)
        XCTAssertEqual(Loss.gaussianKLDivergence(statistics: [0, Float(log(2.0))], batch: 1, latent: 1),
                       Float(0.5 * (1 - log(2.0))), accuracy: 1e-7)
    }

    func testGaussianKLGradients() {
        var stream = RandomStream(seed: 15)
        let batch = 3, latent = 4, weight: Float = 0.1
        // Means in −2...2, log-variances in −3...1.5, interleaved per row as (μ, v).
        let statistics = (0..<batch).flatMap { _ in
            randomFloats(latent, in: -2...2, &stream) + randomFloats(latent, in: -3...1.5, &stream)
        }
        var gradient = [Float](repeating: .nan, count: batch * 2 * latent)
        let loss = Loss.gaussianKLDivergence(statistics: statistics, batch: batch, latent: latent,
                                             weight: weight, gradient: &gradient)
        let reference = { (s: [Double]) -> Double in
            var sum = 0.0
            for i in 0..<batch {
                for j in 0..<latent {
                    let mu = s[i * 2 * latent + j], v = s[i * 2 * latent + latent + j]
                    sum -= 0.5 * (1 + v - mu * mu - exp(v))
                }
            }
            return Double(weight) / Double(batch) * sum
        }
        assertLoss(loss, gradient, matches: reference, at: statistics)
    }

    func testReparameterisationBackwardAddsToExistingGradients() {
        var stream = RandomStream(seed: 16)
        let batch = 2, latent = 5
        let statistics = (0..<batch).flatMap { _ in
            randomFloats(latent, in: -1...1, &stream) + randomFloats(latent, in: -2...1, &stream)
        }
        let noise = randomFloats(batch * latent, in: -2...2, &stream)
        let upstream = randomFloats(batch * latent, in: -1...1, &stream)   // ∂L/∂z for L = Σ upstream·z
        let reference = { (s: [Double]) -> [Double] in
            (0..<(batch * latent)).map { k in
                let (i, j) = k.quotientAndRemainder(dividingBy: latent)
                let mu = s[i * 2 * latent + j], v = s[i * 2 * latent + latent + j]
                return mu + exp(0.5 * v) * Double(noise[k])
            }
        }
        var z = [Float](repeating: .nan, count: batch * latent)
        GaussianLatent.sample(statistics: statistics, noise: noise, into: &z, batch: batch, latent: latent)
        for (value, expected) in zip(z, reference(statistics.map(Double.init))) {
            XCTAssertEqual(Double(value), expected, accuracy: 1e-6)
        }
        // Start from a gradient of 1 everywhere to check that the backward accumulates.
        var gradient = [Float](repeating: 1, count: batch * 2 * latent)
        GaussianLatent.backward(latentGradient: upstream, noise: noise, statistics: statistics,
                                statisticsGradient: &gradient, batch: batch, latent: latent)
        let loss = { (s: [Double]) -> Double in
            zip(reference(s), upstream).reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        assertGradient(gradient.map { $0 - 1 }, matches: loss, at: statistics.map(Double.init))
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

    /// Central differences of `reference` against the Float gradient to 1e-5 of its largest entry:
    /// a Float gradient is off by a few ulps (~1e-7 relative), a wrong factor or sign by O(1).
    private func assertGradient(_ gradient: [Float], matches reference: ([Double]) -> Double, at x: [Double],
                                file: StaticString = #filePath, line: UInt = #line) {
        assertClose(gradient, centralDifferences(of: reference, at: x), tolerance: 1e-5, "gradient", file: file, line: line)
    }
}
