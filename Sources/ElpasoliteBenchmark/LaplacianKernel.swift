import Chemistry
import Foundation

/// Faber et al.'s representation and kernel, made symmetric in the equivalent sites A and B.
///
/// Representation: each site is its element's (period, main group) as raw integers
/// (period 1...6, main group 1...8), so a compound is 8 integers, as in Faber et al. 2016
/// (not the (-1, 1) scaling the generative models use: scaling would only rescale the width).
/// The L1 distance between two compounds is the sum over sites of
/// `|Δperiod| + |Δgroup|`, an integer in `0...48`.
///
/// Laplacian kernel: `k(x, y) = exp(-‖x − y‖₁ / σ)`. Sites A and B are equivalent, so the
/// oracle uses the symmetrised kernel
///
///     k_s(x, y) = ½ [k(x, y) + k(x, swapAB(y))]
///
/// which is positive definite (the group average of a swap-invariant kernel) and invariant
/// under swapping A and B in either argument, so every prediction is the same for a compound
/// and its mirror image. Kernel ridge regression with `k_s` and regularisation λ on n rows
/// gives exactly the predictions of plain `k` with regularisation 2λ on the 2n rows augmented
/// with all A/B swaps, at an eighth of the Cholesky cost.
public struct LaplacianKernel: Sendable, Equatable {
    /// The kernel width σ, in units of the integer L1 distance.
    public let width: Double

    /// The largest L1 distance between two compounds: 4 sites x (5 periods + 7 groups).
    public static let maximumDistance = 48

    public init(width: Double) {
        precondition(width > 0 && width.isFinite, "kernel width must be positive, got \(width)")
        self.width = width
    }

    /// `|Δperiod| + |Δgroup|` between vocabulary positions p and q, at `p * 39 + q`.
    static let siteDistances: [Int32] = {
        let coordinates = Elpasolite.vocabulary.map { ($0.period, Elpasolite.mainGroup(of: $0)) }
        return coordinates.flatMap { p in coordinates.map { q in Int32(abs(p.0 - q.0) + abs(p.1 - q.1)) } }
    }()

    /// The L1 distance between the 8-integer representations of `x` and `y`.
    public static func distance(_ x: Elpasolite, _ y: Elpasolite) -> Int {
        let count = Elpasolite.vocabulary.count
        return (0..<Elpasolite.siteCount).reduce(0) { $0 + Int(siteDistances[x.sites[$1] * count + y.sites[$1]]) }
    }

    /// The plain Laplacian kernel `exp(-‖x − y‖₁ / σ)`, not symmetrised.
    public func plainValue(_ x: Elpasolite, _ y: Elpasolite) -> Double {
        exp(-Double(Self.distance(x, y)) / width)
    }

    /// The symmetrised kernel `k_s(x, y)`.
    public func callAsFunction(_ x: Elpasolite, _ y: Elpasolite) -> Double {
        0.5 * (plainValue(x, y) + plainValue(x, y.swappingAB))
    }

    /// `exp(-d / σ)` for `d` in `0...maximumDistance`.
    var distanceFactors: [Double] {
        (0...Self.maximumDistance).map { exp(-Double($0) / width) }
    }

    /// The per-site factor `exp(-(|Δperiod| + |Δgroup|) / σ)` between vocabulary positions,
    /// 39 x 39 row-major and symmetric: the plain kernel is the product of one factor per site.
    var siteFactors: [Double] {
        Self.siteDistances.map { exp(-Double($0) / width) }
    }
}

/// Both L1 distances (direct and with the column compound's A/B swapped) between every row
/// and column compound, packed as `direct * 49 + swapped` in a row-major `UInt16` matrix. The
/// packed code indexes a 2,401-entry table of symmetrised kernel values, so the kernel matrix
/// for any width σ is one table lookup per entry.
struct PairDistances {
    static let codeCount = (LaplacianKernel.maximumDistance + 1) * (LaplacianKernel.maximumDistance + 1)

    let rowCount: Int
    let columnCount: Int
    let codes: [UInt16]

    init(rows: [Elpasolite], columns: [Elpasolite]) {
        rowCount = rows.count
        columnCount = columns.count
        let count = Elpasolite.vocabulary.count
        let stride = LaplacianKernel.maximumDistance + 1
        // Column sites as four contiguous arrays so the inner loop streams through memory.
        let columnSites = (0..<Elpasolite.siteCount).map { site in columns.map { Int32($0.sites[site]) } }
        codes = [UInt16](unsafeUninitializedCapacity: rows.count * columns.count) { codes, initialized in
            LaplacianKernel.siteDistances.withUnsafeBufferPointer { distances in
                let a = columnSites[0], b = columnSites[1], c = columnSites[2], d = columnSites[3]
                a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in
                c.withUnsafeBufferPointer { c in d.withUnsafeBufferPointer { d in
                    for (i, row) in rows.enumerated() {
                        let rowA = distances.baseAddress! + row.sites[0] * count
                        let rowB = distances.baseAddress! + row.sites[1] * count
                        let rowC = distances.baseAddress! + row.sites[2] * count
                        let rowD = distances.baseAddress! + row.sites[3] * count
                        let output = codes.baseAddress! + i * columns.count
                        for j in 0..<columns.count {
                            let cd = rowC[Int(c[j])] + rowD[Int(d[j])]
                            let direct = rowA[Int(a[j])] + rowB[Int(b[j])] + cd
                            let swapped = rowA[Int(b[j])] + rowB[Int(a[j])] + cd
                            output[j] = UInt16(truncatingIfNeeded: Int(direct) * stride + Int(swapped))
                        }
                    }
                }}}}
            }
            initialized = rows.count * columns.count
        }
    }

    /// The symmetrised kernel value for every code.
    static func kernelTable(_ kernel: LaplacianKernel) -> [Double] {
        let factors = kernel.distanceFactors
        let stride = LaplacianKernel.maximumDistance + 1
        return (0..<codeCount).map { 0.5 * (factors[$0 / stride] + factors[$0 % stride]) }
    }

    /// Writes the kernel matrix of the rows `rowSubset` against the columns `columnSubset`
    /// (indices into this matrix) row-major into `output`, adding `diagonal` where the row
    /// and column subsets meet on the diagonal (pass equal subsets for a square system).
    func fillKernel(table: [Double], rowSubset: [Int], columnSubset: [Int], diagonal: Double = 0,
                    into output: UnsafeMutablePointer<Double>) {
        table.withUnsafeBufferPointer { table in
            codes.withUnsafeBufferPointer { codes in
                columnSubset.withUnsafeBufferPointer { columns in
                    for (i, row) in rowSubset.enumerated() {
                        let source = codes.baseAddress! + row * columnCount
                        let target = output + i * columns.count
                        for j in 0..<columns.count { target[j] = table[Int(source[columns[j]])] }
                    }
                }
            }
        }
        if diagonal != 0 {
            precondition(rowSubset == columnSubset, "a diagonal shift needs a square kernel matrix")
            for i in rowSubset.indices { output[i * rowSubset.count + i] += diagonal }
        }
    }
}
