import ArgumentParser
import Chemistry
import Datasets
import Foundation
import HDF5

/// `matgan-dist check-formulas`: charge neutrality, electronegativity and SMACT validity of
/// a list of formulas, as CSV on standard output.
struct CheckFormulasCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-formulas",
        abstract: "Screen formulas for charge neutrality and electronegativity balance (SMACT validity).",
        discussion: """
            Reads one formula per line (blank lines skipped), or one column of a CSV file with \
            --column, and prints CSV: \(FormulaScreening.header). Lines that cannot be parsed \
            are reported on standard error and skipped, or stop the run with --strict.
            """)

    @Argument(help: ArgumentHelp("File of formulas, or - for standard input.", valueName: "file"))
    var input: String

    @Option(help: ArgumentHelp("Read formulas from this column of a CSV file with a header row.", valueName: "name"))
    var column: String?

    @Option(name: .customLong("ox-set"), help: ArgumentHelp(
        "Oxidation states: smact14 (MatGAN-era numbers), icsd16, icsd24 (SMACT 4 default) or icsd24-filtered.",
        valueName: "set"))
    var oxidationStates: OxidationStateSet = .smact14

    @Option(help: ArgumentHelp(
        "smact: SMACT's smact_validity (gcd-reduced, single elements and alloys valid); "
            + "matgan: MatGAN's check on the formula's own counts.", valueName: "rule"))
    var rule: ValidityRule = .smact

    @Flag(name: .customLong("no-alloys"), help: "SMACT rule: do not count all-metal compositions as valid.")
    var excludesAlloys = false

    @Flag(help: "Stop with an error at the first line that cannot be read or parsed.")
    var strict = false

    func run() throws {
        let screening = FormulaScreening(checker: ValidityChecker(rule: rule, oxidationStates: oxidationStates,
                                                                  includesAlloys: !excludesAlloys))
        let counts = try screening.screen(
            try LineReader(path: input), column: column, strict: strict,
            emit: { print($0) },
            report: { FileHandle.standardError.write(Data("invalid: \($0)\n".utf8)) })
        if counts.invalid > 0 {
            FileHandle.standardError.write(Data("\(counts.screened) formulas screened, \(counts.invalid) invalid lines reported\n".utf8))
        }
    }
}
