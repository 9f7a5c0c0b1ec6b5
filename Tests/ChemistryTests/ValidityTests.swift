import Chemistry
import Foundation
import TestSupport
import XCTest

final class ValidityTests: XCTestCase {
    /// docs/validity.md, "Test vectors", smact14 set: SMACT with alloys, SMACT without, MatGAN
    /// neutral, MatGAN neutral + electronegativity.
    func testReferenceVectors() throws {
        let table: [(String, Bool, Bool, Bool, Bool)] = [
            ("NaCl", true, true, true, true),
            ("Na10Cl10", true, true, false, false),
            ("Al3Li", true, false, false, false),
            ("MgB2", false, false, false, false),
            ("Fe3O4", false, false, false, false),
            ("Ti2O4", true, true, false, false),
            ("TiO2", true, true, true, true),
            ("NeF2", false, false, false, false),
            ("XeF2", true, true, true, true),
            ("PmCl3", false, false, true, false),
            ("LiF2", false, false, false, false),
            ("SrTiO3", true, true, true, true),
            ("ZnSiO3", true, true, true, true),
            ("CH4", true, true, true, true),
            ("SiC", true, true, true, true),
            ("H2O", true, true, true, true),
        ]
        let smact = ValidityChecker()
        let smactNoAlloys = ValidityChecker(includesAlloys: false)
        let matgan = ValidityChecker(rule: .matgan)
        for (formula, withAlloys, withoutAlloys, matganNeutral, matganBalanced) in table {
            let composition = try Composition(parsing: formula)
            XCTAssertEqual(smact.check(composition).isValid, withAlloys, "\(formula) SMACT")
            XCTAssertEqual(smactNoAlloys.check(composition).isValid, withoutAlloys, "\(formula) SMACT without alloys")
            let result = matgan.check(composition)
            XCTAssertEqual(result.isChargeNeutral, matganNeutral, "\(formula) MatGAN neutral")
            XCTAssertEqual(result.isElectronegativityBalanced, matganBalanced, "\(formula) MatGAN neutral + EN")
            XCTAssertEqual(result.isValid, matganBalanced, "\(formula) MatGAN valid")
        }
    }

    /// Single elements are valid under SMACT's rule (its first shortcut), never neutral.
    func testSingleElementsAndMissingStates() throws {
        let iron = try Composition(parsing: "Fe2")
        XCTAssertEqual(ValidityChecker().check(iron),
                       ValidityResult(isChargeNeutral: false, isElectronegativityBalanced: false, isValid: true))
        XCTAssertFalse(ValidityChecker(rule: .matgan).check(iron).isValid)
        // He has no oxidation states in any set: nothing to combine.
        XCTAssertFalse(ValidityChecker().check(try Composition(parsing: "HeF2")).isChargeNeutral)
        // Counts far beyond a dense bitset take the sparse path and agree with small ones.
        let huge = try Composition(parsing: "Na1000000007Cl1000000006O")
        XCTAssertTrue(ValidityChecker(rule: .matgan).check(huge).isElectronegativityBalanced)
        XCTAssertFalse(ValidityChecker(rule: .matgan).check(try Composition(parsing: "Na1000000007Cl1000000006F3")).isChargeNeutral)
        XCTAssertTrue(ValidityChecker(rule: .matgan).check(try Composition(parsing: "Na300000Cl299999O1")).isChargeNeutral)
        XCTAssertFalse(ValidityChecker(rule: .matgan).check(try Composition(parsing: "Li300000F300001")).isChargeNeutral)
    }

