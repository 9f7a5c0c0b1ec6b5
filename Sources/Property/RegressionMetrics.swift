/// Goodness of fit of predictions against true values, as scikit-learn computes them:
/// `r2 = 1 - SS_res / SS_tot` (`r2_score`), mean absolute error and root mean squared error.
/// Sums are accumulated in Double.
public struct RegressionMetrics: Sendable, Equatable, CustomStringConvertible {
    /// Coefficient of determination; 1 is perfect, 0 is as good as predicting the mean. With
    /// constant targets it is 1 for exact predictions, else 0 (scikit-learn's convention).
    public let r2: Double
    /// Mean absolute error.
    public let mae: Double
    /// Root mean squared error.
    public let rmse: Double
    /// Number of (prediction, target) pairs.
    public let count: Int

    /// The metrics of `predictions` against `targets` (same non-zero length).
    public init(predictions: [Float], targets: [Float]) {
        precondition(predictions.count == targets.count && !targets.isEmpty,
                     "RegressionMetrics: need equally many predictions and targets, got \(predictions.count) and \(targets.count)")
        let count = targets.count
        var mean = 0.0
        for target in targets { mean += Double(target) }
        mean /= Double(count)
        var absolute = 0.0, squared = 0.0, total = 0.0
        for (prediction, target) in zip(predictions, targets) {
            let error = Double(prediction) - Double(target)
            absolute += abs(error)
            squared += error * error
            total += (Double(target) - mean) * (Double(target) - mean)
        }
        self.count = count
        mae = absolute / Double(count)
        rmse = (squared / Double(count)).squareRoot()
        r2 = total > 0 ? 1 - squared / total : (squared == 0 ? 1 : 0)
    }

    public var description: String {
        "R2 \(formatted(r2)), MAE \(formatted(mae)), RMSE \(formatted(rmse)) (\(count) rows)"
    }

    private func formatted(_ value: Double) -> String {
        let scaled = (value * 10_000).rounded() / 10_000
        return String(scaled)
    }
}
