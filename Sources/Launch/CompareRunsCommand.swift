import ArgumentParser
import Foundation
import MatGAN

/// `matgan-dist compare-runs`: the quality evaluations of several MatGAN runs side by side.
struct CompareRunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare-runs",
        abstract: "Compare MatGAN runs by the quality evaluations they recorded while training.",
        discussion: """
            Reads the evaluation records of RUN-DIR/metrics.jsonl (train --eval-every) of each run \
            and prints a Markdown table of each run's last evaluation, a row for the raw generator \
            and one for its moving average when the run kept one. With --plot, also draws the \
            charge-neutral and neutral+EN shares, hold-out recovery and element JS distance \
            against wall-clock time, one colour per run, the moving average dashed.
            """)

    @Argument(help: ArgumentHelp("Run directories of matgan-mp or matgan-oqmd training.", valueName: "run-dir"))
    var runDirectories: [String]

    @Option(help: ArgumentHelp("Write the curves to this SVG file.", valueName: "file"))
    var plot: String?

    func validate() throws {
        guard !runDirectories.isEmpty else { throw ValidationError("give at least one run directory") }
        if let plot, !plot.hasSuffix(".svg") { throw ValidationError("--plot must name an .svg file, got '\(plot)'") }
    }

    func run() throws {
        let comparison = try QualityComparison(runDirectories: runDirectories)
        if let plot {
            do {
                try Data(comparison.svg.utf8).write(to: URL(fileURLWithPath: plot), options: .atomic)
            } catch {
                throw ValidationError("--plot: cannot write \(plot): \(error.localizedDescription)")
            }
        }
        print(comparison.markdownTable, terminator: "")
    }
}
