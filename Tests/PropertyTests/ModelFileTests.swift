import Chemistry
import Foundation
import HDF5
import Property
import TestSupport
import XCTest

final class ModelFileTests: XCTestCase {
    func testTreeAndNetworkModelsRoundTrip() throws {
        let directory = try temporaryDirectory(self)
        let (features, targets) = smoothFunctionData(count: 400, seed: 3)
        var parameters = RandomForestParameters()
        parameters.treeCount = 4
        let forest = try RandomForest.fit(features: features, targets: targets, parameters: parameters, world: world())
        let model = try PropertyModel(kind: .randomForest, target: "y", featureNames: ["a", "b"], regressor: .trees(forest),
                                      provenance: ["training_sha256": .string("abc"), "tree_count": .int64(4)])
        let path = directory.appendingPathComponent("rf.h5").path
        try model.write(to: path)
        let loaded = try PropertyModel(contentsOf: path)
        XCTAssertEqual(loaded.kind, .randomForest)
        XCTAssertEqual(loaded.target, "y")
        XCTAssertEqual(loaded.featureNames, ["a", "b"])
        XCTAssertEqual(loaded.provenance["training_sha256"], .string("abc"))
        XCTAssertEqual(try loaded.predict(features), forest.predict(features))

        var elemNet = ElemNetParameters()
        elemNet.hiddenWidths = [8]
        elemNet.epochs = 1
        elemNet.batchSize = 32
        let weights = try ElemNet.fit(features: features, targets: targets, parameters: elemNet, world: world())
        let network = try PropertyModel(kind: .elemNet, target: "y", featureNames: ["a", "b"], regressor: .network(weights))
        let networkPath = directory.appendingPathComponent("net.h5").path
        try network.write(to: networkPath)
        XCTAssertEqual(try PropertyModel(contentsOf: networkPath).predict(features), try weights.predict(features))
    }

    func testWrongFilesAndFeatureCountsAreClearErrors() throws {
        let directory = try temporaryDirectory(self)
        let other = directory.appendingPathComponent("other.h5").path
        let file = try File.create(other)
        try file.write("x", [Float(1)])
        try file.commit()
        XCTAssertThrowsError(try PropertyModel(contentsOf: other)) { error in
            XCTAssertTrue("\(error)".contains(other) && "\(error)".contains("not a matgan-dist property model"), "\(error)")
        }
        XCTAssertThrowsError(try PropertyModel(contentsOf: directory.appendingPathComponent("missing.h5").path)) { error in
            XCTAssertTrue("\(error)".contains("missing.h5"), "\(error)")
        }

        let (features, targets) = smoothFunctionData(count: 50, seed: 3)
        var parameters = RandomForestParameters()
        parameters.treeCount = 1
        let model = try PropertyModel(kind: .randomForest, target: "y", featureNames: ["a", "b"], regressor: .trees(
            try RandomForest.fit(features: features, targets: targets, parameters: parameters, world: world())))
        XCTAssertThrowsError(try model.predict(FeatureMatrix(rowCount: 1, columnCount: 3, values: [0, 0, 0]))) { error in
            XCTAssertTrue("\(error)".contains("expects 2 features, got 3"), "\(error)")
        }
        let magpie = try MagpieFeaturizer(dataDirectory: TestData.directory)
        XCTAssertThrowsError(try model.predict([try Composition(parsing: "NaCl")], magpie: magpie)) { error in
            XCTAssertTrue("\(error)".contains("trained on 2 Magpie features"), "\(error)")
        }
    }
}
