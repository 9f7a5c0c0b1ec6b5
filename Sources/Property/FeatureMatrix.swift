/// A row-major matrix of Float features: one row per composition, one column per feature.
public struct FeatureMatrix: Sendable, Equatable {
    /// Number of rows (samples).
    public let rowCount: Int
    /// Number of columns (features).
    public let columnCount: Int
    /// `rowCount * columnCount` values; row r occupies `values[r * columnCount ..< (r + 1) * columnCount]`.
    public var values: [Float]

    /// A matrix over `values` (row-major), which must hold `rowCount * columnCount` Floats.
    public init(rowCount: Int, columnCount: Int, values: [Float]) {
        precondition(rowCount >= 0 && columnCount > 0, "FeatureMatrix: need rowCount >= 0 and columnCount > 0")
        precondition(values.count == rowCount * columnCount,
                     "FeatureMatrix: \(values.count) values for \(rowCount) x \(columnCount)")
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.values = values
    }

    /// The value in `row`, `column`.
    public subscript(row: Int, column: Int) -> Float {
        values[row * columnCount + column]
    }

    /// The matrix of the given rows, in the given order.
    public func selectingRows(_ rows: [Int]) -> FeatureMatrix {
        let width = columnCount
        let selected = [Float](unsafeUninitializedCapacity: rows.count * width) { buffer, initialized in
            values.withUnsafeBufferPointer { source in
                for (position, row) in rows.enumerated() {
                    precondition(row >= 0 && row < rowCount, "FeatureMatrix.selectingRows: row \(row) outside 0..<\(rowCount)")
                    let target = buffer.baseAddress! + position * width
                    target.initialize(from: source.baseAddress! + row * width, count: width)
                }
            }
            initialized = rows.count * width
        }
        return FeatureMatrix(rowCount: rows.count, columnCount: width, values: selected)
    }

    /// The contiguous rows `range`.
    public func rows(_ range: Range<Int>) -> FeatureMatrix {
        FeatureMatrix(rowCount: range.count, columnCount: columnCount,
                      values: Array(values[range.lowerBound * columnCount ..< range.upperBound * columnCount]))
    }
}
