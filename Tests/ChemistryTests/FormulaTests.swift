import Chemistry
import XCTest

final class FormulaTests: XCTestCase {
    private func composition(_ terms: [(String, Int)]) -> Composition {
        Composition(terms.map { (Element(symbol: $0.0)!, $0.1) })
    }

    func testElementTable() {
        XCTAssertEqual(Element.all.count, 103)
        let sodium = Element(symbol: "Na")!
        XCTAssertEqual(sodium.atomicNumber, 11)
        XCTAssertEqual(sodium.period, 3)
        XCTAssertEqual(sodium.group, 1)
        XCTAssertEqual(sodium.paulingElectronegativity, 0.93)
        XCTAssertEqual(sodium.oxidationStates(.smact14), [-1, 1])
        XCTAssertEqual(sodium.oxidationStates(.icsd24), [1])
        XCTAssertTrue(sodium.isSMACTMetal)
        XCTAssertEqual(sodium.matgan85Index, 8)
        XCTAssertEqual(Element(symbol: "O")!.oxidationStates(.icsd24), [-2, -1, 2])
        XCTAssertEqual(Element(symbol: "O")!.oxidationStates(.icsd24Filtered), [-2, -1])
        XCTAssertNil(Element(symbol: "Pm")!.paulingElectronegativity)
        XCTAssertNil(Element(symbol: "Kr")!.matgan85Index)
        XCTAssertNil(Element(symbol: "Xx"))
        XCTAssertNil(Element(atomicNumber: 104))
        // Period and group from Z, checked by hand against the periodic table.
        let expected: [(String, Int, Int)] = [
            ("H", 1, 1), ("He", 1, 18), ("B", 2, 13), ("Ne", 2, 18), ("Al", 3, 13), ("K", 4, 1),
            ("Sc", 4, 3), ("Zn", 4, 12), ("Ga", 4, 13), ("Kr", 4, 18), ("Ag", 5, 11), ("Xe", 5, 18),
            ("Cs", 6, 1), ("La", 6, 3), ("Lu", 6, 3), ("Hf", 6, 4), ("Bi", 6, 15), ("Rn", 6, 18),
            ("Fr", 7, 1), ("Ac", 7, 3), ("U", 7, 3), ("Lr", 7, 3),
        ]
        for (symbol, period, group) in expected {
            let element = Element(symbol: symbol)!
            XCTAssertEqual(element.period, period, symbol)
            XCTAssertEqual(element.group, group, symbol)
        }
    }

    func testParsesPlainNestedAndRepeatedFormulas() throws {
        XCTAssertEqual(try Composition(parsing: "NaCl"), composition([("Na", 1), ("Cl", 1)]))
        XCTAssertEqual(try Composition(parsing: "Ta2Te1Zr1"), composition([("Ta", 2), ("Te", 1), ("Zr", 1)]))
        XCTAssertEqual(try Composition(parsing: "Ag(AuF4)2"), composition([("Ag", 1), ("Au", 2), ("F", 8)]))
        XCTAssertEqual(try Composition(parsing: "CH3COOH"), composition([("C", 2), ("H", 4), ("O", 2)]))
        XCTAssertEqual(try Composition(parsing: "K4(Fe(CN)6)3"), composition([("K", 4), ("Fe", 3), ("C", 18), ("N", 18)]))
        XCTAssertEqual(try Composition(parsing: "((CH3)3Si)2O"), composition([("C", 6), ("H", 18), ("Si", 2), ("O", 1)]))
        XCTAssertEqual(try Composition(parsing: "Mg(OH)2"), composition([("Mg", 1), ("O", 2), ("H", 2)]))
        XCTAssertEqual(try Composition(parsing: "Ca(NO3)"), composition([("Ca", 1), ("N", 1), ("O", 3)]))
        XCTAssertEqual(try Composition(parsing: "U12"), composition([("U", 12)]))
        XCTAssertEqual(try Composition(parsing: "ClNa"), try Composition(parsing: "NaCl"))
    }

