import Chemistry

/// ElemNet's input: the atomic fraction of each of 86 elements (MatGAN's 85 plus Kr, by
/// atomic number), zero for absent elements.
public enum ElementFractions {
    /// The 86 elements, ascending atomic number.
    public static let elements: [Element] = Element.all.filter { $0.matgan85Index != nil || $0.symbol == "Kr" }
    /// `fraction <symbol>` per column.
    public static let featureNames: [String] = elements.map { "fraction \($0.symbol)" }

    /// Column of each atomic number, -1 for elements outside the 86.
    private static let columns: [Int] = {
        var columns = [Int](repeating: -1, count: Element.maximumAtomicNumber + 1)
        for (column, element) in elements.enumerated() { columns[element.atomicNumber] = column }
        return columns
    }()

    /// One row of fractions per composition; an element outside the 86 is an error naming the formula.
    public static func features(of compositions: [Composition]) throws -> FeatureMatrix {
        let width = elements.count
        var output = [Float](repeating: 0, count: compositions.count * width)
        for (row, composition) in compositions.enumerated() {
            let total = Double(composition.atomCount)
            for (element, count) in zip(composition.elements, composition.counts) {
                let column = columns[element.atomicNumber]
                guard column >= 0 else {
                    throw PropertyError("formula '\(composition.formula)': element \(element.symbol) is not one of ElemNet's "
                                        + "86 input elements (MatGAN's 85 and Kr)")
                }
                output[row * width + column] = Float(Double(count) / total)
            }
        }
        return FeatureMatrix(rowCount: compositions.count, columnCount: width, values: output)
    }
}
