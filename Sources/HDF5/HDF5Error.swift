import Foundation

/// A failed HDF5 operation: which file and object, what went wrong in words, and the HDF5
/// library's own error stack (outermost call first) when the library reported the failure.
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
    /// The broad category of a failure, for callers that react to some of them.
    public enum Kind: Sendable, Equatable {
        /// The file (or the directory it should be created in) does not exist.
        case fileNotFound
        /// The file exists but does not start with an HDF5 signature.
        case notHDF5File
        /// The file is shorter than its own header says: it was cut off while being copied or written.
        case truncatedFile
        /// No group, dataset or attribute of that name.
        case objectNotFound
        /// The stored element type cannot be read as the requested one.
        case typeMismatch
        /// A shape, count, name or option that the operation cannot accept.
        case invalidArgument
        /// A row range outside the dataset's current extent.
        case outOfRange
        /// The object was used after its file was committed or discarded.
        case closed
        /// The file system, or the user's quota on it, has no room for the file.
        case noSpace
        /// Stored data fails its checksum: it changed after it was written (a flipped bit on
        /// disk, a bad copy, an edit).
        case corruptData
        /// Any other failure reported by the HDF5 library (I/O errors, corrupt metadata, ...).
        case libraryFailure
    }

    /// The broad category of the failure.
    public let kind: Kind
    /// The path of the file involved (the final path for files being created).
    public let path: String
    /// The object inside the file (`/group/dataset`, or `/group/dataset@attribute`); `/` for the file itself.
    public let object: String
    /// What went wrong, in words.
    public let message: String
    /// HDF5's error stack for the failing call, outermost call first; empty when the error was
    /// detected before calling the library.
    public let libraryMessages: [String]

    /// An error about `object` in the file at `path`.
    public init(kind: Kind, path: String, object: String, message: String, libraryMessages: [String] = []) {
        self.kind = kind
        self.path = path
        self.object = object
        self.message = message
        self.libraryMessages = libraryMessages
    }

    public var description: String {
        var text = "HDF5 error in \(path)"
        if object != "/" { text += " at '\(object)'" }
        text += ": \(message)"
        if !libraryMessages.isEmpty {
            text += " [HDF5: " + libraryMessages.joined(separator: "; ") + "]"
        }
        return text
    }
}

extension HDF5Error {
    /// An error for a library call that just failed, carrying HDF5's error stack `stack` (by
    /// default taken off this thread's stack). Whatever the call, two causes found in the stack
    /// decide the kind: a checksum mismatch makes it `.corruptData`, and a system error is named
    /// in words after `message` ("no space left on device"), a full disk or quota making it
    /// `.noSpace`.
    init(libraryFailure message: String, kind: Kind = .libraryFailure, path: String, object: String,
         stack: [String] = Library.takeErrorStack()) {
        let text = stack.joined(separator: "\n")
        if text.contains("Fletcher32 checksum") || text.contains("incorrect metadata checksum") {
            self.init(kind: .corruptData, path: path, object: object,
                      message: "\(message): the data is corrupt (checksum mismatch)", libraryMessages: stack)
        } else if let match = text.firstMatch(of: /errno = (\d+)/), let code = Int32(match.1) {
            // The file drivers put the failing system call's errno in their message.
            self.init(kind: code == ENOSPC || code == EDQUOT ? .noSpace : kind, path: path, object: object,
                      message: "\(message): \(Library.describeSystemError(code))", libraryMessages: stack)
        } else {
            self.init(kind: kind, path: path, object: object, message: message, libraryMessages: stack)
        }
    }
}
