import Chemistry
import Foundation

/// The metrics of several independently seeded fits of one model as mean ± standard deviation,
/// laid out like Türk et al.'s Tables 1 and 2 (percentages for precision and coverage).
public struct ElpasoliteFitTable: Sendable {
    /// The model's name, the table's column.
    public let model: String
    /// One entry per fit.
    public let fits: [ClassMetrics]

    public init(model: String, fits: [ClassMetrics]) {
        precondition(!fits.isEmpty, "a fit table needs at least one fit")
        self.model = model
        self.fits = fits
    }

    /// The table's rows: name, per-fit values, and whether they print as percentages.
    private var rows: [(name: String, values: [Double], percent: Bool)] {
        [("precision", fits.map(\.precision), true),
         ("precision, neighbours", fits.map(\.neighbouringPrecision), true),
         ("coverage", fits.map(\.coverage), true),
         ("coverage, neighbours", fits.map(\.neighbouringCoverage), true),
         ("JS distance", fits.map(\.jensenShannonDistance), false)]
    }

    /// The mean and the sample standard deviation (0 for one value).
    public static func meanAndDeviation(_ values: [Double]) -> (mean: Double, deviation: Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { return (mean, 0) }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        return (mean, variance.squareRoot())
    }

    /// A Markdown table, e.g. `| precision | 83 ± 1 % |` and `| JS distance | 0.16 ± 0.01 |`.
    public var markdown: String {
        let header = "class \(fits[0].requestedClass), \(fits.count) fit\(fits.count == 1 ? "" : "s")"
        var lines = ["| \(header) | \(model) |", "|---|---|"]
        for row in rows {
            let (mean, deviation) = Self.meanAndDeviation(row.values)
            let cell = row.percent ? String(format: "%.0f ± %.0f %%", mean * 100, deviation * 100)
                : String(format: "%.2f ± %.2f", mean, deviation)
            lines.append("| \(row.name) | \(cell) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One CSV line per fit (``ClassMetrics/csvHeader`` columns after `fit`), then `mean` and
    /// `sd` lines over the fits.
    public var csv: String {
        var lines = ["fit," + ClassMetrics.csvHeader]
        lines += fits.enumerated().map { "\($0.offset + 1),\($0.element.csvRow)" }
        let statistics = rows.map { Self.meanAndDeviation($0.values) }
        let counts = [fits.map { Double($0.uniqueCount) }, fits.map { Double($0.inClassCount) }, fits.map { Double($0.inNeighboursCount) }]
            .map(Self.meanAndDeviation)
        for (label, pick) in [("mean", { (value: (mean: Double, deviation: Double)) in value.mean }), ("sd", { $0.deviation })] {
            lines.append("\(label),\(fits[0].requestedClass)," + (counts.map { String(format: "%.1f", pick($0)) }
                + statistics.map { String(format: "%.6f", pick($0)) }).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
