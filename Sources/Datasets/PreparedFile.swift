import Chemistry
import HDF5

/// Dataset and attribute names of the HDF5 files `prepare` writes. All datasets have the rows
/// on axis 0, so ranks can read shards with `Dataset.readRows`.
///
/// Composition files (`kind` = `compositions`):
/// - `onehot` UInt8 `[N, 85, 8]`: MatGAN one-hot matrices of the reduced formulas
/// - `formula` strings `[N]`: canonical reduced formulas
/// - `target` Float64 `[N]`: the target column (attribute `target_column`)
/// - `split` UInt8 `[N]`: 0 train, 1 hold-out
/// - `element_count` UInt8 `[N]`
/// - `charge_neutral`, `electronegativity_balanced`, `smact_valid` UInt8 `[N]`: SMACT rule
///   with the `oxidation_states` attribute's set
///
/// Elpasolite files (`kind` = `elpasolites`):
/// - `sites` UInt8 `[N, 4]`: positions in the 39-element vocabulary (attribute `vocabulary`)
/// - `vector` Float32 `[N, 8]`: scaled (period, group) per site
/// - `tuple_index` Int64 `[N]`: index in `0..<1,974,024`
/// - `formula` strings, `target` Float64 (eV/atom), `split` UInt8 as above
/// - `class_index` UInt8 `[N]`: energy class 0...9 (paper's class minus 1), bounds in the
///   attributes `class_lower_bound`, `class_upper_bound`
/// - `augmented` UInt8 `[N]`: 1 for added A/B swaps
///
/// Every dataset is chunked and carries Fletcher-32 checksums, verified on each read.
///
/// Attributes on the root of both: `format`, `kind`, `preset`, `source_file`,
/// `source_sha256`, `rows_read`, `filter_names`, `filter_rows_removed`,
/// `filter_rows_remaining`, `seed`, `holdout_fraction`, `train_rows`, `holdout_rows`,
/// `target_column`; compositions add `formula_column`, `element_order`, `oxidation_states`,
/// `duplicates`.
public enum PreparedFile {
    /// The `format` attribute's value.
    public static let format = "matgan-dist prepared data v1"

    public static let onehot = "onehot"
    public static let formula = "formula"
    public static let target = "target"
    public static let split = "split"
    public static let elementCount = "element_count"
    public static let chargeNeutral = "charge_neutral"
    public static let electronegativityBalanced = "electronegativity_balanced"
    public static let smactValid = "smact_valid"
    public static let sites = "sites"
    public static let vector = "vector"
    public static let tupleIndex = "tuple_index"
    public static let classIndex = "class_index"
    public static let augmented = "augmented"

    /// `split` values.
    public static let trainSplit: UInt8 = 0
    public static let holdoutSplit: UInt8 = 1
}

extension PreparedDataset {
    /// Writes the data set to `path` as one HDF5 file. The file appears only when complete:
    /// on any error the partial file is removed and nothing is left at `path`.
    public func write(to path: String) throws {
        let file = try File.create(path)
        do {
            try writeContents(file)
            try file.commit()
        } catch {
            file.discard()
            throw error
        }
    }

