import CHDF5
import HDF5
import XCTest

/// Files written by other tools: fixed-length strings and narrower attribute types, made here
/// through the C library directly.
final class ForeignFileTests: XCTestCase {
    /// Writes `strings` as fixed-length `width`-byte strings with `padding`, as dataset or attribute.
    private func writeFixedStrings(_ strings: [String], width: Int, padding: H5T_str_t, characterSet: H5T_cset_t,
                                   to location: hid_t, name: String, asAttribute: Bool) {
        let type = H5Tcopy(chdf5_c_s1())
        defer { H5Tclose(type) }
        H5Tset_size(type, width)
        H5Tset_strpad(type, padding)
        H5Tset_cset(type, characterSet)
        var bytes = [UInt8](repeating: padding == H5T_STR_SPACEPAD ? 0x20 : 0, count: strings.count * width)
        for (index, string) in strings.enumerated() {
            for (offset, byte) in string.utf8.prefix(width).enumerated() { bytes[index * width + offset] = byte }
        }
        var count = hsize_t(strings.count)
        let space = H5Screate_simple(1, &count, nil)
        defer { H5Sclose(space) }
        if asAttribute {
            let attribute = H5Acreate2(location, name, type, space, chdf5_default(), chdf5_default())
            XCTAssertGreaterThanOrEqual(H5Awrite(attribute, type, bytes), 0)
            H5Aclose(attribute)
        } else {
            let dataset = H5Dcreate2(location, name, type, space, chdf5_default(), chdf5_default(), chdf5_default())
            XCTAssertGreaterThanOrEqual(H5Dwrite(dataset, type, chdf5_all(), chdf5_all(), chdf5_default(), bytes), 0)
            H5Dclose(dataset)
        }
    }

    private func writeScalarAttribute<T: BitwiseCopyable>(_ value: T, type: hid_t, to location: hid_t, name: String) {
        var value = value
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let attribute = H5Acreate2(location, name, type, space, chdf5_default(), chdf5_default())
        XCTAssertGreaterThanOrEqual(H5Awrite(attribute, type, &value), 0)
        H5Aclose(attribute)
    }

    func testFixedLengthStringsAndNarrowAttributesAreRead() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("foreign.h5")
        let file = H5Fcreate(path, chdf5_acc_trunc(), chdf5_default(), chdf5_default())
        XCTAssertGreaterThanOrEqual(file, 0)
        writeFixedStrings(["NaCl", "Fe2O3", "LiFePO4x"], width: 8, padding: H5T_STR_NULLPAD, characterSet: H5T_CSET_ASCII,
                          to: file, name: "formulas", asAttribute: false)
        writeFixedStrings(["KCl", "MgO"], width: 6, padding: H5T_STR_SPACEPAD, characterSet: H5T_CSET_ASCII,
                          to: file, name: "padded", asAttribute: false)
        writeFixedStrings(["Fe₂O₃"], width: 16, padding: H5T_STR_NULLTERM, characterSet: H5T_CSET_UTF8,
                          to: file, name: "formula", asAttribute: true)
        writeScalarAttribute(Int32(-5), type: chdf5_native_int32(), to: file, name: "small")
        writeScalarAttribute(Float(0.25), type: chdf5_native_float(), to: file, name: "single")
        H5Fclose(file)

        let opened = try File.open(path)
        XCTAssertEqual(try opened.readStrings("formulas"), ["NaCl", "Fe2O3", "LiFePO4x"])
        XCTAssertEqual(try opened.openDataset("formulas").readStringRows(1..<3), ["Fe2O3", "LiFePO4x"])
        XCTAssertEqual(try opened.readStrings("padded"), ["KCl", "MgO"])
        XCTAssertEqual(try opened.attribute("formula"), .stringArray(["Fe₂O₃"]))
        XCTAssertEqual(try opened.attribute("small"), .int64(-5))
        XCTAssertEqual(try opened.attribute("single"), .double(0.25))
        assertHDF5Error(.typeMismatch, mentioning: [path, "/formulas", "not variable-length strings"]) {
            try opened.openDataset("formulas").writeStringRows(["x"], at: 0)
        }
    }
}
