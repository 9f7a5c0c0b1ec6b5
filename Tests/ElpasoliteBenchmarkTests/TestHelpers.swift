import Chemistry
import Foundation
import TestSupport
import XCTest

/// Deterministic pseudo-random tuples for tests (a 64-bit LCG over tuple indices).
struct TupleSampler {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func nextIndex() -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 17) % UInt64(Elpasolite.tupleCount))
    }

    mutating func compounds(_ count: Int) -> [Elpasolite] {
        (0..<count).map { _ in Elpasolite(index: nextIndex()) }
    }
}

/// Solves `matrix · x = rhs` (n x n, row-major) by Gaussian elimination with partial pivoting:
/// an independent reference for the Cholesky solves.
func gaussianSolve(_ matrix: [Double], _ rhs: [Double]) -> [Double] {
    let n = rhs.count
    var a = matrix
    var b = rhs
    for column in 0..<n {
        let pivot = (column..<n).max { abs(a[$0 * n + column]) < abs(a[$1 * n + column]) }!
        if pivot != column {
            for k in 0..<n { a.swapAt(column * n + k, pivot * n + k) }
            b.swapAt(column, pivot)
        }
        for row in (column + 1)..<n {
            let factor = a[row * n + column] / a[column * n + column]
            for k in column..<n { a[row * n + k] -= factor * a[column * n + k] }
            b[row] -= factor * b[column]
        }
    }
    var x = [Double](repeating: 0, count: n)
    for row in stride(from: n - 1, through: 0, by: -1) {
        var sum = b[row]
        for k in (row + 1)..<n { sum -= a[row * n + k] * x[k] }
        x[row] = sum / a[row * n + row]
    }
    return x
}

/// A compound from four element symbols on A, B, C, D.
func compound(_ a: String, _ b: String, _ c: String, _ d: String) -> Elpasolite {
    Elpasolite(a: Element(symbol: a)!, b: Element(symbol: b)!, c: Element(symbol: c)!, d: Element(symbol: d)!)!
}
