import HDF5
import XCTest

final class AppendAndShardTests: XCTestCase {
    /// Deterministic contents of composition row `row`: 85 elements × 8 one-hot slots.
    private func compositionRow(_ row: Int) -> [UInt8] {
        (0..<(85 * 8)).map { UInt8(truncatingIfNeeded: row &* 31 &+ $0 &* 7) }
    }

    private func compositionRows(_ rows: Range<Int>) -> [UInt8] {
        rows.flatMap(compositionRow)
    }

    func testAppendingBlocksOfRowsGrowsTheDatasetAndReadsBack() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("compositions.h5")
        let file = try File.create(path)
        let dataset = try file.createExtendableDataset("x", of: UInt8.self, rowShape: [85, 8], chunkRows: 64)
        XCTAssertEqual(try dataset.shape, [0, 85, 8])
        var rowsWritten = 0
        for blockRows in [100, 1, 0, 250, 64] {
            let block = compositionRows(rowsWritten..<(rowsWritten + blockRows))
            try block.withUnsafeBufferPointer { try dataset.append($0) }
            rowsWritten += blockRows
            XCTAssertEqual(try dataset.rowCount, rowsWritten)
        }
        assertHDF5Error(.invalidArgument, mentioning: [path, "/x", "whole number of rows"]) {
            try dataset.append([UInt8](repeating: 0, count: 85 * 8 + 1))
        }
        try file.setAttribute("rows", .int64(Int64(rowsWritten)))
        try file.commit()

