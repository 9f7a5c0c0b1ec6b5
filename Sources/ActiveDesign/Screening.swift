import Chemistry
import Datasets
import Distributed
import Foundation
import Property

/// Experiments 2 and 3 of active generative design (docs/active-design.md, "Oracle and screening"):
/// a screening model (random forest on Magpie features) trained on the starting rows only, and one
/// retrained with the rows the loop acquired, compared on an external test set and as screens of
/// generated compositions against the oracle's screen.
public struct ScreeningStudy {
    public let magpie: MagpieFeaturizer
    public let forest: RandomForestParameters
    public let world: Communicator
    /// Compositions per block when predicting many (blocks are dealt over the ranks).
    public let blockSize = 4096

    public init(magpie: MagpieFeaturizer, forest: RandomForestParameters, world: Communicator) {
        self.magpie = magpie
        self.forest = forest
        self.world = world
    }

    /// The two screening models and their test-set metrics.
    public struct Models {
        public var baseline: TreeEnsemble
        public var retrained: TreeEnsemble
        public var baselineRows: Int
        public var retrainedRows: Int
        public var baselineMetrics: RegressionMetrics
        public var retrainedMetrics: RegressionMetrics
    }

    /// Trains the baseline on `start` and the retrained model on `start + acquired`, and scores
    /// both on `test` (true labels). Collective.
    public func trainModels(start: [LabeledComposition], acquired: [LabeledComposition],
                            test: [LabeledComposition]) throws -> Models {
        guard !test.isEmpty else { throw ActiveDesignError("the external test set is empty") }
        let baseline = try fit(start)
        let retrained = try fit(start + acquired)
        let testFeatures = try magpie.features(of: test.map(\.composition))
        let truth = test.map { Float($0.target) }
        return Models(baseline: baseline, retrained: retrained, baselineRows: start.count, retrainedRows: start.count + acquired.count,
                      baselineMetrics: RegressionMetrics(predictions: baseline.predict(testFeatures), targets: truth),
                      retrainedMetrics: RegressionMetrics(predictions: retrained.predict(testFeatures), targets: truth))
    }

    private func fit(_ rows: [LabeledComposition]) throws -> TreeEnsemble {
        try RandomForest.fit(features: magpie.features(of: rows.map(\.composition)), targets: rows.map { Float($0.target) },
                             parameters: forest, world: world)
    }

    /// How the screening models' candidate sets compare with the oracle's.
    public struct CandidateScreen: Sendable {
        public var threshold: Double
        /// Distinct compositions screened.
        public var screened: Int
        public var oracleCandidates: Int
        public var baselineCandidates: Int
        public var baselineRecovered: Int
        public var retrainedCandidates: Int
        public var retrainedRecovered: Int

        /// Recovered oracle candidates as a percentage of the oracle's candidates.
        public func recoveryPercent(_ recovered: Int) -> Double {
            oracleCandidates == 0 ? 0 : 100 * Double(recovered) / Double(oracleCandidates)
        }
    }

    /// Screens `compositions` with the oracle and both models, once per threshold: candidates are
    /// predictions above it; recovery counts a model's candidates that are also the oracle's.
    /// Prediction is shared over the ranks in blocks. Collective.
    public func screen(_ compositions: [Composition], models: Models, oracle: PropertyModel,
                       thresholds: [Double]) throws -> [CandidateScreen] {
        guard !compositions.isEmpty else {
            throw ActiveDesignError("no compositions to screen: the samples file holds no decoded compositions")
        }
        var predictions = [Double](repeating: 0, count: 3 * compositions.count)
        for (block, start) in stride(from: 0, to: compositions.count, by: blockSize).enumerated() where block % world.size == world.rank {
            let range = start ..< min(start + blockSize, compositions.count)
            let slice = Array(compositions[range])
            let features = try magpie.features(of: slice)
            let columns = [try oracle.predict(oracle.features(of: slice, magpie: magpie)),
                           models.baseline.predict(features), models.retrained.predict(features)]
            for (model, values) in columns.enumerated() {
                for (offset, value) in values.enumerated() { predictions[model * compositions.count + range.lowerBound + offset] = Double(value) }
            }
        }
        try RankWorkers(world: world).sum(&predictions)
        let n = compositions.count
        return thresholds.map { threshold in
            let isOracleCandidate = (0..<n).map { predictions[$0] > threshold }
            func candidates(_ model: Int) -> (count: Int, recovered: Int) {
                var count = 0, recovered = 0
                for row in 0..<n where predictions[model * n + row] > threshold {
                    count += 1
                    if isOracleCandidate[row] { recovered += 1 }
                }
                return (count, recovered)
            }
            let baseline = candidates(1), retrained = candidates(2)
            return CandidateScreen(threshold: threshold, screened: n, oracleCandidates: isOracleCandidate.filter { $0 }.count,
                                   baselineCandidates: baseline.count, baselineRecovered: baseline.recovered,
                                   retrainedCandidates: retrained.count, retrainedRecovered: retrained.recovered)
        }
    }

    /// The distinct decoded compositions of a `generate` samples file, in order of first appearance.
    public static func generatedCompositions(_ path: String) throws -> [Composition] {
        guard let samples = try SampleFile(formulasAt: path) else {
            throw ActiveDesignError("\(path) has no samples/formula dataset; pass a samples file written by `matgan-dist generate`")
        }
        var seen = Set<Composition>()
        var compositions: [Composition] = []
        for case let formula? in try samples.formulas(0..<samples.count) {
            guard let composition = try? Composition(parsing: formula) else {
                throw ActiveDesignError("\(path): samples/formula holds '\(formula)', which is not a formula")
            }
            if seen.insert(composition).inserted { compositions.append(composition) }
        }
        return compositions
    }
}
