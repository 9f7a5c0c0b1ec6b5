import HDF5
import XCTest

final class RoundTripTests: XCTestCase {
    /// Writes `values` with `shape` and `storage`, and checks the committed file gives them back.
    private func assertRoundTrip<T: HDF5Scalar & Equatable>(
        _ values: [T], shape: [Int], storage: DatasetStorage = .contiguous, line: UInt = #line
    ) throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("values.h5")
        let file = try File.create(path)
        try file.write("values", values, shape: shape, storage: storage)
        try file.commit()

        let reopened = try File.open(path)
        XCTAssertEqual(try reopened.read("values", as: T.self), values, line: line)
        XCTAssertEqual(try reopened.openDataset("values").shape, shape, line: line)
    }

    func testUInt8RoundTrips() throws {
        try assertRoundTrip([0, 1, 127, 128, 254, 255] as [UInt8], shape: [2, 3])
    }

    func testInt32RoundTrips() throws {
        try assertRoundTrip([.min, -1, 0, 1, .max, 12345] as [Int32], shape: [3, 2])
    }

    func testInt64RoundTrips() throws {
        try assertRoundTrip([.min, -1, 0, 1, .max, 1 << 40] as [Int64], shape: [2, 1, 3])
    }

    func testUInt64RoundTrips() throws {
        try assertRoundTrip([0, 1, 1 << 63, .max] as [UInt64], shape: [4])
    }

    func testFloatRoundTripsThroughCompressedChunks() throws {
        let values: [Float] = (0..<600).map { Float($0) * 0.37 - 50 } + [.pi, -0, .greatestFiniteMagnitude,
                                                                       .leastNonzeroMagnitude, .infinity, -.infinity]
        try assertRoundTrip(values, shape: [101, 6], storage: .chunked(rows: 16, compression: 6))
    }

    func testDoubleRoundTripsAsScalarAndAsChunksWithoutCompression() throws {
        try assertRoundTrip([Double.pi], shape: [])
        try assertRoundTrip((0..<24).map { Double($0) / 7 }, shape: [4, 3, 2], storage: .chunked(rows: 3, compression: nil))
    }

    func testEmptyDatasetRoundTrips() throws {
        try assertRoundTrip([Float](), shape: [0, 4])
    }

    func testStringsRoundTripIncludingUnicode() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("strings.h5")
        let strings = ["", "NaCl", "Fe₂O₃", "Cs₂AgBiBr₆ — elpasolite", "日本語 🧪", String(repeating: "Li", count: 5000)]
        let file = try File.create(path)
        try file.writeStrings("formulas", strings)
        try file.writeStrings("none", [])
        try file.commit()

        let reopened = try File.open(path)
        XCTAssertEqual(try reopened.readStrings("formulas"), strings)
        XCTAssertEqual(try reopened.openDataset("formulas").readStringRows(2..<4), Array(strings[2..<4]))
        XCTAssertEqual(try reopened.readStrings("none"), [])
    }

    func testStringsWithNULAreRejected() throws {
        let directory = try TemporaryDirectory()
        let file = try File.create(directory.file("nul.h5"))
        assertHDF5Error(.invalidArgument, mentioning: ["/bad", "NUL"]) { try file.writeStrings("bad", ["a\u{0}b"]) }
    }

    func testIntegerWidthsConvertButIntegersAndRealsDoNotMix() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("convert.h5")
        let file = try File.create(path)
        try file.write("small", [-3, 0, 7] as [Int32])
        try file.write("reals", [0.5, 1.5] as [Float])
        try file.writeStrings("words", ["a"])
        try file.commit()

        let reopened = try File.open(path)
        XCTAssertEqual(try reopened.read("small", as: Int64.self), [-3, 0, 7])
        XCTAssertEqual(try reopened.read("reals", as: Double.self), [0.5, 1.5])
        assertHDF5Error(.typeMismatch, mentioning: [path, "/small", "int32", "Float"]) {
            try reopened.read("small", as: Float.self)
        }
        assertHDF5Error(.typeMismatch, mentioning: ["/reals", "float32", "Int32"]) { try reopened.read("reals", as: Int32.self) }
        assertHDF5Error(.typeMismatch, mentioning: ["/words", "string"]) { try reopened.read("words", as: UInt8.self) }
        assertHDF5Error(.typeMismatch, mentioning: ["/small", "not strings"]) { try reopened.readStrings("small") }
    }

    func testShapeMustMatchValueCount() throws {
        let directory = try TemporaryDirectory()
        let file = try File.create(directory.file("shape.h5"))
        assertHDF5Error(.invalidArgument, mentioning: ["/x", "[2, 2]", "3 values"]) {
            try file.write("x", [1, 2, 3] as [Int32], shape: [2, 2])
        }
        assertHDF5Error(.invalidArgument, mentioning: ["/y", "compression level 12"]) {
            try file.write("y", [1, 2, 3] as [Int32], storage: .chunked(rows: 2, compression: 12))
        }
    }

    func testGroupsNestAndListTheirMembers() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("groups.h5")
        let file = try File.create(path)
        let train = try file.createGroup("splits/train")
        try train.write("x", [1, 2] as [UInt8])
        try file.write("splits/test/x", [3] as [UInt8])
        assertHDF5Error(.invalidArgument, mentioning: ["/splits/train/x", "already exists"]) {
            try train.write("x", [9] as [UInt8])
        }
        try file.commit()

        let reopened = try File.open(path)
        XCTAssertTrue(reopened.contains("splits"))
        XCTAssertTrue(reopened.contains("splits/train/x"))
        XCTAssertTrue(reopened.contains("/splits/test"))
        XCTAssertFalse(reopened.contains("splits/validation"))
        XCTAssertFalse(reopened.contains("splits/train/x/deeper"))
        XCTAssertFalse(reopened.contains("nothing/here"))
        let splits = try reopened.openGroup("splits")
        XCTAssertEqual(splits.name, "/splits")
        XCTAssertEqual(try splits.memberNames(), ["test", "train"])
        XCTAssertEqual(try splits.openGroup("train").read("x", as: UInt8.self), [1, 2])
        XCTAssertEqual(try reopened.read("/splits/test/x", as: UInt8.self), [3])
        assertHDF5Error(.objectNotFound, mentioning: [path, "/splits/validation"]) { try reopened.openGroup("splits/validation") }
        assertHDF5Error(.objectNotFound, mentioning: [path, "/missing"]) { try reopened.openDataset("missing") }
        assertHDF5Error(.libraryFailure, mentioning: [path, "/splits", "as a dataset"]) { try reopened.openDataset("splits") }
    }

    func testAttributesRoundTripOnFileGroupAndDataset() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("attributes.h5")
        let values: [String: AttributeValue] = [
            "count": .int64(-42),
            "scale": .double(0.125),
            "units": .string("eV/atom"),
            "formula": .string("Fe₂O₃ · 日本 🧪"),
            "empty": .string(""),
            "shape": .int64Array([85, 8]),
            "weights": .doubleArray([0.5, -1e300, 3]),
            "elements": .stringArray(["H", "He", "Li", "Ünïcödé"]),
            "noIntegers": .int64Array([]),
            "noStrings": .stringArray([]),
        ]
        let file = try File.create(path)
        let group = try file.createGroup("model")
        try file.write("data", [1.0, 2.0] as [Double])
        let dataset = try file.openDataset("data")
        for location in [file, group, dataset] as [Location] {
            for (name, value) in values { try location.setAttribute(name, value) }
        }
        try file.setAttribute("count", 7)  // replaces the earlier value
        try file.setAttribute("source", "OQMD")
        try file.setAttribute("version", 1.5)
        try file.commit()

        let reopened = try File.open(path)
        for location in [reopened, try reopened.openGroup("model"), try reopened.openDataset("data")] as [Location] {
            XCTAssertEqual(try location.attributeNames(), location === reopened
                           ? (Array(values.keys) + ["source", "version"]).sorted() : values.keys.sorted())
            for (name, value) in values where !(location === reopened && name == "count") {
                XCTAssertEqual(try location.attribute(name), value, "\(location.name)@\(name)")
            }
        }
        XCTAssertEqual(try reopened.attribute("count").int64Value, 7)
        XCTAssertEqual(try reopened.attribute("count").intValue, 7)
        XCTAssertEqual(try reopened.attribute("source").stringValue, "OQMD")
        XCTAssertEqual(try reopened.attribute("version").doubleValue, 1.5)
        XCTAssertNil(try reopened.attribute("version").stringValue)
        XCTAssertEqual(try reopened.attribute("shape").int64ArrayValue, [85, 8])
        XCTAssertEqual(try reopened.attribute("elements").stringArrayValue?.count, 4)
        assertHDF5Error(.objectNotFound, mentioning: [path, "/data@missing"]) { try reopened.openDataset("data").attribute("missing") }
    }
}
