import BayesianOptimization
import Chemistry
import Distributed
import Foundation
import Logging
import Random

/// Settings of one active generative design run (docs/active-design.md, "Bayesian optimisation").
public struct ActiveDesignConfiguration: Sendable {
    /// Labelled rows the loop starts from (the paper: 300 or 1,000).
    public var startSize = 300
    /// Suggestions in total (the paper: 1,000).
    public var budget = 1000
    /// Suggestions per iteration (the paper: 20).
    public var batchSize = 20
    public var acquisition = Acquisition.upperConfidenceBound(kappa: 10)
    /// A suggestion is a discovery when the oracle puts it above this value (eV).
    public var threshold = 6.0
    /// Random candidates scored and best ones refined per iteration.
    public var candidateCount = 10_000
    public var refinedCount = 40
    /// Random restarts of the first hyper-parameter search; later iterations start from the
    /// previous optimum only (20 new points move the optimum little, and each search at
    /// n ≈ 1,000-2,000 points costs a Cholesky and an inverse per likelihood evaluation).
    public var restarts = 2
    /// GP noise variance on normalised targets.
    public var noise = 1e-6
    public var seed: UInt64 = 0

    public init() {}
}

/// A labelled composition of the starting set or an acquired suggestion.
public struct LabeledComposition: Sendable, Equatable {
    public var composition: Composition
    public var target: Double

    public init(composition: Composition, target: Double) {
        self.composition = composition
        self.target = target
    }
}

/// One suggestion of the loop and what became of it.
public struct AcquiredRow: Sendable, Equatable {
    public var iteration: Int
    /// The decoded composition, `nil` when undecodable (registered with target 0).
    public var composition: Composition?
    /// SMACT-valid (charge neutral and electronegativity balanced, smact14 states).
    public var isValid: Bool
    /// The oracle's value, 0 when undecodable.
    public var target: Double
    public var predictedMean: Double
    public var predictedStandardDeviation: Double
    public var acquisitionValue: Double
}

/// The loop's state after an iteration; counts are cumulative over the acquired suggestions.
public struct ActiveIteration: Sendable, Equatable {
    public var iteration: Int
    public var suggestions: Int
    public var decodable: Int
    public var valid: Int
    /// Distinct decoded compositions that are not in the starting set.
    public var distinctNew: Int
    /// The largest oracle value acquired so far.
    public var bestTarget: Double
    /// Distinct new compositions whose oracle value exceeds the threshold.
    public var aboveThreshold: Int
    public var kernel: Matern52Kernel
    public var seconds: Double
}

/// The outcome of a run: per-iteration counts and every suggestion.
public struct ActiveDesignResult: Sendable {
    public var configuration: ActiveDesignConfiguration
    public var iterations: [ActiveIteration]
    public var acquired: [AcquiredRow]

    /// Distinct decodable acquired compositions not in the starting set, with their oracle
    /// values (first occurrence), in acquisition order.
    public var newLabeledRows: [LabeledComposition]
}

/// Active generative design (docs/active-design.md, "Bayesian optimisation"): Bayesian optimisation
/// of a property over the latent space of the `active-ae` autoencoder.
///
/// The starting rows are encoded; the latent box is their per-dimension range. Each iteration
/// fits a Matérn 5/2 Gaussian process to every (latent point, target) pair so far, asks the
/// ``BatchSuggester`` for a batch, decodes it, scores the decodable suggestions with the oracle
/// (a stand-in for DFT) and registers the undecodable ones with target 0, as the reference code
/// does. Encoding, the hyper-parameter restarts and the acquisition search are shared out over
/// the ranks in pieces with fixed boundaries, decoding and scoring of a batch are replicated;
/// the result does not depend on the number of ranks.
public final class ActiveDesign {
    public let configuration: ActiveDesignConfiguration
    public let autoencoder: ActiveAutoencoder
    /// Scores decoded compositions (every rank calls it with the same compositions).
    public let oracle: ([Composition]) throws -> [Double]
    public let start: [LabeledComposition]
    public let logger: Logger

