import Foundation

/// The Jensen-Shannon distance between two discrete distributions, with base-2 logarithms:
/// `sqrt(½ Σ p log2(p/m) + ½ Σ q log2(q/m))`, `m = (p + q)/2`; 0 for identical and 1 for
/// disjoint distributions. Both inputs are normalised first; an all-zero input counts as
/// uniform-free (contributes nothing), so two empty distributions are at distance 0.
public func jensenShannonDistance(_ p: [Double], _ q: [Double]) -> Double {
    precondition(p.count == q.count, "jensenShannonDistance: \(p.count) vs \(q.count) categories")
    let pTotal = p.reduce(0, +)
    let qTotal = q.reduce(0, +)
    var divergence = 0.0
    for index in p.indices {
        let pi = pTotal > 0 ? p[index] / pTotal : 0
        let qi = qTotal > 0 ? q[index] / qTotal : 0
        let mi = (pi + qi) / 2
        if pi > 0 { divergence += 0.5 * pi * log2(pi / mi) }
        if qi > 0 { divergence += 0.5 * qi * log2(qi / mi) }
    }
    return max(divergence, 0).squareRoot()
}
