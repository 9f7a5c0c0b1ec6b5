import Foundation

/// When a training run ends: after a number of optimizer steps, of epochs, or of wall-clock
/// seconds, whichever comes first. At least one limit must be set.
public struct StopCondition: Sendable, Equatable, Codable {
    public var maximumSteps: Int?
    public var maximumEpochs: Int?
    public var maximumSeconds: Double?

    public init(maximumSteps: Int? = nil, maximumEpochs: Int? = nil, maximumSeconds: Double? = nil) {
        self.maximumSteps = maximumSteps
        self.maximumEpochs = maximumEpochs
        self.maximumSeconds = maximumSeconds
    }

    /// Why training should stop now, or `nil` to go on.
    public func reason(step: Int, epoch: Int, elapsedSeconds: Double) -> String? {
        if let maximumSteps, step >= maximumSteps { return "reached \(maximumSteps) steps" }
        if let maximumEpochs, epoch >= maximumEpochs { return "reached \(maximumEpochs) epochs" }
        if let maximumSeconds, elapsedSeconds >= maximumSeconds { return "reached the \(maximumSeconds) s time limit" }
        return nil
    }

    /// The fraction of the run done, for ETA estimates (the nearest limit wins).
    public func progress(step: Int, epochProgress: Double, elapsedSeconds: Double) -> Double {
        var fractions: [Double] = []
        if let maximumSteps { fractions.append(Double(step) / Double(max(maximumSteps, 1))) }
        if let maximumEpochs { fractions.append(epochProgress / Double(max(maximumEpochs, 1))) }
        if let maximumSeconds { fractions.append(elapsedSeconds / max(maximumSeconds, 1e-9)) }
        return min(fractions.max() ?? 0, 1)
    }
}
