import CHDF5

/// An open object in an HDF5 file — the file itself (its root group), a group or a dataset —
/// which can carry attributes. Each instance owns one HDF5 identifier and closes it exactly
/// once: when it is deinitialised, or earlier when its file is committed or discarded (using
/// the object after that throws `HDF5Error.Kind.closed`).
public class Location {
    enum HandleKind { case file, group, dataset }

    /// The HDF5 identifier; negative once closed.
    private(set) var handle: hid_t
    private let handleKind: HandleKind
    /// Path of the file this object lives in (the final path for files being created).
    public let filePath: String
    /// Absolute name of the object inside its file (`/` for the file's root group).
    public let name: String
    /// The file, kept alive while any of its objects is; nil for the file itself.
    let owner: File?

    init(handle: hid_t, kind: HandleKind, filePath: String, name: String, owner: File?) {
        self.handle = handle
        self.handleKind = kind
        self.filePath = filePath
        self.name = name
        self.owner = owner
        owner?.register(self)
    }

    deinit { closeHandle() }

    /// Closes the identifier if it is still open; returns false if HDF5 reported a failure.
    @discardableResult
    func closeHandle() -> Bool {
        guard handle >= 0 else { return true }
        let status: herr_t
        switch handleKind {
        case .file: status = H5Fclose(handle)
        case .group: status = H5Gclose(handle)
        case .dataset:
            // Closing writes the dataset's cached chunks, and a close that fails leaves a dangling
            // identifier (see `File.abandonWrites`). So they are written first, while the
            // identifier is valid, and a failure abandons the file's writes.
            if let owner, owner.isWritable, owner.writeFailure == nil, H5Dflush(handle) < 0 {
                owner.abandonWrites(error(.libraryFailure, "cannot write the dataset", fromLibrary: true))
            }
            status = H5Dclose(handle)
        }
        handle = -1
        return status >= 0
    }

    /// The identifier, or an error if the object's file has been committed or discarded, or
    /// has given up writing after a failed write (whose error is thrown again).
    func openHandle() throws -> hid_t {
        guard handle >= 0 else {
            throw error(.closed, "used after its file was committed or discarded")
        }
        if let failure = (owner ?? self as? File)?.writeFailure { throw failure }
        return handle
    }

    /// The absolute name of a child (or descendant, for relative paths) of this object.
    func childName(_ relative: String) -> String {
        if relative.hasPrefix("/") { return relative }
        return name == "/" ? "/" + relative : name + "/" + relative
    }

    /// An error about this object (or `object`); with `fromLibrary`, HDF5's error stack is
    /// taken, attached and searched for the cause (see `HDF5Error.init(libraryFailure:...)`).
    func error(_ kind: HDF5Error.Kind, _ message: String, object: String? = nil, fromLibrary: Bool = false) -> HDF5Error {
        fromLibrary
            ? HDF5Error(libraryFailure: message, kind: kind, path: filePath, object: object ?? name)
            : HDF5Error(kind: kind, path: filePath, object: object ?? name, message: message)
    }

    /// Throws an error carrying HDF5's error stack if `status` (an herr_t, htri_t or hid_t) is negative.
    @discardableResult
    func check<Status: BinaryInteger>(_ status: Status, _ message: @autoclosure () -> String, object: String? = nil) throws -> Status {
        if status < 0 { throw error(.libraryFailure, message(), object: object, fromLibrary: true) }
        return status
    }

    // MARK: Attributes

