/// A training run that cannot go on: what kind of failure, the file involved if any, and what
/// went wrong in words.
public struct TrainingError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The broad category of a failure.
    public enum Kind: Sendable, Equatable {
        /// A checkpoint that cannot be read, does not fit the run, or is not a checkpoint.
        case checkpoint
        /// The global batch cannot be split over the ranks, or the data holds less than one batch.
        case batchSchedule
        /// Data-parallel replicas no longer hold identical weights.
        case replicasDiffer
        /// A run whose steps report different metrics from one step to the next.
        case inconsistentMetrics
        /// A run directory that cannot be used: not a directory, in use, or holding a checkpoint
        /// the command would overwrite.
        case runDirectory
        /// A loss or parameter that is no longer a finite number.
        case nonFinite
        /// Command-line settings that contradict the configuration a checkpoint was trained with.
        case conflictingConfiguration
    }

    public let kind: Kind
    /// The file involved (a checkpoint), if any.
    public let path: String?
    /// What went wrong, in words.
    public let message: String

    public init(kind: Kind, path: String? = nil, message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String {
        guard let path else { return message }
        return "checkpoint \(path) \(message)"
    }

    /// A checkpoint at `path` that `message` describes ("is for model …").
    public static func checkpoint(_ path: String, _ message: String) -> TrainingError {
        TrainingError(kind: .checkpoint, path: path, message: message)
    }

    /// A global batch that cannot be split evenly over the ranks, naming the nearest global
    /// batches that can be; `defaultOf` names the model whose default batch it is (the user gave
    /// none), `perRankFlag` the option that gives the batch per rank instead, where it applies.
    public static func indivisibleBatch(globalBatchSize: Int, worldSize: Int, defaultOf model: String? = nil,
                                        perRankFlag: String? = nil) -> TrainingError {
        let nearest = BatchSchedule.nearestSplittableBatches(around: globalBatchSize, worldSize: worldSize)
        let choices = nearest.below.map { "--batch-size \($0) or \(nearest.above) (multiples of \(worldSize))" }
            ?? "--batch-size \(nearest.above) (the smallest multiple of \(worldSize))"
        let alternative = perRankFlag.map { ", or \($0) N for a global batch of \(worldSize) x N" } ?? ""
        return TrainingError(kind: .batchSchedule, message: "\(model.map { "\($0)'s default " } ?? "")--batch-size \(globalBatchSize) "
                             + "cannot be split evenly over \(worldSize) ranks: use \(choices)\(alternative)")
    }

    /// A checkpoint's global batch that the ranks of a resumed run cannot share.
    public static func indivisibleResumedBatch(checkpoint: String, globalBatchSize: Int, worldSize: Int) -> TrainingError {
        let nearest = BatchSchedule.nearestDividingRankCounts(of: globalBatchSize, around: worldSize)
        let counts = nearest.above.map { "\(nearest.below) or \($0) ranks" } ?? "\(nearest.below) ranks"
        return .checkpoint(checkpoint, "was trained with a global batch of \(globalBatchSize), which cannot be split evenly over "
                           + "\(worldSize) ranks; resume it on \(counts) (the global batch stays, so the run continues as it "
                           + "would have), or start a new run")
    }

    /// A training set smaller than one global batch.
    public static func tooFewRows(rowCount: Int, globalBatchSize: Int) -> TrainingError {
        TrainingError(kind: .batchSchedule, message: "the training set has \(rowCount) rows, fewer than one global batch of \(globalBatchSize)")
    }

    static func inconsistentMetrics(expected: [String], got: [String]) -> TrainingError {
        TrainingError(kind: .inconsistentMetrics, message: "a training step reported metrics \(got), earlier steps \(expected)")
    }
}
