import Chemistry
import Foundation
import HDF5

/// The composition matrices of a file written by `matgan-dist prepare`, read shard by shard.
///
/// The file stores MatGAN's 85-row matrices; another ``MatrixEncoding`` (active design's 87
/// rows) is produced at read time by moving each element's row to its place in that encoding.
/// That is exact, since both are one-hot over the same counts, and keeps one prepared file per
/// data set instead of one per matrix layout.
public final class CompositionTrainingSet {
    /// The prepared file.
    public let path: String
    /// Its SHA-256, recorded in checkpoints so a resume on other data is refused.
    public let sha256: String
    /// The preset the file was prepared with (`mp`, `oqmd`, ...).
    public let preset: String
    /// File rows of the training split, ascending.
    public let trainingRows: [Int]
    /// File rows of the hold-out split, ascending.
    public let holdoutRows: [Int]
    /// The matrix layout ``readMatrices(_:split:)`` returns.
    public let encoding: MatrixEncoding
    /// Values per matrix (rows x 8 of ``encoding``).
    public var cellCount: Int { encoding.cellCount }

    private let matrices: Dataset
    /// Row of ``encoding`` for each of the file's 85 rows.
    private let rowMap: [Int]

    /// Opens `path` and checks that it is a prepared composition file; matrices come out in
    /// `encoding`, which must have a row for each of MatGAN's 85 elements.
    public init(path: String, encoding: MatrixEncoding = .matgan) throws {
        let stored = MatrixEncoding.matgan
        var rowMap: [Int] = []
        for element in stored.rowElements {
            guard let row = encoding.row(of: element) else {
                throw DataFileError(file: path, message: "stores element \(element), which has no row in the requested \(encoding.rowCount)-row matrix")
            }
            rowMap.append(row)
        }
        self.rowMap = rowMap
        self.encoding = encoding
        let file = try File.open(path)
        let format = try? file.attribute("format").stringValue
        let kind = try? file.attribute("kind").stringValue
        guard format == PreparedFile.format, kind == "compositions" else {
            throw DataFileError(file: path, message: "is not a composition file written by `matgan-dist prepare` "
                                    + "(format \(format ?? "missing"), kind \(kind ?? "missing"))")
        }
        matrices = try file.openDataset(PreparedFile.onehot)
        let shape = try matrices.shape
        guard shape.count == 3, shape[1] * shape[2] == stored.cellCount else {
            throw DataFileError(file: path, message: "dataset '\(PreparedFile.onehot)' has shape \(shape), expected [N, 85, 8]")
        }
        let split = try file.read(PreparedFile.split, as: UInt8.self)
        guard split.count == shape[0] else {
            throw DataFileError(file: path, message: "'\(PreparedFile.split)' has \(split.count) rows, '\(PreparedFile.onehot)' \(shape[0])")
        }
        trainingRows = split.indices.filter { split[$0] == PreparedFile.trainSplit }
        holdoutRows = split.indices.filter { split[$0] == PreparedFile.holdoutSplit }
        preset = (try? file.attribute("preset").stringValue) ?? "unknown"
        self.path = path
        sha256 = try FileDigest.sha256(ofFileAt: path)
    }

    /// Reads the matrices of rows `rows` of `split` (indices into ``trainingRows`` or
    /// ``holdoutRows``, any order, repeats allowed) as bytes, `rows.count * cellCount`, in the
    /// order given.
    ///
    /// Time is linear in the rows: the requested file rows are sorted once and read in blocks
    /// of ``blockRows`` consecutive file rows, each block with one contiguous read from its first
    /// to its last requested row, or, where fewer than one row in ``sparseReadRatio`` of that
    /// span is wanted (a rank's share on many ranks), one read per requested row. (A single HDF5
    /// selection of every row, built hyperslab by hyperslab, costs time quadratic in the rows.)
    public func readMatrices(_ rows: [Int], split: UInt8) throws -> [UInt8] {
        let splitRows = split == PreparedFile.trainSplit ? trainingRows : holdoutRows
        let storedCells = MatrixEncoding.matgan.cellCount, width = MatrixEncoding.maximumCount
        let remaps = encoding.rowCount != MatrixEncoding.matgan.rowCount || rowMap != Array(rowMap.indices)
        // (file row, output slot), by file row.
        let requests = rows.enumerated().map { (fileRow: splitRows[$0.element], slot: $0.offset) }.sorted { $0.fileRow < $1.fileRow }
        var ordered = [UInt8](repeating: 0, count: rows.count * cellCount)
        var block = [UInt8](repeating: 0, count: Self.blockRows * storedCells)
        try ordered.withUnsafeMutableBufferPointer { output in
            try block.withUnsafeMutableBufferPointer { block in
                /// Copies the stored matrix at `source` into output slot `slot`, in ``encoding``'s rows.
                func place(_ source: UnsafePointer<UInt8>, slot: Int) {
                    let destination = output.baseAddress! + slot * cellCount
                    guard remaps else {
                        destination.update(from: source, count: storedCells)
                        return
                    }
                    for (row, target) in rowMap.enumerated() {
                        (destination + target * width).update(from: source + row * width, count: width)
                    }
                }
                var start = 0
                while start < requests.count {
                    // The requests whose file rows fall in one block.
                    let blockStart = requests[start].fileRow
                    var end = start
                    while end < requests.count, requests[end].fileRow < blockStart + Self.blockRows { end += 1 }
                    let span = requests[end - 1].fileRow - blockStart + 1
                    var distinct = 1
                    for index in start + 1 ..< end where requests[index].fileRow != requests[index - 1].fileRow { distinct += 1 }
                    if distinct * Self.sparseReadRatio >= span {
                        _ = try matrices.readRows(blockStart ..< blockStart + span, into: block)
                        for request in requests[start ..< end] {
                            place(block.baseAddress! + (request.fileRow - blockStart) * storedCells, slot: request.slot)
                        }
                    } else {
                        var lastRead = -1
                        for request in requests[start ..< end] {
                            if request.fileRow != lastRead {
                                _ = try matrices.readRows(request.fileRow ..< request.fileRow + 1, into: block)
                                lastRead = request.fileRow
                            }
                            place(block.baseAddress!, slot: request.slot)
                        }
                    }
                    start = end
                }
            }
        }
        return ordered
    }

    /// File rows per block of ``readMatrices(_:split:)``: 8,192 matrices, 5.6 MB.
    static let blockRows = 8192
    /// Below one wanted row in this many, ``readMatrices(_:split:)`` reads rows one by one
    /// instead of the whole span: one read of one row costs about 5 µs, a row of a span read
    /// about 2 µs (`matgan-dist bench --case data-epoch-load`, OQMD).
    static let sparseReadRatio = 3

    /// The composition keys of the given split, read from the formula column.
    public func keys(split: UInt8) throws -> [CompositionKey] {
        let file = try File.open(path)
        let formulas = try file.readStrings(PreparedFile.formula)
        let splits = try file.read(PreparedFile.split, as: UInt8.self)
        var keys: [CompositionKey] = []
        for (formula, value) in zip(formulas, splits) where value == split {
            guard let key = try? Composition(parsing: formula).key else {
                throw DataFileError(file: path, message: "formula \(formula.quotedForMessage) cannot be read back")
            }
            keys.append(key)
        }
        return keys
    }
}
