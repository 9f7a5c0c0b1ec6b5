import COpenBLAS
import Chemistry

/// The kernel widths σ and regularisations λ that cross-validation tries, every pair.
public struct CrossValidationGrid: Sendable, Equatable {
    public let widths: [Double]
    public let regularisations: [Double]

    public init(widths: [Double], regularisations: [Double]) throws {
        guard !widths.isEmpty, widths.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw ElpasoliteError("kernel widths \(widths): need at least one, all positive")
        }
        guard !regularisations.isEmpty, regularisations.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw ElpasoliteError("regularisations \(regularisations): need at least one, all positive")
        }
        self.widths = widths
        self.regularisations = regularisations
    }

    /// The grid the oracle uses by default. On the Faber set a wider sweep (widths 1...64,
    /// regularisations 1e-8...1e-2, 2 folds) has its minimum at width 8 with the error flat
    /// below λ = 1e-4, inside this grid.
    public static let standard = try! CrossValidationGrid(widths: [4, 8, 16, 32], regularisations: [1e-6, 1e-4, 1e-2])

    /// The number of grid points.
    public var count: Int { widths.count * regularisations.count }
}

/// K-fold cross-validation of kernel ridge regression over a grid of (σ, λ), on training
/// rows only. The work splits into one task per (width, fold) — a distance matrix serves
/// every λ of a task — and any rank can do any subset of tasks: the absolute-error sums of
/// all tasks add up to the full result (the caller sums them over ranks with one allreduce).
public struct CrossValidation {
    public let compounds: [Elpasolite]
    public let energies: [Double]
    /// The fold of each compound, `0..<foldCount`.
    public let folds: [Int]
    public let foldCount: Int
    public let grid: CrossValidationGrid
    private let distances: PairDistances

    public init(compounds: [Elpasolite], energies: [Double], folds: [Int], foldCount: Int, grid: CrossValidationGrid) {
        precondition(compounds.count == energies.count && compounds.count == folds.count, "one energy and fold per compound")
        self.compounds = compounds
        self.energies = energies
        self.folds = folds
        self.foldCount = foldCount
        self.grid = grid
        distances = PairDistances(rows: compounds, columns: compounds)
    }

    /// The number of (width, fold) tasks.
    public var taskCount: Int { grid.widths.count * foldCount }

    /// The summed absolute validation errors of the tasks `rank, rank + size, ...`, laid out
    /// `[width][regularisation]`; zero for grid points of tasks done elsewhere.
    public func absoluteErrorSums(rank: Int, size: Int) throws -> [Double] {
        var sums = [Double](repeating: 0, count: grid.count)
        for task in stride(from: rank, to: taskCount, by: size) {
            let widthIndex = task / foldCount
            let fold = task % foldCount
            let table = PairDistances.kernelTable(LaplacianKernel(width: grid.widths[widthIndex]))
            let training = folds.indices.filter { folds[$0] != fold }
            let validation = folds.indices.filter { folds[$0] == fold }
            let offset = training.reduce(0) { $0 + energies[$1] } / Double(training.count)
            let targets = training.map { energies[$0] - offset }
            let crossKernel = UnsafeMutablePointer<Double>.allocate(capacity: validation.count * training.count)
            let workspace = UnsafeMutablePointer<Double>.allocate(capacity: training.count * training.count)
            defer {
                crossKernel.deallocate()
                workspace.deallocate()
            }
            distances.fillKernel(table: table, rowSubset: validation, columnSubset: training, into: crossKernel)
            for (regularisationIndex, regularisation) in grid.regularisations.enumerated() {
                let alpha = try solveKernelSystem(distances: distances, table: table, rows: training, targets: targets,
                                                  regularisation: regularisation, workspace: workspace)
                var predictions = [Double](repeating: offset, count: validation.count)
                cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(validation.count), Int32(training.count), 1, crossKernel,
                            Int32(training.count), alpha, 1, 1, &predictions, 1)
                let errorSum = zip(predictions, validation).reduce(0) { $0 + abs($1.0 - energies[$1.1]) }
                sums[widthIndex * grid.regularisations.count + regularisationIndex] += errorSum
            }
        }
        return sums
    }

    /// The cross-validated mean absolute errors from the error sums of all tasks.
    public func result(absoluteErrorSums sums: [Double]) -> CrossValidationResult {
        CrossValidationResult(grid: grid, meanAbsoluteErrors: sums.map { $0 / Double(compounds.count) })
    }
}

/// Cross-validated mean absolute errors over the grid and the best point.
public struct CrossValidationResult: Sendable, Equatable {
    public let grid: CrossValidationGrid
    /// Mean absolute error (eV/atom) per grid point, `[width][regularisation]` row-major.
    public let meanAbsoluteErrors: [Double]

    public init(grid: CrossValidationGrid, meanAbsoluteErrors: [Double]) {
        precondition(meanAbsoluteErrors.count == grid.count, "one error per grid point")
        self.grid = grid
        self.meanAbsoluteErrors = meanAbsoluteErrors
    }

    /// The mean absolute error at (width index, regularisation index).
    public func meanAbsoluteError(widthIndex: Int, regularisationIndex: Int) -> Double {
        meanAbsoluteErrors[widthIndex * grid.regularisations.count + regularisationIndex]
    }

    /// The grid point with the smallest error (the first one on ties).
    public var best: (width: Double, regularisation: Double, meanAbsoluteError: Double) {
        let index = meanAbsoluteErrors.indices.min { meanAbsoluteErrors[$0] < meanAbsoluteErrors[$1] }!
        let columns = grid.regularisations.count
        return (grid.widths[index / columns], grid.regularisations[index % columns], meanAbsoluteErrors[index])
    }
}