    private func writeContents(_ file: File) throws {
        let holdout = isHoldout
        let rows = holdout.count
        let heldOut = holdout.filter { $0 }.count
        // Chunked storage for every dataset: each chunk carries a Fletcher-32 checksum.
        let chunked = DatasetStorage.chunked(rows: max(1, min(rows, 4096)), compression: 4)
        try file.write(PreparedFile.split, holdout.map { $0 ? PreparedFile.holdoutSplit : PreparedFile.trainSplit },
                       storage: chunked)
        let attributes: [(String, AttributeValue)] = [
            ("format", .string(PreparedFile.format)),
            ("preset", .string(preset?.rawValue ?? "custom")),
            ("source_file", .string(sourceFile)),
            ("source_sha256", .string(sourceSHA256)),
            ("rows_read", .int64(Int64(rowsRead))),
            ("filter_names", .stringArray(steps.map(\.name))),
            ("filter_rows_removed", .int64Array(steps.map { Int64($0.removed) })),
            ("filter_rows_remaining", .int64Array(steps.map { Int64($0.remaining) })),
            ("seed", .int64(Int64(bitPattern: options.seed))),
            ("holdout_fraction", .double(options.holdoutFraction)),
            ("train_rows", .int64(Int64(rows - heldOut))),
            ("holdout_rows", .int64(Int64(heldOut))),
            ("target_column", .string(options.targetColumn)),
        ]
        for (name, value) in attributes { try file.setAttribute(name, value) }

        switch content {
        case .compositions(let data):
            let encoding = MatrixEncoding.matgan
            var onehot = [UInt8](repeating: 0, count: rows * encoding.cellCount)
            try onehot.withUnsafeMutableBufferPointer { buffer in
                for (row, composition) in data.compositions.enumerated() {
                    let start = row * encoding.cellCount
                    try encoding.encode(composition, into: UnsafeMutableBufferPointer(rebasing: buffer[start..<(start + encoding.cellCount)]))
                }
            }
            try file.write(PreparedFile.onehot, onehot, shape: [rows, encoding.rowCount, MatrixEncoding.maximumCount], storage: chunked)
            try file.writeStrings(PreparedFile.formula, data.compositions.map(\.formula), storage: chunked)
            try file.write(PreparedFile.target, data.targets, storage: chunked)
            try file.write(PreparedFile.elementCount, data.compositions.map { UInt8($0.elementCount) }, storage: chunked)
            try file.write(PreparedFile.chargeNeutral, data.validity.map { $0.isChargeNeutral ? UInt8(1) : 0 }, storage: chunked)
            try file.write(PreparedFile.electronegativityBalanced, data.validity.map { $0.isElectronegativityBalanced ? UInt8(1) : 0 },
                           storage: chunked)
            try file.write(PreparedFile.smactValid, data.validity.map { $0.isValid ? UInt8(1) : 0 }, storage: chunked)
            try file.setAttribute("kind", .string("compositions"))
            try file.setAttribute("formula_column", .string(options.formulaColumn))
            try file.setAttribute("element_order", .stringArray(encoding.rowElements.map(\.symbol)))
            try file.setAttribute("oxidation_states", .string(options.oxidationStates.rawValue))
            try file.setAttribute("duplicates", .string(options.duplicates.rawValue))
        case .elpasolites(let data):
            try file.write(PreparedFile.sites, data.compounds.flatMap { $0.sites.map(UInt8.init) }, shape: [rows, Elpasolite.siteCount],
                           storage: chunked)
            try file.write(PreparedFile.vector, data.compounds.flatMap(\.vector), shape: [rows, Elpasolite.vectorLength],
                           storage: chunked)
            try file.write(PreparedFile.tupleIndex, data.compounds.map { Int64($0.index) }, storage: chunked)
            try file.writeStrings(PreparedFile.formula, data.compounds.map(\.formula), storage: chunked)
            try file.write(PreparedFile.target, data.targets, storage: chunked)
            try file.write(PreparedFile.classIndex, data.targets.map { UInt8(data.classes.index(ofEnergy: $0)) }, storage: chunked)
            try file.write(PreparedFile.augmented, data.isAugmented.map { $0 ? UInt8(1) : 0 }, storage: chunked)
            try file.setAttribute("kind", .string("elpasolites"))
            try file.setAttribute("vocabulary", .stringArray(Elpasolite.vocabulary.map(\.symbol)))
            try file.setAttribute("class_lower_bound", .double(data.classes.lowerBound))
            try file.setAttribute("class_upper_bound", .double(data.classes.upperBound))
            try file.setAttribute("class_count", .int64(Int64(ElpasoliteEnergyClasses.count)))
        }
    }
}
