import Foundation
import HDF5
import XCTest

final class OpenErrorTests: XCTestCase {
    func testMissingFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("missing.h5")
        assertHDF5Error(.fileNotFound, mentioning: [path, "no such file"]) { try File.open(path) }
    }

    func testTextFileIsNotHDF5() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("notes.txt")
        try Data("formula,energy\nNaCl,-3.4\n".utf8).write(to: URL(fileURLWithPath: path))
        assertHDF5Error(.notHDF5File, mentioning: [path, "not an HDF5 file"]) { try File.open(path) }
    }

    func testRandomBytesAreNotHDF5() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("random.h5")
        var generator = SystemRandomNumberGenerator()
        try Data((0..<8192).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: path))
        assertHDF5Error(.notHDF5File, mentioning: [path, "not an HDF5 file"]) { try File.open(path) }
    }

    func testEmptyFileIsNotHDF5() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("empty.h5")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        assertHDF5Error(.notHDF5File, mentioning: [path, "not an HDF5 file"]) { try File.open(path) }
    }

    func testTruncatedFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("truncated.h5")
        let file = try File.create(path)
        try file.write("x", (0..<100_000).map(Double.init))
        try file.commit()
        let contents = try Data(contentsOf: URL(fileURLWithPath: path))
        try contents.prefix(contents.count / 2).write(to: URL(fileURLWithPath: path))
        assertHDF5Error(.truncatedFile, mentioning: [path, "truncated"]) { try File.open(path) }
    }

    func testDirectoryIsNotAFile() throws {
        let directory = try TemporaryDirectory()
        assertHDF5Error(.invalidArgument, mentioning: [directory.path, "is a directory"]) { try File.open(directory.path) }
    }

    func testCreatingInAMissingDirectory() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("no/such/dir/out.h5")
        assertHDF5Error(.fileNotFound, mentioning: [path, "does not exist"]) { try File.create(path) }
    }
}
