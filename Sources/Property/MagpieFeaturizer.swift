import Chemistry
import Datasets
import Foundation

/// Magpie composition descriptors (Ward et al. 2016) from the elemental property table
/// `magpie_elements.csv`, named and ordered as matminer's `ElementProperty.from_preset("magpie")`
/// after its `Stoichiometry` featurizer.
///
/// Features, in this order (138 for the 22 properties of the published table):
/// - Stoichiometry: `0-norm` (number of elements), then `2-norm`, `3-norm`, `5-norm`, `7-norm`,
///   `10-norm`: `(sum_i f_i^p)^(1/p)` of the atomic fractions `f_i`.
/// - For each property column `P` of the table, in the table's column order:
///   `MagpieData minimum P`, `maximum P`, `range P` (max - min), `mean P` (`sum_i f_i v_i`),
///   `avg_dev P` (fraction-weighted mean absolute deviation `sum_i f_i |v_i - mean|`) and
///   `mode P`: the value of the most abundant element; when several elements share the largest
///   fraction, the smallest of their values (matminer's rule).
///
/// The table has a row for H..Bk (Z 1...97) and no blanks; a composition with an element
/// beyond Bk is an error naming the formula. Values are computed in Double and stored as Float.
public struct MagpieFeaturizer: Sendable {
    /// The table's file name in the data directory.
    public static let fileName = "magpie_elements.csv"
    /// The stoichiometry norms' exponents; 0 stands for the number of elements.
    static let normExponents = [0, 2, 3, 5, 7, 10]
    /// The statistics per property, in feature order.
    static let statistics = ["minimum", "maximum", "range", "mean", "avg_dev", "mode"]

    /// The property columns of the table, in file order.
    public let propertyNames: [String]
    /// Every feature's name, in column order of ``features(of:)``.
    public let featureNames: [String]
    /// SHA-256 of the table file, recorded in model files.
    public let sourceSHA256: String
    /// `values[z * propertyCount + p]`: property p of the element with atomic number z.
    private let values: [Double]
    /// Whether the table has a row for atomic number z.
    private let hasElement: [Bool]

    /// The number of features per composition.
    public var featureCount: Int { featureNames.count }

    /// Reads the table at `path`: a header `element,<property>,...`, one row per element symbol,
    /// every value a finite number.
    public init(file path: String) throws {
        let bytes = try DataFile.read(path)
        let table = try CSVTable(file: path, bytes: bytes)
        guard table.header.count >= 2 else {
            throw DataFileError(file: path, line: 1, message: "expected an element column and at least one property column")
        }
        let properties = Array(table.header.dropFirst())
        let propertyCount = properties.count
        var values = [Double](repeating: 0, count: (Element.maximumAtomicNumber + 1) * propertyCount)
        var hasElement = [Bool](repeating: false, count: Element.maximumAtomicNumber + 1)
        for row in table.rows {
            let symbol = row.fields[0].trimmingCharacters(in: .whitespaces)
            guard let element = Element(symbol: symbol) else {
                throw DataFileError(file: path, line: row.line, column: table.header[0], message: "unknown element symbol '\(symbol)'")
            }
            guard !hasElement[element.atomicNumber] else {
                throw DataFileError(file: path, line: row.line, column: table.header[0], message: "second row for \(symbol)")
            }
            hasElement[element.atomicNumber] = true
            for p in 0..<propertyCount {
                let text = row.fields[p + 1].trimmingCharacters(in: .whitespaces)
                guard let value = Double(text), value.isFinite else {
                    throw DataFileError(file: path, line: row.line, column: properties[p],
                                        message: "'\(text)' is not a finite number (blank and NaN values are not supported)")
                }
                values[element.atomicNumber * propertyCount + p] = value
            }
        }
        propertyNames = properties
        featureNames = Self.normExponents.map { "\($0)-norm" }
            + properties.flatMap { property in Self.statistics.map { "MagpieData \($0) \(property)" } }
        sourceSHA256 = FileDigest.sha256(of: bytes)
        self.values = values
        self.hasElement = hasElement
    }

    /// Reads `magpie_elements.csv` from the data directory.
    public init(dataDirectory: URL) throws {
        try self.init(file: dataDirectory.appendingPathComponent(Self.fileName).path)
    }

    /// The features of every composition, one row each.
    public func features(of compositions: [Composition]) throws -> FeatureMatrix {
        let width = featureCount
        let propertyCount = propertyNames.count
        for composition in compositions {
            if let missing = composition.elements.first(where: { !hasElement[$0.atomicNumber] }) {
                throw PropertyError("formula '\(composition.formula)': element \(missing.symbol) has no row in \(Self.fileName) "
                                    + "(it covers H..Bk); Magpie features cannot be computed")
            }
        }
        var output = [Float](repeating: 0, count: compositions.count * width)
        values.withUnsafeBufferPointer { table in
            output.withUnsafeMutableBufferPointer { output in
                var fractions = [Double](repeating: 0, count: 16)
                for (row, composition) in compositions.enumerated() {
                    let out = output.baseAddress! + row * width
                    let elementCount = composition.elements.count
                    if fractions.count < elementCount { fractions = [Double](repeating: 0, count: elementCount) }
                    let total = Double(composition.atomCount)
                    for i in 0..<elementCount { fractions[i] = Double(composition.counts[i]) / total }

                    for (k, exponent) in Self.normExponents.enumerated() {
                        if exponent == 0 {
                            out[k] = Float(elementCount)
                        } else {
                            var sum = 0.0
                            for i in 0..<elementCount { sum += pow(fractions[i], Double(exponent)) }
                            out[k] = Float(pow(sum, 1 / Double(exponent)))
                        }
                    }
                    // The most abundant element(s) for the mode.
                    var largest = 0.0
                    for i in 0..<elementCount { largest = max(largest, fractions[i]) }

                    var column = Self.normExponents.count
                    for p in 0..<propertyCount {
                        var minimum = Double.infinity, maximum = -Double.infinity, mean = 0.0
                        var mode = Double.infinity
                        for i in 0..<elementCount {
                            let value = table[composition.elements[i].atomicNumber * propertyCount + p]
                            minimum = min(minimum, value)
                            maximum = max(maximum, value)
                            mean += fractions[i] * value
                            if fractions[i] == largest { mode = min(mode, value) }
                        }
                        var deviation = 0.0
                        for i in 0..<elementCount {
                            deviation += fractions[i] * abs(table[composition.elements[i].atomicNumber * propertyCount + p] - mean)
                        }
                        out[column] = Float(minimum)
                        out[column + 1] = Float(maximum)
                        out[column + 2] = Float(maximum - minimum)
                        out[column + 3] = Float(mean)
                        out[column + 4] = Float(deviation)
                        out[column + 5] = Float(mode)
                        column += Self.statistics.count
                    }
                }
            }
        }
        return FeatureMatrix(rowCount: compositions.count, columnCount: width, values: output)
    }
}
