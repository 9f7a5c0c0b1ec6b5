import Distributed
import Foundation
import Logging
import NeuralNet

/// What a training run does with a checkpoint already in its run directory.
public enum StartPolicy: Sendable, Equatable {
    /// Start fresh; a directory that holds a checkpoint is refused, so no run is lost by mistake.
    case fresh
    /// Continue from the checkpoint if there is one, else start fresh.
    case resume
    /// Start fresh, deleting the directory's checkpoint and metrics first.
    case overwrite
}

/// Drives a ``TrainingRun`` on every rank of a communicator (docs/distributed.md): owns the run
/// directory (locked by rank 0 for the run's life), starts fresh (rank 0 initialises, then
/// broadcasts) or resumes (rank 0 checks and reads `checkpoint.h5`, then broadcasts), agrees
/// with the other ranks on when to stop, steps, averages the step's metrics over ranks and logs
/// them on rank 0 (stderr and `metrics.jsonl`), runs the ``evaluation`` if there is one, and
/// checkpoints every so often, at the end and after SIGTERM or SIGINT — always after checking
/// that every parameter is finite, averaging batch-norm statistics and checking that every
/// replica holds the same weights. A step whose metrics are not finite stops the run on every
/// rank without a checkpoint, so the last good one stays.
public final class TrainingSession {
    public let world: Communicator
    public let runDirectory: URL
    public let logger: Logger
    /// When the run ends.
    public var stop: StopCondition
    /// Steps between progress lines.
    public var logInterval: Int
    /// Steps between checkpoints (0: only at the end).
    public var checkpointInterval: Int
    /// What to measure every `evaluation.interval` steps and at the end, if anything.
    public var evaluation: (any RunEvaluation)?

    /// Wall-clock seconds the run has trained, over all its jobs: the resumed checkpoint's, plus
    /// this job's since ``train(_:)`` began.
    public var elapsedSeconds: Double { resumedSeconds + Date().timeIntervalSince(clockStart) }

    /// `RUN-DIR/checkpoint.h5`.
    public var checkpointPath: String { runDirectory.appendingPathComponent("checkpoint.h5").path }
    /// `RUN-DIR/metrics.jsonl`.
    public var metricsPath: String { runDirectory.appendingPathComponent(MetricsLog.fileName).path }

    /// Rank 0's hold on the run directory.
    private let lock: RunDirectoryLock?
    /// The resumed checkpoint's elapsed seconds (0 for a fresh run).
    private var resumedSeconds = 0.0
    /// When this job's part of ``elapsedSeconds`` began.
    private var clockStart = Date()

    /// A session in `runDirectory`, which rank 0 creates if needed and locks for the session's
    /// life. Collective.
    public init(world: Communicator, runDirectory: URL, stop: StopCondition, logInterval: Int, checkpointInterval: Int,
                logger: Logger) throws {
        self.world = world
        self.runDirectory = runDirectory
        self.stop = stop
        self.logInterval = logInterval
        self.checkpointInterval = checkpointInterval
        self.logger = logger
        if world.isRoot {
            try Self.createDirectory(runDirectory)
            lock = try RunDirectoryLock(directory: runDirectory)
        } else {
            lock = nil
        }
        try world.barrier()
    }

    /// Creates `directory` (and its parents), with the reason in plain words when it cannot.
    private static func createDirectory(_ directory: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw TrainingError(kind: .runDirectory, message: "--run-dir \(directory.path) is a file, not a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            let reason = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription ?? error.localizedDescription
            throw TrainingError(kind: .runDirectory, message: "cannot create the run directory \(directory.path): \(reason)")
        }
    }

