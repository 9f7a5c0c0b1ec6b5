import Foundation
import Plotting

/// The curves of a run's evaluation records (`RUN-DIR/quality.svg`): sample shares, recovery and
/// element distance, each against epochs (left) and against wall-clock time (right); the
/// moving average's curves are dashed beside the generator's.
public struct QualityPlot {
    /// The records, in step order.
    public let records: [[String: Any]]

    public init(records: [[String: Any]]) {
        self.records = records
    }

    /// The panels' measures, top to bottom.
    private static let panels: [(title: String, yLabel: String, measures: [QualityMeasure])] = [
        ("Samples", "% (distinct and validity: of decoded)", [.decoded, .chargeNeutral, .neutralAndBalanced, .distinct]),
        ("Formulas recovered", "% of the split", [.trainingRecovery, .holdoutRecovery]),
        ("Element distribution", "JS distance to training", [.elementDistance]),
    ]

    private static let colors: [QualityMeasure: String] = [
        .decoded: "#1f77b4", .chargeNeutral: "#2ca02c", .neutralAndBalanced: "#9467bd", .distinct: "#ff7f0e",
        .trainingRecovery: "#1f77b4", .holdoutRecovery: "#d62728", .elementDistance: "#1f77b4",
    ]

    /// The sheet as a standalone SVG document.
    public var svg: String {
        let epochs = column("epoch")
        let seconds = column("elapsed_seconds")
        // Wall-clock time in the unit that keeps the tick labels short.
        let longest = seconds.filter(\.isFinite).max() ?? 0
        let (unit, scale) = longest >= 7200 ? ("hours", 3600.0) : longest >= 120 ? ("minutes", 60.0) : ("seconds", 1.0)
        let hasAverage = SampleQualityEvaluation.measuredAverage(records)
        var plots: [LinePlot] = []
        for panel in Self.panels {
            var series: [LinePlot.Series] = []
            for measure in panel.measures {
                let color = Self.colors[measure] ?? "black"
                series.append(.init(name: measure.label, color: color, values: column(measure.rawValue)))
                if hasAverage {
                    series.append(.init(name: measure.label + " (EMA)", color: color,
                                        values: column(SampleQualityEvaluation.averagePrefix + measure.rawValue), dashed: true))
                }
            }
            plots.append(LinePlot(title: panel.title + " by epoch", xLabel: "epoch", yLabel: panel.yLabel, x: epochs, series: series))
            plots.append(LinePlot(title: panel.title + " by training time", xLabel: "wall-clock \(unit)", yLabel: panel.yLabel,
                                  x: seconds.map { $0 / scale }, series: series))
        }
        return PlotSheet(plots: plots, columns: 2).svg
    }

    /// The numbers of field `name`, NaN where a record lacks it (or holds `null`).
    private func column(_ name: String) -> [Double] {
        records.map { SampleQualityEvaluation.number($0, name) ?? .nan }
    }
}
