import NeuralNet
import XCTest

/// `Sequential.recalibrateBatchNorm` makes the running averages the plain mean of the passes'
/// batch moments, whatever the averages held before, and leaves the decay as it was.
final class BatchNormCalibrationTests: XCTestCase {
    func testRunningAveragesBecomeTheMeanOfThePassesMoments() throws {
        let store = ParameterStore()
        let norm = BatchNorm(store: store, name: "bn", shape: [2])
        let network = Sequential(store: store, layers: [norm], maxBatch: 2)
        let mean = store.state(norm.runningMean), variance = store.state(norm.runningVariance)
        mean[0] = 7; variance[1] = 9
        // Pass moments, channel 0 then 1 (biased variance of two values a, b is ((a − b)/2)²):
        // pass 0 (1, 10), (3, 30): means 2, 20, variances 1, 100;
        // pass 1 (5, 0), (5, 4): 5, 2 and 0, 4; pass 2 (−1, 1), (1, 1): 0, 1 and 1, 0.
        let passes: [[Float]] = [[1, 10, 3, 30], [5, 0, 5, 4], [-1, 1, 1, 1]]
        try network.recalibrateBatchNorm(batches: 3, batchSize: 2) { pass, input in
            _ = input.update(fromContentsOf: passes[pass])
        }
        XCTAssertEqual(mean[0], (2 + 5 + 0) / 3, accuracy: 1e-6)
        XCTAssertEqual(mean[1], (20 + 2 + 1) / 3, accuracy: 1e-6)
        XCTAssertEqual(variance[0], (1 + 0 + 1) / 3, accuracy: 1e-6)
        XCTAssertEqual(variance[1], (100 + 4 + 0) / 3, accuracy: 1e-5)
        XCTAssertEqual(norm.decay, 0.9)
    }
}