    /// Starts `run` as `policy` says: fresh (refusing a directory that holds a checkpoint),
    /// continuing from the directory's checkpoint, or fresh after deleting it. Collective.
    public func start(_ run: any TrainingRun, policy: StartPolicy) throws {
        let parallel = DataParallel(world: world)
        let counterNames = run.counters.keys.sorted()
        let hasCheckpoint = FileManager.default.fileExists(atPath: checkpointPath)
        if world.isRoot, hasCheckpoint {
            switch policy {
            case .fresh:
                let header = try Checkpoint.readHeader(checkpointPath)
                throw TrainingError(kind: .runDirectory, message: "\(runDirectory.path) already holds a checkpoint of "
                                    + "\(header.model) at step \(header.step); continue it with --resume or start over with "
                                    + "--overwrite")
            case .overwrite:
                for path in [checkpointPath, metricsPath] where FileManager.default.fileExists(atPath: path) {
                    try FileManager.default.removeItem(atPath: path)
                }
                logger.info("--overwrite: deleted the previous checkpoint and metrics in \(runDirectory.path)")
            case .resume:
                break
            }
        }
        if policy == .resume, hasCheckpoint {
            var counters = [Int64](repeating: 0, count: counterNames.count)
            var seconds = 0.0
            if world.isRoot {
                let header = try Checkpoint.readHeader(checkpointPath)
                seconds = header.elapsedSeconds
                try checkCompatible(header, with: run.identity)
                let restored = try Checkpoint.restore(from: checkpointPath, networks: run.networks, optimizers: run.optimizers)
                counters = counterNames.map { restored.counters[$0] ?? 0 }
                // Metrics logged after the checkpoint describe steps the resumed run will redo.
                let dropped = try MetricsLog.truncate(metricsPath, afterStep: header.step)
                let note = dropped > 0 ? "; dropped \(dropped) metrics record(s) logged after it" : ""
                logger.info("resuming from \(checkpointPath) at step \(header.step)\(note)")
            }
            try world.broadcast(&counters, root: 0)
            resumedSeconds = try world.broadcast(seconds, root: 0)
            try parallel.broadcastFromRoot(run.optimizers.map(\.optimizer))
            run.restore(counters: Dictionary(uniqueKeysWithValues: zip(counterNames, counters)))
        } else if world.isRoot {
            run.initializeWeights()
        }
        try parallel.broadcastFromRoot(run.networks.map(\.store))
    }

