import CHDF5
import Foundation

/// Process-wide HDF5 set-up and the small pieces every object type shares.
enum Library {
    /// Opens the library and turns off its printing of error stacks to stderr: failures are
    /// reported as `HDF5Error`s instead. The setting lives in the calling thread's error stack
    /// (the library is built thread-safe), so this runs on every file open/create.
    ///
    /// The library's exit handler is not installed: it closes every identifier still open, and
    /// in HDF5 1.10 one whose close failed points at freed memory and crashes the process at
    /// exit. `File.abandonWrites` keeps closes from failing; this is the backstop. Files are
    /// closed by commit, discard or deinit, so the handler has nothing else to do. (Once the
    /// library is initialised, `H5dont_atexit` does nothing.)
    static func prepare() {
        H5dont_atexit()
        H5open()
        H5Eset_auto2(chdf5_error_default(), nil, nil)
    }

    /// A system error number in words, as `strerror` says it but in lower case
    /// ("no space left on device").
    static func describeSystemError(_ code: Int32) -> String {
        let reason = String(cString: strerror(code))
        return reason.prefix(1).lowercased() + reason.dropFirst()
    }

    /// Takes the messages off the current thread's HDF5 error stack (outermost call first)
    /// and clears it.
    static func takeErrorStack() -> [String] {
        var messages: [String] = []
        withUnsafeMutablePointer(to: &messages) { messagesPointer in
            _ = H5Ewalk2(chdf5_error_default(), H5E_WALK_DOWNWARD, { _, error, clientData in
                guard let error, let clientData else { return 0 }
                let function = error.pointee.func_name.map { String(cString: $0) } ?? "?"
                // One line per message: the file drivers' messages contain line breaks.
                let description = error.pointee.desc.map { String(cString: $0) }?
                    .replacingOccurrences(of: "\n", with: " ") ?? ""
                clientData.assumingMemoryBound(to: [String].self).pointee
                    .append("\(function)(): \(description)")
                return 0
            }, messagesPointer)
        }
        H5Eclear2(chdf5_error_default())
        return messages
    }

    /// A variable-length, NUL-terminated string type in `characterSet` (UTF-8 unless reading a
    /// file that declares ASCII). The caller closes it.
    static func variableStringType(characterSet: H5T_cset_t = H5T_CSET_UTF8) -> hid_t {
        let type = H5Tcopy(chdf5_c_s1())
        H5Tset_size(type, chdf5_variable())
        H5Tset_cset(type, characterSet)
        H5Tset_strpad(type, H5T_STR_NULLTERM)
        return type
    }

    /// Product of a shape's extents (1 for a scalar's empty shape).
    static func elementCount(_ shape: [Int]) -> Int {
        shape.reduce(1, *)
    }

    /// Human-readable name of an HDF5 type, for error messages.
    static func describeType(_ type: hid_t) -> String {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + "\(size * 8)"
        case H5T_FLOAT: return "float\(size * 8)"
        case H5T_STRING: return H5Tis_variable_str(type) > 0 ? "variable-length string" : "string of \(size) bytes"
        case H5T_COMPOUND: return "compound"
        case H5T_ENUM: return "enum"
        case H5T_ARRAY: return "array"
        case H5T_VLEN: return "variable-length sequence"
        default: return "type class \(H5Tget_class(type).rawValue)"
        }
    }

    /// Calls `body` with NUL-terminated C copies of `values`, as HDF5 writes variable-length strings.
    /// Returns nil if a string contains a NUL character (it would be silently cut there).
    static func withCStrings<Result>(
        _ values: [String], _ body: (UnsafeBufferPointer<UnsafePointer<CChar>?>) throws -> Result
    ) rethrows -> Result? {
        if values.contains(where: { $0.utf8.contains(0) }) { return nil }
        var pointers: [UnsafePointer<CChar>?] = []
        pointers.reserveCapacity(values.count)
        defer { for pointer in pointers { free(UnsafeMutablePointer(mutating: pointer)) } }
        for value in values { pointers.append(UnsafePointer(strdup(value))) }
        return try pointers.withUnsafeBufferPointer { try body($0) }
    }

    /// Reads `count` strings of the (variable- or fixed-length) string type `storedType` with
    /// `read(memoryType, buffer)`, which fills the buffer for the selection the caller set up
    /// (`memorySpace` describes the buffer). Returns nil if the read fails; HDF5's error stack
    /// then says why.
    static func readStrings(
        storedType: hid_t, count: Int, memorySpace: hid_t, read: (hid_t, UnsafeMutableRawPointer) -> herr_t
    ) -> [String]? {
        if count == 0 { return [] }
        if H5Tis_variable_str(storedType) > 0 {
            let memoryType = variableStringType(characterSet: H5Tget_cset(storedType))
            defer { H5Tclose(memoryType) }
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            return pointers.withUnsafeMutableBufferPointer { buffer -> [String]? in
                guard read(memoryType, buffer.baseAddress!) >= 0 else { return nil }
                defer { H5Dvlen_reclaim(memoryType, memorySpace, chdf5_default(), buffer.baseAddress!) }
                return buffer.map { $0.map { String(cString: $0) } ?? "" }
            }
        }
        // Fixed-length strings are read in their stored form (HDF5 does not convert between
        // character sets) and cut at the first NUL or, when space-padded, trailing spaces.
        let memoryType = H5Tcopy(storedType)
        defer { H5Tclose(memoryType) }
        let width = H5Tget_size(storedType)
        let spacePadded = H5Tget_strpad(storedType) == H5T_STR_SPACEPAD
        var bytes = [UInt8](repeating: 0, count: count * width)
        return bytes.withUnsafeMutableBufferPointer { buffer -> [String]? in
            guard read(memoryType, buffer.baseAddress!) >= 0 else { return nil }
            return (0..<count).map { index in
                var field = buffer[(index * width)..<((index + 1) * width)]
                if let end = field.firstIndex(of: 0) { field = field[..<end] }
                if spacePadded { while field.last == 0x20 { field = field.dropLast() } }
                return String(decoding: field, as: UTF8.self)
            }
        }
    }
}
