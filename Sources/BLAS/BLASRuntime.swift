import COpenBLAS
import Foundation

/// The OpenBLAS build and kernel set this process runs with, and what it computes at.
public enum BLASRuntime {
    /// The kernel set OpenBLAS loaded (e.g. "SkylakeX", or "Prescott" where it does not know
    /// the processor).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// The instruction set of the loaded kernel set.
    public static var vectorExtension: VectorExtension { VectorExtension(openBLASCoreName: coreName) }

    /// OpenBLAS's compile-time configuration, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY ...".
    public static var configuration: String { String(cString: openblas_get_config()).trimmingCharacters(in: .whitespaces) }

    /// The version word of ``configuration``, e.g. "OpenBLAS 0.3.21".
    public static var version: String { configuration.split(separator: " ").prefix(2).joined(separator: " ") }

    /// Whether this build carries kernels for several processors, chosen at load time
    /// (`OPENBLAS_CORETYPE` has an effect only then).
    public static var hasDynamicArchitecture: Bool { configuration.contains("DYNAMIC_ARCH") }

    /// Threads OpenBLAS uses per call (`OPENBLAS_NUM_THREADS`).
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Single-precision GEMM speed of this process in GFLOP/s on 512³ products (about 10-40 ms),
    /// measured once, on first use.
    public static let sgemmGFLOPS = measureSgemm(size: 512)

    /// The best of three `size`³ single-precision products after one warm-up, in GFLOP/s.
    public static func measureSgemm(size n: Int) -> Double {
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var best = Double.infinity
        for round in 0 ..< 4 {
            let start = DispatchTime.now().uptimeNanoseconds
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n),
                        0, &c, Int32(n))
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if round > 0 { best = min(best, seconds) }
        }
        return 2 * Double(n * n * n) / best / 1e9
    }

    /// Whether `cblas_sgemm` and `cblas_sgemv` agree with plain double-precision loops. sgemm is
    /// checked with all four transpose combinations at three sizes: a tiny one, the engine's own
    /// form (alpha 1, beta 0) at a small size, and one above OpenBLAS's small-matrix bound
    /// (M·N·K > 100³), which takes the blocked kernels. Kernel sets that a processor runs wrongly
    /// fail it; it takes a few milliseconds.
    public static func computesCorrectly() -> Bool {
        let cases: [(m: Int, n: Int, k: Int, alpha: Float, beta: Float)] = [
            (5, 3, 7, 0.75, 0.5), (48, 32, 40, 1, 0), (128, 96, 112, 0.75, 0.5),
        ]
        for c in cases {
            for transposeA in [false, true] {
                for transposeB in [false, true] where !sgemmMatchesLoop(
                    m: c.m, n: c.n, k: c.k, alpha: c.alpha, beta: c.beta, transposeA: transposeA, transposeB: transposeB) {
                    return false
                }
            }
        }
        return sgemvMatchesLoop(m: 71, n: 53)
    }

    /// Deterministic test values in [-1, 1).
    private static func testValues(_ count: Int, seed: UInt32) -> [Float] {
        var state = seed
        return (0 ..< count).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 23) - 1
        }
    }

    /// Compares every row of a small product, and every 7th row plus the last of a larger one
    /// (which covers first, inner and edge tiles at a seventh of the reference's cost).
    private static func sgemmMatchesLoop(m: Int, n: Int, k: Int, alpha: Float, beta: Float,
                                         transposeA: Bool, transposeB: Bool) -> Bool {
        let a = testValues(m * k, seed: 1), b = testValues(k * n, seed: 2)
        var c = testValues(m * n, seed: 3)
        let initial = c
        // Row-major: op(A) is m x k, stored k x m when transposed.
        let lda = transposeA ? m : k, ldb = transposeB ? k : n
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, &c, Int32(n))
        for i in 0 ..< m where m <= 8 || i % 7 == 0 || i == m - 1 {
            for j in 0 ..< n {
                var sum = 0.0, magnitude = 0.0
                for p in 0 ..< k {
                    let x = Double(transposeA ? a[p * m + i] : a[i * k + p])
                    let y = Double(transposeB ? b[j * k + p] : b[p * n + j])
                    sum += x * y
                    magnitude += abs(x * y)
                }
                let expected = Double(alpha) * sum + Double(beta) * Double(initial[i * n + j])
                guard abs(Double(c[i * n + j]) - expected) <= 1e-5 * (magnitude + 1) else { return false }
            }
        }
        return true
    }

    private static func sgemvMatchesLoop(m: Int, n: Int) -> Bool {
        let a = testValues(m * n, seed: 4), x = testValues(n, seed: 5)
        var y = testValues(m, seed: 6)
        let initial = y
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), 1.25, a, Int32(n), x, 1, 0.5, &y, 1)
        for i in 0 ..< m {
            var sum = 0.0, magnitude = 0.0
            for j in 0 ..< n {
                sum += Double(a[i * n + j]) * Double(x[j])
                magnitude += abs(Double(a[i * n + j]) * Double(x[j]))
            }
            guard abs(Double(y[i]) - (1.25 * sum + 0.5 * Double(initial[i]))) <= 1e-5 * (magnitude + 1) else { return false }
        }
        return true
    }
}
