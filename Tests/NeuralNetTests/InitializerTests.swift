import NeuralNet
import Random
import XCTest

final class InitializerTests: XCTestCase {
    private func draw(_ initializer: Initializer, count: Int = 200_000, fanIn: Int = 1, fanOut: Int = 1, seed: UInt64 = 1) -> [Float] {
        var stream = RandomStream(seed: seed)
        var values = [Float](repeating: .nan, count: count)
        values.withUnsafeMutableBufferPointer { initializer.fill($0, fanIn: fanIn, fanOut: fanOut, using: &stream) }
        return values
    }

    private func moments(_ values: [Float]) -> (mean: Double, standardDeviation: Double) {
        let mean = values.reduce(0) { $0 + Double($1) } / Double(values.count)
        let variance = values.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
        return (mean, variance.squareRoot())
    }

    /// Sample moments of n = 200,000 draws: the mean has standard error σ/sqrt(n) = 0.0022 σ, the
    /// standard deviation σ/sqrt(2n) = 0.0016 σ; tolerances are 5 standard errors.
    private func assertMoments(_ values: [Float], standardDeviation sigma: Double, file: StaticString = #filePath, line: UInt = #line) {
        let (mean, deviation) = moments(values)
        let n = Double(values.count)
        XCTAssertEqual(mean, 0, accuracy: 5 * sigma / n.squareRoot(), "mean", file: file, line: line)
        XCTAssertEqual(deviation, sigma, accuracy: 5 * sigma / (2 * n).squareRoot(), "standard deviation", file: file, line: line)
    }

    func testNormalSchemes() {
        assertMoments(draw(.normal(standardDeviation: 1)), standardDeviation: 1)
        assertMoments(draw(.heNormal(), fanIn: 50), standardDeviation: (2.0 / 50).squareRoot())
        // LeakyReLU(0.2) gain sqrt(2 / 1.04).
        assertMoments(draw(.heNormal(negativeSlope: 0.2), fanIn: 72, fanOut: 10), standardDeviation: (2 / 1.04 / 72).squareRoot())
        assertMoments(draw(.glorotNormal, fanIn: 30, fanOut: 70), standardDeviation: (2.0 / 100).squareRoot())
    }

    /// Uniform schemes: every value within the bound b, standard deviation b / sqrt(3).
    func testUniformSchemes() {
        let cases: [(Initializer, Int, Int, Double)] = [
            (.uniform(limit: 0.3), 1, 1, 0.3),
            (.heUniform(), 50, 7, (2.0 * 3 / 50).squareRoot()),
            (.heUniform(negativeSlope: 0.2), 50, 7, (2 / 1.04 * 3 / 50).squareRoot()),
            (.glorotUniform, 30, 70, (6.0 / 100).squareRoot()),
        ]
        for (initializer, fanIn, fanOut, bound) in cases {
            let values = draw(initializer, fanIn: fanIn, fanOut: fanOut)
            XCTAssertLessThanOrEqual(values.map { abs(Double($0)) }.max()!, bound * (1 + 1e-6), "\(initializer)")
            XCTAssertGreaterThan(values.map { abs(Double($0)) }.max()!, 0.99 * bound, "\(initializer)")
            assertMoments(values, standardDeviation: bound / 3.0.squareRoot())
        }
    }

    func testConstantsAndReproducibility() {
        XCTAssertEqual(draw(.zeros, count: 5), [0, 0, 0, 0, 0])
        XCTAssertEqual(draw(.ones, count: 3), [1, 1, 1])
        XCTAssertEqual(draw(.heNormal(), count: 64, fanIn: 9, seed: 4), draw(.heNormal(), count: 64, fanIn: 9, seed: 4))
        XCTAssertNotEqual(draw(.heNormal(), count: 64, fanIn: 9, seed: 4), draw(.heNormal(), count: 64, fanIn: 9, seed: 5))
    }

    /// Store initialisation fills only weights, reproducibly, and a slice's values depend on the
    /// seed and its name only (not on which other layers the model has).
    func testStoreInitializationPerSlice() {
        func model(withExtraLayer: Bool) -> ParameterStore {
            let store = ParameterStore()
            if withExtraLayer { _ = store.addParameter(name: "first.weight", shape: [10, 4], role: .weight(fanIn: 10, fanOut: 4)) }
            _ = store.addParameter(name: "second.weight", shape: [4, 3], role: .weight(fanIn: 4, fanOut: 3))
            _ = store.addParameter(name: "second.bias", shape: [3], role: .bias)
            _ = store.addParameter(name: "norm.gamma", shape: [3], role: .scale)
            store.seal()
            return store
        }
        func values(_ store: ParameterStore, _ name: String) -> [Float] {
            Array(store.parameters[store.parameterSlice(named: name)!.range])
        }
        let small = model(withExtraLayer: false), large = model(withExtraLayer: true), again = model(withExtraLayer: false)
        small.initializeWeights(.normal(standardDeviation: 1), seed: 9)
        large.initializeWeights(.normal(standardDeviation: 1), seed: 9)
        again.initializeWeights(.normal(standardDeviation: 1), seed: 10)
        XCTAssertEqual(values(small, "second.weight"), values(large, "second.weight"))
        XCTAssertNotEqual(values(small, "second.weight"), values(again, "second.weight"))
        XCTAssertNotEqual(values(large, "first.weight").prefix(12).map { $0 }, values(large, "second.weight"))
        XCTAssertTrue(values(small, "second.weight").allSatisfy { $0 != 0 })
        XCTAssertEqual(values(small, "second.bias"), [0, 0, 0])
        XCTAssertEqual(values(small, "norm.gamma"), [1, 1, 1])
    }
}