    /// Steps `run` until the stop condition or a termination signal, then checkpoints. Collective.
    public func train(_ run: any TrainingRun) throws -> TrainingSummary {
        let metricsLog = world.isRoot ? try MetricsLog(path: metricsPath) : nil
        let start = Date()
        clockStart = start
        var lastEvaluatedStep = try lastEvaluationStep()
        let startProgress = run.progress
        // A resumed run's ETA comes from the progress made since it started, not since step 0.
        let startFraction = stop.progress(step: startProgress.step, epochProgress: startProgress.epoch, elapsedSeconds: 0)
        var interval = MetricSums()
        var intervalStart = Date()
        var stopReason = ""
        var signal: Int32?
        var nonFiniteMetric: Int32 = 0
        TerminationRequest.install()
        while true {
            // Every rank must stop at the same step: one tiny allreduce decides, and carries the
            // first metric a rank found not finite (1-based, 0 for none).
            let now = run.progress
            let reason = stop.reason(step: now.step, epoch: now.completedEpochs, elapsedSeconds: Date().timeIntervalSince(start))
            var flags: [Int32] = [TerminationRequest.receivedSignal ?? 0, reason == nil ? 0 : 1, nonFiniteMetric]
            try world.allreduce(&flags, .max)
            if flags[2] != 0 {
                let name = interval.names.indices.contains(Int(flags[2]) - 1) ? interval.names[Int(flags[2]) - 1] : "a metric"
                throw TrainingError(kind: .nonFinite, message: "step \(now.step): \(name) is not a finite number on at least "
                                    + "one rank; the run stops here and keeps its last checkpoint (\(checkpointPath))")
            }
            if flags[0] != 0 {
                signal = flags[0]
                stopReason = "received signal \(flags[0])"
                break
            }
            if flags[1] != 0 {
                stopReason = reason ?? "another rank reached the stop condition"
                break
            }

            let metrics = try run.step()
            try interval.add(metrics)
            if let bad = metrics.firstIndex(where: { !$0.value.isFinite }) {
                nonFiniteMetric = Int32(bad + 1)
                continue
            }
            let done = run.progress
            if done.step % logInterval == 0 {
                try world.allreduce(&interval.sums, .sum)
                let scale = 1 / Double(interval.steps * world.size)
                let runSeconds = Date().timeIntervalSince(start)
                let samplesPerSecond = Double(interval.steps * run.samplesPerStep) / Date().timeIntervalSince(intervalStart)
                let fraction = stop.progress(step: done.step, epochProgress: done.epoch, elapsedSeconds: runSeconds)
                let eta = fraction > startFraction ? runSeconds * (1 - fraction) / (fraction - startFraction) : .infinity
                if let metricsLog {
                    let fields = zip(interval.names, interval.sums).map { "\($0) \(String(format: "%.4f", $1 * scale))" }
                    let line = "step \(done.step) epoch \(String(format: "%.2f", done.epoch)) \(fields.joined(separator: " ")) "
                        + "\(Int(samplesPerSecond)) samples/s ETA \(Self.duration(eta))"
                    logger.info("\(line)")
                    var record: [String: Any] = ["step": done.step, "epoch": done.epoch,
                                                 "samples_per_second": samplesPerSecond, "elapsed_seconds": elapsedSeconds]
                    for (name, sum) in zip(interval.names, interval.sums) { record[name] = sum * scale }
                    try metricsLog.append(record)
                }
                interval.reset()
                intervalStart = Date()
            }
            if let evaluation, done.step % evaluation.interval == 0 {
                // Samples per second measure training alone.
                intervalStart += try evaluate(evaluation, at: done, log: metricsLog)
                lastEvaluatedStep = done.step
            }
            if checkpointInterval > 0, done.step % checkpointInterval == 0 { try writeCheckpoint(run) }
        }
        // A run stopped by a signal has little time left: the checkpoint comes first, and the
        // resumed run evaluates.
        if let evaluation, signal == nil, lastEvaluatedStep != run.progress.step {
            _ = try evaluate(evaluation, at: run.progress, log: metricsLog)
        }
        try writeCheckpoint(run)
        let seconds = Date().timeIntervalSince(start)
        let steps = run.progress.step - startProgress.step
        logger.info("stopped after step \(run.progress.step): \(stopReason); checkpoint \(checkpointPath)")
        return TrainingSummary(steps: run.progress.step, trainedSteps: steps, seconds: seconds,
                               samplesPerSecond: Double(steps * run.samplesPerStep) / max(seconds, 1e-9), stopReason: stopReason,
                               signal: signal)
    }

    /// Runs `evaluation` (collective); rank 0 logs its line, appends its record and lets it
    /// redraw. Returns the seconds it took.
    private func evaluate(_ evaluation: any RunEvaluation, at progress: TrainingProgress, log metricsLog: MetricsLog?) throws -> Double {
        let start = Date()
        let metrics = try evaluation.evaluate()
        let seconds = Date().timeIntervalSince(start)
        if let metricsLog, let metrics {
            let line = "eval step \(progress.step) epoch \(String(format: "%.2f", progress.epoch)): \(evaluation.summary(metrics)) "
                + "(\(String(format: "%.1f", seconds)) s)"
            logger.info("\(line)")
            var record: [String: Any] = ["kind": MetricsLog.evaluationKind, "step": progress.step, "epoch": progress.epoch,
                                         "elapsed_seconds": elapsedSeconds, "evaluation_seconds": seconds]
            for metric in metrics { record[metric.name] = metric.value }
            try metricsLog.append(record)
            try evaluation.recorded(metricsPath: metricsPath)
        }
        return Date().timeIntervalSince(start)
    }

    /// The step of the last evaluation record in `metrics.jsonl` (after ``start(_:policy:)`` cut
    /// it back to the checkpoint), -1 for none; the same on every rank. Collective.
    private func lastEvaluationStep() throws -> Int {
        guard evaluation != nil else { return -1 }
        let last = world.isRoot
            ? try (MetricsLog.records(metricsPath, kind: MetricsLog.evaluationKind).last?["step"] as? NSNumber)?.intValue ?? -1 : -1
        return Int(try world.broadcast(Int64(last), root: 0))
    }

