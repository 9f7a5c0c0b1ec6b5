import COpenBLAS
import Chemistry

/// A kernel ridge regression model of formation energy: `f(x) = offset + Σ_i α_i k_s(x, x_i)`
/// over the training compounds `x_i`, with `(K + λI) α = y − offset` and `offset` the mean
/// training energy (so far from the data predictions fall back to the mean, not to zero).
public struct KernelRidgeModel: Sendable {
    /// The symmetrised Laplacian kernel.
    public let kernel: LaplacianKernel
    /// The ridge regularisation λ added to the kernel matrix's diagonal.
    public let regularisation: Double
    /// The training compounds `x_i`.
    public let compounds: [Elpasolite]
    /// The coefficients `α_i`, one per training compound.
    public let coefficients: [Double]
    /// The mean training energy, eV/atom.
    public let offset: Double

    /// A model from stored parts (as read back from an oracle file).
    public init(kernel: LaplacianKernel, regularisation: Double, compounds: [Elpasolite], coefficients: [Double],
                offset: Double) {
        precondition(compounds.count == coefficients.count, "one coefficient per training compound")
        self.kernel = kernel
        self.regularisation = regularisation
        self.compounds = compounds
        self.coefficients = coefficients
        self.offset = offset
    }

    /// Fits the model by a Cholesky solve (LAPACK `dpotrf`/`dpotrs`, double precision).
    public init(fitting compounds: [Elpasolite], energies: [Double], kernel: LaplacianKernel,
                regularisation: Double) throws {
        precondition(compounds.count == energies.count, "one energy per training compound")
        let distances = PairDistances(rows: compounds, columns: compounds)
        let all = Array(compounds.indices)
        let offset = energies.reduce(0, +) / Double(energies.count)
        let workspace = UnsafeMutablePointer<Double>.allocate(capacity: all.count * all.count)
        defer { workspace.deallocate() }
        let coefficients = try solveKernelSystem(distances: distances, table: PairDistances.kernelTable(kernel),
                                                 rows: all, targets: energies.map { $0 - offset },
                                                 regularisation: regularisation, workspace: workspace)
        self.init(kernel: kernel, regularisation: regularisation, compounds: compounds, coefficients: coefficients,
                  offset: offset)
    }

    /// The predicted formation energies (eV/atom) of `queries`, by kernel rows and a
    /// matrix-vector product, in blocks of 1,024 queries.
    public func predictions(for queries: [Elpasolite]) -> [Double] {
        let table = PairDistances.kernelTable(kernel)
        let columns = Array(compounds.indices)
        let blockSize = 1024
        let block = UnsafeMutablePointer<Double>.allocate(capacity: min(blockSize, queries.count) * compounds.count)
        defer { block.deallocate() }
        var result = [Double](repeating: offset, count: queries.count)
        for start in stride(from: 0, to: queries.count, by: blockSize) {
            let end = min(start + blockSize, queries.count)
            let distances = PairDistances(rows: Array(queries[start..<end]), columns: compounds)
            distances.fillKernel(table: table, rowSubset: Array(0..<(end - start)), columnSubset: columns, into: block)
            result.withUnsafeMutableBufferPointer { result in
                cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(end - start), Int32(compounds.count), 1, block,
                            Int32(compounds.count), coefficients, 1, 1, result.baseAddress! + start, 1)
            }
        }
        return result
    }
}

/// Solves `(K + λI) α = targets` for the kernel matrix of `rows` (indices into `distances`,
/// a square matrix), via Cholesky in double precision, factoring in `workspace` (n² values,
/// reused across solves: fresh pages are slow to touch). Throws if the matrix is not positive
/// definite, which for a positive λ means λ is too small for double precision.
func solveKernelSystem(distances: PairDistances, table: [Double], rows: [Int], targets: [Double],
                       regularisation: Double, workspace matrix: UnsafeMutablePointer<Double>) throws -> [Double] {
    let n = rows.count
    precondition(targets.count == n, "one target per row")
    distances.fillKernel(table: table, rowSubset: rows, columnSubset: rows, diagonal: regularisation, into: matrix)
    var solution = targets
    // The matrix is symmetric, so row-major equals column-major; factor the lower triangle.
    var uplo = CChar(UInt8(ascii: "L"))
    var order = Int32(n)
    var one = Int32(1)
    var info = Int32(0)
    dpotrf_(&uplo, &order, matrix, &order, &info)
    guard info == 0 else {
        throw ElpasoliteError("Cholesky factorisation (dpotrf) of the \(n) x \(n) kernel matrix failed (info \(info)): "
            + "the matrix is not positive definite; increase the regularisation \(regularisation)")
    }
    solution.withUnsafeMutableBufferPointer { solution in
        dpotrs_(&uplo, &order, &one, matrix, &order, solution.baseAddress, &order, &info)
    }
    guard info == 0 else { throw ElpasoliteError("Cholesky solve (dpotrs) failed with info \(info)") }
    return solution
}
