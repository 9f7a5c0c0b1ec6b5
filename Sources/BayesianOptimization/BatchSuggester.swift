import Foundation
import Random

/// The box the optimiser searches, e.g. the per-dimension range of the encoded starting set.
/// The Gaussian process sees points rescaled to the unit cube of this box.
public struct SearchBox: Sendable, Equatable {
    public let lower: [Double]
    public let upper: [Double]

    /// A box from its corners; throws unless both have the same length and `lower ≤ upper`.
    public init(lower: [Double], upper: [Double]) throws {
        guard !lower.isEmpty, lower.count == upper.count,
              zip(lower, upper).allSatisfy({ $0.isFinite && $1.isFinite && $0 <= $1 }) else {
            throw GaussianProcessError(message: "search box: corners of \(lower.count) and \(upper.count) values "
                                       + "must have the same length with finite lower <= upper")
        }
        self.lower = lower
        self.upper = upper
    }

    /// The smallest box holding `points` (row-major `[count, dimension]`).
    public init(enclosing points: [Double], dimension: Int) throws {
        guard dimension > 0, !points.isEmpty, points.count % dimension == 0 else {
            throw GaussianProcessError(message: "search box: \(points.count) values are not a non-empty set of "
                                       + "\(dimension)-dimensional points")
        }
        var lower = Array(points[0..<dimension]), upper = lower
        for start in stride(from: 0, to: points.count, by: dimension) {
            for k in 0..<dimension {
                lower[k] = min(lower[k], points[start + k])
                upper[k] = max(upper[k], points[start + k])
            }
        }
        try self.init(lower: lower, upper: upper)
    }

    public var dimension: Int { lower.count }

    /// Width of dimension `k`; a flat dimension counts as width 1 so rescaling stays finite.
    private func width(_ k: Int) -> Double { upper[k] > lower[k] ? upper[k] - lower[k] : 1 }

    /// Points (row-major) in unit-cube coordinates of the box.
    public func unitCoordinates(_ points: [Double]) -> [Double] {
        points.indices.map { (points[$0] - lower[$0 % dimension]) / width($0 % dimension) }
    }

    /// Points given in unit-cube coordinates, back in the box's coordinates.
    public func boxCoordinates(_ unit: [Double]) -> [Double] {
        unit.indices.map { lower[$0 % dimension] + unit[$0] * width($0 % dimension) }
    }
}

/// How a batch of suggestions is searched for.
public struct BatchOptions: Sendable, Equatable {
    /// Suggestions per iteration (the paper: 20).
    public var batchSize = 20
    /// Uniform random candidates in the box scored per iteration.
    public var candidateCount = 10_000
    /// Best candidates refined by gradient ascent on the acquisition.
    public var refinedCount = 40
    /// Gradient-ascent steps per refined candidate.
    public var refinementSteps = 25
    /// Candidates per block of work (blocks are dealt over the workers; fixed boundaries keep
    /// the results independent of the number of workers).
    public var blockSize = 512
    /// Refined candidates per block of work.
    public var refinementBlockSize = 8
    /// Suggestions closer than this in unit-cube coordinates count as the same point.
    public var distinctDistance = 1e-3

    public init(batchSize: Int = 20, candidateCount: Int = 10_000, refinedCount: Int = 40, refinementSteps: Int = 25) {
        self.batchSize = batchSize
        self.candidateCount = candidateCount
        self.refinedCount = refinedCount
        self.refinementSteps = refinementSteps
    }
}

/// One suggested point with what the process predicted there.
public struct Suggestion: Sendable, Equatable {
    /// In the box's coordinates.
    public var point: [Double]
    public var predictedMean: Double
    public var predictedStandardDeviation: Double
    /// The acquisition value when the point was chosen (after the earlier picks of the batch).
    public var acquisitionValue: Double
}