    func testChemistryErrorsSayWhatAndWhere() {
        let cases: [(String, ChemistryError.Reason, Int)] = [
            ("", .empty, 1),
            ("Na0.5Cl", .fractionalCount("0.5"), 3),
            ("NaCl1.25", .fractionalCount("1.25"), 5),
            ("Na.5Cl", .fractionalCount(".5"), 3),
            ("Na0Cl", .zeroCount, 3),
            ("Fe(CO)0", .zeroCount, 7),
            ("XyO2", .unknownElement("Xy"), 1),
            ("NaD", .unknownElement("D"), 3),
            ("Ag(AuF4", .unclosedParenthesis, 3),
            ("NaCl)2", .unopenedParenthesis, 5),
            ("Na()Cl", .emptyParentheses, 4),
            ("Na Cl", .unexpectedCharacter(" "), 3),
            ("nacl", .unexpectedCharacter("n"), 1),
            ("Ca+2", .unexpectedCharacter("+"), 3),
            ("Éa2", .unexpectedCharacter("É"), 1),
            ("Oé2", .unexpectedCharacter("é"), 2),
            ("ÉÉNa", .unexpectedCharacter("É"), 1),
            ("H99999999999", .countTooLarge, 2),
            ("(H9999)999999", .countTooLarge, 1),
            (String(repeating: "(", count: 20) + "H" + String(repeating: ")", count: 20), .nestingTooDeep, 17),
        ]
        for (formula, reason, position) in cases {
            XCTAssertThrowsError(try Composition(parsing: formula), formula) { error in
                guard let error = error as? ChemistryError else { return XCTFail("\(formula): \(error)") }
                XCTAssertEqual(error.reason, reason, formula)
                XCTAssertEqual(error.position, position, formula)
                XCTAssertEqual(error.formula, formula)
                XCTAssertTrue(error.description.contains("character \(position)"), error.description)
            }
        }
    }

    func testHydrateNotationIsNamedNotTakenForAFractionalCount() throws {
        let pentahydrate = try Composition(parsing: "CuH10SO9")
        let cases: [(String, ChemistryError.Reason, Int)] = [
            ("CuSO4.5H2O", .hydrateNotation(".5H2O", combined: pentahydrate), 6),
            ("CuSO4·5H2O", .hydrateNotation("·5H2O", combined: pentahydrate), 6),
            ("CuSO4•5H2O", .hydrateNotation("•5H2O", combined: pentahydrate), 6),
            ("NaCl.H2O", .hydrateNotation(".H2O", combined: try Composition(parsing: "NaClH2O")), 5),
            ("CaSO4.0.5H2O", .hydrateNotation(".0.5H2O", combined: nil), 6),
            ("CaSO4·0.5H2O", .hydrateNotation("·0.5H2O", combined: nil), 6),
            ("CaCl2·2NH3", .hydrateNotation("·2NH3", combined: try Composition(parsing: "CaCl2N2H6")), 6),
            ("Na2CO3·H2O·Xx", .hydrateNotation("·H2O·Xx", combined: nil), 7),
        ]
        for (formula, reason, position) in cases {
            XCTAssertThrowsError(try Composition(parsing: formula), formula) { error in
                guard let error = error as? ChemistryError else { return XCTFail("\(formula): \(error)") }
                XCTAssertEqual(error.reason, reason, formula)
                XCTAssertEqual(error.position, position, formula)
            }
        }
        XCTAssertThrowsError(try Composition(parsing: "CuSO4·5H2O")) { error in
            XCTAssertEqual("\(error)", "formula 'CuSO4·5H2O': hydrate notation '·5H2O' at character 6 is not supported; "
                + "write the formula without water of crystallisation or as CuH10SO9")
        }
        // A '.' not followed by water stays a decimal point.
        XCTAssertThrowsError(try Composition(parsing: "Na0.5Cl")) { error in
            XCTAssertEqual((error as? ChemistryError)?.reason, .fractionalCount("0.5"))
        }
        XCTAssertThrowsError(try Composition(parsing: "CuSO4.5H2")) { error in
            XCTAssertEqual((error as? ChemistryError)?.reason, .fractionalCount("4.5"))
        }
        XCTAssertThrowsError(try Composition(parsing: ".5Cl")) { error in
            XCTAssertEqual((error as? ChemistryError)?.reason, .unexpectedCharacter("."))
        }
    }

