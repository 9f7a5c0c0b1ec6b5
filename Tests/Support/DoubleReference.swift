import Random
import XCTest

/// `count` uniform Floats in `range`.
package func randomFloats(_ count: Int, in range: ClosedRange<Float>, _ stream: inout RandomStream) -> [Float] {
    (0..<count).map { _ in Float.random(in: range, using: &stream) }
}

/// Central differences of a Double reference function with respect to `x[i]` for each of `indices`
/// (default: all), step 1e-6: truncation error ~h²·f‴/6 ≈ 1e-13 and rounding ~1e-16·|f|/h ≈ 1e-10,
/// both far below the few-ulp (~1e-7 relative) error of the Float gradients they are compared with.
package func centralDifferences(
    of f: ([Double]) -> Double, at x: [Double], indices: [Int]? = nil, step h: Double = 1e-6
) -> [Double] {
    var probe = x
    return (indices ?? Array(x.indices)).map { i in
        probe[i] = x[i] + h
        let plus = f(probe)
        probe[i] = x[i] - h
        let minus = f(probe)
        probe[i] = x[i]
        return (plus - minus) / (2 * h)
    }
}

/// Asserts `|actual_i − expected_i| ≤ tolerance · max_j |expected_j|` for every entry: errors are
/// measured against the largest entry, so entries that are nearly zero by cancellation do not need
/// an impossible relative accuracy, while a wrong factor or sign (an O(1) error) still fails.
package func assertClose(
    _ actual: [Float], _ expected: [Double], tolerance: Double, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, "\(message): length", file: file, line: line)
    let scale = max(expected.map(abs).max() ?? 0, 1e-12)
    for (i, (value, reference)) in zip(actual, expected).enumerated() {
        XCTAssertEqual(Double(value), reference, accuracy: tolerance * scale, "\(message) entry \(i)", file: file, line: line)
    }
}

/// Layer norm of each `features`-wide row in Double, ε = Float(1e-5) as in the layer.
package func referenceLayerNorm(_ x: [Double], gamma: [Double], beta: [Double], features: Int) -> [Double] {
    var y = x
    for i in 0..<(x.count / features) {
        let (xHat, _) = normalizedRow(x, row: i, features: features)
        for j in 0..<features { y[i * features + j] = gamma[j] * xHat[j] + beta[j] }
    }
    return y
}

/// Input gradient of ``referenceLayerNorm(_:gamma:beta:features:)``: per row
/// `dx = r (g − mean g − x̂ mean(g x̂))` with `g = γ dy` (checked against finite differences of the
/// forward in `LayerNormTests`).
package func referenceLayerNormBackward(_ x: [Double], gamma: [Double], dy: [Double], features: Int) -> [Double] {
    var dx = x
    for i in 0..<(x.count / features) {
        let (xHat, r) = normalizedRow(x, row: i, features: features)
        let g = (0..<features).map { gamma[$0] * dy[i * features + $0] }
        let meanG = g.reduce(0, +) / Double(features)
        let meanGXHat = zip(g, xHat).reduce(0) { $0 + $1.0 * $1.1 } / Double(features)
        for j in 0..<features { dx[i * features + j] = r * (g[j] - meanG - xHat[j] * meanGXHat) }
    }
    return dx
}

/// x̂ and r = 1/sqrt(σ² + ε) of row `row`.
private func normalizedRow(_ x: [Double], row: Int, features: Int) -> (xHat: [Double], r: Double) {
    let values = x[(row * features)..<((row + 1) * features)]
    let mean = values.reduce(0, +) / Double(features)
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(features)
    let r = 1 / (variance + Double(Float(1e-5))).squareRoot()
    return (values.map { ($0 - mean) * r }, r)
}
