import Foundation
import Plotting
import Training

/// Several MatGAN runs side by side, from the evaluation records of their `metrics.jsonl`
/// (`matgan-dist compare-runs`): a Markdown table of each run's last evaluation, and curves of
/// the main measures against wall-clock time, one colour per run, the moving average dashed.
public struct QualityComparison {
    /// One run: its name in the table and legends, and its evaluation records in step order.
    public struct Run {
        public let name: String
        public let records: [[String: Any]]

        public init(name: String, records: [[String: Any]]) {
            self.name = name
            self.records = records
        }
    }

    public let runs: [Run]

    public init(runs: [Run]) {
        self.runs = runs
    }

    /// Reads `RUN-DIR/metrics.jsonl` of each directory, naming runs by their directory's last
    /// component; a directory without evaluation records is an error that names it.
    public init(runDirectories: [String]) throws {
        runs = try runDirectories.map { directory in
            let path = (directory as NSString).appendingPathComponent(MetricsLog.fileName)
            let records = try MetricsLog.records(path, kind: MetricsLog.evaluationKind)
            guard !records.isEmpty else {
                throw TrainingError(kind: .runDirectory, path: path, message: "\(path) holds no evaluation records: train a GAN there "
                                    + "with --eval-every (matgan-mp, matgan-oqmd) first")
            }
            return Run(name: ((directory as NSString).standardizingPath as NSString).lastPathComponent, records: records)
        }
    }

    /// The measures of the table, in its column order.
    private static let tableMeasures: [QualityMeasure] = [.decoded, .chargeNeutral, .neutralAndBalanced, .distinct,
                                                          .elementDistance, .trainingRecovery, .holdoutRecovery]

    /// One row per run (and one per moving average), from its last evaluation.
    public var markdownTable: String {
        var lines = ["| run | generator | step | epoch | minutes | " + Self.tableMeasures.map(\.label).joined(separator: " | ") + " |",
                     "|---|---|---:|---:|---:|" + String(repeating: "---:|", count: Self.tableMeasures.count)]
        for run in runs {
            guard let last = run.records.last else { continue }
            func field(_ name: String, _ format: (Double) -> String) -> String {
                SampleQualityEvaluation.number(last, name).map(format) ?? "–"
            }
            for prefix in Self.prefixes(of: run) {
                let values = Self.tableMeasures.map { measure in
                    field(prefix + measure.rawValue) { String(format: measure.isPercent ? "%.1f" : "%.3f", $0) }
                }
                lines.append("| \(run.name) | \(prefix.isEmpty ? "raw" : "EMA") | \(field("step") { String(Int($0)) }) | "
                             + "\(field("epoch") { String(format: "%.2f", $0) }) | "
                             + "\(field("elapsed_seconds") { String(format: "%.1f", $0 / 60) }) | "
                             + values.joined(separator: " | ") + " |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The panels of the plot.
    private static let plotMeasures: [(measure: QualityMeasure, yLabel: String)] = [
        (.chargeNeutral, "% of decoded"), (.neutralAndBalanced, "% of decoded"),
        (.holdoutRecovery, "% of the hold-out formulas"), (.elementDistance, "JS distance to training"),
    ]

    private static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    /// The curves as a standalone SVG document: one panel per measure against wall-clock minutes.
    public var svg: String {
        // One x axis for all runs: each run's points sit in its own stretch, NaN elsewhere, and a
        // line joins only its finite points.
        let minutes = runs.flatMap { run in
            run.records.map { (SampleQualityEvaluation.number($0, "elapsed_seconds") ?? .nan) / 60 }
        }
        let plots = Self.plotMeasures.map { panel in
            var series: [LinePlot.Series] = []
            var offset = 0
            for (index, run) in runs.enumerated() {
                let color = Self.palette[index % Self.palette.count]
                for prefix in Self.prefixes(of: run) {
                    var values = [Double](repeating: .nan, count: minutes.count)
                    for (position, record) in run.records.enumerated() {
                        values[offset + position] = SampleQualityEvaluation.number(record, prefix + panel.measure.rawValue) ?? .nan
                    }
                    series.append(.init(name: run.name + (prefix.isEmpty ? "" : " (EMA)"), color: color, values: values,
                                        dashed: !prefix.isEmpty))
                }
                offset += run.records.count
            }
            return LinePlot(title: panel.measure.label, xLabel: "wall-clock minutes", yLabel: panel.yLabel, x: minutes, series: series)
        }
        return PlotSheet(plots: plots, columns: 2).svg
    }

    /// The raw generator's prefix, and the average's when the run evaluated one.
    private static func prefixes(of run: Run) -> [String] {
        SampleQualityEvaluation.measuredAverage(run.records) ? ["", SampleQualityEvaluation.averagePrefix] : [""]
    }
}
