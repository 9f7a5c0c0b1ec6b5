import ArgumentParser
import Chemistry
import Datasets
import Distributed
import Foundation
import Random

/// `matgan-dist prepare`: a published formula list -> one HDF5 training file with one-hot
/// matrices (or elpasolite vectors), targets, a train / hold-out split and its provenance.
struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Turn a formula CSV into an HDF5 training file with the paper's filters and a seeded split.",
        discussion: """
            Presets: oqmd (lowest energy per formula, mean +- 5 sigma), mp, mp-valid (charge \
            neutral and electronegativity balanced subset), mp-bandgap (gap > 0, mean gap per formula), elpasolite (A/B swaps, 10 energy \
            classes). Every formula is reduced; single elements, elements outside MatGAN's 85 and \
            reduced counts above 8 are dropped. Options after --preset override its settings; \
            --input without --preset prepares any CSV with a formula column. Under mpirun only \
            rank 0 prepares; the other ranks wait for the file.
            """)

    @Option(help: ArgumentHelp("oqmd, mp, mp-valid, mp-bandgap or elpasolite.", valueName: "preset"))
    var preset: DatasetPreset?

    @Option(help: ArgumentHelp("CSV file to read (default: the preset's file in the data directory).", valueName: "file"))
    var input: String?

    @Option(name: [.short, .long], help: ArgumentHelp("HDF5 file to write.", valueName: "file"))
    var output: String

    @OptionGroup var data: DataOptions

    @Option(name: .customLong("formula-column"), help: ArgumentHelp("Column of formulas (default: formula).", valueName: "name"))
    var formulaColumn: String?

    @Option(name: .customLong("target-column"), help: ArgumentHelp(
        "Column of the target value (default: e_form_ev_per_atom; band_gap_ev for mp-bandgap).", valueName: "name"))
    var targetColumn: String?

    @Option(help: ArgumentHelp("Duplicates of a reduced formula: lowest or mean target.", valueName: "policy"))
    var duplicates: DuplicatePolicy?

    @Option(name: .customLong("outlier-sigma"), parsing: .unconditional, help: ArgumentHelp(
        "Drop targets outside mean +- this many standard deviations (oqmd: 5).", valueName: "k"))
    var outlierSigma: Double?

    @Flag(name: .customLong("no-outlier-filter"), help: "Keep outliers even when the preset drops them.")
    var keepsOutliers = false

    @Flag(name: .customLong("valid-only"), help: "Keep only charge-neutral, electronegativity-balanced formulas (as mp-valid does).")
    var validOnly = false

    @Flag(name: .customLong("positive-target"), help: "Keep only rows with a target above 0 (as mp-bandgap does).")
    var positiveTarget = false

    @Option(name: .customLong("ox-set"), help: ArgumentHelp(
        "Oxidation states for --valid-only and the stored validity flags.", valueName: "set"))
    var oxidationStates: OxidationStateSet = .smact14

    @Option(name: .customLong("holdout-fraction"), parsing: .unconditional, help: ArgumentHelp("Fraction held out of training.", valueName: "f"))
    var holdoutFraction = 0.1

    @Option(help: ArgumentHelp("Seed of the train / hold-out permutation.", valueName: "n"))
    var seed: UInt64 = 0

    @Flag(name: .customLong("skip-invalid"), help: "Skip and count bad rows instead of stopping at the first.")
    var skipInvalid = false

    func validate() throws {
        guard preset != nil || input != nil else { throw ValidationError("give --preset, --input FILE, or both") }
        guard (0..<1).contains(holdoutFraction) else { throw ValidationError("--holdout-fraction must be in [0, 1), got \(holdoutFraction)") }
        if let outlierSigma, !(outlierSigma.isFinite && outlierSigma > 0) { throw ValidationError("--outlier-sigma must be positive, got \(outlierSigma)") }
        if outlierSigma != nil, keepsOutliers { throw ValidationError("--outlier-sigma and --no-outlier-filter contradict each other") }
    }

    /// The preset's settings with the command line's overrides.
    var options: PreparationOptions {
        var options = preset.map(PreparationOptions.init(preset:)) ?? PreparationOptions()
        if let formulaColumn { options.formulaColumn = formulaColumn }
        if let targetColumn { options.targetColumn = targetColumn }
        if let duplicates { options.duplicates = duplicates }
        if let outlierSigma { options.outlierStandardDeviations = outlierSigma }
        if keepsOutliers { options.outlierStandardDeviations = nil }
        if validOnly { options.keepsValidOnly = true }
        if positiveTarget { options.keepsPositiveTargetsOnly = true }
        options.oxidationStates = oxidationStates
        options.holdoutFraction = holdoutFraction
        options.seed = seed
        options.skipsInvalidRows = skipInvalid
        return options
    }

    func run() throws {
        let world = try Communicator.world
        RankLogHandler.bootstrap(rank: world.rank, verbose: false)
        var failure: Error?
        if world.isRoot {
            do {
                try prepare()
            } catch {
                failure = error
            }
        }
        // The other ranks learn whether the file exists before they go on to read it.
        let status = try world.broadcast(Int32(failure == nil ? 0 : 1))
        if let failure { throw failure }
        if status != 0 { throw ExitCode.failure }
    }

    private func prepare() throws {
        let path = try input ?? data.resolve().appendingPathComponent(preset!.fileName).path
        try OutputPath.checkDistinct(output, option: "--output", from: [("--input", path)])
        let dataset = try PreparedDataset(reading: path, preset: preset, options: options)
        print(dataset.summary)
        try dataset.write(to: output)
        print("wrote \(output): \(dataset.rowCount) rows")
    }
}
