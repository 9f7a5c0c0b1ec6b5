import Crypto
import CZlib
import Foundation

/// Reading whole input files and standard input.
public enum DataFile {
    /// All the bytes of `path`, or of standard input when `path` is `-`, for small files used
    /// whole (element tables, property data sets, HDF5 files); large text inputs are read with
    /// ``LineReader``. A gzip file (`.gz`) is decompressed; a missing `NAME` is read from
    /// `NAME.gz` when that exists (the repository carries its data sets compressed).
    public static func read(_ path: String) throws(DataFileError) -> [UInt8] {
        let source = try ByteSource(opening: path)
        let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 1)
        defer { piece.deallocate() }
        var bytes: [UInt8] = []
        while true {
            let count = try source.fill(piece)
            if count == 0 { return bytes }
            bytes.append(contentsOf: piece[..<count])
        }
    }

    /// Whether `bytes` start with the HDF5 signature (a `prepare` or `generate` file rather than text).
    public static func isHDF5(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: [0x89, 0x48, 0x44, 0x46])
    }
}

/// A text input read line by line in bounded memory: a plain file, a gzip file (`.gz`,
/// decompressed as it is read), standard input (`-`), or bytes already in memory.
///
/// A line longer than ``maximumLineLength`` or holding a NUL byte is an error naming the file
/// and line, so binary data or a file without line ends never fills memory. A UTF-8
/// byte-order mark at the start is dropped. The SHA-256 of every byte read, including the
/// mark, is kept for provenance.
public final class LineReader {
    /// The longest line accepted, in bytes without its line feed. Data lines are a few
    /// hundred bytes at most; a longer one means the input is not a text table.
    public static let maximumLineLength = 1 << 20
    /// ``maximumLineLength`` in words, for messages.
    static let maximumLineLengthText = "\(maximumLineLength >> 20) MiB"
    /// The size of the pieces read from the source.
    private static let pieceSize = 1 << 16

    /// The file as the user named it (`-` for standard input), for messages.
    public let file: String
    /// The 1-based number of the line last read (0 before the first).
    public private(set) var lineNumber = 0

    private let source: ByteSource
    private let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: LineReader.pieceSize, alignment: 1)
    /// The unread bytes of `piece`.
    private var start = 0
    private var end = 0
    private var isExhausted = false
    private var hasher = Crypto.SHA256()

    /// Opens `path` (`-` for standard input). A gzip file (`.gz`) is decompressed; a missing
    /// `NAME` is read from `NAME.gz` when that exists. A path that cannot be opened, or names
    /// a directory or a device, is an error saying which.
    public convenience init(path: String) throws(DataFileError) {
        self.init(file: path, source: try ByteSource(opening: path))
    }

    /// Reads `bytes`, the content of `file`.
    public convenience init(file: String, bytes: [UInt8]) {
        self.init(file: file, source: ByteSource(file: file, bytes: bytes))
    }

    private init(file: String, source: ByteSource) {
        self.file = file
        self.source = source
    }

    deinit { piece.deallocate() }

    /// The SHA-256 of the bytes read so far (of the whole input once ``readLine(into:)`` has
    /// returned `false`), as 64 lowercase hexadecimal digits.
    public var sha256: String { FileDigest.hexadecimal(hasher.finalize()) }

    /// Replaces the content of `line` with the next line, including its line feed when it has
    /// one (the last line may not), and returns `true`; returns `false` at the end of the
    /// input. `line` keeps its capacity, so a loop reusing one array does not allocate.
    public func readLine(into line: inout [UInt8]) throws(DataFileError) -> Bool {
        line.removeAll(keepingCapacity: true)
        while true {
            if start == end {
                guard try refill() else { break }
            }
            let base = UnsafeRawPointer(piece.baseAddress!) + start
            let available = end - start
            let lineFeed = memchr(base, Int32(UInt8(ascii: "\n")), available)
            let length = lineFeed.map { base.distance(to: UnsafeRawPointer($0)) } ?? available
            if let nul = memchr(base, 0, length) {
                throw DataFileError(file: file, line: lineNumber + 1, message:
                    "byte \(line.count + base.distance(to: UnsafeRawPointer(nul)) + 1) of the line is NUL: "
                    + "binary data, not a text file")
            }
            guard line.count + length <= Self.maximumLineLength else {
                throw DataFileError(file: file, line: lineNumber + 1,
                                    message: "line longer than \(Self.maximumLineLengthText); is this a text or CSV file?")
            }
            let consumed = lineFeed == nil ? length : length + 1
            line.append(contentsOf: UnsafeRawBufferPointer(start: base, count: consumed))
            start += consumed
            if lineFeed != nil { break }
        }
        guard !line.isEmpty else { return false }
        lineNumber += 1
        if lineNumber == 1, line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
        return true
    }

    /// Reads the next piece of the source; `false` at its end.
    private func refill() throws(DataFileError) -> Bool {
        guard !isExhausted else { return false }
        let count = try source.fill(piece)
        start = 0
        end = count
        isExhausted = count == 0
        hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: piece[..<count]))
        return count > 0
    }
}

