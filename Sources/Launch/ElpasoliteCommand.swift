import ArgumentParser
import BLAS
import Chemistry
import Datasets
import Distributed
import ElpasoliteBenchmark
import Foundation
import HDF5

/// `matgan-dist elpasolite ...`: the elpasolite benchmark of Türk et al.
struct ElpasoliteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elpasolite",
        abstract: "The elpasolite benchmark: kernel-ridge oracle over all 1,974,024 ABC2D6 tuples.",
        subcommands: [ElpasoliteOracleCommand.self, ElpasolitePredictCommand.self, ElpasoliteEvaluateCommand.self,
                      ElpasoliteSweepCommand.self])
}

/// `matgan-dist elpasolite oracle`: train the oracle and label the whole space.
struct ElpasoliteOracleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oracle",
        abstract: "Train the kernel ridge oracle on the DFT set and label every tuple into one HDF5 file.",
        discussion: """
            Faber et al.'s kernel ridge regression: (period, main group) integers per site, a \
            Laplacian kernel symmetrised over the equivalent sites A and B, Cholesky solves in \
            double precision. A seeded split keeps --test-rows rows (a compound and its A/B swap \
            together) for the hold-out MAE; the kernel width and regularisation are chosen by \
            --folds-fold cross-validation on the training rows only, the (width, fold) tasks \
            spread over the ranks. Each rank then labels a contiguous slice of the tuple \
            indices; rank 0 writes energies, classes (1 = most stable ... 10) and the \
            training-set membership to --output.
            """)

    @OptionGroup var data: DataOptions

    @Option(help: ArgumentHelp("The DFT CSV (default: \(ElpasoliteDataSet.fileName) in the data directory).", valueName: "file"))
    var input: String?

    @Option(name: [.short, .long], help: ArgumentHelp("HDF5 file to write.", valueName: "file"))
    var output = "elpasolite-oracle.h5"

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Kernel widths to cross-validate.", valueName: "sigma"))
    var widths: [Double] = CrossValidationGrid.standard.widths

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Regularisations to cross-validate.", valueName: "lambda"))
    var regularisations: [Double] = CrossValidationGrid.standard.regularisations

    @Option(parsing: .unconditional, help: ArgumentHelp("Cross-validation folds.", valueName: "k"))
    var folds = OracleConfiguration().foldCount

    @Option(name: .customLong("test-rows"), parsing: .unconditional, help: ArgumentHelp("Hold-out rows (the rest train).", valueName: "n"))
    var testRows = OracleConfiguration().testCount

    @Option(parsing: .unconditional, help: ArgumentHelp("Seed of the split and fold permutations.", valueName: "n"))
    var seed = OracleConfiguration().seed

    /// The paper's full-space class sizes (Türk et al.), for comparison.
    private static let paperClassSizes: [Int: Int] = [1: 3757, 2: 20097, 5: 907_094]

    func validate() throws {
        let directory = (output as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory, isDirectory: &isDirectory),
              isDirectory.boolValue else {
            throw ValidationError("--output \(output): directory '\(directory)' does not exist")
        }
    }

    func run() throws {
        let world = try Communicator.world
        RankLogHandler.bootstrap(rank: world.rank, verbose: false)
        let started = Date()
        let grid: CrossValidationGrid
        do {
            grid = try CrossValidationGrid(widths: widths, regularisations: regularisations)
        } catch {
            throw ValidationError("--widths/--regularisations: \(error)")
        }
        let path = try input ?? data.resolve().appendingPathComponent(ElpasoliteDataSet.fileName).path
        try OutputPath.checkDistinct(output, option: "--output", from: [("--input", path)])
        try world.abortingOnError {
            let dataSet = try ElpasoliteDataSet(path: path)
            let configuration = OracleConfiguration(grid: grid, foldCount: folds, testCount: testRows, seed: seed)
            let log: (String) -> Void = { if world.isRoot { print($0); fflush(nil) } }
            log("elpasolite oracle: \(dataSet.records.count) rows from \(path) (sha256 \(dataSet.sha256)); "
                + "\(world.size) rank(s); BLAS: \(KernelChoice.summary)")
            if let warning = KernelChoice.warning { log("warning: \(warning)") }
            let built = try ElpasoliteOracle.build(dataSet: dataSet, configuration: configuration, communicator: world, log: log)
            guard let (contents, timings) = built else { return }
            let writeStart = Date()
            try OracleFile.write(contents, to: output)
            let writeSeconds = Date().timeIntervalSince(writeStart)
            print(report(contents, timings: timings, writeSeconds: writeSeconds,
                         totalSeconds: Date().timeIntervalSince(started)))
        }
    }

    private func report(_ contents: OracleFile.Contents, timings: OracleTimings, writeSeconds: Double,
                        totalSeconds: Double) -> String {
        let result = contents.crossValidation
        var lines = ["cross-validated MAE (eV/atom), rows = width, columns = regularisation:",
                     "width    " + result.grid.regularisations.map { String(format: "%10g", $0) }.joined()]
        for (widthIndex, width) in result.grid.widths.enumerated() {
            lines.append(String(format: "%-9g", width) + result.grid.regularisations.indices.map {
                String(format: "%10.4f", result.meanAbsoluteError(widthIndex: widthIndex, regularisationIndex: $0))
            }.joined())
        }
        let best = result.best
        let classes = contents.space.energyClasses
        lines += [
            String(format: "chosen width %g, regularisation %g: CV MAE %.4f, hold-out MAE %.4f eV/atom on %d rows "
                   + "(Faber et al.: about 0.1)", best.width, best.regularisation, best.meanAbsoluteError,
                   contents.testMeanAbsoluteError, contents.testCompounds.count),
            String(format: "classes: 10 x %.4f eV/atom over %.4f .. %.4f; full-space class sizes (paper in brackets):",
                   classes.width, classes.lowerBound, classes.upperBound),
        ]
        let total = Double(Elpasolite.tupleCount)
        for (index, size) in contents.space.classSizes.enumerated() {
            let paper = Self.paperClassSizes[index + 1].map { String(format: "  [%d, %.1f %%]", $0, Double($0) / total * 100) } ?? ""
            lines.append(String(format: "  class %2d: %9d (%5.1f %%)", index + 1, size, Double(size) / total * 100) + paper)
        }
        let sizes = contents.space.classSizes
        lines.append(String(format: "  classes 4+6: %.1f %% [paper 39.9 %%]", Double(sizes[3] + sizes[5]) / total * 100))
        lines.append(String(format: "timings: cross-validation %.1f s, final fit %.1f s, labelling %.2f s "
                            + "(%d tuples, %d rank(s)), write %.2f s, total %.1f s",
                            timings.crossValidation, timings.fit, timings.labeling, Elpasolite.tupleCount,
                            contents.ranks, writeSeconds, totalSeconds))
        lines.append("wrote \(output)")
        return lines.joined(separator: "\n")
    }
}

