import Chemistry
import Datasets
import Foundation
import TestSupport
import XCTest

/// Reading plain and gzip-compressed data files, and the repository's compressed data sets.
final class DataFileTests: XCTestCase {
    private func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("datafile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory
    }

    func testAMissingFileIsReadFromItsGzipCopy() throws {
        let directory = try scratch()
        let text = "formula,e_form_ev_per_atom\n" + (0 ..< 5_000).map { "Na\($0 % 7 + 1)Cl,-\($0)" }.joined(separator: "\n") + "\n"
        let plain = directory.appendingPathComponent("table.csv").path
        try text.write(toFile: plain, atomically: true, encoding: .utf8)
        let gzip = try CommandRunner.runProgram("gzip", ["-9n", plain])
        XCTAssertEqual(gzip.exitCode, 0, gzip.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: plain))
        XCTAssertEqual(try DataFile.read(plain), Array(text.utf8))
        XCTAssertEqual(try DataFile.read(plain + ".gz"), Array(text.utf8))

        // A cut-off download is an error naming the file, not a short table.
        let compressed = try Data(contentsOf: URL(fileURLWithPath: plain + ".gz"))
        let truncated = directory.appendingPathComponent("truncated.csv.gz").path
        try compressed.prefix(compressed.count / 2).write(to: URL(fileURLWithPath: truncated))
        XCTAssertThrowsError(try DataFile.read(truncated)) { error in
            let error = error as? DataFileError
            XCTAssertEqual(error?.file, truncated)
            XCTAssertTrue(error?.message.contains("not a complete gzip file") ?? false, "\(String(describing: error))")
        }
        XCTAssertThrowsError(try DataFile.read(directory.appendingPathComponent("absent.csv").path)) { error in
            XCTAssertEqual((error as? DataFileError)?.message, "no such file")
        }
    }

    /// The compressed copies in datasets/ hold exactly the published files (SHA256SUMS lists the
    /// digests of the uncompressed CSVs).
    func testTheRepositorysDataSetsMatchTheirDigests() throws {
        let datasets = TestData.checkout.appendingPathComponent("datasets")
        let sums = try String(contentsOf: datasets.appendingPathComponent("SHA256SUMS"), encoding: .utf8)
        let entries = sums.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        XCTAssertEqual(entries.count, 7)
        for entry in entries {
            let name = String(entry[1])
            XCTAssertTrue(FileManager.default.fileExists(atPath: datasets.appendingPathComponent(name + ".gz").path), name)
            XCTAssertEqual(FileDigest.sha256(of: try DataFile.read(datasets.appendingPathComponent(name).path)), String(entry[0]), name)
        }
    }
}
