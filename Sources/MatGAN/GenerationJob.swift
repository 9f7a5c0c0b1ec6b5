import Chemistry
import Datasets
import Distributed
import Foundation
import HDF5

/// Generates a sample budget across the ranks into one HDF5 file whose contents do not depend
/// on the rank count.
///
/// The budget is cut into blocks of `generator.maxBatch` samples; block b belongs to rank
/// b mod size. In round t every rank decodes block t·size + rank and rank 0 gathers the round's
/// blocks and appends them in block order, so the file is in sample order. File layout:
///
/// ```
/// /                  attributes: format, samples, seed, decoder, oxidation_states,
///                    element_order, plus the caller's provenance attributes
/// /samples/key                        UInt64 [N, 2]  composition key words (0, 0: no composition)
/// /samples/formula                    string [N]     "" when the sample decoded to nothing
/// /samples/element_count              UInt8  [N]     0 when the sample decoded to nothing
/// /samples/charge_neutral             UInt8  [N]     MatGAN rule
/// /samples/electronegativity_balanced UInt8  [N]     MatGAN rule
/// /samples/smact_valid                UInt8  [N]     SMACT rule
/// /samples/matrix                     UInt8  [N, 85, 8] one-hot (only with saveMatrices)
/// ```
public struct GenerationJob {
    public let world: Communicator
    public let sampler: SampleGenerator
    public let totalSamples: Int
    public let saveMatrices: Bool

    public init(world: Communicator, sampler: SampleGenerator, totalSamples: Int, saveMatrices: Bool) {
        self.world = world
        self.sampler = sampler
        self.totalSamples = totalSamples
        self.saveMatrices = saveMatrices
    }

    /// About how many bytes the sample file takes, used to refuse a generation whose file
    /// would not fit: per sample the key (16), the four flags (4), the formula's reference (16)
    /// and its characters in HDF5's heap (up to 32), with matrices 32 more for a compressed
    /// one-hot matrix, plus 1 MiB of metadata. It errs high: Materials Project formulas with
    /// random keys take 46 bytes a sample, 55 with matrices.
    public var estimatedFileSize: Int {
        (1 << 20) + totalSamples * (saveMatrices ? 100 : 68)
    }

    private var blockSize: Int { sampler.generator.maxBatch }
    private var blockCount: Int { (totalSamples + blockSize - 1) / blockSize }
    private var roundCount: Int { (blockCount + world.size - 1) / world.size }

    /// Generates everything and (rank 0) writes `outputPath` atomically; rank 0 refuses to
    /// start (`HDF5Error.Kind.noSpace`) when the output's file system has less free space than
    /// ``estimatedFileSize``. Collective.
    ///
    /// - Parameter progress: called on rank 0 after each round with the samples written.
    public func run(outputPath: String, attributes: [String: AttributeValue],
                    progress: (Int) -> Void) throws {
        let writer = world.isRoot
            ? try SampleFileWriter(path: outputPath, saveMatrices: saveMatrices, expectedSize: estimatedFileSize) : nil
        do {
            for round in 0..<roundCount {
                let block = round * world.size + world.rank
                let range = block < blockCount
                    ? block * blockSize ..< min((block + 1) * blockSize, totalSamples) : totalSamples ..< totalSamples
                let decoded = try sampler.generate(range, keepMatrices: saveMatrices)
                let flags = decoded.elementCounts + decoded.chargeNeutral + decoded.electronegativityBalanced
                    + decoded.smactValid
                let keys = try world.gatherv(decoded.keyWords)
                let gatheredFlags = try world.gatherv(flags)
                let matrices = saveMatrices ? try world.gatherv(decoded.matrices) : nil
                if let writer, let keys, let gatheredFlags {
                    try writer.append(keys: keys, flags: gatheredFlags, matrices: matrices?.values)
                    progress(writer.written)
                }
            }
            if let writer {
                var all = attributes
                all["format"] = .string(SampleFile.format)
                all["samples"] = .int64(Int64(totalSamples))
                all["seed"] = .string(String(sampler.seed))
                all["decoder"] = .string(Self.describe(sampler.decoding))
                all["oxidation_states"] = .string(sampler.matganValidity.oxidationStates.rawValue)
                all["element_order"] = .stringArray(MatrixEncoding.matgan.rowElements.map(\.symbol))
                try writer.finish(attributes: all)
            }
        } catch {
            writer?.discard()
            throw error
        }
    }

    static func describe(_ rule: MatrixDecodingRule) -> String {
        switch rule {
        case .threshold(let value): "threshold \(value)"
        case .argmax(let value): "argmax \(value)"
        case .singleCell(let value): "single-cell \(value)"
        }
    }
}

/// Rank 0's side of ``GenerationJob``: appends gathered blocks to the extendable datasets.
private final class SampleFileWriter {
    private let file: File
    private let keys: Dataset
    private let formulas: Dataset
    private let flagDatasets: [Dataset]
    private let matrices: Dataset?
    private(set) var written = 0

    init(path: String, saveMatrices: Bool, expectedSize: Int) throws {
        file = try File.create(path, expectedSize: expectedSize)
        let samples = try file.createGroup("samples")
        let chunk = 16_384
        keys = try samples.createExtendableDataset("key", of: UInt64.self, rowShape: [2], chunkRows: chunk)
        formulas = try samples.createExtendableStringDataset("formula", chunkRows: chunk)
        flagDatasets = try ["element_count", "charge_neutral", "electronegativity_balanced", "smact_valid"].map {
            try samples.createExtendableDataset($0, of: UInt8.self, rowShape: [], chunkRows: chunk)
        }
        matrices = saveMatrices
            ? try samples.createExtendableDataset("matrix", of: UInt8.self, rowShape: [85, 8], chunkRows: 1024) : nil
    }

    /// Appends one round: per rank (in rank order) `2n` key words and `4n` flag bytes.
    func append(keys keyWords: (values: [UInt64], counts: [Int]), flags: (values: [UInt8], counts: [Int]),
                matrices matrixBytes: [UInt8]?) throws {
        var flagColumns = [[UInt8]](repeating: [], count: 4)
        var flagOffset = 0
        for count in flags.counts {
            let samples = count / 4
            for column in 0..<4 {
                let start = flagOffset + column * samples
                flagColumns[column].append(contentsOf: flags.values[start..<start + samples])
            }
            flagOffset += count
        }
        let formulaStrings = stride(from: 0, to: keyWords.values.count, by: 2).map { index in
            CompositionKey(words: (keyWords.values[index], keyWords.values[index + 1]))?.composition.formula ?? ""
        }
        try keys.append(keyWords.values)
        try formulas.appendStrings(formulaStrings)
        for (dataset, column) in zip(flagDatasets, flagColumns) { try dataset.append(column) }
        if let matrices, let matrixBytes { try matrices.append(matrixBytes) }
        written += formulaStrings.count
    }

    func finish(attributes: [String: AttributeValue]) throws {
        for (name, value) in attributes.sorted(by: { $0.key < $1.key }) { try file.setAttribute(name, value) }
        try file.commit()
    }

    func discard() { file.discard() }
}
