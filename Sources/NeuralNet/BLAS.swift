import COpenBLAS

/// Floating-point operations of the GEMMs this process has run (2·m·n·k each), for benchmark
/// figures in GFLOP/s. A plain counter: each rank runs its networks on one thread.
public enum GEMMOperations {
    nonisolated(unsafe) public private(set) static var total: UInt64 = 0

    @inline(__always)
    static func add(m: Int, n: Int, k: Int) { total &+= UInt64(2 * m * n * k) }
}

/// Row-major single-precision GEMM, `C = alpha · op(A) · op(B) + beta · C` with `op(A)` of shape
/// `[m, k]` and `op(B)` of shape `[k, n]`.
@inline(__always)
package func gemm(
    transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
    _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
    beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int
) {
    GEMMOperations.add(m: m, n: n, k: k)
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// `sums[j] += Σ_i matrix[i, j]` over a row-major `[rows, columns]` matrix.
@inline(__always)
func addColumnSums(of matrix: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>) {
    for i in 0 ..< rows {
        let row = matrix + i * columns
        for j in 0 ..< columns { sums[j] += row[j] }
    }
}

/// Sets every row of a row-major `[rows, columns]` matrix to `vector`.
@inline(__always)
func broadcastRows(_ vector: UnsafePointer<Float>, rows: Int, columns: Int, into matrix: UnsafeMutablePointer<Float>) {
    for i in 0 ..< rows {
        (matrix + i * columns).update(from: vector, count: columns)
    }
}