/// An open input: a file descriptor (a plain file, a pipe or standard input), a gzip stream,
/// or bytes in memory.
final class ByteSource {
    private enum Stream {
        case descriptor(Int32)
        case gzip(gzFile)
        case memory([UInt8])
    }

    /// The file opened (`NAME.gz` when read in place of `NAME`), for messages.
    let file: String
    private let stream: Stream
    /// Whether the descriptor is this source's own (not standard input's).
    private let closesDescriptor: Bool
    /// The bytes of a memory stream already read.
    private var memoryOffset = 0

    /// Opens `path`, or standard input for `-`.
    init(opening path: String) throws(DataFileError) {
        if path == "-" {
            file = path
            stream = .descriptor(STDIN_FILENO)
            closesDescriptor = false
            return
        }
        let manager = FileManager.default
        let resolved = !manager.fileExists(atPath: path) && manager.fileExists(atPath: path + ".gz") ? path + ".gz" : path
        let descriptor = open(resolved, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw DataFileError(file: resolved, message: Self.openFailure(errno)) }
        var status = stat()
        if fstat(descriptor, &status) != 0 {
            let message = String(cString: strerror(errno))
            close(descriptor)
            throw DataFileError(file: resolved, message: "cannot inspect the file: \(message)")
        }
        if let problem = Self.notReadable(mode: status.st_mode) {
            close(descriptor)
            throw DataFileError(file: resolved, message: problem)
        }
        file = resolved
        closesDescriptor = true
        guard resolved.hasSuffix(".gz") else {
            stream = .descriptor(descriptor)
            return
        }
        // gzdopen takes the descriptor over: gzclose closes it.
        guard let gzip = gzdopen(descriptor, "rb") else {
            close(descriptor)
            throw DataFileError(file: resolved, message: "cannot start decompressing the file (out of memory?)")
        }
        gzbuffer(gzip, 1 << 16)
        stream = .gzip(gzip)
    }

    /// A source over `bytes`, the content of `file`.
    init(file: String, bytes: [UInt8]) {
        self.file = file
        stream = .memory(bytes)
        closesDescriptor = false
    }

    deinit {
        switch stream {
        case .descriptor(let descriptor): if closesDescriptor { close(descriptor) }
        case .gzip(let gzip): gzclose(gzip)
        case .memory: break
        }
    }

    /// Reads up to `buffer.count` bytes into `buffer` and returns how many; 0 at the end.
    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(DataFileError) -> Int {
        switch stream {
        case .descriptor(let descriptor):
            while true {
                let count = read(descriptor, buffer.baseAddress, buffer.count)
                if count >= 0 { return count }
                guard errno == EINTR else {
                    throw DataFileError(file: file, message: "cannot read the file: \(String(cString: strerror(errno)))")
                }
            }
        case .gzip(let gzip):
            let count = gzread(gzip, buffer.baseAddress, UInt32(buffer.count))
            if count > 0 { return Int(count) }
            var code: Int32 = 0
            let message = String(cString: gzerror(gzip, &code))
            // A truncated file ends with Z_BUF_ERROR rather than a negative count.
            if count < 0 || code != Z_OK {
                throw DataFileError(file: file, message: "not a complete gzip file: \(message)")
            }
            return 0
        case .memory(let bytes):
            let count = min(buffer.count, bytes.count - memoryOffset)
            buffer.copyBytes(from: bytes[memoryOffset ..< memoryOffset + count])
            memoryOffset += count
            return count
        }
    }

    /// Why `open` failed, in words.
    private static func openFailure(_ code: Int32) -> String {
        switch code {
        case ENOENT: "no such file"
        case EACCES, EPERM: "permission denied: this user may not read the file"
        case ENOTDIR: "no such file: a part of the path is not a directory"
        case ELOOP: "too many levels of symbolic links"
        default: "cannot open the file: \(String(cString: strerror(code)))"
        }
    }

    /// Why a file of this mode cannot be read as data, or `nil` for a plain file or a pipe.
    private static func notReadable(mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG, S_IFIFO: nil
        case S_IFDIR: "is a directory, expected a file"
        case S_IFCHR: "is a character device (such as /dev/zero or a terminal), not a file; give - to read standard input"
        case S_IFBLK: "is a block device, not a file"
        case S_IFSOCK: "is a socket, not a file"
        default: "is not a regular file"
        }
    }
}
