import Chemistry
import TestSupport
import XCTest

final class EncodingTests: XCTestCase {
    func testMatGANRowOrder() {
        let order = """
            H Li Be B C N O F Na Mg Al Si P S Cl K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Rb Sr Y Zr Nb Mo \
            Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir \
            Pt Au Hg Tl Pb Bi Ac Th Pa U Np Pu
            """.split(separator: " ").map(String.init)
        XCTAssertEqual(MatrixEncoding.matgan.rowElements.map(\.symbol), order)
        XCTAssertEqual(MatrixEncoding.matgan.cellCount, 680)
        let active = MatrixEncoding.activeDesign.rowElements.map(\.symbol)
        XCTAssertEqual(active.count, 87)
        XCTAssertEqual(Array(active.prefix(3)), ["H", "He", "Li"])
        XCTAssertEqual(active.firstIndex(of: "Kr"), 33)
        XCTAssertEqual(active.filter { !order.contains($0) }, ["He", "Kr"])
    }

    func testEncodeOneHot() throws {
        let matrix = try MatrixEncoding.matgan.encode(try Composition(parsing: "SrTi2O8"))
        XCTAssertEqual(matrix.count, 680)
        XCTAssertEqual(matrix.reduce(0) { $0 + Int($1) }, 3)
        XCTAssertEqual(matrix[33 * 8 + 0], 1)  // Sr, count 1
        XCTAssertEqual(matrix[18 * 8 + 1], 1)  // Ti, count 2
        XCTAssertEqual(matrix[6 * 8 + 7], 1)   // O, count 8
        var floats = [Float](repeating: 7, count: 680)
        try floats.withUnsafeMutableBufferPointer { try MatrixEncoding.matgan.encode(try Composition(parsing: "NaCl"), into: $0) }
        XCTAssertEqual(floats.reduce(0, +), 2)
        XCTAssertEqual(floats[8 * 8], 1)

        XCTAssertThrowsError(try MatrixEncoding.matgan.encode(try Composition(parsing: "KrF2"))) { error in
            XCTAssertEqual((error as? ChemistryError)?.reason, .elementNotInMatrix(Element(symbol: "Kr")!))
        }
        XCTAssertThrowsError(try MatrixEncoding.matgan.encode(try Composition(parsing: "Na9Cl"))) { error in
            XCTAssertEqual((error as? ChemistryError)?.reason, .countAboveMatrix(Element(symbol: "Na")!, 9))
        }
        XCTAssertNoThrow(try MatrixEncoding.activeDesign.encode(try Composition(parsing: "KrF2")))
    }

    func testDecodingRules() throws {
        let encoding = MatrixEncoding.matgan
        var matrix = [Float](repeating: 0.1, count: 680)
        matrix[8 * 8 + 0] = 0.9   // Na 1
        matrix[14 * 8 + 0] = 0.9  // Cl 1 ...
        matrix[14 * 8 + 2] = 0.25 // ... and Cl 3 weakly on: the largest count wins
        matrix[6 * 8 + 4] = 0.19  // O 5 just below the threshold: absent
        XCTAssertEqual(encoding.decode(matrix), try Composition(parsing: "NaCl3"))
        XCTAssertEqual(encoding.decode(matrix, rule: .argmax(0.5)), try Composition(parsing: "NaCl"))
        XCTAssertEqual(encoding.decode(matrix, rule: .activeDesign), try Composition(parsing: "NaCl"))
        matrix[14 * 8 + 2] = 0.6
        XCTAssertNil(encoding.decode(matrix, rule: .activeDesign))  // two cells on in one row
        // Element-count limits: 1 element and 9 elements are dropped.
        var single = [Float](repeating: 0, count: 680)
        single[0] = 1
        XCTAssertNil(encoding.decode(single))
        XCTAssertEqual(encoding.decode(single, elementCounts: 1...8), try Composition(parsing: "H"))
        var nine = [Float](repeating: 0, count: 680)
        for row in 0..<9 { nine[row * 8 + 1] = 1 }
        XCTAssertNil(encoding.decode(nine))
        nine[8 * 8 + 1] = 0
        XCTAssertEqual(encoding.decode(nine)?.elementCount, 8)
    }

    func testEncodeDecodeRoundTripOnRandomCompositions() throws {
        var generator = SplitMix64(seed: 11)
        for encoding in [MatrixEncoding.matgan, .activeDesign] {
            for _ in 0..<5_000 {
                let elements = encoding.rowElements.shuffled(using: &generator).prefix(Int.random(in: 2...8, using: &generator))
                let composition = Composition(elements.map { ($0, Int.random(in: 1...8, using: &generator)) })
                let matrix = try encoding.encode(composition).map(Float.init)
                for rule in [MatrixDecodingRule.matgan, .argmax(0.5), .activeDesign] {
                    XCTAssertEqual(encoding.decode(matrix, rule: rule), composition)
                }
            }
        }
    }