/// Suggests a batch of distinct points that maximise an acquisition function of a Gaussian
/// process fitted in the unit cube of a ``SearchBox``.
///
/// 1. Score `candidateCount` uniform random points (seeded by iteration and index).
/// 2. Refine the `refinedCount` best by projected gradient ascent on the acquisition
///    (normalised gradient steps, step halved on failure, grown by half on success).
/// 3. Pick the batch greedily from the refined points plus the next `2 · batchSize` random
///    candidates by the **kriging believer**: after each pick the process is conditioned on a
///    fake observation equal to its own mean there. The mean does not move, the variance near the
///    pick collapses (`Σ ← Σ − Σ_b Σ_bᵀ / Σ_bb` over the pool), so UCB's exploration bonus and
///    EI's improvement move elsewhere and the batch spreads out; EI's incumbent becomes
///    `max(best, μ_b)`. Points within `distinctDistance` of a pick are skipped.
public struct BatchSuggester: Sendable {
    public let box: SearchBox
    public let acquisition: Acquisition
    public let options: BatchOptions
    public let seed: UInt64

    public init(box: SearchBox, acquisition: Acquisition, options: BatchOptions = BatchOptions(), seed: UInt64) throws {
        guard options.batchSize > 0, options.refinedCount >= 0, options.refinementSteps >= 0,
              options.candidateCount >= options.batchSize + options.refinedCount,
              options.blockSize > 0, options.refinementBlockSize > 0 else {
            throw GaussianProcessError(message: "batch options: need candidates (\(options.candidateCount)) >= batch size "
                                       + "(\(options.batchSize)) + refined (\(options.refinedCount)), all positive")
        }
        self.box = box
        self.acquisition = acquisition
        self.options = options
        self.seed = seed
    }

    /// Acquisition values and gradients (row-major) at unit-cube `points`.
    private func acquisitionWithGradient(_ process: GaussianProcess, _ points: [Double], best: Double) -> (values: [Double], gradients: [Double]) {
        let posterior = process.predictWithGradient(points)
        let d = process.dimension
        var values = [Double](repeating: 0, count: posterior.mean.count)
        var gradients = [Double](repeating: 0, count: points.count)
        for j in values.indices {
            let (mu, sigma) = (posterior.mean[j], posterior.standardDeviation[j])
            values[j] = acquisition.value(mean: mu, standardDeviation: sigma, best: best)
            let slopes = acquisition.partialDerivatives(mean: mu, standardDeviation: sigma, best: best)
            for k in 0..<d {
                gradients[j * d + k] = slopes.mean * posterior.meanGradient[j * d + k]
                    + slopes.deviation * posterior.standardDeviationGradient[j * d + k]
            }
        }
        return (values, gradients)
    }

    /// The uniform random candidate `index` of `iteration`, in unit-cube coordinates.
    private func candidate(_ index: Int, iteration: Int) -> [Double] {
        var stream = RandomStream(seed: derivedSeed(seed, for: .candidates(iteration: iteration)), stream: UInt64(index))
        var point = [Double](repeating: 0, count: box.dimension)
        point.withUnsafeMutableBufferPointer { stream.fillUniform($0) }
        return point
    }

    /// The batch for `iteration`, from a process fitted on unit-cube coordinates of ``box``.
    /// Collective over `workers`; every member returns the same batch.
    public func suggest(process: GaussianProcess, iteration: Int, workers: any WorkerGroup = SingleProcess()) throws -> [Suggestion] {
        let d = box.dimension
        guard process.dimension == d else {
            throw GaussianProcessError(message: "the process has dimension \(process.dimension), the search box \(d)")
        }
        let best = process.targets.max()!

        // 1. Random candidates, block by block.
        let n = options.candidateCount
        var scores = [Double](repeating: 0, count: n)
        for (block, start) in stride(from: 0, to: n, by: options.blockSize).enumerated() where workers.owns(block) {
            let range = start ..< min(start + options.blockSize, n)
            let points = range.flatMap { candidate($0, iteration: iteration) }
            let posterior = process.predict(points)
            for (offset, index) in range.enumerated() {
                scores[index] = acquisition.value(mean: posterior.mean[offset], standardDeviation: posterior.standardDeviation[offset], best: best)
            }
        }
        try workers.sum(&scores)
        let ranked = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }

        // 2. Gradient ascent from the best candidates, block by block.
        let starts = Array(ranked.prefix(options.refinedCount))
        var refined = [Double](repeating: 0, count: starts.count * (d + 1))
        let blockSize = options.refinementBlockSize
        for (block, first) in stride(from: 0, to: starts.count, by: blockSize).enumerated() where workers.owns(block) {
            let members = Array(starts[first ..< min(first + blockSize, starts.count)])
            let (points, values) = refine(process, members.flatMap { candidate($0, iteration: iteration) }, best: best)
            for offset in members.indices {
                let slot = (first + offset) * (d + 1)
                refined[slot] = values[offset]
                refined[slot + 1 ... slot + d] = points[offset * d ..< (offset + 1) * d]
            }
        }
        try workers.sum(&refined)

