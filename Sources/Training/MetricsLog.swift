import Foundation

/// Appends one JSON object per line to a metrics file (rank 0 only), flushed per line so a
/// killed job keeps everything logged so far. Every record has a `step`; progress records have
/// no `kind`, other records name theirs (``evaluationKind``).
public final class MetricsLog {
    /// The `kind` of the records a ``RunEvaluation`` leaves.
    public static let evaluationKind = "evaluation"
    /// The log's name in a run directory.
    public static let fileName = "metrics.jsonl"

    private let handle: FileHandle
    /// Where the lines go.
    public let path: String

    /// Opens `path` for appending (a resumed run continues the same file).
    public init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path),
           !FileManager.default.createFile(atPath: path, contents: nil) {
            throw TrainingError(kind: .runDirectory, message: "cannot create \(path): \(String(cString: strerror(errno)))")
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

    /// Removes the records of `path` logged after step `step` (what a run resumed from the
    /// checkpoint at `step` will log again), atomically; returns how many it removed.
    public static func truncate(_ path: String, afterStep step: Int) throws -> Int {
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
        let kept = lines.filter { line in ((parse(line)?["step"] as? NSNumber)?.intValue ?? Int.min) <= step }
        guard kept.count < lines.count else { return 0 }
        let temporary = path + ".tmp-\(getpid())"
        try (kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).write(toFile: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw TrainingError(kind: .runDirectory, message: "cannot rewrite \(path): \(reason)")
        }
        return lines.count - kept.count
    }

    /// The records of `path` whose `kind` is `kind`, in file order (none when there is no file).
    public static func records(_ path: String, kind: String) throws -> [[String: Any]] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap(parse)
            .filter { $0["kind"] as? String == kind }
    }

    /// One line as a JSON object, `nil` when it is not one (a line cut short by a killed job).
    private static func parse(_ line: Substring) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }
}
