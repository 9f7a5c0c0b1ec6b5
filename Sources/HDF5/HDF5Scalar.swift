import CHDF5

/// The numeric element types a dataset or attribute can hold.
public enum ScalarKind: Sendable, Equatable, CustomStringConvertible {
    case uint8, int32, int64, uint64, float, double

    public var description: String {
        switch self {
        case .uint8: "UInt8"
        case .int32: "Int32"
        case .int64: "Int64"
        case .uint64: "UInt64"
        case .float: "Float"
        case .double: "Double"
        }
    }

    /// The HDF5 native type id (memory layout of this machine; the same type is stored in files).
    var nativeType: hid_t {
        switch self {
        case .uint8: chdf5_native_uint8()
        case .int32: chdf5_native_int32()
        case .int64: chdf5_native_int64()
        case .uint64: chdf5_native_uint64()
        case .float: chdf5_native_float()
        case .double: chdf5_native_double()
        }
    }

    /// The HDF5 type class values of this kind can be converted from and to.
    var typeClass: H5T_class_t {
        switch self {
        case .uint8, .int32, .int64, .uint64: H5T_INTEGER
        case .float, .double: H5T_FLOAT
        }
    }
}

/// Element types storable in datasets: UInt8, Int32, Int64, UInt64, Float, Double.
public protocol HDF5Scalar: Sendable {
    /// Which HDF5 type values of this Swift type are stored as.
    static var scalarKind: ScalarKind { get }
}

extension UInt8: HDF5Scalar { public static var scalarKind: ScalarKind { .uint8 } }
extension Int32: HDF5Scalar { public static var scalarKind: ScalarKind { .int32 } }
extension Int64: HDF5Scalar { public static var scalarKind: ScalarKind { .int64 } }
extension UInt64: HDF5Scalar { public static var scalarKind: ScalarKind { .uint64 } }
extension Float: HDF5Scalar { public static var scalarKind: ScalarKind { .float } }
extension Double: HDF5Scalar { public static var scalarKind: ScalarKind { .double } }

/// How a dataset's elements are laid out in the file.
public enum DatasetStorage: Sendable, Equatable {
    /// One contiguous block: fastest to read whole, cannot be compressed, extended or checksummed.
    case contiguous
    /// Chunks of `rows` rows (axis 0), each filtered by shuffle + deflate at level
    /// `compression` (0-9) when `compression` is not nil, and carrying a Fletcher-32 checksum
    /// that every read verifies (a mismatch throws `HDF5Error.Kind.corruptData`). For
    /// variable-length strings the chunks hold references to the strings, whose characters
    /// HDF5 keeps in its global heap: the checksum covers the references, not the characters.
    case chunked(rows: Int, compression: Int?)
}