    /// Averages batch-norm statistics over the ranks, checks that every rank now holds the same
    /// parameters and statistics bit for bit, then rank 0 writes the checkpoint. Collective.
    public func writeCheckpoint(_ run: any TrainingRun) throws {
        let parallel = DataParallel(world: world)
        try run.prepareCheckpoint()
        let progress = run.progress
        for (name, store) in run.networks {
            if let index = store.parameters.firstIndex(where: { !$0.isFinite }) {
                throw TrainingError(kind: .nonFinite, message: "step \(progress.step): parameter \(index) of network '\(name)' is "
                                    + "\(store.parameters[index]); the checkpoint is not written and the last one "
                                    + "(\(checkpointPath)) is kept")
            }
        }
        try parallel.averageBatchNormState(run.networks.map(\.store))
        try parallel.verifyReplicasAgree(run.networks, step: progress.step)
        guard world.isRoot else { return }
        let identity = run.identity
        let header = Checkpoint.Header(
            model: identity.model, step: progress.step, epoch: progress.completedEpochs, seed: identity.seed,
            configuration: identity.configuration, dataFile: identity.dataPath, dataSHA256: identity.dataSHA256,
            worldSize: world.size, elapsedSeconds: elapsedSeconds)
        try Checkpoint(header: header, networks: run.networks, optimizers: run.optimizers, counters: run.counters)
            .write(to: checkpointPath)
    }

    /// Refuses a checkpoint of another model or of other data.
    private func checkCompatible(_ header: Checkpoint.Header, with identity: RunIdentity) throws {
        guard header.model == identity.model else {
            throw TrainingError.checkpoint(checkpointPath, "is for model \(header.model), not \(identity.model)")
        }
        guard header.dataSHA256 == identity.dataSHA256 else {
            throw TrainingError.checkpoint(checkpointPath, "was trained on \(header.dataFile) (SHA-256 "
                                  + "\(header.dataSHA256.prefix(12))…), not on \(identity.dataPath) (SHA-256 "
                                  + "\(identity.dataSHA256.prefix(12))…); use the same data file or a new run directory")
        }
    }

    /// `seconds` as `1h05m`, `3m07s`, or days and years when longer (`-` when unknown).
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds < 1e15 else { return "-" }
        let total = Int(seconds.rounded())
        if total >= 365 * 86_400 { return String(format: "%.1f years", seconds / (365.25 * 86_400)) }
        if total >= 86_400 { return "\(total / 86_400)d\(String(format: "%02d", total % 86_400 / 3600))h" }
        return total >= 3600 ? "\(total / 3600)h\(String(format: "%02d", total % 3600 / 60))m"
            : "\(total / 60)m\(String(format: "%02d", total % 60))s"
    }
}

/// Per-metric sums over the steps of one log interval.
private struct MetricSums {
    var names: [String] = []
    var sums: [Double] = []
    var steps = 0

    mutating func add(_ metrics: [Metric]) throws {
        if names.isEmpty { names = metrics.map(\.name) }
        if sums.isEmpty { sums = [Double](repeating: 0, count: names.count) }
        guard metrics.count == names.count, zip(metrics, names).allSatisfy({ $0.name == $1 }) else {
            throw TrainingError.inconsistentMetrics(expected: names, got: metrics.map(\.name))
        }
        for (index, metric) in metrics.enumerated() { sums[index] += metric.value }
        steps += 1
    }

    mutating func reset() {
        sums = [Double](repeating: 0, count: names.count)
        steps = 0
    }
}

/// What a finished training run reports.
public struct TrainingSummary: Sendable {
    /// Steps done in total (including those before a resume).
    public var steps: Int
    /// Steps this process trained: 0 when a resumed run had already met its stop condition.
    public var trainedSteps: Int
    public var seconds: Double
    /// Training samples per second over all ranks, in this run.
    public var samplesPerSecond: Double
    public var stopReason: String
    /// The signal (SIGTERM, SIGINT) that ended the run, if one did.
    public var signal: Int32?
}
