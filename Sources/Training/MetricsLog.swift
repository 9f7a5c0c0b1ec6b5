import Foundation

/// Appends one JSON object per line to a metrics file (rank 0 only), flushed per line so a
/// killed job keeps everything logged so far.
public final class MetricsLog {
    private let handle: FileHandle
    /// Where the lines go.
    public let path: String

    /// Opens `path` for appending (a resumed run continues the same file).
    public init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path),
           !FileManager.default.createFile(atPath: path, contents: nil) {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    /// Writes `record` (numbers, strings, booleans) as one line of JSON with sorted keys;
    /// non-finite numbers become `null`.
    public func append(_ record: [String: Any]) throws {
        let cleaned = record.mapValues { value -> Any in
            if let number = value as? Double, !number.isFinite { return NSNull() }
            if let number = value as? Float, !number.isFinite { return NSNull() }
            return value
        }
        var line = try JSONSerialization.data(withJSONObject: cleaned, options: [.sortedKeys])
        line.append(UInt8(ascii: "\n"))
        try handle.write(contentsOf: line)
    }
}
