import Chemistry
import Datasets
import Distributed
import Foundation
import NeuralNet
import Random
import Training

/// A measure of generated samples that a GAN run tracks while it trains (docs/matgan.md,
/// "Quality while training"), read from the ``GenerationReport`` that `evaluate` prints.
public enum QualityMeasure: String, CaseIterable, Sendable {
    /// Samples that decode to 2..8 elements, of all samples.
    case decoded = "decoded_percent"
    /// Charge-neutral samples (MatGAN's rule), of the decoded ones.
    case chargeNeutral = "charge_neutral_percent"
    /// Neutral and electronegativity-balanced samples, of the decoded ones.
    case neutralAndBalanced = "neutral_balanced_percent"
    /// Distinct compositions, of the decoded samples.
    case distinct = "distinct_percent"
    /// Jensen-Shannon distance between the element distributions of the samples and the training set.
    case elementDistance = "element_js_distance"
    /// Training formulas found among the samples.
    case trainingRecovery = "training_recovery_percent"
    /// Hold-out formulas found among the samples.
    case holdoutRecovery = "holdout_recovery_percent"

    /// Its value in `report` (a percentage, or a distance in [0, 1]).
    public func value(in report: GenerationReport) -> Double {
        let decoded = report.generatedValidity.count
        return switch self {
        case .decoded: report.samples == 0 ? 0 : 100 * Double(decoded) / Double(report.samples)
        case .chargeNeutral: report.generatedValidity.chargeNeutralPercent
        case .neutralAndBalanced: report.generatedValidity.balancedPercent
        case .distinct: decoded == 0 ? 0 : 100 * Double(report.unique) / Double(decoded)
        case .elementDistance: report.elementJensenShannonDistance
        case .trainingRecovery: report.recovery[SampleQualityEvaluation.trainingName]?.percent ?? 0
        case .holdoutRecovery: report.recovery[SampleQualityEvaluation.holdoutName]?.percent ?? 0
        }
    }

    /// Its name in log lines and legends.
    public var label: String {
        switch self {
        case .decoded: "decoded"
        case .chargeNeutral: "neutral"
        case .neutralAndBalanced: "neutral+EN"
        case .distinct: "distinct"
        case .elementDistance: "element JS"
        case .trainingRecovery: "training recovered"
        case .holdoutRecovery: "hold-out recovered"
        }
    }

    /// Whether it is a percentage (else a distance).
    public var isPercent: Bool { self != .elementDistance }

    /// `value` as the log line shows it.
    func format(_ value: Double) -> String {
        isPercent ? String(format: "%.1f %%", value) : String(format: "%.3f", value)
    }
}

/// Measures a ``MatGANRun``'s generator while it trains (a ``RunEvaluation``): each evaluation
/// draws the same samples — sample i's noise comes from (a seed derived from the run's, i) —
/// with the generator in inference mode and scores them with the ``GenerationEvaluator`` that
/// `evaluate` uses, against the training and hold-out formulas. With a moving average of the
/// generator (`train --ema-decay`) it measures both, the average's metrics prefixed `ema_`.
///
/// The samples are cut into blocks of ``blockSize`` and each rank generates a contiguous run of
/// blocks, so every sample comes out of the same generator pass whatever the rank count (and
/// `generate --batch-size` ``blockSize`` with ``seed`` draws the very same samples). All buffers
/// are allocated here, once; training steps allocate nothing for the evaluation.
public final class SampleQualityEvaluation: RunEvaluation {
    /// The reference-set names of the report, as `evaluate` names them.
    public static let trainingName = "training", holdoutName = "hold-out"
    /// Samples per generator pass.
    public static let blockSize = 512
    /// The prefix of the moving average's metrics.
    public static let averagePrefix = "ema_"

    /// Field `name` of an evaluation record read back from `metrics.jsonl`; nil where the record
    /// lacks it or holds `null`.
    static func number(_ record: [String: Any], _ name: String) -> Double? {
        (record[name] as? NSNumber)?.doubleValue
    }

    /// Whether the records measured a moving average beside the generator.
    static func measuredAverage(_ records: [[String: Any]]) -> Bool {
        records.contains { $0[averagePrefix + QualityMeasure.decoded.rawValue] != nil }
    }

    public let interval: Int
    /// Samples per evaluation, over all ranks.
    public let sampleCount: Int
    /// The seed of the samples' noise.
    public var seed: UInt64 { sampler.seed }
    /// Where ``recorded(metricsPath:)`` draws the curves.
    public let plotPath: String

