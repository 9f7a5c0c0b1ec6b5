import Foundation

/// An advisory lock on a run directory, held by rank 0 for the life of a training run, so that
/// a second run on the same directory stops with a clear error instead of overwriting the
/// first one's checkpoints.
///
/// It is a `flock` on `RUN-DIR/lock`, which records who holds it. The kernel releases the lock
/// when the holder exits, however it exits, so a crashed run never leaves a stale lock behind.
final class RunDirectoryLock {
    private let descriptor: Int32

    /// Takes the lock of `directory`, or throws naming the run that holds it.
    init(directory: URL) throws {
        let path = directory.appendingPathComponent("lock").path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw TrainingError(kind: .runDirectory, path: nil,
                                message: "cannot create the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            throw TrainingError(kind: .runDirectory, path: nil, message: "run directory \(directory.path) is in use by another "
                                + "training run (\(holder.flatMap { $0.isEmpty ? nil : $0 } ?? "holder unknown")); "
                                + "wait for it to finish or choose another --run-dir")
        }
        let record = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName) since \(ISO8601DateFormatter().string(from: Date()))\n"
        _ = ftruncate(descriptor, 0)
        _ = record.withCString { write(descriptor, $0, strlen($0)) }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
