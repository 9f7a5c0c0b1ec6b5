import CHDF5

/// A group: a container of named groups and datasets. `File` is its root group. Names may be
/// paths relative to this group (`"train/x"`) or absolute (`"/train/x"`); creating an object
/// creates missing intermediate groups.
public class Group: Location {
    /// The file this group lives in.
    var file: File { owner ?? unsafeDowncast(self, to: File.self) }

    /// Creates the group `groupName` (and any missing intermediate groups).
    public func createGroup(_ groupName: String) throws -> Group {
        let parent = try openHandle()
        let object = childName(groupName)
        try checkNameIsFree(groupName, object: object)
        let links = try intermediateGroupLinkList()
        defer { H5Pclose(links) }
        let group = try check(H5Gcreate2(parent, groupName, links, chdf5_default(), chdf5_default()),
                              "cannot create the group", object: object)
        return Group(handle: group, kind: .group, filePath: filePath, name: object, owner: file)
    }

    /// Opens the existing group `groupName`.
    public func openGroup(_ groupName: String) throws -> Group {
        let parent = try openHandle()
        let object = childName(groupName)
        guard contains(groupName) else { throw error(.objectNotFound, "no group of this name", object: object) }
        let group = try check(H5Gopen2(parent, groupName, chdf5_default()), "cannot open it as a group", object: object)
        return Group(handle: group, kind: .group, filePath: filePath, name: object, owner: file)
    }