    /// Stores `value` as the attribute `attributeName`, replacing any attribute of that name.
    public func setAttribute(_ attributeName: String, _ value: AttributeValue) throws {
        let location = try openHandle()
        let object = name + "@" + attributeName
        if try check(H5Aexists(location, attributeName), "cannot check for the attribute", object: object) > 0 {
            try check(H5Adelete(location, attributeName), "cannot replace the attribute", object: object)
        }
        func create(type: hid_t, count: Int?, _ write: (hid_t, hid_t) -> herr_t) throws {
            var dimension = hsize_t(count ?? 1)
            let space = count == nil ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dimension, nil)
            defer { H5Sclose(space) }
            let attribute = try check(H5Acreate2(location, attributeName, type, space, chdf5_default(), chdf5_default()),
                                      "cannot create the attribute", object: object)
            defer { H5Aclose(attribute) }
            try check(write(attribute, type), "cannot write the attribute", object: object)
        }
        func createStrings(_ strings: [String], scalar: Bool) throws {
            let type = Library.variableStringType()
            defer { H5Tclose(type) }
            let written: Void? = try Library.withCStrings(strings) { pointers in
                try create(type: type, count: scalar ? nil : strings.count) { attribute, type in
                    strings.isEmpty ? 0 : H5Awrite(attribute, type, pointers.baseAddress!)
                }
            }
            if written == nil {
                throw error(.invalidArgument, "attribute strings cannot contain NUL characters", object: object)
            }
        }
        switch value {
        case .int64(var scalar):
            try create(type: chdf5_native_int64(), count: nil) { H5Awrite($0, $1, &scalar) }
        case .double(var scalar):
            try create(type: chdf5_native_double(), count: nil) { H5Awrite($0, $1, &scalar) }
        case .string(let string):
            try createStrings([string], scalar: true)
        case .int64Array(let values):
            try create(type: chdf5_native_int64(), count: values.count) { attribute, type in
                values.withUnsafeBytes { values.isEmpty ? 0 : H5Awrite(attribute, type, $0.baseAddress!) }
            }
        case .doubleArray(let values):
            try create(type: chdf5_native_double(), count: values.count) { attribute, type in
                values.withUnsafeBytes { values.isEmpty ? 0 : H5Awrite(attribute, type, $0.baseAddress!) }
            }
        case .stringArray(let strings):
            try createStrings(strings, scalar: false)
        }
    }

    /// The attribute `attributeName`: integers of any width read as `.int64`, reals as `.double`,
    /// variable- or fixed-length strings as `.string`; a scalar dataspace gives a scalar case,
    /// any other dataspace the flattened array case.
    public func attribute(_ attributeName: String) throws -> AttributeValue {
        let location = try openHandle()
        let object = name + "@" + attributeName
        guard try check(H5Aexists(location, attributeName), "cannot check for the attribute", object: object) > 0 else {
            throw error(.objectNotFound, "no attribute named '\(attributeName)'", object: object)
        }
        let attribute = try check(H5Aopen(location, attributeName, chdf5_default()), "cannot open the attribute", object: object)
        defer { H5Aclose(attribute) }
        let type = try check(H5Aget_type(attribute), "cannot read the attribute's type", object: object)
        defer { H5Tclose(type) }
        let space = try check(H5Aget_space(attribute), "cannot read the attribute's shape", object: object)
        defer { H5Sclose(space) }
        let isScalar = H5Sget_simple_extent_type(space) == H5S_SCALAR
        let count = Int(try check(H5Sget_simple_extent_npoints(space), "cannot read the attribute's shape", object: object))

        switch H5Tget_class(type) {
        case H5T_INTEGER:
            var values = [Int64](repeating: 0, count: count)
            if count > 0 {
                try check(values.withUnsafeMutableBytes { H5Aread(attribute, chdf5_native_int64(), $0.baseAddress!) },
                          "cannot read the attribute", object: object)
            }
            return isScalar ? .int64(values[0]) : .int64Array(values)
        case H5T_FLOAT:
            var values = [Double](repeating: 0, count: count)
            if count > 0 {
                try check(values.withUnsafeMutableBytes { H5Aread(attribute, chdf5_native_double(), $0.baseAddress!) },
                          "cannot read the attribute", object: object)
            }
            return isScalar ? .double(values[0]) : .doubleArray(values)
        case H5T_STRING:
            guard let strings = Library.readStrings(storedType: type, count: count, memorySpace: space,
                                                    read: { H5Aread(attribute, $0, $1) }) else {
                throw error(.libraryFailure, "cannot read the attribute", object: object, fromLibrary: true)
            }
            return isScalar ? .string(strings[0]) : .stringArray(strings)
        default:
            throw error(.typeMismatch, "attribute holds \(Library.describeType(type)), which is not supported", object: object)
        }
    }

    /// Names of this object's attributes, in name order.
    public func attributeNames() throws -> [String] {
        let location = try openHandle()
        var names: [String] = []
        try withUnsafeMutablePointer(to: &names) { namesPointer in
            _ = try check(H5Aiterate2(location, H5_INDEX_NAME, H5_ITER_INC, nil, { _, attributeName, _, clientData in
                guard let attributeName, let clientData else { return 0 }
                clientData.assumingMemoryBound(to: [String].self).pointee.append(String(cString: attributeName))
                return 0
            }, namesPointer), "cannot list attributes")
        }
        return names
    }
}
