import Chemistry
import Datasets
import Foundation
import TestSupport
import XCTest

/// Checks against the published data sets (``TestData``: $MATGAN_DATA, ../shared/data or the
/// checkout's compressed copies).
final class RealDataTests: XCTestCase {
    private func table(_ name: String) throws -> CSVTable {
        let path = TestData.path(name)
        return try CSVTable(file: path, bytes: try DataFile.read(path))
    }

    /// 1,000 seeded rows per data set: parse, reduce, encode and decode with every rule (MatGAN
    /// and active-design matrices), and re-parse the canonical formula.
    func testEncodeDecodeRoundTripOnSamples() throws {
        let files = [("oqmd_formation_enthalpy.csv", 341_700), ("mp_e_form_matbench.csv", 132_752),
                     ("mp_band_gap_matbench.csv", 106_113), ("mp_formation_roost.csv", 84_295)]
        var generator = SplitMix64(seed: 1000)
        for (name, rowCount) in files {
            let table = try table(name)
            XCTAssertEqual(table.rows.count, rowCount, name)
            let column = try table.columnIndex("formula")
            var encoded = 0
            for row in table.rows.shuffled(using: &generator).prefix(1_000) {
                let composition = try Composition(parsing: row.fields[column])
                XCTAssertEqual(try Composition(parsing: composition.formula), composition, "\(name):\(row.line)")
                let reduced = composition.reduced
                guard (2...8).contains(reduced.elementCount), MatrixEncoding.matgan.encodingProblem(reduced) == nil else {
                    XCTAssertTrue(reduced.elementCount < 2 || reduced.elementCount > 8
                                  || MatrixEncoding.matgan.encodingProblem(reduced) != nil)
                    continue
                }
                for encoding in [MatrixEncoding.matgan, .activeDesign] {
                    let matrix = try encoding.encode(reduced).map(Float.init)
                    for rule in [MatrixDecodingRule.matgan, .argmax(0.5), .activeDesign] {
                        XCTAssertEqual(encoding.decode(matrix, rule: rule), reduced, "\(name):\(row.line) \(rule)")
                    }
                }
                XCTAssertEqual(reduced.key?.composition, reduced)
                encoded += 1
            }
            XCTAssertGreaterThan(encoded, 500, name)
        }

        let elpasolites = try table("elpasolite_faber10590.csv")
        let sites = try ["A", "B", "C", "D"].map { try elpasolites.columnIndex($0) }
        let formula = try elpasolites.columnIndex("formula")
        for row in elpasolites.rows.shuffled(using: &generator).prefix(1_000) {
            let elements = sites.map { Element(symbol: row.fields[$0])! }
            let compound = try XCTUnwrap(Elpasolite(a: elements[0], b: elements[1], c: elements[2], d: elements[3]))
            XCTAssertEqual(compound.formula, row.fields[formula])
            XCTAssertEqual(compound.composition, try Composition(parsing: row.fields[formula]))
            XCTAssertEqual(Elpasolite(vector: compound.vector), compound)
            XCTAssertEqual(Elpasolite(index: compound.index), compound)
        }
    }

    /// The presets against the paper's figures (docs/matgan.md, "Data sets and filters";
    /// docs/elpasolite.md, "Training set and classes").
    func testPresetsOnRealFiles() throws {
        let directory = TestData.directory
        func prepare(_ preset: DatasetPreset) throws -> PreparedDataset {
            let path = directory.appendingPathComponent(preset.fileName).path
            return try PreparedDataset(file: path, bytes: try DataFile.read(path), preset: preset, options: PreparationOptions(preset: preset))
        }
        // MP: the paper has 63,922 rows (57,530 train / 6,392 held out) from an older MP.
        let mp = try prepare(.mp)
        XCTAssertEqual(Double(mp.rowCount), 63_922, accuracy: 63_922 * 0.05)
        XCTAssertEqual(mp.isHoldout.filter { $0 }.count, Int((Double(mp.rowCount) * 0.1).rounded()))
        // OQMD: the 86 rows beyond mean +- 5 sigma are exactly the 86 with |E| > 5 eV/atom.
        let oqmd = try prepare(.oqmd)
        XCTAssertEqual(oqmd.steps.last?.name, "e_form_ev_per_atom outside mean +- 5 sigma")
        XCTAssertEqual(oqmd.steps.last?.removed, 86)
        XCTAssertEqual(oqmd.rowsRead, 341_700)
        // Elpasolites: 21,112 rows after A/B swaps; class 1 has 86 rows, class 5 has 9,650.
        let elpasolite = try prepare(.elpasolite)
        guard case .elpasolites(let rows) = elpasolite.content else { return XCTFail("expected elpasolites") }
        XCTAssertEqual(rows.compounds.count, 21_112)
        let classes = rows.targets.map(rows.classes.index(ofEnergy:))
        XCTAssertEqual(classes.filter { $0 == 0 }.count, 86)
        XCTAssertEqual(classes.filter { $0 == 4 }.count, 9_650)
        XCTAssertEqual(classes.max(), 9)
    }

    /// Period and group from the generator agree with Magpie's Row and Column (Magpie also puts
    /// the f-block in column 3).
    func testPeriodAndGroupAgreeWithMagpie() throws {
        let magpie = try table("magpie_elements.csv")
        let symbol = try magpie.columnIndex("element")
        let row = try magpie.columnIndex("Row")
        let column = try magpie.columnIndex("Column")
        var compared = 0
        for entry in magpie.rows {
            guard let element = Element(symbol: entry.fields[symbol]) else { continue }
            XCTAssertEqual(Double(element.period), Double(entry.fields[row]), element.symbol)
            XCTAssertEqual(Double(element.group), Double(entry.fields[column]), element.symbol)
            compared += 1
        }
        XCTAssertGreaterThan(compared, 90)
    }
}
