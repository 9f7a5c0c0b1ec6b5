import CHDF5

/// A dataset: an n-D array of numbers or a 1-D array of strings. Axis 0 indexes rows; a row is
/// everything at one index of axis 0 (`shape[1...]` elements). Extendable datasets grow along
/// axis 0 by appending rows; any dataset can be read by row ranges (hyperslabs), so each MPI
/// rank can read only its shard.
public final class Dataset: Location {
    /// The current extent (empty for a scalar dataset).
    public var shape: [Int] {
        get throws {
            let space = try check(H5Dget_space(try openHandle()), "cannot read the dataset's shape")
            defer { H5Sclose(space) }
            return try extent(of: space)
        }
    }

    /// The number of rows: the current extent of axis 0.
    public var rowCount: Int {
        get throws {
            guard let rows = try shape.first else {
                throw error(.invalidArgument, "a scalar dataset has no rows")
            }
            return rows
        }
    }

    /// Whether reads verify a Fletcher-32 checksum of the stored data: true for chunked
    /// datasets this module writes, false for contiguous ones and for files written without it.
    public var isChecksummed: Bool {
        get throws {
            let creation = try check(H5Dget_create_plist(try openHandle()), "cannot read the dataset's creation properties")
            defer { H5Pclose(creation) }
            var flags: UInt32 = 0
            var valueCount = 0
            guard H5Pget_filter_by_id2(creation, H5Z_FILTER_FLETCHER32, &flags, &valueCount, nil, 0, nil, nil) >= 0 else {
                _ = Library.takeErrorStack()  // the filter is absent
                return false
            }
            return true
        }
    }

    // MARK: Numeric rows

    /// Reads the whole dataset in row-major order, converting integer widths or real precisions
    /// as needed (integers cannot be read as reals nor reals as integers).
    public func read<T: HDF5Scalar>(as type: T.Type) throws -> [T] {
        let shape = try shape
        guard let rows = shape.first else {
            try checkElementType(T.self)
            let dataset = try openHandle()
            return try [T](unsafeUninitializedCapacity: 1) { buffer, initialized in
                try check(H5Dread(dataset, T.scalarKind.nativeType, chdf5_all(), chdf5_all(), chdf5_default(), buffer.baseAddress!),
                          "cannot read the dataset")
                initialized = 1
            }
        }
        return try readRows(0..<rows, as: type)
    }

