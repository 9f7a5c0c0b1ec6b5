import CHDF5
import Foundation
import Logging

/// An open HDF5 file, usable as its root group.
///
/// `File.create(path)` writes to a temporary sibling (`<path>.tmp-<pid>-<random>`); `commit()`
/// closes it and renames it to `path` atomically. If the file is deinitialised or `discard()`ed
/// without a commit, the temporary file is deleted, so a crash or an error never leaves a
/// truncated file under the final name. A process killed outright leaves its temporary file
/// behind; the next file created in that directory removes it.
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

    /// Whether the file was created or opened for writing.
    let isWritable: Bool

    /// Why the file can no longer be written, once a write has failed (see `abandonWrites`).
    private(set) var writeFailure: HDF5Error?

    /// Weak references to the open groups and datasets of this file, closed on commit/discard.
    private var openObjects: [WeakLocation] = []
    private var liveObjectsAtLastPrune = 0

    private struct WeakLocation {
        weak var object: Location?
    }

    private init(handle: hid_t, path: String, temporaryPath: String?, isWritable: Bool) {
        self.temporaryPath = temporaryPath
        self.isWritable = isWritable
        super.init(handle: handle, kind: .file, filePath: path, name: "/", owner: nil)
    }

    deinit { discard() }

    /// Creates a new file that appears at `path` (replacing any file there) only on `commit()`.
    ///
    /// Temporary files that writers killed on this host left in the directory are removed
    /// first (one log line each). With `expectedSize` (bytes), a file system with less free
    /// space than that is refused with `.noSpace` before anything is written.
    public static func create(_ path: String, expectedSize: Int? = nil) throws -> File {
        Library.prepare()
        let directory = (path as NSString).deletingLastPathComponent.isEmpty
            ? "." : (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HDF5Error(kind: .fileNotFound, path: path, object: "/",
                            message: "cannot create the file: directory '\(directory)' does not exist")
        }
        removeStaleTemporaryFiles(in: directory)
        if let expectedSize { try checkFreeSpace(expectedSize, in: directory, for: path) }
        let temporaryPath = "\(path).tmp-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
        let access = try fileAccessList(path: path)
        defer { H5Pclose(access) }
        let handle = H5Fcreate(temporaryPath, chdf5_acc_excl(), chdf5_default(), access)
        guard handle >= 0 else {
            let failure = HDF5Error(libraryFailure: "cannot create the file (as '\(temporaryPath)')", path: path, object: "/")
            unlink(temporaryPath)  // HDF5 leaves it behind when writing the superblock fails
            throw failure
        }
        return File(handle: handle, path: path, temporaryPath: temporaryPath, isWritable: true)
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
            if text.contains("file signature not found") {
                throw HDF5Error(kind: .notHDF5File, path: path, object: "/",
                                message: "not an HDF5 file (no HDF5 signature found)", libraryMessages: stack)
            } else if text.contains("truncated file") {
                throw HDF5Error(kind: .truncatedFile, path: path, object: "/",
                                message: "the HDF5 file is truncated (shorter than its header says)", libraryMessages: stack)
            }
            throw HDF5Error(libraryFailure: "cannot open the file: it is unreadable or its HDF5 metadata is corrupt",
                            path: path, object: "/", stack: stack)
        }
        return File(handle: handle, path: path, temporaryPath: nil, isWritable: mode == .readWrite)
    }

    /// Finishes the file. A created file is written out, closed, synced to disk and renamed to
    /// `path` atomically; an opened file is written out and closed. Throws if any write of the
    /// file failed (also one reported earlier), or if syncing or renaming fails; a created
    /// file's temporary file is then deleted and a file at `path` is left as it was.
    public func commit() throws {
        guard handle >= 0 else { throw error(.closed, "the file was already committed or discarded") }
        close()
        if let writeFailure {
            if let temporaryPath { unlink(temporaryPath) }
            throw writeFailure
        }
        guard let temporaryPath else { return }
        // Make the contents durable before they appear under the final name. Some file systems
        // (NFS, quotas on XFS) report a full disk only here.
        let descriptor = Glibc.open(temporaryPath, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0, fsync(descriptor) == 0 else {
            let code = errno
            if descriptor >= 0 { Glibc.close(descriptor) }
            unlink(temporaryPath)
            throw error(code == ENOSPC || code == EDQUOT ? .noSpace : .libraryFailure,
                        "cannot sync '\(temporaryPath)' to disk: \(Library.describeSystemError(code))")
        }
        Glibc.close(descriptor)
        guard rename(temporaryPath, path) == 0 else {
            let code = errno
            unlink(temporaryPath)
            throw error(.libraryFailure, "cannot rename '\(temporaryPath)' to the final path: \(Library.describeSystemError(code))")
        }
    }

    /// Closes the file without committing it: a created file's temporary file is deleted (an
    /// opened file keeps whatever was already written to it). Does nothing if already closed.
    public func discard() {
        guard handle >= 0 else { return }
        close()
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

    /// Gives up writing this file after `failure` (the first failure is kept; `commit()` throws it).
    ///
    /// HDF5 1.10 frees a file's (or dataset's) state when closing it fails — closing writes out
    /// what the library still caches, which fails on a full disk — yet keeps its identifier;
    /// its exit handler closes that identifier again and crashes (SIGSEGV; HDF5 issue #2257,
    /// fixed upstream in 2023). So the file's descriptor is pointed at an anonymous in-memory
    /// file: whatever the closes still write then succeeds and is dropped.
    func abandonWrites(_ failure: HDF5Error) {
        guard writeFailure == nil else { return }
        writeFailure = failure
        var descriptor: UnsafeMutableRawPointer?
        guard H5Fget_vfd_handle(handle, chdf5_default(), &descriptor) >= 0, let descriptor else {
            _ = Library.takeErrorStack()
            return
        }
        let memory = chdf5_memory_file()
        guard memory >= 0 else { return }
        dup2(memory, descriptor.load(as: Int32.self))
        Glibc.close(memory)
        // After a failed flush, HDF5 1.10.8's metadata cache keeps its list of dirty entries
        // switched on, and the next flush reports an error for that even though it then writes
        // the entries and switches the list off. Do that flush now, into memory, so that the
        // closes find a clean cache.
        if H5Fflush(handle, H5F_SCOPE_LOCAL) < 0 { _ = Library.takeErrorStack() }
    }

    /// Writes out everything HDF5 caches for the file while all its identifiers are valid (a
    /// failure abandons the writes), then closes its objects and the file.
    private func close() {
        if isWritable, writeFailure == nil, H5Fflush(handle, H5F_SCOPE_LOCAL) < 0 {
            abandonWrites(error(.libraryFailure, "cannot write the file", fromLibrary: true))
        }
        for entry in openObjects {
            if let object = entry.object, !object.closeHandle(), writeFailure == nil {
                writeFailure = object.error(.libraryFailure, "cannot close the object", fromLibrary: true)
            }
        }
        openObjects.removeAll()
        if !closeHandle(), writeFailure == nil {
            writeFailure = error(.libraryFailure, "cannot close the file", fromLibrary: true)
        }
    }

    /// Removes the temporary files in `directory` (`NAME.tmp-PID` or `NAME.tmp-PID-HEX`) whose
    /// writer is gone: no process PID runs on this host, and no one holds the lock HDF5 keeps
    /// on a file it writes (a writer on another host sharing the directory may). Logs each removal.
    static func removeStaleTemporaryFiles(in directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names {
            guard let match = name.wholeMatch(of: /.+\.tmp-(\d+)(?:-[0-9a-f]+)?/), let process = pid_t(match.1),
                  process > 0, kill(process, 0) != 0, errno == ESRCH else { continue }
            let path = directory + "/" + name
            let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            defer { Glibc.close(descriptor) }
            if flock(descriptor, LOCK_EX | LOCK_NB) != 0, errno == EWOULDBLOCK { continue }
            if unlink(path) == 0 {
                Logger(label: "matgan-dist.hdf5")
                    .notice("removed \(path): a temporary file of process \(process), which no longer runs")
            }
        }
    }

    /// Throws `.noSpace` unless the file system holding `directory` has `bytes` free for this
    /// user; a file system that cannot tell is not refused.
    private static func checkFreeSpace(_ bytes: Int, in directory: String, for path: String) throws {
        var status = statvfs()
        guard statvfs(directory, &status) == 0 else { return }
        let free = Int(status.f_bavail) * Int(status.f_frsize)
        guard free < bytes else { return }
        func describe(_ count: Int) -> String { ByteCountFormatter.string(fromByteCount: Int64(count), countStyle: .file) }
        throw HDF5Error(kind: .noSpace, path: path, object: "/",
                        message: "not enough free space for the file: it needs about \(describe(bytes)), "
                            + "'\(directory)' has \(describe(free)) free")
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
