import CHDF5
import Foundation
import HDF5
import TestSupport
import XCTest

/// Checksums, a full disk and stale temporary files: damage is reported as such, a writer out
/// of space fails with an error instead of a crash and leaves the file it replaces intact, and
/// temporary files of dead writers are cleaned up.
final class IntegrityTests: XCTestCase {
    // MARK: Checksums

    func testFlippedBytesAreReportedAsCorruptDataNamingFileAndDataset() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("checked.h5")
        let values = (0..<100_000).map { Float($0) * 0.25 + 0.125 }
        let file = try File.create(path)
        try file.createGroup("weights").write("w", values, storage: .chunked(rows: 16_384, compression: nil))
        try file.commit()
        // 100 bytes of the third chunk, found by their values.
        try invertBytes(values[40_000 ..< 40_025].withUnsafeBytes { Array($0) }, inFileAt: path)

        let dataset = try File.open(path).openDataset("weights/w")
        XCTAssertTrue(try dataset.isChecksummed)
        let fragments = [path, "/weights/w", "the data is corrupt (checksum mismatch)"]
        assertHDF5Error(.corruptData, mentioning: fragments) { try dataset.read(as: Float.self) }
        assertHDF5Error(.corruptData, mentioning: fragments) { try dataset.readRows(40_100 ..< 40_101, as: Double.self) }
        var shard = [Float](repeating: 0, count: 3)
        assertHDF5Error(.corruptData, mentioning: fragments) {
            try shard.withUnsafeMutableBufferPointer { try dataset.readRows(at: [5, 40_000, 90_000], into: $0) }
        }
        // Only the damaged chunk fails.
        XCTAssertEqual(try dataset.readRows(0 ..< 32_768, as: Float.self), Array(values[0 ..< 32_768]))
        XCTAssertEqual(try dataset.readRows(49_152 ..< 100_000, as: Float.self), Array(values[49_152...]))
    }

    func testFlippedBytesInCompressedChunksAreReportedAsCorruptData() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("compressed.h5")
        let rows = (0..<50_000).flatMap { row in (0..<8).map { UInt8(truncatingIfNeeded: row * 31 + $0 * 7) } }
        let file = try File.create(path)
        let dataset = try file.createExtendableDataset("rows", of: UInt8.self, rowShape: [8], chunkRows: 4096)
        try dataset.append(rows)
        try file.commit()
        let chunk = try chunkLocation(path: path, dataset: "rows", firstRow: 3 * 4096)
        XCTAssertGreaterThan(chunk.size, 200)
        try flip(100, bytesAt: chunk.offset + chunk.size / 2, inFileAt: path)

        let reopened = try File.open(path).openDataset("rows")
        assertHDF5Error(.corruptData, mentioning: [path, "/rows", "checksum mismatch"]) {
            try reopened.readRows(3 * 4096 ..< 3 * 4096 + 1, as: UInt8.self)
        }
        XCTAssertEqual(try reopened.readRows(0 ..< 3 * 4096, as: UInt8.self), Array(rows[0 ..< 3 * 4096 * 8]))
    }

    /// Files written before datasets carried checksums (contiguous, or chunked without the
    /// Fletcher-32 filter) read as before.
    func testFilesWithoutChecksumsStillRead() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("unchecked.h5")
        let file = try File.create(path)
        try file.write("contiguous", [1, 2, 3] as [Int64])
        try file.commit()
        // A chunked, deflated dataset as the module wrote it before: no Fletcher-32 filter.
        let handle = H5Fopen(path, chdf5_acc_rdwr(), chdf5_default())
        var extent: hsize_t = 10, chunk: hsize_t = 4
        let space = H5Screate_simple(1, &extent, nil)
        let creation = H5Pcreate(chdf5_dataset_create_plist())
        H5Pset_chunk(creation, 1, &chunk)
        H5Pset_deflate(creation, 4)
        let raw = H5Dcreate2(handle, "chunked", chdf5_native_double(), space, chdf5_default(), creation, chdf5_default())
        let values = (0..<10).map(Double.init)
        XCTAssertGreaterThanOrEqual(values.withUnsafeBytes {
            H5Dwrite(raw, chdf5_native_double(), chdf5_all(), chdf5_all(), chdf5_default(), $0.baseAddress)
        }, 0)
        H5Dclose(raw)
        H5Pclose(creation)
        H5Sclose(space)
        XCTAssertGreaterThanOrEqual(H5Fclose(handle), 0)

        let reopened = try File.open(path)
        XCTAssertEqual(try reopened.read("contiguous", as: Int64.self), [1, 2, 3])
        XCTAssertEqual(try reopened.read("chunked", as: Double.self), values)
        XCTAssertFalse(try reopened.openDataset("contiguous").isChecksummed)
        XCTAssertFalse(try reopened.openDataset("chunked").isChecksummed)
    }

    // MARK: Running out of space

    /// A writer that runs out of space on a 2 MiB tmpfs — while writing a dataset, while
    /// closing it, while appending — throws `.noSpace` saying so, leaves the file it was to
    /// replace intact and no temporary file, and closes every identifier: HDF5's library
    /// shutdown (which crashed on the identifier of a failed close) runs cleanly after it.
    func testWriterOutOfSpaceFailsCleanly() throws {
        let small = try SmallFileSystem(megabytes: 2)
        let reports = try TemporaryDirectory()
        let path = small.file("out.h5")
        try Data("previous contents".utf8).write(to: URL(fileURLWithPath: path))
        let megabyte = [Float](repeating: 1.5, count: 1 << 18)
        let writers: [(name: String, write: (File) throws -> Void)] = [
            ("contiguous", { try $0.write("x", [Float](repeating: 2.5, count: 1 << 20)) }),
            ("chunked", { try $0.write("x", [Float](repeating: 2.5, count: 1 << 20), storage: .chunked(rows: 1 << 16, compression: nil)) }),
            // Strings go to HDF5's heap, whose failed flush left the close failing and the
            // shutdown crashing before the fix.
            ("strings", { try $0.writeStrings("x", (0..<100_000).map { "composition \($0)" }, storage: .chunked(rows: 4096, compression: 4)) }),
            ("appended", { file in
                let dataset = try file.createExtendableDataset("x", of: Float.self, rowShape: [], chunkRows: 1 << 16, compression: nil)
                for _ in 0..<4 { try dataset.append(megabyte) }
            }),
        ]
        for (name, write) in writers {
            let report = reports.file(name)
            let child = fork()
            XCTAssertGreaterThanOrEqual(child, 0, "fork failed")
            if child == 0 {
                var outcome = "committed"
                do {
                    let file = try File.create(path)
                    try write(file)
                    try file.commit()
                } catch let error as HDF5Error {
                    outcome = "\(error.kind)\n\(error)"
                } catch {
                    outcome = "\(error)"
                }
                try? outcome.write(toFile: report, atomically: false, encoding: .utf8)
                H5close()  // what HDF5's exit handler does
                _exit(0)
            }
            var status: Int32 = 0
            XCTAssertEqual(waitpid(child, &status, 0), child)
            XCTAssertEqual(status, 0, "\(name): the writer should exit normally (wait status \(status), signal \(status & 0x7f))")
            let outcome = try String(contentsOfFile: report, encoding: .utf8)
            XCTAssertTrue(outcome.hasPrefix("noSpace\n"), "\(name): \(outcome)")
            XCTAssertTrue(outcome.contains("HDF5 error in \(path)") && outcome.contains("no space left on device"), "\(name): \(outcome)")
            XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "previous contents", name)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: small.path), ["out.h5"], name)
        }
    }

    func testReadOnlyFileSystemIsNamedInTheError() throws {
        let small = try SmallFileSystem(megabytes: 1)
        try small.makeReadOnly()
        let path = small.file("out.h5")
        assertHDF5Error(.libraryFailure, mentioning: [path, "cannot create the file", "read-only file system"]) { try File.create(path) }
    }

    func testCreateRefusesAFileSystemWithLessSpaceThanExpected() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("huge.h5")
        assertHDF5Error(.noSpace, mentioning: [path, "not enough free space for the file: it needs about", "free"]) {
            try File.create(path, expectedSize: 1 << 60)
        }
        XCTAssertEqual(try directory.entries(), [])
        let file = try File.create(path, expectedSize: 1 << 10)
        try file.commit()
    }

    // MARK: Stale temporary files

    func testCreateRemovesTemporaryFilesOfDeadWritersOnly() throws {
        let dead: pid_t = 999_999
        guard kill(dead, 0) != 0, errno == ESRCH else { throw XCTSkip("process \(dead) exists on this host") }
        let directory = try TemporaryDirectory()
        let names = ["x.h5.tmp-\(dead)", "y.h5.tmp-\(dead)-9f3a", "live.h5.tmp-\(getpid())", "init.h5.tmp-1",
                     "locked.h5.tmp-\(dead)", "notes.tmp-draft", "x.h5"]
        for name in names { try Data("partial".utf8).write(to: URL(fileURLWithPath: directory.file(name))) }
        // A lock on the file, as HDF5 keeps on a file it writes: a writer on another host.
        let locked = open(directory.file("locked.h5.tmp-\(dead)"), O_RDONLY)
        XCTAssertEqual(flock(locked, LOCK_EX), 0)
        defer { close(locked) }

        let file = try File.create(directory.file("new.h5"))
        try file.commit()
        XCTAssertEqual(try directory.entries(), ["init.h5.tmp-1", "live.h5.tmp-\(getpid())", "locked.h5.tmp-\(dead)", "new.h5",
                                                 "notes.tmp-draft", "x.h5"])
    }

    // MARK: Helpers

    /// The file offset and stored size of the chunk of a 2-D dataset that starts at row `firstRow`, from HDF5.
    private func chunkLocation(path: String, dataset: String, firstRow: Int) throws -> (offset: Int, size: Int) {
        let file = H5Fopen(path, chdf5_acc_rdonly(), chdf5_default())
        defer { H5Fclose(file) }
        let handle = H5Dopen2(file, dataset, chdf5_default())
        defer { H5Dclose(handle) }
        var start: [hsize_t] = [hsize_t(firstRow), 0]
        var filterMask: UInt32 = 0
        var address: haddr_t = 0
        var size: hsize_t = 0
        XCTAssertGreaterThanOrEqual(H5Dget_chunk_info_by_coord(handle, &start, &filterMask, &address, &size), 0)
        return (Int(address), Int(size))
    }

    /// Inverts `count` bytes at `offset` of the file at `path`.
    private func flip(_ count: Int, bytesAt offset: Int, inFileAt path: String) throws {
        var contents = try Data(contentsOf: URL(fileURLWithPath: path))
        for index in offset ..< offset + count { contents[index] ^= 0xff }
        try contents.write(to: URL(fileURLWithPath: path))
    }
}