    /// Reads rows `range` (a hyperslab along axis 0) in row-major order. An empty range gives
    /// an empty array; a range outside `0..<rowCount` throws.
    public func readRows<T: HDF5Scalar>(_ range: Range<Int>, as type: T.Type) throws -> [T] {
        let shape = try shape
        let count = try elementCount(ofRows: range, shape: shape)
        return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = try readRows(range, into: buffer)
        }
    }

    /// Reads rows `range` into the start of `buffer`, which must hold at least the rows'
    /// elements (`range.count` × the product of `shape[1...]`); returns how many it wrote.
    @discardableResult
    public func readRows<T: HDF5Scalar>(_ range: Range<Int>, into buffer: UnsafeMutableBufferPointer<T>) throws -> Int {
        try checkElementType(T.self)
        return try withRowSelection(range) { fileSpace, memorySpace, elementCount in
            guard buffer.count >= elementCount else {
                throw error(.invalidArgument, "rows \(range) hold \(elementCount) elements but the buffer holds \(buffer.count)")
            }
            if elementCount > 0 {
                try check(H5Dread(try openHandle(), T.scalarKind.nativeType, memorySpace, fileSpace, chdf5_default(),
                                  buffer.baseAddress!), "cannot read rows \(range)")
            }
            return elementCount
        }
    }

    /// Reads the rows at the ascending, distinct indices `rows` into the start of `buffer`, in
    /// that order (so a rank reads exactly the rows of its shard, wherever they lie); returns how
    /// many elements it wrote.
    ///
    /// Time is linear in the rows. They are read in blocks of ``rowBlock`` consecutive rows: each
    /// block with one contiguous read from its first to its last wanted row, or, where fewer than
    /// one row in ``sparseReadRatio`` of that span is wanted (a rank's share on many ranks), with
    /// one read per row. (One HDF5 selection of all rows, built run by run with `H5S_SELECT_OR`,
    /// costs time quadratic in the runs: minutes for a 2-rank share of OQMD.)
    @discardableResult
    public func readRows<T: HDF5Scalar>(at rows: [Int], into buffer: UnsafeMutableBufferPointer<T>) throws -> Int {
        try checkElementType(T.self)
        let shape = try shape
        guard let rowTotal = shape.first else { throw error(.invalidArgument, "a scalar dataset has no rows") }
        let rowSize = shape.dropFirst().reduce(1, *)
        guard buffer.count >= rows.count * rowSize else {
            throw error(.invalidArgument, "\(rows.count) rows hold \(rows.count * rowSize) elements but the buffer holds \(buffer.count)")
        }
        for (index, row) in rows.enumerated() {
            guard row >= 0, row < rowTotal, index == 0 || row > rows[index - 1] else {
                throw error(.outOfRange, "row indices must ascend within 0..<\(rowTotal); got \(row) after "
                            + (index == 0 ? "the start" : "\(rows[index - 1])"))
            }
        }
        var span = UnsafeMutableBufferPointer<T>.allocate(capacity: 0)
        defer { span.deallocate() }
        var start = 0
        while start < rows.count {
            let first = rows[start]
            var end = start
            while end < rows.count, rows[end] < first + Self.rowBlock { end += 1 }
            let spanRows = rows[end - 1] - first + 1
            if (end - start) * Self.sparseReadRatio >= spanRows {
                if span.count < spanRows * rowSize {
                    span.deallocate()
                    span = .allocate(capacity: spanRows * rowSize)
                }
                try readRows(first ..< first + spanRows, into: span)
                for index in start ..< end {
                    let source = span.baseAddress! + (rows[index] - first) * rowSize
                    (buffer.baseAddress! + index * rowSize).update(from: source, count: rowSize)
                }
            } else {
                for index in start ..< end {
                    try readRows(rows[index] ..< rows[index] + 1,
                                 into: UnsafeMutableBufferPointer(rebasing: buffer[(index * rowSize)...]))
                }
            }
            start = end
        }
        return rows.count * rowSize
    }

    /// Rows per block of ``readRows(at:into:)``: 8,192 rows.
    static let rowBlock = 8192
    /// Below one wanted row in this many, ``readRows(at:into:)`` reads rows one by one instead
    /// of the whole span: one read of one row costs about 5 µs, a row of a span read about 2 µs
    /// (OQMD matrices, `matgan-dist bench --case data-epoch-load`).
    static let sparseReadRatio = 3

    /// Overwrites rows starting at `firstRow` with `rows` (a whole number of rows, row-major),
    /// within the current extent.
    public func writeRows<T: HDF5Scalar>(_ rows: UnsafeBufferPointer<T>, at firstRow: Int) throws {
        try checkElementType(T.self)
        let range = firstRow..<(firstRow + (try wholeRows(in: rows.count)))
        try withRowSelection(range) { fileSpace, memorySpace, elementCount in
            if elementCount > 0 {
                try check(H5Dwrite(try openHandle(), T.scalarKind.nativeType, memorySpace, fileSpace, chdf5_default(),
                                   rows.baseAddress!), "cannot write rows \(range)")
            }
        }
    }

    /// Appends `rows` (a whole number of rows, row-major) at the end of axis 0.
    public func append<T: HDF5Scalar>(_ rows: UnsafeBufferPointer<T>) throws {
        try checkElementType(T.self)
        try writeRows(rows, at: try extend(byRows: try wholeRows(in: rows.count)))
    }

    /// Appends `rows` (a whole number of rows, row-major) at the end of axis 0.
    public func append<T: HDF5Scalar>(_ rows: [T]) throws {
        try rows.withUnsafeBufferPointer { try append($0) }
    }

    // MARK: String rows

    /// Reads the whole 1-D string dataset (variable- or fixed-length strings).
    public func readStrings() throws -> [String] {
        try readStringRows(0..<rowCount)
    }

    /// Reads strings `range` of a 1-D string dataset.
    public func readStringRows(_ range: Range<Int>) throws -> [String] {
        let type = try storedType()
        defer { H5Tclose(type) }
        guard H5Tget_class(type) == H5T_STRING else {
            throw error(.typeMismatch, "dataset holds \(Library.describeType(type)), not strings")
        }
        let dataset = try openHandle()
        return try withRowSelection(range) { fileSpace, memorySpace, elementCount in
            guard let strings = Library.readStrings(storedType: type, count: elementCount, memorySpace: memorySpace,
                                                    read: { H5Dread(dataset, $0, memorySpace, fileSpace, chdf5_default(), $1) }) else {
                throw error(.libraryFailure, "cannot read strings \(range)", fromLibrary: true)
            }
            return strings
        }
    }

    /// Overwrites strings starting at `firstRow` in a 1-D variable-length string dataset, within
    /// the current extent.
    public func writeStringRows(_ values: [String], at firstRow: Int) throws {
        let type = try storedType()
        defer { H5Tclose(type) }
        guard H5Tget_class(type) == H5T_STRING, H5Tis_variable_str(type) > 0 else {
            throw error(.typeMismatch, "dataset holds \(Library.describeType(type)), not variable-length strings")
        }
        let dataset = try openHandle()
        let range = firstRow..<(firstRow + values.count)
        let memoryType = Library.variableStringType(characterSet: H5Tget_cset(type))
        defer { H5Tclose(memoryType) }
        try withRowSelection(range) { fileSpace, memorySpace, elementCount in
            guard elementCount > 0 else { return }
            let status = Library.withCStrings(values) {
                H5Dwrite(dataset, memoryType, memorySpace, fileSpace, chdf5_default(), $0.baseAddress!)
            }
            guard let status else { throw error(.invalidArgument, "strings cannot contain NUL characters") }
            try check(status, "cannot write strings \(range)")
        }
    }

    /// Appends strings at the end of a 1-D extendable variable-length string dataset.
    public func appendStrings(_ values: [String]) throws {
        if values.contains(where: { $0.utf8.contains(0) }) {
            throw error(.invalidArgument, "strings cannot contain NUL characters")
        }
        try writeStringRows(values, at: try extend(byRows: values.count))
    }

    // MARK: Helpers

    /// Writes the whole dataset from `buffer`, which holds exactly its element count.
    func writeAll<T: HDF5Scalar>(_ buffer: UnsafeBufferPointer<T>) throws {
        guard buffer.count > 0 else { return }
        try check(H5Dwrite(try openHandle(), T.scalarKind.nativeType, chdf5_all(), chdf5_all(), chdf5_default(), buffer.baseAddress!),
                  "cannot write the dataset")
    }

    /// The stored element type; the caller closes it.
    private func storedType() throws -> hid_t {
        try check(H5Dget_type(try openHandle()), "cannot read the dataset's element type")
    }

    /// Throws unless the stored elements convert to `T` (same class: integer or real).
    private func checkElementType<T: HDF5Scalar>(_ type: T.Type) throws {
        let stored = try storedType()
        defer { H5Tclose(stored) }
        guard H5Tget_class(stored) == T.scalarKind.typeClass else {
            throw error(.typeMismatch, "dataset holds \(Library.describeType(stored)), which cannot be read or written as \(T.scalarKind)")
        }
    }

    private func extent(of space: hid_t) throws -> [Int] {
        let rank = Int(try check(H5Sget_simple_extent_ndims(space), "cannot read the dataset's rank"))
        var dimensions = [hsize_t](repeating: 0, count: rank)
        try check(H5Sget_simple_extent_dims(space, &dimensions, nil), "cannot read the dataset's shape")
        return dimensions.map { Int($0) }
    }

    /// The number of rows `count` values make; throws unless they make a whole number of rows.
    private func wholeRows(in count: Int) throws -> Int {
        let shape = try shape
        guard !shape.isEmpty else { throw error(.invalidArgument, "a scalar dataset has no rows") }
        let rowSize = Library.elementCount(Array(shape.dropFirst()))
        guard rowSize > 0, count % rowSize == 0 else {
            throw error(.invalidArgument, "\(count) values are not a whole number of rows of \(rowSize) elements")
        }
        return count / rowSize
    }

    /// The number of elements in rows `range` of a dataset of `shape`; throws `.outOfRange`
    /// unless the rows lie within `0..<shape[0]`.
    private func elementCount(ofRows range: Range<Int>, shape: [Int]) throws -> Int {
        guard let rows = shape.first else { throw error(.invalidArgument, "a scalar dataset has no rows") }
        guard range.lowerBound >= 0, range.upperBound <= rows else {
            throw error(.outOfRange, "rows \(range.lowerBound)..<\(range.upperBound) are outside the dataset's \(rows) rows")
        }
        return range.count * Library.elementCount(Array(shape.dropFirst()))
    }

    /// Grows axis 0 by `rows` and returns the index of the first new row.
    private func extend(byRows rows: Int) throws -> Int {
        let space = try check(H5Dget_space(try openHandle()), "cannot read the dataset's shape")
        defer { H5Sclose(space) }
        let rank = Int(try check(H5Sget_simple_extent_ndims(space), "cannot read the dataset's rank"))
        guard rank > 0 else { throw error(.invalidArgument, "a scalar dataset has no rows") }
        var dimensions = [hsize_t](repeating: 0, count: rank)
        var maximumDimensions = dimensions
        try check(H5Sget_simple_extent_dims(space, &dimensions, &maximumDimensions), "cannot read the dataset's shape")
        let firstNewRow = Int(dimensions[0])
        guard rows > 0 else { return firstNewRow }
        dimensions[0] += hsize_t(rows)
        guard dimensions[0] <= maximumDimensions[0] else {
            throw error(.invalidArgument, "the dataset is not extendable: it holds at most \(maximumDimensions[0]) rows")
        }
        try check(H5Dset_extent(try openHandle(), &dimensions), "cannot extend the dataset to \(dimensions[0]) rows")
        return firstNewRow
    }

    /// Selects rows `range` in the file dataspace and a memory dataspace of the same shape, and calls
    /// `body(fileSpace, memorySpace, elementCount)`. Throws `.outOfRange` outside the extent.
    private func withRowSelection<Result>(
        _ range: Range<Int>, _ body: (hid_t, hid_t, Int) throws -> Result
    ) throws -> Result {
        let fileSpace = try check(H5Dget_space(try openHandle()), "cannot read the dataset's shape")
        defer { H5Sclose(fileSpace) }
        let shape = try extent(of: fileSpace)
        let elementCount = try elementCount(ofRows: range, shape: shape)
        var start = [hsize_t](repeating: 0, count: shape.count)
        start[0] = hsize_t(range.lowerBound)
        var count = shape.map { hsize_t($0) }
        count[0] = hsize_t(range.count)
        if range.isEmpty {
            try check(H5Sselect_none(fileSpace), "cannot select no rows")
        } else {
            try check(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &count, nil),
                      "cannot select rows \(range)")
        }
        // The memory dataspace has the selection's shape: HDF5 copies between same-shaped
        // selections a row at a time, but element by element between differently shaped ones.
        let memorySpace = try check(H5Screate_simple(Int32(count.count), &count, nil), "cannot create a dataspace")
        defer { H5Sclose(memorySpace) }
        return try body(fileSpace, memorySpace, elementCount)
    }
}
