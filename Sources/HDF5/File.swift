import CHDF5
import Foundation

/// An open HDF5 file, usable as its root group.
///
/// `File.create(path)` writes to a temporary sibling (`<path>.tmp-<pid>-<random>`); `commit()`
/// closes it and renames it to `path` atomically. If the file is deinitialised or `discard()`ed
/// without a commit, the temporary file is deleted, so a crash or an error never leaves a
/// truncated file under the final name (a process killed outright can leave only the
/// temporary sibling behind).
///
/// Groups and datasets keep their file alive; `commit()` and `discard()` close them all, after
/// which using them throws `HDF5Error.Kind.closed`.
public final class File: Group {
    /// How an existing file is opened.
    public enum Mode: Sendable {
        /// Reading only; several processes may read a file at once.
        case readOnly
        /// Reading and writing (appending to datasets, adding objects and attributes).
        case readWrite
    }

    /// The file's (final) path.
    public var path: String { filePath }

    /// Where a created file is written until it is committed; nil for opened files.
    private let temporaryPath: String?

    /// Weak references to the open groups and datasets of this file, closed on commit/discard.
    private var openObjects: [WeakLocation] = []
    private var liveObjectsAtLastPrune = 0

    private struct WeakLocation {
        weak var object: Location?
    }

    private init(handle: hid_t, path: String, temporaryPath: String?) {
        self.temporaryPath = temporaryPath
        super.init(handle: handle, kind: .file, filePath: path, name: "/", owner: nil)
    }

    deinit { discard() }

    /// Creates a new file that appears at `path` (replacing any file there) only on `commit()`.
    public static func create(_ path: String) throws -> File {
        Library.prepare()
        let directory = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory, isDirectory: &isDirectory),
              isDirectory.boolValue else {
            throw HDF5Error(kind: .fileNotFound, path: path, object: "/",
                            message: "cannot create the file: directory '\(directory)' does not exist")
        }
        let temporaryPath = "\(path).tmp-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
        let access = try fileAccessList(path: path)
        defer { H5Pclose(access) }
        let handle = H5Fcreate(temporaryPath, chdf5_acc_excl(), chdf5_default(), access)
        guard handle >= 0 else {
            throw HDF5Error(kind: .libraryFailure, path: path, object: "/",
                            message: "cannot create the file (as '\(temporaryPath)')",
                            libraryMessages: Library.takeErrorStack())
        }
        return File(handle: handle, path: path, temporaryPath: temporaryPath)
    }

    /// Opens an existing file. A missing, non-HDF5, truncated or corrupt file throws an error
    /// that names the path and says which of these it is.
    public static func open(_ path: String, mode: Mode = .readOnly) throws -> File {
        Library.prepare()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw HDF5Error(kind: .fileNotFound, path: path, object: "/", message: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw HDF5Error(kind: .invalidArgument, path: path, object: "/", message: "is a directory, not an HDF5 file")
        }
        let access = try fileAccessList(path: path)
        defer { H5Pclose(access) }
        let handle = H5Fopen(path, mode == .readOnly ? chdf5_acc_rdonly() : chdf5_acc_rdwr(), access)
        guard handle >= 0 else {
            let stack = Library.takeErrorStack()
            let text = stack.joined(separator: "\n").lowercased()
            let (kind, message): (HDF5Error.Kind, String) =
                if text.contains("file signature not found") {
                    (.notHDF5File, "not an HDF5 file (no HDF5 signature found)")
                } else if text.contains("truncated file") {
                    (.truncatedFile, "the HDF5 file is truncated (shorter than its header says)")
                } else {
                    (.libraryFailure, "cannot open the file: it is unreadable or its HDF5 metadata is corrupt")
                }
            throw HDF5Error(kind: kind, path: path, object: "/", message: message, libraryMessages: stack)
        }
        return File(handle: handle, path: path, temporaryPath: nil)
    }

    /// Finishes the file. A created file is closed, synced to disk and renamed to `path`
    /// atomically; an opened file is closed. Throws if closing (flushing) or renaming fails,
    /// in which case a created file's temporary file is deleted.
    public func commit() throws {
        guard handle >= 0 else { throw error(.closed, "the file was already committed or discarded") }
        closeOpenObjects()
        guard closeHandle() else {
            let failure = error(.libraryFailure, "cannot close (flush) the file", fromLibrary: true)
            if let temporaryPath { unlink(temporaryPath) }
            throw failure
        }
        guard let temporaryPath else { return }
        // Make the contents durable before they appear under the final name.
        if let written = FileHandle(forWritingAtPath: temporaryPath) {
            try? written.synchronize()
            try? written.close()
        }
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw error(.libraryFailure, "cannot rename '\(temporaryPath)' to the final path: \(reason)")
        }
    }

    /// Closes the file without committing it: a created file's temporary file is deleted (an
    /// opened file keeps whatever was already written to it). Does nothing if already closed.
    public func discard() {
        guard handle >= 0 else { return }
        closeOpenObjects()
        if !closeHandle() { _ = Library.takeErrorStack() }
        if let temporaryPath { unlink(temporaryPath) }
    }

    /// Records a group or dataset of this file so that commit/discard can close it.
    func register(_ object: Location) {
        openObjects.append(WeakLocation(object: object))
        // Drop the entries of deinitialised objects once they outnumber the live ones.
        if openObjects.count > 2 * liveObjectsAtLastPrune + 16 {
            openObjects.removeAll { $0.object == nil }
            liveObjectsAtLastPrune = openObjects.count
        }
    }

    private func closeOpenObjects() {
        for entry in openObjects {
            if let object = entry.object, !object.closeHandle() { _ = Library.takeErrorStack() }
        }
        openObjects.removeAll()
    }

    /// File-access properties: a 32 MiB chunk cache per dataset (so appending rows in blocks
    /// smaller than a compressed chunk does not re-read and re-compress the chunk), and file
    /// locking that is skipped on file systems without lock support (common on HPC).
    private static func fileAccessList(path: String) throws -> hid_t {
        let access = H5Pcreate(chdf5_file_access_plist())
        guard access >= 0,
              H5Pset_cache(access, 0, 12_421, 32 << 20, 1.0) >= 0,
              H5Pset_file_locking(access, true, true) >= 0 else {
            let stack = Library.takeErrorStack()
            if access >= 0 { H5Pclose(access) }
            throw HDF5Error(kind: .libraryFailure, path: path, object: "/",
                            message: "cannot set up file-access properties", libraryMessages: stack)
        }
        return access
    }
}