    func testMessagesQuoteAShortPrefixOfLongInput() {
        let symbol = "N" + String(repeating: "a", count: 1 << 20)
        XCTAssertThrowsError(try Composition(parsing: symbol)) { error in
            let description = "\(error)"
            let prefix = "'N" + String(repeating: "a", count: 39) + "…' (1048577 bytes)"
            XCTAssertEqual(description, "formula \(prefix): unknown element symbol \(prefix) at character 1")
        }
        XCTAssertThrowsError(try Composition(parsing: "Na1." + String(repeating: "5", count: 60) + "Cl")) { error in
            XCTAssertEqual((error as? ChemistryError)?.reason, .fractionalCount("1." + String(repeating: "5", count: 60)))
            XCTAssertLessThan("\(error)".utf8.count, 250, "\(error)")
            XCTAssertTrue("\(error)".contains("…' (66 bytes)") && "\(error)".contains("…' (62 bytes)"), "\(error)")
        }
        XCTAssertEqual("NaCl".quotedForMessage, "'NaCl'")
        XCTAssertEqual(String(repeating: "é", count: 40).quotedForMessage, "'\(String(repeating: "é", count: 40))'")
        XCTAssertEqual(String(repeating: "é", count: 41).quotedForMessage, "'\(String(repeating: "é", count: 40))…' (82 bytes)")
    }

    func testCanonicalFormulaReductionAndRoundTrip() throws {
        let cell = try Composition(parsing: "K4Mn4O8")
        XCTAssertEqual(cell.countDivisor, 4)
        XCTAssertEqual(cell.reduced, try Composition(parsing: "KMnO2"))
        XCTAssertEqual(cell.reduced.formula, "KMnO2")
        XCTAssertEqual(cell.formula, "K4Mn4O8")
        XCTAssertEqual(try Composition(parsing: "O3TiSr").formula, "SrTiO3")
        XCTAssertEqual(try Composition(parsing: "Ta2Te1Zr1").formula, "ZrTa2Te")
        XCTAssertEqual(try Composition(parsing: "PmCl3").formula, "Cl3Pm")  // Pm has no electronegativity
        XCTAssertEqual(try Composition(parsing: "Na10Cl10").reduced.formula, "NaCl")
        XCTAssertEqual(try Composition(parsing: "Fe3O4").reduced, try Composition(parsing: "Fe3O4"))

        // Random compositions: formula -> parse gives the same composition back.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let elementCount = Int.random(in: 1...8, using: &generator)
            let elements = Element.all.shuffled(using: &generator).prefix(elementCount)
            let original = Composition(elements.map { ($0, Int.random(in: 1...40, using: &generator)) })
            XCTAssertEqual(try Composition(parsing: original.formula), original)
            XCTAssertEqual(original.reduced.countDivisor, 1)
            XCTAssertEqual(original.key?.composition, original)
        }
    }

    func testCompositionKey() throws {
        let key = try XCTUnwrap(try Composition(parsing: "NaCl").key)
        XCTAssertEqual(key, try Composition(parsing: "ClNa").key)
        XCTAssertNotEqual(key, try Composition(parsing: "Na2Cl").key)
        XCTAssertEqual(key.description, "NaCl")
        XCTAssertNotNil(try Composition(parsing: "Lr511H1").key)
        XCTAssertNil(try Composition(parsing: "H512").key)
        XCTAssertNil(try Composition(parsing: "HLiBeBCNOFNa").key)
        XCTAssertEqual(try Composition(parsing: "HLiBeBCNOF").key?.composition, try Composition(parsing: "HLiBeBCNOF"))
        XCTAssertEqual(Set(["NaCl", "ClNa", "Na1Cl1", "KCl"].map { try! Composition(parsing: $0).key! }).count, 2)
    }
}
