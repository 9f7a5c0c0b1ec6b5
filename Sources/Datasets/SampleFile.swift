import Chemistry
import Distributed
import HDF5

/// A sample file written by `matgan-dist generate`, read in per-rank shares.
public struct SampleFile {
    /// The `format` attribute that marks a sample file.
    public static let format = "matgan-dist samples 1"
    /// The dataset of the samples' formulas, "" where a sample decoded to nothing.
    public static let formulaDataset = "samples/formula"

    public let path: String
    public let file: File
    /// Samples in the file.
    public let count: Int

    /// Opens `path`, refusing a file that `generate` did not write.
    public init(path: String) throws {
        file = try File.open(path)
        guard (try? file.attribute("format").stringValue) == Self.format else { throw DataFileError(file: path, message: "is not a sample file written by `matgan-dist generate`") }
        self.path = path
        count = try file.openDataset("samples/key").rowCount
    }

    /// Opens `path` for its formulas only: a `generate` file or any HDF5 file with a
    /// ``formulaDataset`` (a hand-made candidate list needs nothing else); `nil` when the file has
    /// no such dataset. Only ``formulas(_:)`` may be read from a file opened this way.
    public init?(formulasAt path: String) throws {
        file = try File.open(path)
        guard file.contains(Self.formulaDataset) else { return nil }
        self.path = path
        count = try file.openDataset(Self.formulaDataset).rowCount
    }

    /// This rank's contiguous share of the sample indices.
    public func share(of world: Communicator) -> Range<Int> {
        world.rank * count / world.size ..< (world.rank + 1) * count / world.size
    }

    /// The compositions of samples `range` (`nil` where a sample decoded to nothing).
    public func keys(_ range: Range<Int>) throws -> [CompositionKey?] {
        let words = try file.openDataset("samples/key").readRows(range, as: UInt64.self)
        return (0..<range.count).map { CompositionKey(words: (words[2 * $0], words[2 * $0 + 1])) }
    }

    /// The formulas of samples `range` as written (`nil` where a sample decoded to nothing).
    public func formulas(_ range: Range<Int>) throws -> [String?] {
        try file.openDataset(Self.formulaDataset).readStringRows(range).map { $0.isEmpty ? nil : $0 }
    }

    /// Flag column `name` (e.g. `charge_neutral`) of samples `range`.
    public func flags(_ name: String, _ range: Range<Int>) throws -> [Bool] {
        try file.openDataset("samples/\(name)").readRows(range, as: UInt8.self).map { $0 != 0 }
    }
}
