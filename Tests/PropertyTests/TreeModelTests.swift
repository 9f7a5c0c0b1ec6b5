import Foundation
import Property
import XCTest

final class TreeModelTests: XCTestCase {
    /// One unbootstrapped tree over all features is plain CART: on this data the only split that
    /// separates the targets is feature 1 at the midpoint 6.5, and the leaves are the group means.
    func testSingleTreeFindsTheKnownBestSplit() throws {
        let features = FeatureMatrix(rowCount: 6, columnCount: 2, values: [
            5, 1,   1, 2,   4, 3,   2, 10,   6, 11,   3, 12,
        ])
        let targets: [Float] = [0, 0, 0, 5, 5, 5]
        var parameters = RandomForestParameters()
        parameters.treeCount = 1
        parameters.bootstrap = false
        parameters.maxFeatures = 1
        let tree = try RandomForest.fit(features: features, targets: targets, parameters: parameters, world: world())
        XCTAssertEqual(tree.nodeCount, 3)
        XCTAssertEqual(tree.feature, [1, -1, -1])
        XCTAssertEqual(tree.threshold[0], 6.5)
        XCTAssertEqual(tree.value[1], 0)
        XCTAssertEqual(tree.value[2], 5)
        XCTAssertEqual(tree.predict(FeatureMatrix(rowCount: 2, columnCount: 2, values: [0, 6.5, 0, 6.6])), [0, 5])
    }

    /// A depth-limited tree: depth 1 keeps one split; min samples per leaf forbids the 1-row split.
    func testDepthAndLeafLimits() throws {
        let features = FeatureMatrix(rowCount: 5, columnCount: 1, values: [1, 2, 3, 4, 5])
        let targets: [Float] = [0, 0, 0, 0, 100]
        var parameters = RandomForestParameters()
        parameters.treeCount = 1
        parameters.bootstrap = false
        parameters.maxFeatures = 1
        parameters.minSamplesLeaf = 2
        let tree = try RandomForest.fit(features: features, targets: targets, parameters: parameters, world: world())
        XCTAssertEqual(tree.threshold[0], 3.5, "a 1-row leaf for the outlier is not allowed")
        parameters.minSamplesLeaf = 1
        parameters.maxDepth = 1
        let stump = try RandomForest.fit(features: features, targets: targets, parameters: parameters, world: world())
        XCTAssertEqual(stump.nodeCount, 3)
        XCTAssertEqual(stump.threshold[0], 4.5)
    }

    func testRandomForestIsDeterministicAndFitsASmoothFunction() throws {
        let (train, trainTargets) = smoothFunctionData(count: 3000, seed: 1)
        let (test, testTargets) = smoothFunctionData(count: 500, seed: 2)
        var parameters = RandomForestParameters()
        parameters.treeCount = 30
        parameters.maxFeatures = 1
        parameters.seed = 7
        let first = try RandomForest.fit(features: train, targets: trainTargets, parameters: parameters, world: world())
        let again = try RandomForest.fit(features: train, targets: trainTargets, parameters: parameters, world: world())
        XCTAssertEqual(first, again)
        parameters.seed = 8
        let other = try RandomForest.fit(features: train, targets: trainTargets, parameters: parameters, world: world())
        XCTAssertNotEqual(first, other)
        let metrics = RegressionMetrics(predictions: first.predict(test), targets: testTargets)
        XCTAssertGreaterThan(metrics.r2, 0.97, "\(metrics)")
    }

    func testGradientBoostingIsDeterministicAndFitsASmoothFunction() throws {
        let (train, trainTargets) = smoothFunctionData(count: 3000, seed: 1)
        let (test, testTargets) = smoothFunctionData(count: 500, seed: 2)
        var parameters = GradientBoostingParameters()
        parameters.treeCount = 60
        parameters.learningRate = 0.1
        parameters.maxDepth = 4
        parameters.seed = 3
        let first = try GradientBoosting.fit(features: train, targets: trainTargets, parameters: parameters, world: world())
        XCTAssertEqual(first, try GradientBoosting.fit(features: train, targets: trainTargets, parameters: parameters, world: world()))
        parameters.seed = 4
        XCTAssertNotEqual(first, try GradientBoosting.fit(features: train, targets: trainTargets, parameters: parameters, world: world()))
        XCTAssertEqual(first.initialValue, trainTargets.reduce(0, +) / 3000, accuracy: 1e-4)
        let metrics = RegressionMetrics(predictions: first.predict(test), targets: testTargets)
        XCTAssertGreaterThan(metrics.r2, 0.97, "\(metrics)")
    }

    /// One boosting round at rate 1 on all rows is a single CART tree fit to the centred
    /// targets, so it reproduces the targets of a step function exactly.
    func testOneBoostingRoundIsCARTOnResiduals() throws {
        let features = FeatureMatrix(rowCount: 4, columnCount: 1, values: [1, 2, 3, 4])
        var parameters = GradientBoostingParameters()
        parameters.treeCount = 1
        parameters.learningRate = 1
        parameters.subsample = 1
        parameters.maxDepth = 1
        let model = try GradientBoosting.fit(features: features, targets: [1, 1, 3, 3], parameters: parameters, world: world())
        XCTAssertEqual(model.initialValue, 2)
        XCTAssertEqual(model.predict(features), [1, 1, 3, 3])
    }

    func testMetricsMatchHandComputedValues() {
        let metrics = RegressionMetrics(predictions: [1, 2, 4], targets: [1, 3, 3])
        XCTAssertEqual(metrics.mae, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(metrics.rmse, (2.0 / 3).squareRoot(), accuracy: 1e-12)
        // mean 7/3, SS_tot = 16/9 + 4/9 + 4/9 = 8/3, SS_res = 2
        XCTAssertEqual(metrics.r2, 1 - 2 / (8.0 / 3), accuracy: 1e-12)
    }

    func testBadTrainingInputsAreRejected() throws {
        let features = FeatureMatrix(rowCount: 3, columnCount: 1, values: [1, 2, 3])
        XCTAssertThrowsError(try RandomForest.fit(features: features, targets: [1, 2], parameters: .init(), world: world()))
        XCTAssertThrowsError(try RandomForest.fit(features: features, targets: [1, .nan, 2], parameters: .init(), world: world()))
        var parameters = GradientBoostingParameters()
        parameters.subsample = 0
        XCTAssertThrowsError(try GradientBoosting.fit(features: features, targets: [1, 2, 3], parameters: parameters, world: world()))
    }
}