    private let run: MatGANRun
    private let world: Communicator
    /// A generator of the run's architecture for whole blocks, into which each evaluation copies
    /// the weights it measures.
    private let network: Sequential
    private let sampler: SampleGenerator
    private let evaluator: GenerationEvaluator
    /// This rank's blocks.
    private let blocks: Range<Int>

    /// Prepares the evaluations of `run` on `schedule`, drawing to `plotPath`. Collective.
    public init(run: MatGANRun, schedule: EvaluationSchedule, world: Communicator, plotPath: String) throws {
        precondition(schedule.interval > 0 && schedule.samples > 0, "SampleQualityEvaluation: \(schedule) is not a schedule")
        self.run = run
        self.world = world
        self.plotPath = plotPath
        interval = schedule.interval
        sampleCount = schedule.samples
        network = MatGANNetworks.generator(run.configuration.model.variant, maxBatch: min(Self.blockSize, schedule.samples))
        sampler = SampleGenerator(generator: network, seed: derivedSeed(run.configuration.seed, for: .matganEvaluationNoise),
                                  decoding: .matgan, oxidationStates: .smact14)
        let blockCount = (schedule.samples + Self.blockSize - 1) / Self.blockSize
        blocks = world.rank * blockCount / world.size ..< (world.rank + 1) * blockCount / world.size
        evaluator = try GenerationEvaluator(
            world: world, validity: sampler.matganValidity,
            training: ReferenceSet(name: Self.trainingName, keys: try run.data.keys(split: PreparedFile.trainSplit)),
            holdout: ReferenceSet(name: Self.holdoutName, keys: try run.data.keys(split: PreparedFile.holdoutSplit)))
    }

    /// The generator and, if the run keeps one, its moving average, each with the metrics of
    /// ``QualityMeasure`` (the average's prefixed).
    public func evaluate() throws -> [Metric]? {
        var metrics = try measure(run.generator.store, prefix: "")
        if let average = run.averagedGenerator {
            try run.calibrateAverage()
            let averaged = try measure(average.store, prefix: Self.averagePrefix)
            metrics = metrics.flatMap { raw in averaged.map { raw + $0 } }
        }
        return metrics
    }

    /// The metrics of the generator with `weights`'s parameters and batch-norm statistics
    /// (averaged over the ranks, as a checkpoint holds them). Collective.
    private func measure(_ weights: ParameterStore, prefix: String) throws -> [Metric]? {
        _ = network.store.parameters.update(fromContentsOf: weights.parameters)
        _ = network.store.buffers.update(fromContentsOf: weights.buffers)
        try DataParallel(world: world).averageBatchNormState([network.store])
        let first = min(blocks.lowerBound * Self.blockSize, sampleCount)
        var shard = GeneratedShard(firstIndex: first, keys: [], chargeNeutral: [], electronegativityBalanced: [])
        for block in blocks {
            let range = block * Self.blockSize ..< min((block + 1) * Self.blockSize, sampleCount)
            shard.append(try sampler.generate(range, keepMatrices: false))
        }
        let report = try evaluator.evaluate(shard: shard, totalSamples: sampleCount, curveSampleCounts: [sampleCount])
        return report.map { report in QualityMeasure.allCases.map { Metric(prefix + $0.rawValue, $0.value(in: report)) } }
    }

    /// "decoded 81.2 %, neutral 70.1 %, …", then the average's after "ema:".
    public func summary(_ metrics: [Metric]) -> String {
        let values = Dictionary(metrics.map { ($0.name, $0.value) }) { first, _ in first }
        func line(_ prefix: String) -> String? {
            let parts = QualityMeasure.allCases.compactMap { measure in
                values[prefix + measure.rawValue].map { "\(measure.label) \(measure.format($0))" }
            }
            return parts.isEmpty ? nil : parts.joined(separator: ", ")
        }
        return [line(""), line(Self.averagePrefix).map { "ema: " + $0 }].compactMap { $0 }.joined(separator: "; ")
    }

    /// Redraws ``plotPath`` from every evaluation record of `metricsPath`, atomically.
    public func recorded(metricsPath: String) throws {
        let records = try MetricsLog.records(metricsPath, kind: MetricsLog.evaluationKind)
        try Data(QualityPlot(records: records).svg.utf8).write(to: URL(fileURLWithPath: plotPath), options: .atomic)
    }
}