/// `matgan-dist elpasolite predict`: energies and classes of given tuples from an oracle file.
struct ElpasolitePredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Print the oracle's formation energy and class of each row A,B,C,D.",
        discussion: """
            Reads lines of four element symbols A,B,C,D (sites of ABC2D6; a header line A,B,C,D, \
            blank lines and # comments are skipped) and prints A,B,C,D,e_form_ev_per_atom,class \
            from the labeled space of an oracle file (class 1 = most stable). Rows with a symbol \
            outside the 39 elements or a repeated element are reported on standard error, one \
            message per row, and make the exit status 1.
            """)

    @Argument(help: ArgumentHelp("File of rows A,B,C,D, or - for standard input.", valueName: "file"))
    var input: String

    @Option(help: ArgumentHelp("The oracle file written by `elpasolite oracle`.", valueName: "file"))
    var oracle = "elpasolite-oracle.h5"

    func run() throws {
        let rows: [CompoundList.Row]
        do {
            rows = CompoundList.rows(try DataFile.read(input), file: input)
        } catch {
            throw ValidationError(error.description)
        }
        let space = try LabeledSpace(contentsOf: oracle)
        print("A,B,C,D,e_form_ev_per_atom,class")
        var rejected = 0
        for row in rows {
            switch row {
            case .compound(_, let compound):
                let index = compound.index
                let symbols = compound.elements.map(\.symbol).joined(separator: ",")
                print("\(symbols)," + String(format: "%.4f", Double(space.energies[index])) + ",\(space.classes[index])")
            case .rejected(let error):
                rejected += 1
                FileHandle.standardError.write(Data("rejected: \(error)\n".utf8))
            }
        }
        if rejected > 0 {
            FileHandle.standardError.write(Data("\(rejected) of \(rows.count) rows rejected\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// `matgan-dist elpasolite evaluate`: Türk et al.'s metrics of a list of generated tuples.
struct ElpasoliteEvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Precision, coverage, JS distance and discovery curves of generated tuples for a requested class.",
        discussion: """
            Reads generated samples as lines A,B,C,D in generation order (the format of \
            predict); lines that are not four distinct elements of the 39 count as invalid \
            samples. The ranks parse contiguous blocks of lines; distinct tuples are counted \
            with one bitmap per rank merged by a bitwise-or allreduce at each of \
            --curve-points checkpoints. Rank 0 compares the distinct valid tuples with the \
            oracle's labeled space: precision and coverage of --class and of its neighbours, \
            and the per-site Jensen-Shannon distance to the DFT tuples (with A/B swaps) the \
            oracle puts in that class. Writes PREFIX-metrics.csv, PREFIX-curve.csv and \
            PREFIX-curve.svg.
            """)

    @Argument(help: ArgumentHelp("File of generated rows A,B,C,D (- for standard input, one rank only).", valueName: "file"))
    var input: String

    @Option(name: .customLong("class"), parsing: .unconditional, help: ArgumentHelp("The requested class, 1 (most stable) ... 10.", valueName: "c"))
    var requestedClass: Int

    @Option(help: ArgumentHelp("The oracle file written by `elpasolite oracle`.", valueName: "file"))
    var oracle = "elpasolite-oracle.h5"

    @Option(name: .customLong("curve-points"), parsing: .unconditional, help: ArgumentHelp("Points of the discovery curves.", valueName: "n"))
    var curvePoints = 20

    @Option(name: .customLong("output-prefix"), help: ArgumentHelp(
        "Prefix of the CSV and SVG files (default: elpasolite-class<c>).", valueName: "prefix"))
    var outputPrefix: String?

    func validate() throws {
        guard (1...ElpasoliteEnergyClasses.count).contains(requestedClass) else {
            throw ValidationError("--class \(requestedClass): classes are 1 ... \(ElpasoliteEnergyClasses.count)")
        }
        guard curvePoints >= 1 else { throw ValidationError("--curve-points \(curvePoints): need at least 1") }
    }

    func run() throws {
        let world = try Communicator.world
        if input == "-", world.size > 1 {
            throw ValidationError("standard input reaches rank 0 only; give a file when running on \(world.size) ranks")
        }
        try world.abortingOnError {
            let lines = CompoundList.lines(try DataFile.read(input))
            let block = (lines.count * world.rank / world.size)..<(lines.count * (world.rank + 1) / world.size)
            var samples: [Int] = []
            for line in lines[block] {
                if case .compound(_, let compound) = CompoundList.parse(line, file: input) { samples.append(compound.index) }
            }
            let invalid = try world.allreduce(Int64(block.count - samples.count), .sum)
            let space = world.isRoot ? try LabeledSpace(contentsOf: oracle) : nil
            var curve = DiscoveryCurve(requestedClass: requestedClass)
            let unique = try DistributedDiscovery.merge(localSamples: samples, checkpoints: curvePoints, communicator: world) {
                if let space { curve.record(samples: $0, unique: $1, space: space) }
            }
            guard let space else { return }
            let outputs = ElpasoliteOutputs(requestedClass: requestedClass, unique: unique, space: space,
                                            prefix: outputPrefix ?? "elpasolite-class\(requestedClass)")
            try outputs.write(curve: curve)
            print(String(format: "class %d: %d samples (%d valid, %lld invalid), %d distinct valid", requestedClass,
                         lines.count, lines.count - Int(invalid), invalid, outputs.metrics.uniqueCount))
            print(outputs.summary)
            print("wrote \(outputs.prefix)-metrics.csv, \(outputs.prefix)-curve.csv, \(outputs.prefix)-curve.svg")
        }
    }
}
