import Foundation
import HDF5
import XCTest

/// A fresh directory under the system temporary directory, removed on deinit.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "hdf5-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of `name` inside the directory.
    func file(_ name: String) -> String { path + "/" + name }

    /// Names of the entries in the directory, sorted.
    func entries() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }
}

/// Asserts that `body` throws an `HDF5Error` of `kind` whose description contains every one of `fragments`.
func assertHDF5Error<Result>(
    _ kind: HDF5Error.Kind, mentioning fragments: [String], file: StaticString = #filePath, line: UInt = #line,
    _ body: () throws -> Result
) {
    do {
        _ = try body()
        XCTFail("expected an HDF5Error of kind \(kind)", file: file, line: line)
    } catch let error as HDF5Error {
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(error.description.contains(fragment),
                          "'\(error)' does not mention '\(fragment)'", file: file, line: line)
        }
    } catch {
        XCTFail("expected an HDF5Error, got \(error)", file: file, line: line)
    }
}
