import COpenBLAS
import Foundation

/// The Cholesky factor `L` (lower, `A = L Lᵀ`) of a symmetric positive-definite matrix, from
/// LAPACK's `dpotrf_`. Matrices are column-major `n × n`; a symmetric matrix is the same in
/// either order, so callers may fill it row by row.
struct Cholesky {
    let order: Int
    /// `L` in the lower triangle; the strict upper triangle holds leftovers of the input.
    private(set) var factor: [Double]

    /// Factors `matrix` (`order × order`), or returns `nil` when it is not positive definite.
    init?(_ matrix: [Double], order: Int) {
        precondition(matrix.count == order * order, "Cholesky: \(matrix.count) values for order \(order)")
        self.order = order
        factor = matrix
        var n = Int32(order), info: Int32 = 0
        var uplo = CChar(UInt8(ascii: "L"))
        factor.withUnsafeMutableBufferPointer { dpotrf_(&uplo, &n, $0.baseAddress, &n, &info) }
        guard info == 0 else { return nil }
    }

    /// Solves `A X = B` in place for `columns` right-hand sides (`B` column-major `order × columns`).
    func solve(_ rightHandSides: UnsafeMutablePointer<Double>, columns: Int) {
        guard columns > 0 else { return }
        var n = Int32(order), nrhs = Int32(columns), info: Int32 = 0
        var uplo = CChar(UInt8(ascii: "L"))
        factor.withUnsafeBufferPointer { dpotrs_(&uplo, &n, &nrhs, $0.baseAddress, &n, rightHandSides, &n, &info) }
        precondition(info == 0, "dpotrs_ failed with info \(info)")
    }

    /// Overwrites `B` (column-major `order × columns`) with `L⁻¹ B` (one triangular solve, BLAS 3).
    func solveLower(_ rightHandSides: UnsafeMutablePointer<Double>, columns: Int) {
        guard columns > 0 else { return }
        factor.withUnsafeBufferPointer {
            cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
                        Int32(order), Int32(columns), 1, $0.baseAddress, Int32(order), rightHandSides, Int32(order))
        }
    }

    /// `log det A = 2 Σ log L_ii`.
    var logDeterminant: Double {
        var sum = 0.0
        for i in 0..<order { sum += log(factor[i * order + i]) }
        return 2 * sum
    }

    /// `A⁻¹`, full (both triangles), from LAPACK's `dpotri_`.
    func inverse() -> [Double] {
        var inverse = factor
        var n = Int32(order), info: Int32 = 0
        var uplo = CChar(UInt8(ascii: "L"))
        inverse.withUnsafeMutableBufferPointer { dpotri_(&uplo, &n, $0.baseAddress, &n, &info) }
        precondition(info == 0, "dpotri_ failed with info \(info)")
        for column in 0..<order {
            for row in column + 1 ..< order { inverse[row * order + column] = inverse[column * order + row] }
        }
        return inverse
    }
}

extension Cholesky {
    /// Overwrites `B` (column-major `order × columns`) with `L⁻ᵀ B`.
    func solveUpper(_ rightHandSides: UnsafeMutablePointer<Double>, columns: Int) {
        guard columns > 0 else { return }
        factor.withUnsafeBufferPointer {
            cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit,
                        Int32(order), Int32(columns), 1, $0.baseAddress, Int32(order), rightHandSides, Int32(order))
        }
    }
}
