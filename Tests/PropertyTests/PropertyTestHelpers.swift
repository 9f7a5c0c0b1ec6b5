import Chemistry
import Distributed
import Foundation
import Property
import Random
import XCTest

/// The published data directory (../shared/data or $MATGAN_DATA); skips the test when absent.
func dataDirectory() throws -> URL {
    if let environment = ProcessInfo.processInfo.environment["MATGAN_DATA"], !environment.isEmpty {
        return URL(fileURLWithPath: environment)
    }
    // Tests/PropertyTests/<file> -> package root -> ../shared/data
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let directory = root.deletingLastPathComponent().appendingPathComponent("shared/data")
    guard FileManager.default.fileExists(atPath: directory.appendingPathComponent(MagpieFeaturizer.fileName).path) else {
        throw XCTSkip("data directory \(directory.path) not found (set MATGAN_DATA to run the property tests on real data)")
    }
    return directory
}

/// A fresh temporary directory, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("property-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
    return directory
}

/// `count` rows of two uniform features in [-2, 2] and the target `sin(2 x0) + x1^2`.
func smoothFunctionData(count: Int, seed: UInt64) -> (FeatureMatrix, [Float]) {
    var stream = RandomStream(seed: seed)
    var values = [Float](repeating: 0, count: 2 * count)
    values.withUnsafeMutableBufferPointer { stream.fillUniform($0, in: -2...2) }
    let targets = (0..<count).map { row -> Float in
        let (x0, x1) = (values[2 * row], values[2 * row + 1])
        return sin(2 * x0) + x1 * x1
    }
    return (FeatureMatrix(rowCount: count, columnCount: 2, values: values), targets)
}

/// The one-rank communicator of the test process.
func world() throws -> Communicator { try Communicator.world }
