import Chemistry
import Distributed
import Foundation

/// How the oracle is trained: the fixed split, the folds and the cross-validation grid.
public struct OracleConfiguration: Sendable, Equatable {
    /// The (σ, λ) pairs cross-validation tries.
    public var grid: CrossValidationGrid
    /// The number of cross-validation folds of the training rows.
    public var foldCount: Int
    /// The number of hold-out rows; the rest train (1,590 leaves the paper's 9,000).
    public var testCount: Int
    /// The seed of the split and fold permutations.
    public var seed: UInt64

    public init(grid: CrossValidationGrid = .standard, foldCount: Int = 5, testCount: Int = 1590, seed: UInt64 = 2016) {
        self.grid = grid
        self.foldCount = foldCount
        self.testCount = testCount
        self.seed = seed
    }
}

/// Wall-clock seconds of the oracle's phases, measured on rank 0.
public struct OracleTimings: Sendable {
    /// Cross-validation over the grid, tasks spread over the ranks.
    public var crossValidation: Double
    /// The final fit on all training rows and the hold-out predictions (rank 0).
    public var fit: Double
    /// Labelling the whole space: every rank its slice, gathered on rank 0.
    public var labeling: Double
}

/// Trains the kernel ridge oracle on the DFT set and labels all 1,974,024 tuples.
public enum ElpasoliteOracle {
    /// Runs the whole pipeline. Collective: every rank calls it with the same data set and
    /// configuration, and they issue the same collectives in the same order:
    ///
    /// 1. every rank derives the same split and folds from the seed;
    /// 2. cross-validation tasks (width, fold) go round-robin to the ranks; one sum-allreduce
    ///    combines the error sums and every rank picks the same best (σ, λ);
    /// 3. rank 0 fits the final model on all training rows and broadcasts the coefficients;
    /// 4. each rank labels its contiguous index slice; energies and classes are gathered on
    ///    rank 0.
    ///
    /// - Returns: on rank 0, the oracle file contents and the timings; `nil` on other ranks.
    public static func build(dataSet: ElpasoliteDataSet, configuration: OracleConfiguration, communicator: Communicator,
                             log: (String) -> Void) throws -> (contents: OracleFile.Contents, timings: OracleTimings)? {
        let records = dataSet.records
        let split = try OracleSplit(records: records, testCount: configuration.testCount,
                                    foldCount: configuration.foldCount, seed: configuration.seed)
        let trainingCompounds = split.trainingRows.map { records[$0].compound }
        let trainingEnergies = split.trainingRows.map { records[$0].energy }
        log("split: \(split.trainingRows.count) training rows, \(split.testRows.count) hold-out rows (seed \(configuration.seed)); "
            + "\(configuration.foldCount)-fold cross-validation over \(configuration.grid.widths.count) widths x "
            + "\(configuration.grid.regularisations.count) regularisations on \(communicator.size) rank(s)")

        var clock = Date()
        let crossValidation = CrossValidation(compounds: trainingCompounds, energies: trainingEnergies, folds: split.folds,
                                              foldCount: split.foldCount, grid: configuration.grid)
        var sums = try crossValidation.absoluteErrorSums(rank: communicator.rank, size: communicator.size)
        try communicator.allreduce(&sums, .sum)
        let result = crossValidation.result(absoluteErrorSums: sums)
        let best = result.best
        let crossValidationSeconds = Date().timeIntervalSince(clock)
        log(String(format: "cross-validation: best width %g, regularisation %g, MAE %.4f eV/atom (%.1f s)",
                   best.width, best.regularisation, best.meanAbsoluteError, crossValidationSeconds))

        clock = Date()
        let kernel = LaplacianKernel(width: best.width)
        var coefficients: [Double] = []
        var offset = 0.0
        var testPredictions: [Double] = []
        let testCompounds = split.testRows.map { records[$0].compound }
        if communicator.isRoot {
            let model = try KernelRidgeModel(fitting: trainingCompounds, energies: trainingEnergies, kernel: kernel,
                                             regularisation: best.regularisation)
            coefficients = model.coefficients
            offset = model.offset
            testPredictions = model.predictions(for: testCompounds)
        }
        try communicator.broadcast(&coefficients)
        offset = try communicator.broadcast(offset)
        let model = KernelRidgeModel(kernel: kernel, regularisation: best.regularisation, compounds: trainingCompounds,
                                     coefficients: coefficients, offset: offset)
        let fitSeconds = Date().timeIntervalSince(clock)

        try communicator.barrier()
        clock = Date()
        let slice = TupleSpace.slice(rank: communicator.rank, size: communicator.size)
        let energies = SpaceLabeler(model: model).energies(for: slice)
        let classes = energies.map { UInt8(dataSet.classes.index(ofEnergy: Double($0)) + 1) }
        let gatheredEnergies = try communicator.gatherv(energies)
        let gatheredClasses = try communicator.gatherv(classes)
        guard let gatheredEnergies, let gatheredClasses else { return nil }
        let labelingSeconds = Date().timeIntervalSince(clock)
        log(String(format: "labelled %d tuples on %d rank(s) in %.2f s", gatheredEnergies.values.count,
                   communicator.size, labelingSeconds))

        var membership = [UInt8](repeating: LabeledSpace.Membership.unlabeled.rawValue, count: Elpasolite.tupleCount)
        for (rows, kind) in [(split.trainingRows, LabeledSpace.Membership.oracleTraining),
                             (split.testRows, LabeledSpace.Membership.oracleTest)] {
            for row in rows {
                let compound = records[row].compound
                membership[compound.index] = kind.rawValue
                membership[compound.swappingAB.index] = kind.rawValue
            }
        }
        let space = try LabeledSpace(energies: gatheredEnergies.values, classes: gatheredClasses.values,
                                      membership: membership, energyClasses: dataSet.classes)
        let contents = OracleFile.Contents(
            space: space, model: model, trainingEnergies: trainingEnergies, testCompounds: testCompounds,
            testEnergies: split.testRows.map { records[$0].energy }, testPredictions: testPredictions,
            crossValidation: result, foldCount: split.foldCount, splitSeed: configuration.seed, dataSet: dataSet,
            ranks: communicator.size)
        return (contents, OracleTimings(crossValidation: crossValidationSeconds, fit: fitSeconds,
                                        labeling: labelingSeconds))
    }
}
