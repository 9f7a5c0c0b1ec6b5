import CHDF5

/// The linked HDF5 library.
public enum HDF5Library {
    /// The library's version, e.g. "1.10.8".
    public static var version: String {
        var major: UInt32 = 0
        var minor: UInt32 = 0
        var release: UInt32 = 0
        Library.prepare()
        H5get_libversion(&major, &minor, &release)
        return "\(major).\(minor).\(release)"
    }
}
