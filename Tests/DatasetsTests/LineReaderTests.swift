import Datasets
import Foundation
import TestSupport
import XCTest

/// Reading inputs line by line in bounded memory: line limits, binary data, files that are not
/// files, and rows that stream through CSV parsing and preparation.
final class LineReaderTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("line-reader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private func lines(of reader: LineReader) throws -> [String] {
        var line: [UInt8] = []
        var lines: [String] = []
        while try reader.readLine(into: &line) { lines.append(String(decoding: line, as: UTF8.self)) }
        return lines
    }

    /// Asserts that `body` throws a ``DataFileError`` for `file` and `line` whose message
    /// contains `message`.
    private func assertError(_ body: @autoclosure () throws -> some Any, file: String, line: Int?, containing message: String,
                             sourceFile: StaticString = #filePath, sourceLine: UInt = #line) {
        XCTAssertThrowsError(try body(), file: sourceFile, line: sourceLine) { error in
            guard let error = error as? DataFileError else { return XCTFail("\(error)", file: sourceFile, line: sourceLine) }
            XCTAssertEqual(error.file, file, file: sourceFile, line: sourceLine)
            XCTAssertEqual(error.line, line, "\(error)", file: sourceFile, line: sourceLine)
            XCTAssertTrue(error.message.contains(message), "\(error)", file: sourceFile, line: sourceLine)
        }
    }

    func testLinesOfPlainGzipAndInMemoryInputAgree() throws {
        let text = "\u{FEFF}formula,e\r\nNaCl,1\n\nKCl,2"
        let path = try write("table.csv", Array(text.utf8))
        let expected = ["formula,e\r\n", "NaCl,1\n", "\n", "KCl,2"]
        let plain = try LineReader(path: path)
        XCTAssertEqual(try lines(of: plain), expected)
        XCTAssertEqual(plain.lineNumber, 4)
        XCTAssertEqual(plain.sha256, FileDigest.sha256(of: Array(text.utf8)))  // the byte-order mark included
        XCTAssertEqual(try lines(of: LineReader(file: "memory", bytes: Array(text.utf8))), expected)

        let gzip = try CommandRunner.runProgram("gzip", ["-n", path])
        XCTAssertEqual(gzip.exitCode, 0, gzip.standardError)
        let compressed = try LineReader(path: path)  // read from table.csv.gz
        XCTAssertEqual(try lines(of: compressed), expected)
        XCTAssertEqual(compressed.sha256, plain.sha256)
    }

    func testALineLongerThanTheLimitIsAnError() throws {
        let limit = LineReader.maximumLineLength
        let longest = "formula\nNaCl\n" + String(repeating: "a", count: limit) + "\n"
        XCTAssertEqual(try lines(of: LineReader(file: "longest.txt", bytes: Array(longest.utf8))).map(\.utf8.count), [8, 5, limit + 1])
        let path = try write("long.csv", Array("formula,e_form_ev_per_atom\nNaCl,1\n".utf8)
            + [UInt8](repeating: UInt8(ascii: "a"), count: limit + 1))
        assertError(try lines(of: LineReader(path: path)), file: path, line: 3, containing: "line longer than 1 MiB")
        assertError(try PreparedDataset(reading: path, preset: nil, options: PreparationOptions()), file: path, line: 3,
                    containing: "line longer than 1 MiB")

        // A quoted field may span lines, but not without end.
        let open = "formula,e\n\"Na\nCl\",1\n\"" + String(repeating: "NaCl,1\n", count: limit / 7 + 1)
        let reader = try CSVReader(LineReader(file: "open.csv", bytes: Array(open.utf8)))
        XCTAssertEqual(try reader.nextRow()?.get().fields, ["Na\nCl", "1"])
        assertError(try reader.nextRow(), file: "open.csv", line: 4, containing: "quoted field still open after 1 MiB")
    }

    func testNULBytesAreBinaryData() throws {
        let path = try write("binary.csv", Array("formula,e_form_ev_per_atom\nNaCl,1\nK".utf8) + [0] + Array("Cl,2\n".utf8))
        assertError(try lines(of: LineReader(path: path)), file: path, line: 3, containing: "byte 2 of the line is NUL")
        var options = PreparationOptions()
        options.skipsInvalidRows = true  // binary input is never a row to skip
        assertError(try PreparedDataset(reading: path, preset: nil, options: options), file: path, line: 3,
                    containing: "binary data, not a text file")
    }

    func testOpeningSaysWhyAPathIsNotAFile() throws {
        assertError(try LineReader(path: directory.path), file: directory.path, line: nil, containing: "is a directory")
        let missing = directory.appendingPathComponent("absent.csv").path
        assertError(try LineReader(path: missing), file: missing, line: nil, containing: "no such file")
        assertError(try LineReader(path: "/dev/zero"), file: "/dev/zero", line: nil, containing: "is a character device")
        assertError(try DataFile.read("/dev/zero"), file: "/dev/zero", line: nil, containing: "give - to read standard input")
    }

    func testAnUnreadableFileIsAPermissionError() throws {
        guard getuid() != 0 else {
            throw XCTSkip("running as root, which may read any file whatever its permissions")
        }
        let path = try write("secret.csv", Array("formula\nNaCl\n".utf8))
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: path)
        assertError(try LineReader(path: path), file: path, line: nil, containing: "permission denied")
    }

    func testMessagesQuoteAShortPrefixOfLongFields() throws {
        let value = String(repeating: "9", count: 1 << 19) + "x"
        let bytes = Array("formula,e_form_ev_per_atom\nNaCl,\(value)\n".utf8)
        XCTAssertThrowsError(try PreparedDataset(file: "long.csv", bytes: bytes, preset: nil, options: PreparationOptions())) { error in
            XCTAssertEqual("\(error)", "long.csv:2: column 'e_form_ev_per_atom': '\(String(repeating: "9", count: 40))…' "
                + "(524289 bytes) is not a finite number")
        }
        let formula = Array("formula,e_form_ev_per_atom\nNa\(String(repeating: "a", count: 1 << 19)),1\n".utf8)
        XCTAssertThrowsError(try PreparedDataset(file: "long.csv", bytes: formula, preset: nil, options: PreparationOptions())) { error in
            XCTAssertLessThan("\(error)".utf8.count, 300, "\(error)")
            XCTAssertTrue("\(error)".contains("…' (524290 bytes): unknown element symbol"), "\(error)")
        }
        let column = String(repeating: "c", count: 1000)
        XCTAssertThrowsError(try CSVTable(file: "t.csv", bytes: Array("formula\nNaCl\n".utf8)).columnIndex(column)) { error in
            XCTAssertEqual("\(error)", "t.csv:1: column '\(String(repeating: "c", count: 40))…' (1000 bytes): "
                + "no such column; the header has 'formula'")
        }
    }

    func testSkippedRowsKeepOnlyTheFirstErrors() throws {
        let rows = (0 ..< 1_000).map { $0.isMultiple(of: 2) ? "NaCl,\($0)" : "Xx\($0),1" }
        var options = PreparationOptions()
        options.skipsInvalidRows = true
        let dataset = try PreparedDataset(file: "junk.csv", bytes: Array((["formula,e_form_ev_per_atom"] + rows).joined(separator: "\n").utf8),
                                          preset: nil, options: options)
        XCTAssertEqual(dataset.rowsRead, 1_000)
        XCTAssertEqual(dataset.skippedRowCount, 500)
        XCTAssertEqual(dataset.skippedRows.compactMap(\.line), [3, 5, 7, 9, 11])
        XCTAssertEqual(dataset.steps.first, FilterStep(name: "invalid rows skipped", removed: 500, remaining: 500))
        XCTAssertTrue(dataset.summary.contains("skipped rows (first 5 of 500)"), dataset.summary)
    }
}
