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
    public func readMatrices(_ rows: [Int], split: UInt8) throws -> [UInt8] {
        let splitRows = split == PreparedFile.trainSplit ? trainingRows : holdoutRows
        // HDF5 reads ascending rows; read each distinct row once, then place them in order.
        let fileRows = Array(Set(rows.map { splitRows[$0] })).sorted()
        let storedCells = MatrixEncoding.matgan.cellCount
        var stored = [UInt8](repeating: 0, count: fileRows.count * storedCells)
        try stored.withUnsafeMutableBufferPointer { _ = try matrices.readRows(at: fileRows, into: $0) }
        var sorted = stored
        if encoding.rowCount != MatrixEncoding.matgan.rowCount || rowMap != Array(rowMap.indices) {
            let width = MatrixEncoding.maximumCount
            sorted = [UInt8](repeating: 0, count: fileRows.count * cellCount)
            for matrix in 0 ..< fileRows.count {
                for (row, target) in rowMap.enumerated() {
                    let source = matrix * storedCells + row * width, destination = matrix * cellCount + target * width
                    sorted[destination ..< destination + width] = stored[source ..< source + width]
                }
            }
        }
        var position: [Int: Int] = [:]
        position.reserveCapacity(fileRows.count)
        for (index, row) in fileRows.enumerated() { position[row] = index }
        var ordered = [UInt8](repeating: 0, count: rows.count * cellCount)
        for (slot, row) in rows.enumerated() {
            let source = position[splitRows[row]]! * cellCount
            ordered[slot * cellCount ..< (slot + 1) * cellCount] = sorted[source ..< source + cellCount]
        }
        return ordered
    }

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
