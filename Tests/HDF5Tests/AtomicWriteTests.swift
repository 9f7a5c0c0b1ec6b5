import Foundation
import HDF5
import XCTest

final class AtomicWriteTests: XCTestCase {
    func testUncommittedFileIsWrittenUnderATemporaryNameAndDiscarded() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("out.h5")
        let file = try File.create(path)
        try file.write("x", [1, 2, 3] as [Int32])
        XCTAssertEqual(file.path, path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        let entries = try directory.entries()
        XCTAssertEqual(entries.count, 1)
        XCTAssertTrue(entries[0].hasPrefix("out.h5.tmp-\(getpid())-"), entries[0])

        file.discard()
        XCTAssertEqual(try directory.entries(), [])
        file.discard()  // a second discard does nothing
        assertHDF5Error(.closed, mentioning: [path, "already committed or discarded"]) { try file.commit() }
    }

    func testDroppingAnUncommittedFileLeavesNothing() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("dropped.h5")
        func writeWithoutCommit() throws {
            let file = try File.create(path)
            let dataset = try file.createExtendableDataset("x", of: Float.self, rowShape: [4], chunkRows: 8)
            try dataset.append([Float](repeating: 1, count: 40))
        }
        try writeWithoutCommit()
        XCTAssertEqual(try directory.entries(), [])
    }

    func testCommitRenamesOverAnExistingFileAndClosesOpenObjects() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("replace.h5")
        try Data("old contents".utf8).write(to: URL(fileURLWithPath: path))

        let file = try File.create(path)
        let group = try file.createGroup("g")
        let dataset = try file.createExtendableDataset("x", of: Int64.self, rowShape: [], chunkRows: 2)
        try dataset.append([5, 6, 7] as [Int64])
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old contents")
        try file.commit()

        XCTAssertEqual(try directory.entries(), ["replace.h5"])
        XCTAssertEqual(try File.open(path).read("x", as: Int64.self), [5, 6, 7])
        assertHDF5Error(.closed, mentioning: [path, "/x", "committed"]) { try dataset.append([8] as [Int64]) }
        assertHDF5Error(.closed, mentioning: [path, "/g"]) { try group.setAttribute("a", 1) }
        assertHDF5Error(.closed, mentioning: [path]) { try file.write("y", [1] as [UInt8]) }
        XCTAssertFalse(file.contains("x"))
    }

    func testObjectsKeepTheirFileOpen() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("kept.h5")
        let file = try File.create(path)
        try file.write("x", [1, 2] as [UInt64])
        try file.commit()

        let dataset = try File.open(path).openDataset("x")
        XCTAssertEqual(try dataset.read(as: UInt64.self), [1, 2])
    }

    /// A process killed with SIGKILL in the middle of writing leaves its temporary file behind
    /// but nothing under the final name.
    func testKilledWriterLeavesNoFileUnderTheFinalName() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("killed.h5")
        let child = fork()
        XCTAssertGreaterThanOrEqual(child, 0, "fork failed")
        if child == 0 {
            // The child does only HDF5 work, then dies without unwinding.
            if let file = try? File.create(path),
               let dataset = try? file.createExtendableDataset("x", of: UInt8.self, rowShape: [85, 8], chunkRows: 128) {
                let block = [UInt8](repeating: 3, count: 1000 * 85 * 8)
                for _ in 0..<5 { try? dataset.append(block) }
                // Contiguous data bypasses the chunk cache, so this reaches the disk before the kill.
                try? file.write("raw", [UInt8](repeating: 7, count: 1 << 20))
                withExtendedLifetime((file, dataset)) { _ = raise(SIGKILL) }
            }
            _exit(1)
        }
        var status: Int32 = 0
        XCTAssertEqual(waitpid(child, &status, 0), child)
        XCTAssertEqual(status & 0x7f, SIGKILL, "the child should die from SIGKILL (wait status \(status))")

        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        let entries = try directory.entries()
        XCTAssertEqual(entries.count, 1, "\(entries)")
        XCTAssertTrue(entries.first?.hasPrefix("killed.h5.tmp-\(child)-") ?? false, "\(entries)")
        let size = try FileManager.default.attributesOfItem(atPath: directory.file(entries[0]))[.size] as? Int ?? 0
        XCTAssertGreaterThan(size, 0, "the child should have written data before it was killed")
    }
}
