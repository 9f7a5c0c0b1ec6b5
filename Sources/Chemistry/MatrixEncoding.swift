/// How a generated matrix of per-cell probabilities is turned back into counts.
public enum MatrixDecodingRule: Equatable, Sendable {
    /// MatGAN's decoder: a cell is on when its value is at least the threshold; an element
    /// with no cell on is absent; when several cells of a row are on, the largest count wins.
    case threshold(Float)
    /// A row's element is present when its largest value reaches the threshold, with the
    /// count of that largest value (ties to the smaller count).
    case argmax(Float)
    /// The active-generative-design decoder: cells round to on at the threshold; a row with
    /// one cell on gives that count, a row with several makes the whole sample undecodable.
    case singleCell(Float)

    /// MatGAN's default: on at >= 0.2 (`1 - tolerate`, tolerate = 0.8).
    public static let matgan = MatrixDecodingRule.threshold(0.2)
    /// Active generative design: rounding at 0.5, exactly one cell per present element.
    public static let activeDesign = MatrixDecodingRule.singleCell(0.5)
}

/// A one-hot composition matrix: one row per element of a fixed list, one column per count
/// 1...8; `m[row, count - 1] = 1` for each element present, absent elements are zero rows.
/// Row-major, `rowCount x 8` (MatGAN's `[85, 8, 1]` NHWC image).
public struct MatrixEncoding: Sendable {
    /// The number of count columns; counts above it cannot be encoded.
    public static let maximumCount = 8

    /// MatGAN's 85 elements (`matgan85_index` of `elements_smact.csv`: H..Pu without the
    /// noble gases He, Ne, Ar, Kr and the short-lived Po, At, Rn, Fr, Ra).
    public static let matgan = MatrixEncoding(
        rowElements: Element.all.filter { $0.matgan85Index != nil }.sorted { $0.matgan85Index! < $1.matgan85Index! })

    /// The 87 rows of active generative design: MatGAN's 85 plus He and Kr, in atomic-number
    /// order (its code sorts the elements found in Materials Project by atomic number).
    public static let activeDesign = MatrixEncoding(
        rowElements: Element.all.filter { $0.matgan85Index != nil || $0.symbol == "He" || $0.symbol == "Kr" })

    /// The element of each row.
    public let rowElements: [Element]
    /// Row of each atomic number (index 0 unused), -1 when the element has no row.
    private let rowByAtomicNumber: [Int]
    /// Whether rows ascend by atomic number, so decoded elements come out in order.
    private let rowsAscend: Bool

    /// An encoding over `rowElements`, which must be distinct.
    public init(rowElements: [Element]) {
        self.rowElements = rowElements
        var rows = [Int](repeating: -1, count: Element.maximumAtomicNumber + 1)
        for (row, element) in rowElements.enumerated() {
            precondition(rows[element.atomicNumber] < 0, "\(element) appears twice in the matrix rows")
            rows[element.atomicNumber] = row
        }
        rowByAtomicNumber = rows
        rowsAscend = zip(rowElements, rowElements.dropFirst()).allSatisfy { $0 < $1 }
    }

    /// The number of rows (elements).
    public var rowCount: Int { rowElements.count }
    /// The number of cells, `rowCount * 8`.
    public var cellCount: Int { rowElements.count * Self.maximumCount }

    /// The row of `element`, or `nil` when it has none.
    public func row(of element: Element) -> Int? {
        let row = rowByAtomicNumber[element.atomicNumber]
        return row < 0 ? nil : row
    }

    /// Why `composition` cannot be encoded, or `nil` when it can.
    public func encodingProblem(_ composition: Composition) -> ChemistryError? {
        for (element, count) in zip(composition.elements, composition.counts) {
            if rowByAtomicNumber[element.atomicNumber] < 0 {
                return ChemistryError(formula: composition.formula, reason: .elementNotInMatrix(element))
            }
            if count > Self.maximumCount {
                return ChemistryError(formula: composition.formula, reason: .countAboveMatrix(element, count))
            }
        }
        return nil
    }

    /// Writes the one-hot matrix of `composition` into `matrix` (`cellCount` values, all
    /// overwritten).
    public func encode<Scalar: Numeric>(_ composition: Composition,
                                        into matrix: UnsafeMutableBufferPointer<Scalar>) throws(ChemistryError) {
        precondition(matrix.count == cellCount, "matrix has \(matrix.count) cells, expected \(cellCount)")
        if let problem = encodingProblem(composition) { throw problem }
        matrix.update(repeating: 0)
        for (element, count) in zip(composition.elements, composition.counts) {
            matrix[rowByAtomicNumber[element.atomicNumber] * Self.maximumCount + count - 1] = 1
        }
    }

    /// The one-hot matrix of `composition` as `cellCount` bytes.
    public func encode(_ composition: Composition) throws(ChemistryError) -> [UInt8] {
        var matrix = [UInt8](repeating: 0, count: cellCount)
        try matrix.withUnsafeMutableBufferPointer { (buffer) throws(ChemistryError) in
            try encode(composition, into: buffer)
        }
        return matrix
    }

    /// Decodes one generated matrix (`cellCount` values, row-major).
    ///
    /// Returns `nil` when the rule finds the matrix undecodable or when the number of
    /// elements falls outside `elementCounts` (MatGAN drops samples with fewer than 2 or
    /// more than 8 elements). Counts are the matrix's own, not reduced.
    public func decode(_ matrix: UnsafeBufferPointer<Float>, rule: MatrixDecodingRule = .matgan,
                       elementCounts: ClosedRange<Int> = 2...8) -> Composition? {
        precondition(matrix.count == cellCount, "matrix has \(matrix.count) cells, expected \(cellCount)")
        let width = Self.maximumCount
        var elements: [Element] = []
        var counts: [Int] = []
        for row in 0..<rowCount {
            let cells = UnsafeBufferPointer(rebasing: matrix[(row * width)..<(row * width + width)])
            var count = 0
            switch rule {
            case .threshold(let threshold):
                for column in stride(from: width - 1, through: 0, by: -1) where cells[column] >= threshold {
                    count = column + 1
                    break
                }
            case .argmax(let threshold):
                var best = 0
                for column in 1..<width where cells[column] > cells[best] { best = column }
                if cells[best] >= threshold { count = best + 1 }
            case .singleCell(let threshold):
                for column in 0..<width where cells[column] >= threshold {
                    guard count == 0 else { return nil }
                    count = column + 1
                }
            }
            if count > 0 {
                elements.append(rowElements[row])
                counts.append(count)
                if elements.count > elementCounts.upperBound { return nil }
            }
        }
        guard elementCounts.contains(elements.count) else { return nil }
        return rowsAscend ? Composition(sortedElements: elements, counts: counts) : Composition(zip(elements, counts))
    }

    /// Decodes one generated matrix given as an array; see ``decode(_:rule:elementCounts:)``.
    public func decode(_ matrix: [Float], rule: MatrixDecodingRule = .matgan,
                       elementCounts: ClosedRange<Int> = 2...8) -> Composition? {
        matrix.withUnsafeBufferPointer { decode($0, rule: rule, elementCounts: elementCounts) }
    }
}
