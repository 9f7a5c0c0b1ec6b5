import Crypto
import Foundation

/// SHA-256 digests of data files, recorded in every file derived from them (prepared data
/// sets, checkpoints, oracles) so a result can be traced to the exact input.
public enum FileDigest {
    /// The SHA-256 of the file at `path` as 64 lowercase hexadecimal digits, read in 1 MiB pieces.
    public static func sha256(ofFileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        var hasher = Crypto.SHA256()
        while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty {
            hasher.update(data: piece)
        }
        return hexadecimal(hasher.finalize())
    }

    /// The SHA-256 of `bytes` as 64 lowercase hexadecimal digits.
    public static func sha256<Bytes: DataProtocol>(of bytes: Bytes) -> String {
        hexadecimal(Crypto.SHA256.hash(data: bytes))
    }

    /// A digest as lowercase hexadecimal digits.
    static func hexadecimal(_ digest: Crypto.SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
