import BayesianOptimization
import Foundation
import Plotting

extension ActiveDesignResult {
    /// One line per iteration: cumulative counts, the best oracle value, the GP's hyper-parameters.
    public var iterationsCSV: String {
        var lines = ["iteration,suggestions,decodable,valid,distinct_new,best_target,above_threshold,gp_amplitude,gp_length_scale,seconds"]
        for row in iterations {
            lines.append("\(row.iteration),\(row.suggestions),\(row.decodable),\(row.valid),\(row.distinctNew),"
                         + String(format: "%.6f,%d,%.6g,%.6g,%.2f", row.bestTarget, row.aboveThreshold, row.kernel.amplitude,
                                  row.kernel.lengthScale, row.seconds))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One line per suggestion; undecodable ones have an empty formula and target 0.
    public var acquiredCSV: String {
        var lines = ["iteration,formula,decodable,valid,target,predicted_mean,predicted_sd,acquisition"]
        for row in acquired {
            lines.append("\(row.iteration),\(row.composition?.formula ?? ""),\(row.composition == nil ? 0 : 1),\(row.isValid ? 1 : 0),"
                         + String(format: "%.6f,%.6f,%.6f,%.6f", row.target, row.predictedMean, row.predictedStandardDeviation,
                                  row.acquisitionValue))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Cumulative decodable, valid and above-threshold suggestions against suggestions made.
    public func svg(title: String) -> String {
        func curve(_ value: (ActiveIteration) -> Int) -> [Double] { [0] + iterations.map { Double(value($0)) } }
        let thresholdName = "new, > " + String(format: "%g", configuration.threshold)
        let series: [(name: String, color: String, values: [Double])] = [
            ("decodable", "#1f77b4", curve(\.decodable)),
            ("SMACT valid", "#2ca02c", curve(\.valid)),
            (thresholdName, "#d62728", curve(\.aboveThreshold)),
        ]
        return LinePlot(title: title, xLabel: "suggestions", yLabel: "count (cumulative)",
                        x: curve(\.suggestions), series: series).svg
    }
}

/// Experiment 4: high-value discoveries against iterations for several UCB kappas.
public struct KappaSweep: Sendable {
    public var kappas: [Double]
    public var results: [ActiveDesignResult]

    public init(kappas: [Double], results: [ActiveDesignResult]) {
        self.kappas = kappas
        self.results = results
    }

    private var iterationCount: Int { results.map(\.iterations.count).max() ?? 0 }

    /// `iteration,suggestions,kappa_<k>...`: distinct new compositions above the threshold.
    public var csv: String {
        var lines = ["iteration,suggestions," + kappas.map { "kappa_\(String(format: "%g", $0))" }.joined(separator: ",")]
        for index in 0..<iterationCount {
            let suggestions = results.first { $0.iterations.count > index }!.iterations[index].suggestions
            let counts = results.map { $0.iterations.count > index ? String($0.iterations[index].aboveThreshold) : "" }
            lines.append("\(index),\(suggestions)," + counts.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The discoveries curves, one per kappa.
    public func svg(title: String) -> String {
        let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
        var series: [(name: String, color: String, values: [Double])] = []
        for (index, (kappa, result)) in zip(kappas, results).enumerated() {
            let values: [Double] = [0] + result.iterations.map { Double($0.aboveThreshold) }
            series.append(("kappa " + String(format: "%g", kappa), colors[index % colors.count], values))
        }
        return LinePlot(title: title, xLabel: "iteration", yLabel: "discoveries (cumulative)",
                        x: (0...iterationCount).map(Double.init), series: series).svg
    }
}
