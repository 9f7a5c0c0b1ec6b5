import Foundation
import HDF5
import TestSupport
import XCTest

/// Files written here must open in h5py and h5dump.
final class InteroperabilityTests: XCTestCase {
    private func writeSampleFile(_ path: String) throws {
        let file = try File.create(path)
        try file.write("energies", (0..<12).map { Float($0) / 4 }, shape: [3, 4], storage: .chunked(rows: 2, compression: 4))
        let compositions = try file.createExtendableDataset("compositions", of: UInt8.self, rowShape: [85, 8], chunkRows: 16)
        try compositions.append((0..<(5 * 85 * 8)).map { UInt8($0 % 251) })
        try file.write("counts", [1, 2, 3] as [Int64])
        try file.write("ids", [7, UInt64.max] as [UInt64])
        try file.writeStrings("formulas", ["NaCl", "Fe₂O₃"])
        try file.setAttribute("units", "eV/atom")
        try file.setAttribute("formula", "Cs₂AgBiBr₆")
        try file.setAttribute("elements", .stringArray(["H", "He", "Li"]))
        try file.setAttribute("seed", 42)
        try file.setAttribute("learning_rate", 1e-4)
        try file.setAttribute("shape", .int64Array([85, 8]))
        try compositions.setAttribute("encoding", "one-hot counts")
        try file.commit()
    }

    func testH5pyReadsValuesShapesTypesAndStringAttributes() throws {
        guard (try? CommandRunner.runProgram("python3", ["-c", "import h5py"]))?.exitCode == 0 else {
            throw XCTSkip("h5py is not installed (pip install h5py)")
        }
        let directory = try TemporaryDirectory()
        let path = directory.file("for-h5py.h5")
        try writeSampleFile(path)
        let script = """
        import sys, h5py, numpy as np
        with h5py.File(sys.argv[1], "r") as f:
            e = f["energies"]
            assert e.dtype == np.float32 and e.shape == (3, 4), (e.dtype, e.shape)
            assert np.array_equal(e[...], np.arange(12, dtype=np.float32).reshape(3, 4) / 4)
            assert e.compression == "gzip" and e.shuffle and e.fletcher32 and e.chunks == (2, 4), (e.compression, e.chunks)
            c = f["compositions"]
            assert c.dtype == np.uint8 and c.shape == (5, 85, 8) and c.maxshape == (None, 85, 8), (c.dtype, c.shape)
            assert c.fletcher32
            assert np.array_equal(c[...].ravel(), np.arange(5 * 85 * 8) % 251)
            assert c.attrs["encoding"] == "one-hot counts"
            assert f["counts"].dtype == np.int64 and list(f["counts"][...]) == [1, 2, 3]
            assert f["ids"].dtype == np.uint64 and list(f["ids"][...]) == [7, 2**64 - 1]
            assert [s for s in f["formulas"].asstr()[...]] == ["NaCl", "Fe₂O₃"]
            a = f.attrs
            assert isinstance(a["units"], str) and a["units"] == "eV/atom", repr(a["units"])
            assert isinstance(a["formula"], str) and a["formula"] == "Cs₂AgBiBr₆", repr(a["formula"])
            assert [str(s) for s in a["elements"]] == ["H", "He", "Li"], repr(a["elements"])
            assert all(isinstance(s, str) for s in a["elements"]), repr(a["elements"])
            assert a["seed"] == 42 and a["learning_rate"] == 1e-4 and list(a["shape"]) == [85, 8]
        print("ok")
        """
        let result = try CommandRunner.runProgram("python3", ["-c", script, path])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        XCTAssertEqual(result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines), "ok", result.standardError)
    }

    func testH5dumpReadsTheHeader() throws {
        guard (try? CommandRunner.runProgram("h5dump", ["--version"]))?.exitCode == 0 else {
            throw XCTSkip("h5dump is not installed (apt-get install hdf5-tools)")
        }
        let directory = try TemporaryDirectory()
        let path = directory.file("for-h5dump.h5")
        try writeSampleFile(path)
        let result = try CommandRunner.runProgram("h5dump", ["-H", path])
        XCTAssertEqual(result.exitCode, 0, result.standardError)
        for expected in ["DATASET \"compositions\"", "H5T_STD_U8LE", "SIMPLE { ( 5, 85, 8 ) / ( H5S_UNLIMITED, 85, 8 ) }",
                         "DATASET \"energies\"", "H5T_IEEE_F32LE", "ATTRIBUTE \"units\"", "H5T_CSET_UTF8"] {
            XCTAssertTrue(result.standardOutput.contains(expected), "h5dump -H output lacks \(expected):\n\(result.standardOutput)")
        }
    }
}
