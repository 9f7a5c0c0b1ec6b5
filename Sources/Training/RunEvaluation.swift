/// A measurement a ``TrainingSession`` takes of its run between steps, every ``interval`` steps
/// and once more when the run stops (unless it already took one at that step, or a signal stopped
/// the run): e.g. the quality of a generator's samples. Rank 0 logs each result as one line and
/// one `"kind": "evaluation"` record of `metrics.jsonl`.
public protocol RunEvaluation: AnyObject {
    /// Steps between evaluations.
    var interval: Int { get }
    /// Measures the run as it stands without changing anything that training uses. Collective;
    /// returns the metrics on rank 0 and `nil` elsewhere.
    func evaluate() throws -> [Metric]?
    /// `metrics` in a few words for the log line (rank 0).
    func summary(_ metrics: [Metric]) -> String
    /// Called on rank 0 after each evaluation record is appended to `metricsPath`, e.g. to redraw
    /// a plot from all of them.
    func recorded(metricsPath: String) throws
}