        // 3. Kriging-believer selection from the pool.
        var pool: [Double] = []
        for index in starts.indices { pool += refined[index * (d + 1) + 1 ... index * (d + 1) + d] }
        for index in ranked.dropFirst(starts.count).prefix(2 * options.batchSize) { pool += candidate(index, iteration: iteration) }
        return try select(process, pool: pool, best: best)
    }

    /// Projected normalised-gradient ascent of the acquisition from each of `points` (unit cube).
    private func refine(_ process: GaussianProcess, _ points: [Double], best: Double) -> (points: [Double], values: [Double]) {
        let d = box.dimension, count = points.count / d
        var current = points
        var (values, gradients) = acquisitionWithGradient(process, current, best: best)
        var steps = [Double](repeating: 0.05, count: count)
        for _ in 0 ..< options.refinementSteps {
            var trial = current
            for j in 0..<count {
                // Components pushing out of the cube at a face do not move the point.
                var direction = (0..<d).map { k -> Double in
                    let x = current[j * d + k], g = gradients[j * d + k]
                    return (x <= 0 && g < 0) || (x >= 1 && g > 0) ? 0 : g
                }
                let norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard norm > 0 else { continue }
                direction = direction.map { $0 / norm }
                for k in 0..<d { trial[j * d + k] = min(max(current[j * d + k] + steps[j] * direction[k], 0), 1) }
            }
            let (trialValues, trialGradients) = acquisitionWithGradient(process, trial, best: best)
            for j in 0..<count {
                if trialValues[j] > values[j] {
                    values[j] = trialValues[j]
                    current[j * d ..< (j + 1) * d] = trial[j * d ..< (j + 1) * d]
                    gradients[j * d ..< (j + 1) * d] = trialGradients[j * d ..< (j + 1) * d]
                    steps[j] *= 1.5
                } else {
                    steps[j] *= 0.5
                }
            }
        }
        return (current, values)
    }

    /// Greedy kriging-believer choice of `batchSize` distinct points from `pool` (unit cube).
    private func select(_ process: GaussianProcess, pool: [Double], best initialBest: Double) throws -> [Suggestion] {
        let d = box.dimension, count = pool.count / d
        var (mean, covariance) = process.jointPosterior(pool)
        var best = initialBest
        var chosen: [Int] = []
        var suggestions: [Suggestion] = []
        var available = [Bool](repeating: true, count: count)
        while suggestions.count < options.batchSize {
            var pick: (index: Int, value: Double)?
            for i in 0..<count where available[i] {
                let value = acquisition.value(mean: mean[i], standardDeviation: max(covariance[i * count + i], 0).squareRoot(), best: best)
                if pick == nil || value > pick!.value { pick = (i, value) }
            }
            guard let pick else {
                throw GaussianProcessError(message: "found only \(suggestions.count) distinct suggestions of \(options.batchSize); "
                                           + "raise the candidate count")
            }
            let b = pick.index
            available[b] = false
            let point = Array(pool[b * d ..< (b + 1) * d])
            if chosen.contains(where: { other in
                (0..<d).reduce(0) { $0 + pow(pool[other * d + $1] - point[$1], 2) }.squareRoot() < options.distinctDistance
            }) { continue }
            chosen.append(b)
            suggestions.append(Suggestion(point: box.boxCoordinates(point), predictedMean: mean[b],
                                          predictedStandardDeviation: max(covariance[b * count + b], 0).squareRoot(),
                                          acquisitionValue: pick.value))
            if case .expectedImprovement = acquisition { best = max(best, mean[b]) }
            let pivot = covariance[b * count + b]
            guard pivot > 1e-300 else { continue }
            let column = (0..<count).map { covariance[$0 * count + b] }
            for i in 0..<count {
                for j in 0..<count { covariance[i * count + j] -= column[i] * column[j] / pivot }
            }
        }
        return suggestions
    }
}
