import Foundation
import XCTest

/// A small tmpfs mounted for one test, for running writers out of space; unmounted on deinit.
public final class SmallFileSystem {
    /// The mount point.
    public let path: String

    /// Mounts a tmpfs of `megabytes` MiB, or skips the test (XCTest prints the reason) when the
    /// process is not root or the mount fails (a container without CAP_SYS_ADMIN).
    public init(megabytes: Int) throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a tmpfs needs root") }
        path = FileManager.default.temporaryDirectory.appendingPathComponent("small-fs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mount = try CommandRunner.runProgram("mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path])
        guard mount.exitCode == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            throw XCTSkip("cannot mount a tmpfs: \(mount.standardError)")
        }
    }

    deinit {
        _ = try? CommandRunner.runProgram("umount", ["--lazy", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The path of `name` on the file system.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Bytes free on the file system.
    public var freeBytes: Int {
        var status = statvfs()
        return statvfs(path, &status) == 0 ? Int(status.f_bavail) * Int(status.f_frsize) : 0
    }

    /// Fills the file system with a file named `filler` until about `bytes` remain free.
    public func fill(leaving bytes: Int) throws {
        let size = max(0, freeBytes - bytes)
        try Data(count: size).write(to: URL(fileURLWithPath: file("filler")))
    }

    /// Remounts the file system read-only.
    public func makeReadOnly() throws {
        let remount = try CommandRunner.runProgram("mount", ["-o", "remount,ro", path])
        XCTAssertEqual(remount.exitCode, 0, remount.standardError)
    }
}

/// Inverts every bit of `bytes` where they occur in the file at `path` — e.g. a run of a
/// dataset's stored values, as a disk fault would — and fails unless they occur exactly once.
public func invertBytes(_ bytes: [UInt8], inFileAt path: String, file: StaticString = #filePath, line: UInt = #line) throws {
    var contents = try Data(contentsOf: URL(fileURLWithPath: path))
    let needle = Data(bytes)
    let found = try XCTUnwrap(contents.range(of: needle), "the bytes do not occur in \(path)", file: file, line: line)
    XCTAssertNil(contents.range(of: needle, in: found.upperBound ..< contents.endIndex),
                 "the bytes occur more than once in \(path)", file: file, line: line)
    for index in found { contents[index] ^= 0xff }
    try contents.write(to: URL(fileURLWithPath: path))
}