    /// Whether a link named `path` exists (every intermediate group of the path must exist too).
    public func contains(_ path: String) -> Bool {
        guard let parent = try? openHandle() else { return false }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += (prefix.isEmpty || prefix == "/" ? "" : "/") + component
            if H5Lexists(parent, prefix, chdf5_default()) <= 0 {
                _ = Library.takeErrorStack()
                return false
            }
        }
        return !prefix.isEmpty && prefix != "/"
    }

    /// Names of the links (groups and datasets) directly in this group, in name order.
    public func memberNames() throws -> [String] {
        let group = try openHandle()
        var names: [String] = []
        try withUnsafeMutablePointer(to: &names) { namesPointer in
            _ = try check(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nil, { _, memberName, _, clientData in
                guard let memberName, let clientData else { return 0 }
                clientData.assumingMemoryBound(to: [String].self).pointee.append(String(cString: memberName))
                return 0
            }, namesPointer), "cannot list the group's members")
        }
        return names
    }

    // MARK: Numeric datasets

    /// Writes `values` as a new dataset of the given shape (default: 1-D of `values.count`;
    /// `[]` for a scalar), in row-major order.
    public func write<T: HDF5Scalar>(_ datasetName: String, _ values: [T], shape: [Int]? = nil,
                                     storage: DatasetStorage = .contiguous) throws {
        try values.withUnsafeBufferPointer {
            try write(datasetName, buffer: $0, shape: shape ?? [values.count], storage: storage)
        }
    }

    /// Writes `buffer` as a new dataset of the given shape, in row-major order.
    public func write<T: HDF5Scalar>(_ datasetName: String, buffer: UnsafeBufferPointer<T>, shape: [Int],
                                     storage: DatasetStorage = .contiguous) throws {
        let object = childName(datasetName)
        guard shape.allSatisfy({ $0 >= 0 }), Library.elementCount(shape) == buffer.count else {
            throw error(.invalidArgument, "shape \(shape) does not hold \(buffer.count) values", object: object)
        }
        let dataset = try createDataset(datasetName, type: T.scalarKind.nativeType, shape: shape,
                                        extendable: false, storage: storage)
        try dataset.writeAll(buffer)
    }

    /// Creates an empty dataset of shape `[0] + rowShape` that grows along axis 0 by
    /// `Dataset.append`, stored in chunks of `chunkRows` rows, shuffled and deflated at level
    /// `compression` unless it is nil.
    public func createExtendableDataset<T: HDF5Scalar>(_ datasetName: String, of type: T.Type, rowShape: [Int],
                                                       chunkRows: Int, compression: Int? = 4) throws -> Dataset {
        try createDataset(datasetName, type: T.scalarKind.nativeType, shape: [0] + rowShape, extendable: true,
                          storage: .chunked(rows: chunkRows, compression: compression))
    }

    /// Reads the whole dataset `datasetName` in row-major order, converting integer widths or
    /// real precisions as needed (integers cannot be read as reals nor reals as integers).
    public func read<T: HDF5Scalar>(_ datasetName: String, as type: T.Type) throws -> [T] {
        try openDataset(datasetName).read(as: type)
    }

    // MARK: String datasets

    /// Writes `values` as a new 1-D dataset of variable-length UTF-8 strings.
    public func writeStrings(_ datasetName: String, _ values: [String], storage: DatasetStorage = .contiguous) throws {
        let type = Library.variableStringType()
        defer { H5Tclose(type) }
        let dataset = try createDataset(datasetName, type: type, shape: [values.count], extendable: false, storage: storage)
        try dataset.writeStringRows(values, at: 0)
    }

    /// Creates an empty 1-D dataset of variable-length UTF-8 strings that grows by
    /// `Dataset.appendStrings`, stored in chunks of `chunkRows` strings.
    public func createExtendableStringDataset(_ datasetName: String, chunkRows: Int,
                                              compression: Int? = 4) throws -> Dataset {
        let type = Library.variableStringType()
        defer { H5Tclose(type) }
        return try createDataset(datasetName, type: type, shape: [0], extendable: true,
                                 storage: .chunked(rows: chunkRows, compression: compression))
    }

    /// Reads the whole 1-D string dataset `datasetName` (variable- or fixed-length strings).
    public func readStrings(_ datasetName: String) throws -> [String] {
        try openDataset(datasetName).readStrings()
    }

    // MARK: Opening datasets

    /// Opens the existing dataset `datasetName`.
    public func openDataset(_ datasetName: String) throws -> Dataset {
        let parent = try openHandle()
        let object = childName(datasetName)
        guard contains(datasetName) else { throw error(.objectNotFound, "no dataset of this name", object: object) }
        let dataset = try check(H5Dopen2(parent, datasetName, chdf5_default()), "cannot open it as a dataset", object: object)
        return Dataset(handle: dataset, kind: .dataset, filePath: filePath, name: object, owner: file)
    }

    // MARK: Helpers

    private func checkNameIsFree(_ childPath: String, object: String) throws {
        if contains(childPath) { throw error(.invalidArgument, "an object of this name already exists", object: object) }
    }

    /// A link-creation property list that creates missing intermediate groups; the caller closes it.
    private func intermediateGroupLinkList() throws -> hid_t {
        let links = try check(H5Pcreate(chdf5_link_create_plist()), "cannot create a property list")
        H5Pset_create_intermediate_group(links, 1)
        return links
    }

    /// Creates a dataset of element type `type` and shape `shape`; when `extendable`, axis 0 is
    /// unlimited (the storage must be chunked).
    private func createDataset(_ datasetName: String, type: hid_t, shape: [Int], extendable: Bool,
                               storage: DatasetStorage) throws -> Dataset {
        let parent = try openHandle()
        let object = childName(datasetName)
        try checkNameIsFree(datasetName, object: object)
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw error(.invalidArgument, "shape \(shape) has a negative extent", object: object)
        }
        let creation = try check(H5Pcreate(chdf5_dataset_create_plist()), "cannot create a property list", object: object)
        defer { H5Pclose(creation) }
        if case .chunked(let rows, let compression) = storage {
            guard !shape.isEmpty, rows > 0, shape.dropFirst().allSatisfy({ $0 > 0 }) else {
                throw error(.invalidArgument,
                            "chunked storage needs at least one axis, chunkRows > 0 and non-empty rows (shape \(shape), chunk rows \(rows))",
                            object: object)
            }
            var chunk = shape.map { hsize_t($0) }
            chunk[0] = hsize_t(extendable ? rows : max(1, min(rows, shape[0])))
            try check(H5Pset_chunk(creation, Int32(chunk.count), &chunk), "cannot set the chunk shape \(chunk)", object: object)
            if let level = compression {
                guard (0...9).contains(level) else {
                    throw error(.invalidArgument, "compression level \(level) is not in 0...9", object: object)
                }
                try check(H5Pset_shuffle(creation), "cannot enable the shuffle filter", object: object)
                try check(H5Pset_deflate(creation, UInt32(level)), "cannot enable deflate compression", object: object)
            }
            // Last in the pipeline, so a read checks the stored bytes before inflating them. HDF5
            // accepts filters on variable-length strings only as optional ones.
            try check(H5Tis_variable_str(type) > 0
                          ? H5Pset_filter(creation, H5Z_FILTER_FLETCHER32, UInt32(H5Z_FLAG_OPTIONAL), 0, nil)
                          : H5Pset_fletcher32(creation),
                      "cannot enable the Fletcher-32 checksum", object: object)
        } else if extendable {
            throw error(.invalidArgument, "an extendable dataset needs chunked storage", object: object)
        }

        var dimensions = shape.map { hsize_t($0) }
        var maximumDimensions = dimensions
        if extendable { maximumDimensions[0] = chdf5_unlimited() }
        let space = shape.isEmpty
            ? H5Screate(H5S_SCALAR)
            : H5Screate_simple(Int32(shape.count), &dimensions, &maximumDimensions)
        try check(space, "cannot create a dataspace of shape \(shape)", object: object)
        defer { H5Sclose(space) }
        let links = try intermediateGroupLinkList()
        defer { H5Pclose(links) }
        let dataset = try check(H5Dcreate2(parent, datasetName, type, space, links, creation, chdf5_default()),
                                "cannot create the dataset", object: object)
        return Dataset(handle: dataset, kind: .dataset, filePath: filePath, name: object, owner: file)
    }
}
