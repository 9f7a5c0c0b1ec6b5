import Foundation

/// Keeps a command from writing over its own inputs.
public enum OutputPath {
    /// Throws when `output` (given with `option`) names the same file as one of `inputs`, by
    /// device and inode when both exist (hard links, `./x` and `x`, symbolic links) and by
    /// resolved path otherwise. Every writer goes through a temporary file and a rename, so
    /// without this check `generate -o CHECKPOINT` would replace the checkpoint it reads.
    public static func checkDistinct(_ output: String, option: String, from inputs: [(option: String, path: String)]) throws {
        let outputIdentity = identity(of: output)
        for input in inputs where identity(of: input.path) == outputIdentity {
            throw DataFileError(file: output, message: "\(option) names the \(input.option) input \(input.path); "
                                + "writing it would destroy the input, choose another output")
        }
    }

    /// The file's device and inode if it exists, else its absolute path with symbolic links resolved.
    private static func identity(of path: String) -> String {
        var status = stat()
        if stat(path, &status) == 0 { return "inode \(status.st_dev):\(status.st_ino)" }
        return "path " + URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
