import CHDF5
import HDF5
import XCTest

/// Every HDF5 identifier the module opens — files, groups, datasets, attributes, dataspaces,
/// datatypes, property lists — is closed again, on success and on error paths.
final class IdentifierLeakTests: XCTestCase {
    /// Makes and closes a throwaway identifier of one kind; identifiers of a kind are numbered
    /// in creation order, so any still-valid one between two probes was leaked in between.
    private let probes: [(kind: String, make: () -> hid_t, close: (hid_t) -> herr_t)] = [
        ("dataspace", { H5Screate(H5S_SCALAR) }, H5Sclose),
        ("datatype", { H5Tcopy(chdf5_native_int32()) }, H5Tclose),
        ("property list", { H5Pcreate(chdf5_dataset_create_plist()) }, H5Pclose),
    ]

    private func probeIdentifiers() -> [hid_t] {
        probes.map { probe in
            let identifier = probe.make()
            _ = probe.close(identifier)
            return identifier
        }
    }

    private func exerciseEveryOperation(in directory: TemporaryDirectory) throws {
        let path = directory.file("leaks.h5")
        let file = try File.create(path)
        let group = try file.createGroup("a/b")
        try group.write("x", (0..<12).map(Float.init), shape: [4, 3], storage: .chunked(rows: 2, compression: 3))
        try group.writeStrings("s", ["Fe₂O₃", "NaCl"])
        let rows = try file.createExtendableDataset("rows", of: UInt8.self, rowShape: [2], chunkRows: 4)
        try rows.append([1, 2, 3, 4] as [UInt8])
        let strings = try file.createExtendableStringDataset("strings", chunkRows: 4)
        try strings.appendStrings(["x", "y"])
        for value: AttributeValue in [7, 0.5, "eV", .int64Array([1]), .doubleArray([2]), .stringArray(["H"])] {
            try rows.setAttribute("a", value)
            XCTAssertEqual(try rows.attribute("a"), value)
        }
        _ = try file.attributeNames()
        _ = try file.memberNames()
        _ = try? rows.attribute("missing")
        _ = try? rows.readRows(0..<9, as: UInt8.self)
        _ = try? rows.read(as: Float.self)
        _ = try? file.openDataset("a")
        _ = try? file.createGroup("a/b")
        try file.commit()
        _ = try? rows.append([5, 6] as [UInt8])

        let reopened = try File.open(path, mode: .readWrite)
        XCTAssertEqual(try reopened.openGroup("a").openGroup("b").read("x", as: Double.self).count, 12)
        XCTAssertEqual(try reopened.openDataset("a/b/s").readStringRows(1..<2), ["NaCl"])
        try reopened.openDataset("strings").appendStrings(["z"])
        _ = try? File.open(directory.file("missing.h5"))
        try Data("text".utf8).write(to: URL(fileURLWithPath: directory.file("text.h5")))
        _ = try? File.open(directory.file("text.h5"))
        let discarded = try File.create(directory.file("discarded.h5"))
        try discarded.write("y", [1] as [Int32])
    }

    func testNoIdentifierOutlivesItsObject() throws {
        let directory = try TemporaryDirectory()
        // The first use of the library opens its predefined types; count from after that.
        _ = try? File.open(directory.file("warm-up.h5"))
        try File.create(directory.file("warm-up.h5")).commit()
        let before = probeIdentifiers()
        try exerciseEveryOperation(in: directory)
        let after = probeIdentifiers()
        for (index, probe) in probes.enumerated() {
            XCTAssertGreaterThan(after[index] - before[index], 1, "no \(probe.kind) was opened in between")
            let leaked = ((before[index] + 1)..<after[index]).filter { H5Iis_valid($0) > 0 }
            XCTAssertEqual(leaked.count, 0, "\(leaked.count) \(probe.kind) identifiers were never closed")
        }
        // Files, groups, datasets, named datatypes and attributes.
        XCTAssertEqual(H5Fget_obj_count(hid_t(chdf5_obj_all()), chdf5_obj_all()), 0)
    }
}