    /// Every row of the fixture written by scripts/generate_smact_fixture.py from SMACT 4.0.2
    /// itself (brute force in Python): 260 formulas of 2-8 elements.
    func testAgreesWithSMACTOnFixture() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/smact_validity.csv")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, "formula,smact14,smact14_no_alloys,smact14_neutral,smact14_balanced,icsd16,icsd24,icsd24_filtered")
        let checkers = [
            ValidityChecker(), ValidityChecker(includesAlloys: false),
            ValidityChecker(oxidationStates: .icsd16), ValidityChecker(oxidationStates: .icsd24),
            ValidityChecker(oxidationStates: .icsd24Filtered),
        ]
        let matgan = ValidityChecker(rule: .matgan)
        var rows = 0
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",").map(String.init)
            let expected = fields.dropFirst().map { $0 == "1" }
            let composition = try Composition(parsing: fields[0])
            let results = checkers.map { $0.check(composition) }
            let name = fields[0]
            XCTAssertEqual(results[0].isValid, expected[0], "\(name) smact14")
            XCTAssertEqual(results[1].isValid, expected[1], "\(name) smact14, no alloys")
            XCTAssertEqual(results[0].isChargeNeutral, expected[2], "\(name) smact14 neutral")
            XCTAssertEqual(results[0].isElectronegativityBalanced, expected[3], "\(name) smact14 balanced")
            XCTAssertEqual(results[2].isValid, expected[4], "\(name) icsd16")
            XCTAssertEqual(results[3].isValid, expected[5], "\(name) icsd24")
            XCTAssertEqual(results[4].isValid, expected[6], "\(name) icsd24 filtered")
            // MatGAN's rule: SMACT's tests on the formula's own counts, failing when not reduced.
            let reduced = composition.countDivisor == 1
            let result = matgan.check(composition)
            XCTAssertEqual(result.isChargeNeutral, reduced && expected[2], "\(name) MatGAN neutral")
            XCTAssertEqual(result.isElectronegativityBalanced, reduced && expected[3], "\(name) MatGAN balanced")
            rows += 1
        }
        XCTAssertGreaterThanOrEqual(rows, 200)
    }

    /// The partial-sum search against a brute force over the full product of oxidation states
    /// (SMACT's loop, with its pairwise Pauling test) on random formulas of 2-8 elements.
    func testAgreesWithBruteForce() throws {
        var generator = SplitMix64(seed: 7)
        for set in OxidationStateSet.allCases {
            let matgan = ValidityChecker(rule: .matgan, oxidationStates: set)
            var neutralCount = 0
            for _ in 0..<1_500 {
                let elementCount = Int.random(in: 2...8, using: &generator)
                // Draw from common oxide/halide formers so that neutral formulas are frequent.
                let pool = elementCount > 4 ? Self.fewStates(set) : Element.all
                let elements = pool.shuffled(using: &generator).prefix(elementCount)
                let composition = Composition(elements.map { ($0, Int.random(in: 1...8, using: &generator)) })
                let expected = Self.bruteForce(composition, set: set)
                let result = matgan.check(composition)
                XCTAssertEqual(result.isChargeNeutral, expected.neutral, "\(composition) \(set) neutral")
                XCTAssertEqual(result.isElectronegativityBalanced, expected.balanced, "\(composition) \(set) balanced")
                if expected.neutral { neutralCount += 1 }
            }
            XCTAssertGreaterThan(neutralCount, 50, "too few neutral samples to exercise the search for \(set)")
        }
    }

    private static func fewStates(_ set: OxidationStateSet) -> [Element] {
        Element.all.filter { (1...4).contains($0.oxidationStates(set).count) }
    }

    /// SMACT's definition, literally: MatGAN's rule (no gcd reduction; a gcd above 1 fails).
    private static func bruteForce(_ composition: Composition, set: OxidationStateSet) -> (neutral: Bool, balanced: Bool) {
        guard composition.countDivisor == 1 else { return (false, false) }
        let states = composition.elements.map { $0.oxidationStates(set) }
        let electronegativities = composition.elements.map(\.paulingElectronegativity)
        var neutral = false
        var choice = [Int](repeating: 0, count: states.count)
        guard states.allSatisfy({ !$0.isEmpty }) else { return (false, false) }
        while true {
            let picked = choice.indices.map { states[$0][choice[$0]] }
            if zip(picked, composition.counts).map(*).reduce(0, +) == 0 {
                neutral = true
                var pauling = true
                for i in picked.indices { for j in picked.indices where i < j {
                    guard let a = electronegativities[i], let b = electronegativities[j] else { pauling = false; continue }
                    if (picked[i] > 0 && picked[j] < 0 && a >= b) || (picked[i] < 0 && picked[j] > 0 && a <= b) { pauling = false }
                } }
                if pauling { return (true, true) }
            }
            var position = 0
            while position < choice.count {
                choice[position] += 1
                if choice[position] < states[position].count { break }
                choice[position] = 0
                position += 1
            }
            if position == choice.count { break }
        }
        return (neutral, false)
    }
}
