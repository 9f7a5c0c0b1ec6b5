import COpenBLAS
import Chemistry

/// Predicts a kernel ridge model on slices of the full tuple space by tensor contraction.
///
/// The plain Laplacian kernel factorises over sites, `k(x, y) = Π_s T[x_s, y_s]` with the
/// 39 x 39 site-factor table `T[p, q] = exp(-(|Δperiod| + |Δgroup|) / σ)`. Scattering the
/// coefficients onto a dense 39⁴ tensor `H` (α_i/2 at every training tuple and at its A/B swap,
/// which is the symmetrised kernel) turns all predictions into the multilinear product
///
///     f(A, B, C, D) = offset + Σ_{a,b,c,d} T[A,a] T[B,b] T[C,c] T[D,d] H[a,b,c,d],
///
/// four mode products with `T` — matrix products of 39-wide matrices (`cblas_dgemm`), about
/// 0.7 GFLOP for the whole space instead of 1.8e10 kernel evaluations. A slice of indices needs
/// only the A values it spans, so a rank's work is proportional to its share. The result equals
/// ``KernelRidgeModel/predictions(for:)`` up to rounding.
public struct SpaceLabeler {
    private static let count = 39
    private static let cube = 39 * 39 * 39

    public let model: KernelRidgeModel
    /// The coefficient tensor H, `[a][b][c][d]` row-major.
    private let coefficientTensor: [Double]
    private let siteFactors: [Double]

    public init(model: KernelRidgeModel) {
        precondition(Elpasolite.vocabulary.count == Self.count, "the labeller assumes the 39-element vocabulary")
        self.model = model
        var tensor = [Double](repeating: 0, count: Self.count * Self.cube)
        for (compound, alpha) in zip(model.compounds, model.coefficients) {
            for tuple in [compound.sites, compound.swappingAB.sites] {
                tensor[((tuple[0] * Self.count + tuple[1]) * Self.count + tuple[2]) * Self.count + tuple[3]] += alpha / 2
            }
        }
        coefficientTensor = tensor
        siteFactors = model.kernel.siteFactors
    }

    /// The predicted energies (eV/atom) of the tuples with indices in `range`, in index order.
    public func energies(for range: Range<Int>) -> [Float] {
        guard !range.isEmpty else { return [] }
        let n = Self.count
        let firstA = range.lowerBound / TupleSpace.tuplesPerFirstSite
        let lastA = (range.upperBound - 1) / TupleSpace.tuplesPerFirstSite
        let spanA = lastA - firstA + 1
        let size = spanA * Self.cube
        let first = UnsafeMutablePointer<Double>.allocate(capacity: size)
        let second = UnsafeMutablePointer<Double>.allocate(capacity: size)
        defer {
            first.deallocate()
            second.deallocate()
        }
        siteFactors.withUnsafeBufferPointer { factors in
            coefficientTensor.withUnsafeBufferPointer { tensor in
                let t = factors.baseAddress!
                // Mode A, only the rows firstA...lastA of T: [spanA x 39] · [39 x 39³].
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(spanA), Int32(Self.cube), Int32(n),
                            1, t + firstA * n, Int32(n), tensor.baseAddress, Int32(Self.cube), 0, first, Int32(Self.cube))
            }
            let t = factors.baseAddress!
            // Mode B: per A, T · [39 x 39²].
            for a in 0..<spanA {
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n * n), Int32(n),
                            1, t, Int32(n), first + a * Self.cube, Int32(n * n), 0, second + a * Self.cube, Int32(n * n))
            }
            // Mode C: per (A, B), T · [39 x 39].
            for ab in 0..<(spanA * n) {
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                            1, t, Int32(n), second + ab * n * n, Int32(n), 0, first + ab * n * n, Int32(n))
            }
            // Mode D: all rows at once, [spanA·39² x 39] · Tᵀ (T is symmetric).
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(spanA * n * n), Int32(n), Int32(n),
                        1, first, Int32(n), t, Int32(n), 0, second, Int32(n))
        }
        let offset = model.offset
        return [Float](unsafeUninitializedCapacity: range.count) { output, initialized in
            TupleSpace.forEachTuple(in: range) { index, a, b, c, d in
                let value = second[(((a - firstA) * n + b) * n + c) * n + d]
                output[index - range.lowerBound] = Float(value + offset)
            }
            initialized = range.count
        }
    }
}
