import Chemistry
import Foundation
import Property
import TestSupport
import XCTest

final class MagpieFeaturizerTests: XCTestCase {
    private func feature(_ matrix: FeatureMatrix, row: Int, _ name: String, in featurizer: MagpieFeaturizer) -> Double {
        Double(matrix[row, featurizer.featureNames.firstIndex(of: name)!])
    }

    func testFeatureNamesAndCount() throws {
        let magpie = try MagpieFeaturizer(dataDirectory: TestData.directory)
        XCTAssertEqual(magpie.propertyNames.count, 22)
        XCTAssertEqual(magpie.featureCount, 6 + 22 * 6)
        XCTAssertEqual(Array(magpie.featureNames.prefix(8)),
                       ["0-norm", "2-norm", "3-norm", "5-norm", "7-norm", "10-norm", "MagpieData minimum Number", "MagpieData maximum Number"])
        XCTAssertEqual(magpie.featureNames.last, "MagpieData mode SpaceGroupNumber")
    }

    /// NaCl and Fe2O3 against values worked out by hand from the table rows
    /// (Na: Z 11, EN 0.93; Cl: Z 17, EN 3.16; Fe: Z 26, EN 1.83, GSmagmom 2.1106628; O: Z 8, EN 3.44).
    func testHandComputedDescriptors() throws {
        let magpie = try MagpieFeaturizer(dataDirectory: TestData.directory)
        let x = try magpie.features(of: [try Composition(parsing: "NaCl"), try Composition(parsing: "Fe2O3")])
        func check(_ row: Int, _ name: String, _ expected: Double, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertEqual(feature(x, row: row, name, in: magpie), expected, accuracy: 1e-5 * max(1, abs(expected)),
                           name, file: file, line: line)
        }
        // NaCl: fractions 1/2, 1/2.
        check(0, "0-norm", 2)
        check(0, "2-norm", 0.5.squareRoot())
        check(0, "3-norm", pow(0.25, 1.0 / 3))
        check(0, "10-norm", pow(2.0 / 1024, 0.1))
        check(0, "MagpieData minimum Number", 11)
        check(0, "MagpieData maximum Number", 17)
        check(0, "MagpieData range Number", 6)
        check(0, "MagpieData mean Number", 14)
        check(0, "MagpieData avg_dev Number", 3)
        check(0, "MagpieData mode Number", 11)              // tie: the smaller value
        check(0, "MagpieData mean Electronegativity", 2.045)
        check(0, "MagpieData avg_dev Electronegativity", 1.115)
        check(0, "MagpieData mode Electronegativity", 0.93)
        // Fe2O3: fractions 0.4, 0.6.
        check(1, "2-norm", 0.52.squareRoot())
        check(1, "MagpieData mean Number", 15.2)
        check(1, "MagpieData avg_dev Number", 8.64)
        check(1, "MagpieData mode Number", 8)                // O is the most abundant
        check(1, "MagpieData mean Electronegativity", 2.796)
        check(1, "MagpieData avg_dev Electronegativity", 0.7728)
        check(1, "MagpieData range Electronegativity", 1.61)
        check(1, "MagpieData maximum GSmagmom", 2.1106628)
        check(1, "MagpieData minimum GSmagmom", 0)
    }

    func testMissingElementAndBadTableAreClearErrors() throws {
        let directory = try temporaryDirectory(self)
        let table = directory.appendingPathComponent(MagpieFeaturizer.fileName)
        try "element,Number,Electronegativity\nNa,11,0.93\nCl,17,3.16\n".write(to: table, atomically: true, encoding: .utf8)
        let magpie = try MagpieFeaturizer(dataDirectory: directory)
        let expected = [2, 0.5.squareRoot(), pow(0.25, 1.0 / 3), pow(1.0 / 16, 0.2), pow(1.0 / 64, 1.0 / 7), pow(2.0 / 1024, 0.1),
                        11, 17, 6, 14, 3, 11, 0.93, 3.16, 2.23, 2.045, 1.115, 0.93]
        let values = try magpie.features(of: [try Composition(parsing: "ClNa")]).values
        XCTAssertEqual(values.count, expected.count)
        for (value, wanted) in zip(values, expected) { XCTAssertEqual(Double(value), wanted, accuracy: 1e-6) }
        XCTAssertThrowsError(try magpie.features(of: [try Composition(parsing: "Fe2O3")])) { error in
            XCTAssertTrue("\(error)".contains("Fe2O3") && "\(error)".contains("no row"), "\(error)")
        }
        try "element,Number\nNa,11\nCl,\n".write(to: table, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MagpieFeaturizer(dataDirectory: directory)) { error in
            XCTAssertTrue("\(error)".contains(":3") && "\(error)".contains("Number"), "\(error)")
        }
    }

    func testElementFractions() throws {
        XCTAssertEqual(ElementFractions.elements.count, 86)
        let x = try ElementFractions.features(of: [try Composition(parsing: "Fe2O3")])
        XCTAssertEqual(x[0, ElementFractions.featureNames.firstIndex(of: "fraction Fe")!], 0.4, accuracy: 1e-7)
        XCTAssertEqual(x[0, ElementFractions.featureNames.firstIndex(of: "fraction O")!], 0.6, accuracy: 1e-7)
        XCTAssertEqual(x.values.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertThrowsError(try ElementFractions.features(of: [try Composition(parsing: "HeH")]))
    }
}