    public init(configuration: ActiveDesignConfiguration, autoencoder: ActiveAutoencoder, start: [LabeledComposition],
                oracle: @escaping ([Composition]) throws -> [Double], logger: Logger) throws {
        guard start.count >= 2 else {
            throw ActiveDesignError("the starting set has \(start.count) rows; the Gaussian process needs at least 2")
        }
        guard configuration.budget > 0, configuration.batchSize > 0 else {
            throw ActiveDesignError("budget (\(configuration.budget)) and batch size (\(configuration.batchSize)) must be positive")
        }
        self.configuration = configuration
        self.autoencoder = autoencoder
        self.start = start
        self.oracle = oracle
        self.logger = logger
    }

    /// Runs the loop to the budget. Collective; every rank returns the same result.
    public func run() throws -> ActiveDesignResult {
        let workers = RankWorkers(world: autoencoder.world)
        let d = autoencoder.dimension
        let codes = try autoencoder.encode(start.map(\.composition))
        let box = try SearchBox(enclosing: codes, dimension: d)
        var inputs = box.unitCoordinates(codes)
        var targets = start.map(\.target)
        let known = Set(start.map(\.composition))
        let checker = ValidityChecker()

        var kernel = Matern52Kernel(amplitude: 1, lengthScale: 1)
        var iterations: [ActiveIteration] = []
        var acquired: [AcquiredRow] = []
        var newRows: [LabeledComposition] = []
        var seenNew = Set<Composition>()
        var (decodable, valid, above) = (0, 0, 0)
        var best = -Double.infinity
        var iteration = 0
        while acquired.count < configuration.budget {
            let began = Date()
            let batch = min(configuration.batchSize, configuration.budget - acquired.count)
            var search = HyperparameterSearch(restarts: iteration == 0 ? configuration.restarts : 0,
                                              seed: derivedSeed(configuration.seed, for: .gaussianProcess))
            search.maximumIterations = iteration == 0 ? 60 : 20
            let process = try GaussianProcess.fit(inputs: inputs, dimension: d, targets: targets, noise: configuration.noise,
                                                  search: search, start: kernel, workers: workers)
            kernel = process.kernel
            let options = BatchOptions(batchSize: batch, candidateCount: configuration.candidateCount,
                                       refinedCount: configuration.refinedCount)
            let suggester = try BatchSuggester(box: box, acquisition: configuration.acquisition, options: options,
                                               seed: derivedSeed(configuration.seed, for: .suggestions))
            let suggestions = try suggester.suggest(process: process, iteration: iteration, workers: workers)
            let decoded = try autoencoder.decode(suggestions.flatMap(\.point))
            let present = decoded.compactMap { $0 }
            let scores = present.isEmpty ? [] : try oracle(present)
            guard scores.count == present.count else {
                throw ActiveDesignError("the oracle returned \(scores.count) values for \(present.count) compositions")
            }
            var next = scores.makeIterator()
            for (suggestion, composition) in zip(suggestions, decoded) {
                let target = composition == nil ? 0 : next.next()!
                let isValid = composition.map { checker.check($0).isValid } ?? false
                acquired.append(AcquiredRow(
                    iteration: iteration, composition: composition, isValid: isValid, target: target,
                    predictedMean: suggestion.predictedMean, predictedStandardDeviation: suggestion.predictedStandardDeviation,
                    acquisitionValue: suggestion.acquisitionValue))
                inputs += box.unitCoordinates(suggestion.point)
                targets.append(target)
                best = max(best, target)
                guard let composition else { continue }
                decodable += 1
                if isValid { valid += 1 }
                if !known.contains(composition), seenNew.insert(composition).inserted {
                    newRows.append(LabeledComposition(composition: composition, target: target))
                    if target > configuration.threshold { above += 1 }
                }
            }
            let record = ActiveIteration(
                iteration: iteration, suggestions: acquired.count, decodable: decodable, valid: valid, distinctNew: newRows.count,
                bestTarget: best, aboveThreshold: above, kernel: kernel, seconds: Date().timeIntervalSince(began))
            iterations.append(record)
            let counts = "\(acquired.count) suggestions, \(decodable) decodable, \(valid) valid, \(newRows.count) new, "
                + "\(above) above \(configuration.threshold)"
            let gp = String(format: "best %.3f; GP amplitude %.3g length %.3g; %.1f s", best, kernel.amplitude, kernel.lengthScale, record.seconds)
            logger.info("iteration \(iteration): \(counts), \(gp)")
            iteration += 1
        }
        return ActiveDesignResult(configuration: configuration, iterations: iterations, acquired: acquired, newLabeledRows: newRows)
    }
}

/// A run that cannot go on, with what was expected.
public struct ActiveDesignError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
