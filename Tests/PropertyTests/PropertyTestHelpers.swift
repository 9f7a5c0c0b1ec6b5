import Chemistry
import Datasets
import Distributed
import Foundation
import Property
import Random
import TestSupport
import XCTest

/// The first `rows` data rows of data file `name` with its header, written to `directory/file`.
func slice(of name: String, rows: Int, into directory: URL, file: String) throws -> String {
    let bytes = try DataFile.read(TestData.path(name))
    let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").prefix(rows + 1)
    let path = directory.appendingPathComponent(file).path
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    return path
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
