import Chemistry
@testable import Property
import Random
import XCTest

final class ElemNetTests: XCTestCase {
    func testNetworkShapeMatchesElemNet() {
        let widths = ElemNetParameters.paperHiddenWidths
        XCTAssertEqual(widths.count + 1, 17, "ElemNet has 17 dense layers")
        let network = ElemNet.network(inputCount: 86, hiddenWidths: widths, maxBatch: 1)
        XCTAssertEqual(network.store.parameterCount, ElemNet.parameterCount(inputCount: 86, hiddenWidths: widths))
        XCTAssertEqual(network.outputCount, 1)
    }

    /// The network learns a linear function of the fractions, deterministically by seed.
    func testTrainingFitsALinearFunctionOfTheFractions() throws {
        var stream = RandomStream(seed: 5)
        var values = [Float](repeating: 0, count: 2048 * 4)
        values.withUnsafeMutableBufferPointer { stream.fillUniform($0, in: 0...1) }
        for row in 0..<2048 {
            let sum = (0..<4).reduce(Float(0)) { $0 + values[row * 4 + $1] }
            for column in 0..<4 { values[row * 4 + column] /= sum }
        }
        let features = FeatureMatrix(rowCount: 2048, columnCount: 4, values: values)
        let targets = (0..<2048).map { row -> Float in
            let x = values[(row * 4)..<(row * 4 + 4)]
            return 3 * x[row * 4] - 2 * x[row * 4 + 1] + x[row * 4 + 3]
        }
        var parameters = ElemNetParameters()
        parameters.hiddenWidths = [32, 16]
        parameters.epochs = 40
        parameters.batchSize = 64
        parameters.seed = 1
        let weights = try ElemNet.fit(features: features, targets: targets, parameters: parameters, world: world())
        XCTAssertEqual(weights, try ElemNet.fit(features: features, targets: targets, parameters: parameters, world: world()))
        let metrics = RegressionMetrics(predictions: try weights.predict(features), targets: targets)
        XCTAssertGreaterThan(metrics.r2, 0.95, "\(metrics)")
    }

    /// The mean-absolute-error gradient against central finite differences (away from the kinks).
    func testAbsoluteErrorGradientMatchesFiniteDifferences() {
        var prediction: [Float] = [0.5, -1.25, 2, 0.1]
        let target: [Float] = [0, -1, 3, 0.4]
        var gradient = [Float](repeating: 0, count: 4)
        let loss = ElemNet.absoluteError(prediction: prediction, target: target, count: 4, gradient: &gradient)
        XCTAssertEqual(loss, (0.5 + 0.25 + 1 + 0.3) / 4, accuracy: 1e-6)
        for i in 0..<4 {
            var scratch = [Float](repeating: 0, count: 4)
            let step: Float = 1e-3
            prediction[i] += step
            let up = ElemNet.absoluteError(prediction: prediction, target: target, count: 4, gradient: &scratch)
            prediction[i] -= 2 * step
            let down = ElemNet.absoluteError(prediction: prediction, target: target, count: 4, gradient: &scratch)
            prediction[i] += step
            XCTAssertEqual(Double(gradient[i]), (up - down) / Double(2 * step), accuracy: 1e-3)
        }
    }
}
