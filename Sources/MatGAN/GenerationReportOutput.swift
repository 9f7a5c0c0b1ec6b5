import Foundation

/// The MatGAN paper's figures for one data set (docs/matgan.md, "The paper's figures"), printed
/// beside ours.
public struct PaperFigures: Sendable {
    public var trainingRecoveryPercent: Double?
    public var holdoutRecoveryPercent: Double?
    public var trainingNeutralPercent: Double?
    public var generatedNeutralPercent: Double?
    public var uniquenessAt340kPercent: Double?

    /// Dan et al. 2020, GAN trained on Materials Project.
    public static let materialsProject = PaperFigures(
        trainingRecoveryPercent: 47.36, holdoutRecoveryPercent: 48.82,
        trainingNeutralPercent: 83.5, generatedNeutralPercent: 84.8, uniquenessAt340kPercent: 85.90)
    /// Dan et al. 2020, GAN trained on OQMD.
    public static let oqmd = PaperFigures(
        trainingRecoveryPercent: 60.26, holdoutRecoveryPercent: 60.43,
        trainingNeutralPercent: 55.8, generatedNeutralPercent: 56.1, uniquenessAt340kPercent: 68.09)
}

extension GenerationReport {
    /// The curve point at exactly `samples`, if the curve has it.
    public func uniqueness(at samples: Int) -> CurvePoint? {
        uniquenessCurve.first { $0.samples == samples }
    }

    /// A plain-text table of the metrics, with the paper's numbers where given.
    public func table(paper: PaperFigures?, holdoutName: String = "hold-out", trainingName: String = "training") -> String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.2f %%", $0) } ?? "-" }
        var rows: [(String, String, String)] = []
        rows.append(("samples generated", "\(samples)", "2000000"))
        let decoded = decodedByBucket.reduce(0, +)
        rows.append(("decoded (2-8 elements)", "\(decoded) (\(percent(samples == 0 ? nil : 100 * Double(decoded) / Double(samples))))", "-"))
        rows.append(("charge neutral, training", percent(trainingValidity.chargeNeutralPercent), percent(paper?.trainingNeutralPercent)))
        rows.append(("charge neutral, generated", percent(generatedValidity.chargeNeutralPercent), percent(paper?.generatedNeutralPercent)))
        rows.append(("neutral + EN balanced, training", percent(trainingValidity.balancedPercent), "-"))
        rows.append(("neutral + EN balanced, generated", percent(generatedValidity.balancedPercent), "-"))
        if let at340k = uniqueness(at: 340_000) {
            rows.append(("uniqueness after 340,000, of decoded", percent(at340k.percentOfDecoded),
                         percent(paper?.uniquenessAt340kPercent)))
            rows.append(("uniqueness after 340,000, of all", percent(at340k.percent), "-"))
        }
        rows.append(("unique compositions", "\(unique)", "-"))
        rows.append(("novel (not in training)", "\(novel.foundSum) (\(percent(novel.percent)) of unique)", "-"))
        if let training = recovery[trainingName] {
            rows.append(("recovered training formulas", "\(training.foundSum) / \(training.totalSum) (\(percent(training.percent)))",
                         percent(paper?.trainingRecoveryPercent)))
        }
        if let holdout = recovery[holdoutName] {
            rows.append(("recovered hold-out formulas", "\(holdout.foundSum) / \(holdout.totalSum) (\(percent(holdout.percent)))",
                         percent(paper?.holdoutRecoveryPercent)))
        }
        for (name, count) in confirmedElsewhere.sorted(by: { $0.key < $1.key }) where name != holdoutName {
            rows.append(("novel found in \(name)", "\(count)", "-"))
        }
        rows.append(("element JS distance (gen vs train)", String(format: "%.4f", elementJensenShannonDistance), "-"))

        let header = ("metric", "matgan-dist", "paper")
        let widths = (
            max(header.0.count, rows.map(\.0.count).max() ?? 0),
            max(header.1.count, rows.map(\.1.count).max() ?? 0))
        func line(_ row: (String, String, String)) -> String {
            row.0.padding(toLength: widths.0, withPad: " ", startingAt: 0) + "  "
                + row.1.padding(toLength: widths.1, withPad: " ", startingAt: 0) + "  " + row.2
        }
        var text = [line(header), String(repeating: "-", count: widths.0 + widths.1 + 12)]
        text += rows.map(line)
        text.append("")
        text.append(bucketTable(trainingName: trainingName, holdoutName: holdoutName))
        return text.joined(separator: "\n")
    }

    /// Recovery and novelty per number of elements (the paper's Table 1 layout).
    private func bucketTable(trainingName: String, holdoutName: String) -> String {
        var lines = ["by elements     " + ElementCountBucket.allCases.map { "\($0)".padding(toLength: 22, withPad: " ", startingAt: 0) }.joined()]
        func row(_ title: String, _ counts: BucketCounts) -> String {
            title.padding(toLength: 16, withPad: " ", startingAt: 0) + ElementCountBucket.allCases.map { bucket in
                let found = counts.found[bucket.rawValue]
                let total = counts.total[bucket.rawValue]
                let share = total == 0 ? "-" : String(format: "%.1f%%", 100 * Double(found) / Double(total))
                return "\(found)/\(total) \(share)".padding(toLength: 22, withPad: " ", startingAt: 0)
            }.joined()
        }
        if let training = recovery[trainingName] { lines.append(row("training recov.", training)) }
        if let holdout = recovery[holdoutName] { lines.append(row("hold-out recov.", holdout)) }
        lines.append(row("novel / unique", novel))
        return lines.joined(separator: "\n")
    }

    /// The uniqueness curve as CSV: `samples,decoded,unique,unique_percent,unique_percent_of_decoded`.
    public var uniquenessCurveCSV: String {
        "samples,decoded,unique,unique_percent,unique_percent_of_decoded\n" + uniquenessCurve.map {
            "\($0.samples),\($0.decoded),\($0.unique),\(String(format: "%.4f", $0.percent)),"
                + String(format: "%.4f", $0.percentOfDecoded)
        }.joined(separator: "\n") + "\n"
    }

    /// The report as pretty-printed JSON.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