        let reopened = try File.open(path)
        let stored = try reopened.openDataset("x")
        XCTAssertEqual(try stored.shape, [415, 85, 8])
        XCTAssertEqual(try stored.read(as: UInt8.self), compositionRows(0..<415))
        XCTAssertEqual(try stored.readRows(99..<102, as: UInt8.self), compositionRows(99..<102))
    }

    func testReadingScatteredRowsGivesExactlyThoseRowsInOrder() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("scattered.h5")
        let file = try File.create(path)
        try file.write("x", compositionRows(0..<300), shape: [300, 85, 8], storage: .chunked(rows: 32, compression: 4))
        try file.commit()
        let dataset = try File.open(path).openDataset("x")
        // Single rows, a run crossing a chunk boundary, the first and last rows.
        let rows = [0, 5, 30, 31, 32, 33, 34, 150, 298, 299]
        var buffer = [UInt8](repeating: 0xFF, count: rows.count * 85 * 8 + 3)
        let written = try buffer.withUnsafeMutableBufferPointer { try dataset.readRows(at: rows, into: $0) }
        XCTAssertEqual(written, rows.count * 85 * 8)
        XCTAssertEqual(Array(buffer[0..<written]), rows.flatMap(compositionRow))
        XCTAssertEqual(Array(buffer[written...]), [0xFF, 0xFF, 0xFF])
        var twoRows = [UInt8](repeating: 0, count: 2 * 85 * 8)
        assertHDF5Error(.outOfRange, mentioning: [path, "ascend", "got 3 after 7"]) {
            try twoRows.withUnsafeMutableBufferPointer { try dataset.readRows(at: [7, 3], into: $0) }
        }
        var small = [UInt8](repeating: 0, count: 85 * 8)
        assertHDF5Error(.outOfRange, mentioning: [path, "0..<300"]) {
            try small.withUnsafeMutableBufferPointer { try dataset.readRows(at: [300], into: $0) }
        }
        assertHDF5Error(.invalidArgument, mentioning: [path, "buffer holds 680"]) {
            try small.withUnsafeMutableBufferPointer { try dataset.readRows(at: [1, 2], into: $0) }
        }
    }

    func testAppendingToAnOpenedFileExtendsIt() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("grow.h5")
        let file = try File.create(path)
        let dataset = try file.createExtendableDataset("values", of: Double.self, rowShape: [], chunkRows: 4, compression: nil)
        try dataset.append([1, 2, 3] as [Double])
        try file.commit()

        let writable = try File.open(path, mode: .readWrite)
        try writable.openDataset("values").append([4, 5] as [Double])
        try writable.commit()
        XCTAssertEqual(try File.open(path).read("values", as: Double.self), [1, 2, 3, 4, 5])

        let readOnly = try File.open(path)
        assertHDF5Error(.libraryFailure, mentioning: [path, "/values", "cannot extend"]) { try readOnly.openDataset("values").append([6] as [Double]) }
    }

    func testAppendingNeedsAnExtendableDatasetOfTheSameClass() throws {
        let directory = try TemporaryDirectory()
        let file = try File.create(directory.file("fixed.h5"))
        try file.write("fixed", [1, 2] as [Int64])
        assertHDF5Error(.invalidArgument, mentioning: ["/fixed", "not extendable", "at most 2 rows"]) { try file.openDataset("fixed").append([3] as [Int64]) }
        try file.write("hollow", [Int64](), shape: [3, 0])
        assertHDF5Error(.invalidArgument, mentioning: ["/hollow", "whole number of rows of 0 elements"]) {
            try file.openDataset("hollow").append([Int64]())
        }
        let reals = try file.createExtendableDataset("reals", of: Float.self, rowShape: [2], chunkRows: 8)
        assertHDF5Error(.typeMismatch, mentioning: ["/reals", "float32", "Int32"]) { try reals.append([1, 2] as [Int32]) }
        assertHDF5Error(.invalidArgument, mentioning: ["/bad", "chunk"]) {
            try file.createExtendableDataset("bad", of: Float.self, rowShape: [2], chunkRows: 0)
        }
    }

    func testAppendingStringsInBlocks() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("strings.h5")
        let file = try File.create(path)
        let formulas = try file.createExtendableStringDataset("formulas", chunkRows: 3)
        let blocks = [["NaCl", "KCl"], [], ["Fe₂O₃", "", "Cs₂AgBiBr₆", "LiFePO₄", "MgO"], ["Si"]]
        for block in blocks { try formulas.appendStrings(block) }
        XCTAssertEqual(try formulas.rowCount, 8)
        assertHDF5Error(.invalidArgument, mentioning: ["/formulas", "NUL"]) { try formulas.appendStrings(["a\u{0}"]) }
        XCTAssertEqual(try formulas.rowCount, 8, "a rejected block must not grow the dataset")
        try file.commit()

        let stored = try File.open(path).openDataset("formulas")
        XCTAssertEqual(try stored.readStrings(), blocks.flatMap { $0 })
        XCTAssertEqual(try stored.readStringRows(6..<8), ["MgO", "Si"])
    }

    func testWriteRowsOverwritesWithinTheExtent() throws {
        let directory = try TemporaryDirectory()
        let file = try File.create(directory.file("overwrite.h5"))
        try file.write("grid", [Int32](repeating: 0, count: 12), shape: [4, 3])
        let grid = try file.openDataset("grid")
        try ([1, 2, 3, 4, 5, 6] as [Int32]).withUnsafeBufferPointer { try grid.writeRows($0, at: 1) }
        XCTAssertEqual(try grid.read(as: Int32.self), [0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0])
        assertHDF5Error(.outOfRange, mentioning: ["/grid", "3..<5"]) {
            try ([1, 2, 3, 4, 5, 6] as [Int32]).withUnsafeBufferPointer { try grid.writeRows($0, at: 3) }
        }
    }

    func testShardReadsCoverTheRowsExactlyOnce() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("shards.h5")
        let rows = 10, columns = 3
        let values = (0..<(rows * columns)).map { Int32($0 * 11 - 40) }
        let file = try File.create(path)
        try file.write("x", values, shape: [rows, columns], storage: .chunked(rows: 4, compression: 1))
        try file.writeStrings("names", (0..<rows).map { "row \($0)" })
        try file.commit()

        let reopened = try File.open(path)
        let dataset = try reopened.openDataset("x")
        let names = try reopened.openDataset("names")
        // Three ranks: shards of 4, 4 and a last partial shard of 2 rows.
        let ranks = 3, shardRows = (rows + ranks - 1) / ranks
        var gathered: [Int32] = []
        var gatheredNames: [String] = []
        for rank in 0..<ranks {
            let shard = (rank * shardRows)..<min(rows, (rank + 1) * shardRows)
            let part = try dataset.readRows(shard, as: Int32.self)
            XCTAssertEqual(part, Array(values[(shard.lowerBound * columns)..<(shard.upperBound * columns)]))
            gathered += part
            gatheredNames += try names.readStringRows(shard)
        }
        XCTAssertEqual(gathered, values)
        XCTAssertEqual(gatheredNames, (0..<rows).map { "row \($0)" })

        XCTAssertEqual(try dataset.readRows(5..<5, as: Int32.self), [])
        XCTAssertEqual(try dataset.readRows(10..<10, as: Int32.self), [])
        XCTAssertEqual(try names.readStringRows(3..<3), [])

        assertHDF5Error(.outOfRange, mentioning: [path, "/x", "8..<11", "10 rows"]) { try dataset.readRows(8..<11, as: Int32.self) }
        assertHDF5Error(.outOfRange, mentioning: [path, "/x", "-1..<2"]) { try dataset.readRows(-1..<2, as: Int32.self) }
        assertHDF5Error(.outOfRange, mentioning: [path, "/x", "11..<11"]) { try dataset.readRows(11..<11, as: Int32.self) }
        assertHDF5Error(.outOfRange, mentioning: [path, "/names", "9..<12"]) { try names.readStringRows(9..<12) }
    }

    func testShardReadsIntoAReusedBuffer() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("buffer.h5")
        let file = try File.create(path)
        try file.write("x", (0..<20).map(Float.init), shape: [10, 2])
        let dataset = try file.openDataset("x")
        var buffer = [Float](repeating: -1, count: 8)
        let written = try buffer.withUnsafeMutableBufferPointer { try dataset.readRows(8..<10, into: $0) }
        XCTAssertEqual(written, 4)
        XCTAssertEqual(buffer, [16, 17, 18, 19, -1, -1, -1, -1])
        assertHDF5Error(.invalidArgument, mentioning: ["/x", "buffer holds 8"]) {
            try buffer.withUnsafeMutableBufferPointer { try dataset.readRows(0..<5, into: $0) }
        }
        assertHDF5Error(.invalidArgument, mentioning: ["/s", "scalar"]) {
            try file.write("s", [1] as [Float], shape: [])
            return try file.openDataset("s").readRows(0..<1, as: Float.self)
        }
    }
}