    func testElpasoliteVocabularyAndVector() throws {
        XCTAssertEqual(Elpasolite.vocabulary.count, 39)
        XCTAssertEqual(Elpasolite.tupleCount, 1_974_024)
        let pairs = Elpasolite.vocabulary.map { [$0.period, Elpasolite.mainGroup(of: $0)] }
        XCTAssertEqual(Set(pairs).count, 39)
        XCTAssertEqual(pairs[1], [1, 8])   // He
        XCTAssertEqual(pairs[20], [4, 3])  // Ga
        XCTAssertEqual(pairs[38], [6, 5])  // Bi
        XCTAssertEqual(Elpasolite.scale(1, levels: 6), 1.0 / 6 - 1, accuracy: 1e-6)
        XCTAssertEqual(Elpasolite.scale(8, levels: 8), 1 - 1.0 / 8, accuracy: 1e-6)

        let compound = try XCTUnwrap(Elpasolite(a: Element(symbol: "O")!, b: Element(symbol: "C")!,
                                                c: Element(symbol: "Xe")!, d: Element(symbol: "Sb")!))
        XCTAssertEqual(compound.formula, "OCXe2Sb6")
        XCTAssertEqual(compound.composition, try Composition(parsing: "OCXe2Sb6"))
        // O: period 2, group 6; C: 2, 4; Xe: 5, 8; Sb: 5, 5.
        let expected: [Float] = [3.0 / 6 - 1, 11.0 / 8 - 1, 3.0 / 6 - 1, 7.0 / 8 - 1,
                                 9.0 / 6 - 1, 15.0 / 8 - 1, 9.0 / 6 - 1, 9.0 / 8 - 1]
        for (value, want) in zip(compound.vector, expected) { XCTAssertEqual(value, want, accuracy: 1e-6) }
        XCTAssertEqual(Elpasolite(vector: compound.vector), compound)
        XCTAssertEqual(Elpasolite(vector: compound.vector.map { $0 + 0.05 }), compound)
        XCTAssertEqual(compound.swappingAB.formula, "COXe2Sb6")

        // Invalid: a repeated element, a (period, group) with no element (period 1, group 3),
        // a value past the last level, the wrong length.
        var repeated = compound.vector
        repeated[2] = repeated[0]; repeated[3] = repeated[1]
        XCTAssertNil(Elpasolite(vector: repeated))
        var hole = compound.vector
        hole[0] = Elpasolite.scale(1, levels: 6); hole[1] = Elpasolite.scale(3, levels: 8)
        XCTAssertNil(Elpasolite(vector: hole))
        var outside = compound.vector
        outside[6] = 1.2
        XCTAssertNil(Elpasolite(vector: outside))
        XCTAssertNil(Elpasolite(vector: [Float](repeating: 0, count: 7)))
        XCTAssertNil(Elpasolite(a: Element(symbol: "Fe")!, b: Element(symbol: "C")!, c: Element(symbol: "O")!, d: Element(symbol: "F")!))
        XCTAssertNil(Elpasolite(sites: [0, 1, 2, 2]))
    }

    /// Every index 0..<1,974,024 maps to a tuple of distinct sites whose index is itself,
    /// and tuples ascend lexicographically with the index: a bijection onto the whole space.
    func testElpasoliteIndexBijectionOverTheWholeSpace() {
        var previous: [Int] = [-1]
        for index in 0..<Elpasolite.tupleCount {
            let compound = Elpasolite(index: index)
            let sites = compound.sites
            if Set(sites).count != 4 { return XCTFail("index \(index): repeated site in \(sites)") }
            if compound.index != index { return XCTFail("index \(index) -> \(sites) -> \(compound.index)") }
            if !previous.lexicographicallyPrecedes(sites) { return XCTFail("index \(index): \(sites) after \(previous)") }
            previous = sites
        }
        XCTAssertEqual(previous, [38, 37, 36, 35])
        XCTAssertEqual(Elpasolite(index: 0).sites, [0, 1, 2, 3])
    }

    func testEnergyClasses() {
        let classes = ElpasoliteEnergyClasses(spanning: [-3.0, 5.1, 1.0])
        XCTAssertEqual(classes.width, 0.81, accuracy: 1e-12)
        XCTAssertEqual(classes.index(ofEnergy: -3.0), 0)
        XCTAssertEqual(classes.index(ofEnergy: 5.1), 9)
        XCTAssertEqual(classes.index(ofEnergy: -2.19 - 1e-9), 0)
        XCTAssertEqual(classes.index(ofEnergy: -2.19 + 1e-9), 1)
        XCTAssertEqual(classes.index(ofEnergy: 100), 9)
        XCTAssertEqual(classes.index(ofEnergy: -100), 0)
    }
}
