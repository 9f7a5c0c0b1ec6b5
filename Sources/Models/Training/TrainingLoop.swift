import Distributed
import Foundation
import Logging

/// The loop every data-parallel training run shares: agree on when to stop, take a step,
/// average the step's metrics over ranks and log them on rank 0 (stderr and `metrics.jsonl`),
/// checkpoint every so often and at the end.
struct TrainingLoop {
    let world: Communicator
    let stop: StopCondition
    let logInterval: Int
    let checkpointInterval: Int
    /// Training samples one step consumes over all ranks (for samples/s).
    let samplesPerStep: Int
    let metricsPath: String
    let logger: Logger

    /// Runs `step` (which returns this rank's values of `metricNames`) until the stop condition
    /// or a termination signal; `progress` gives (steps done, completed epochs, fractional epoch).
    func run(
        metricNames: [String], progress: () -> (step: Int, completedEpochs: Int, epoch: Double),
        step: () throws -> [Double], checkpoint: () throws -> Void
    ) throws -> TrainingSummary {
        let metrics = world.isRoot ? try MetricsLog(path: metricsPath) : nil
        let start = Date()
        let startStep = progress().step
        // A resumed run's ETA comes from the progress made since it started, not since step 0.
        let startFraction = stop.progress(step: startStep, epochProgress: progress().epoch, elapsedSeconds: 0)
        var intervalStart = Date()
        var intervalSteps = 0
        var sums = [Double](repeating: 0, count: metricNames.count)
        var stopReason = ""
        TerminationRequest.install()
        while true {
            // Every rank must stop at the same step: one tiny allreduce decides.
            let now = progress()
            let elapsed = Date().timeIntervalSince(start)
            let reason = stop.reason(step: now.step, epoch: now.completedEpochs, elapsedSeconds: elapsed)
            var flags: [Int32] = [TerminationRequest.receivedSignal ?? 0, reason == nil ? 0 : 1]
            try world.allreduce(&flags, .max)
            if flags[0] != 0 {
                stopReason = "received signal \(flags[0])"
                break
            }
            if flags[1] != 0 {
                stopReason = reason ?? "another rank reached the stop condition"
                break
            }

            let values = try step()
            for index in sums.indices { sums[index] += values[index] }
            intervalSteps += 1
            let done = progress()
            if done.step % logInterval == 0 {
                try world.allreduce(&sums, .sum)
                let scale = 1 / Double(intervalSteps * world.size)
                let runSeconds = Date().timeIntervalSince(start)
                let samplesPerSecond = Double(intervalSteps * samplesPerStep) / Date().timeIntervalSince(intervalStart)
                let fraction = stop.progress(step: done.step, epochProgress: done.epoch, elapsedSeconds: runSeconds)
                let eta = fraction > startFraction ? runSeconds * (1 - fraction) / (fraction - startFraction) : .infinity
                if let metrics {
                    let fields = zip(metricNames, sums).map { "\($0) \(String(format: "%.4f", $1 * scale))" }
                    let line = "step \(done.step) epoch \(String(format: "%.2f", done.epoch)) \(fields.joined(separator: " ")) "
                        + "\(Int(samplesPerSecond)) samples/s ETA \(Self.duration(eta))"
                    logger.info("\(line)")
                    var record: [String: Any] = ["step": done.step, "epoch": done.epoch,
                                                 "samples_per_second": samplesPerSecond, "elapsed_seconds": runSeconds]
                    for (name, sum) in zip(metricNames, sums) { record[name] = sum * scale }
                    try metrics.append(record)
                }
                sums = [Double](repeating: 0, count: metricNames.count)
                intervalSteps = 0
                intervalStart = Date()
            }
            if checkpointInterval > 0, done.step % checkpointInterval == 0 { try checkpoint() }
        }
        try checkpoint()
        let seconds = Date().timeIntervalSince(start)
        let steps = progress().step - startStep
        return TrainingSummary(steps: progress().step, seconds: seconds,
                       samplesPerSecond: Double(steps * samplesPerStep) / max(seconds, 1e-9), stopReason: stopReason)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        let total = Int(seconds.rounded())
        return total >= 3600 ? "\(total / 3600)h\(String(format: "%02d", total % 3600 / 60))m"
            : "\(total / 60)m\(String(format: "%02d", total % 60))s"
    }
}

/// What a finished training run reports.
public struct TrainingSummary: Sendable {
    /// Steps done in total (including those before a resume).
    public var steps: Int
    public var seconds: Double
    /// Training samples per second over all ranks, in this run.
    public var samplesPerSecond: Double
    public var stopReason: String
}
