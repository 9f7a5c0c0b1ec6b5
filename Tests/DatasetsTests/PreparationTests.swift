import Chemistry
import Datasets
import Foundation
import HDF5
import XCTest

final class PreparationTests: XCTestCase {
    private func prepare(_ text: String, preset: DatasetPreset? = nil, options: PreparationOptions? = nil) throws -> PreparedDataset {
        try PreparedDataset(file: "fixture.csv", bytes: Array(text.utf8), preset: preset,
                            options: options ?? preset.map(PreparationOptions.init(preset:)) ?? PreparationOptions())
    }

    private func compositions(_ dataset: PreparedDataset) throws -> PreparedCompositions {
        guard case .compositions(let rows) = dataset.content else { throw XCTSkip("not a composition data set") }
        return rows
    }

    private func assertError(_ text: String, options: PreparationOptions = PreparationOptions(), line: Int?, column: String?,
                             containing message: String, file: StaticString = #filePath, sourceLine: UInt = #line) {
        XCTAssertThrowsError(try prepare(text, options: options), file: file, line: sourceLine) { error in
            guard let error = error as? DataFileError else { return XCTFail("\(error)", file: file, line: sourceLine) }
            XCTAssertEqual(error.file, "fixture.csv", file: file, line: sourceLine)
            XCTAssertEqual(error.line, line, "\(error)", file: file, line: sourceLine)
            XCTAssertEqual(error.column, column, "\(error)", file: file, line: sourceLine)
            XCTAssertTrue(error.message.contains(message), "\(error)", file: file, line: sourceLine)
        }
    }

    func testFiltersReduceAndDeduplicate() throws {
        let text = """
            formula,e_form_ev_per_atom
            K4Mn4O8,-1.0
            Fe,0.0
            KMnO2,-1.5
            KrF2,0.1
            Na9Cl,0.2
            Na18Cl2,0.2
            NaCl,-2.0
            MgB2,0.3
            O2MnK,-1.2

            """
        let dataset = try prepare(text)
        let rows = try compositions(dataset)
        XCTAssertEqual(rows.compositions.map(\.formula), ["KMnO2", "NaCl", "MgB2"])
        XCTAssertEqual(rows.targets, [-1.5, -2.0, 0.3])
        XCTAssertEqual(dataset.rowsRead, 9)
        XCTAssertEqual(dataset.steps.map(\.name), [
            "invalid rows skipped", "single element", "element outside the MatGAN 85", "reduced count above 8",
            "duplicate formula (lowest e_form_ev_per_atom kept)",
        ])
        XCTAssertEqual(dataset.steps.map(\.removed), [0, 1, 1, 2, 2])
        XCTAssertEqual(dataset.steps.map(\.remaining), [9, 8, 7, 5, 3])
        XCTAssertEqual(rows.validity.map(\.isValid), [true, true, false])
        XCTAssertTrue(dataset.summary.contains("duplicate formula (lowest e_form_ev_per_atom kept)"))

        var options = PreparationOptions()
        options.duplicates = .mean
        let means = try compositions(try prepare(text, options: options)).targets
        XCTAssertEqual(means.count, 3)
        XCTAssertEqual(means[0], (-1.0 - 1.5 - 1.2) / 3, accuracy: 1e-12)
        XCTAssertEqual(Array(means.dropFirst()), [-2.0, 0.3])
    }

    func testOutliersPositiveTargetsAndValidSubset() throws {
        // Twenty ordinary energies and one far outlier: mean +- 2 sigma drops only the outlier.
        var lines = ["formula,value"]
        for count in 1...20 { lines.append("Li\(count % 8 + 1)F\(count / 8 + 1),\(Double(count) * 0.01)") }
        lines.append("NaCl,40")
        var options = PreparationOptions()
        options.targetColumn = "value"
        options.outlierStandardDeviations = 2
        let dataset = try prepare(lines.joined(separator: "\n"), options: options)
        XCTAssertEqual(dataset.steps.last?.name, "value outside mean +- 2 sigma")
        XCTAssertEqual(dataset.steps.last?.removed, 1)
        XCTAssertFalse(try compositions(dataset).compositions.contains(try Composition(parsing: "NaCl")))

        options = PreparationOptions(preset: .mpBandgap)
        XCTAssertEqual(options.targetColumn, "band_gap_ev")
        let gaps = try prepare("formula,band_gap_ev\nNaCl,5.0\nCuZn,0\nNa2Cl2,4.0\nAl3Li,0.0\nMgO,-0.1\n", options: options)
        XCTAssertEqual(try compositions(gaps).compositions.map(\.formula), ["NaCl"])
        XCTAssertEqual(try compositions(gaps).targets, [4.5])

        // mp-valid keeps neutral, electronegativity-balanced formulas: not the alloy Al3Li,
        // not MgB2 or PmCl3.
        let valid = try prepare("formula,e_form_ev_per_atom\nNaCl,1\nAl3Li,1\nMgB2,1\nPmCl3,1\nTiO2,1\n",
                                options: PreparationOptions(preset: .mpValid))
        XCTAssertEqual(try compositions(valid).compositions.map(\.formula), ["NaCl", "TiO2"])
        XCTAssertEqual(valid.steps.last?.removed, 3)
    }

    func testSplitIsSeededAndSized() throws {
        var lines = ["formula,e_form_ev_per_atom"]
        for a in 1...8 { for b in 1...8 where greatestCommonDivisor(a, b) == 1 { lines.append("Na\(a)Cl\(b),0") } }
        let text = lines.joined(separator: "\n")
        var options = PreparationOptions()
        options.seed = 42
        let first = try prepare(text, options: options)
        XCTAssertEqual(first.rowCount, 43)
        XCTAssertEqual(first.isHoldout.filter { $0 }.count, 4)  // round(4.3)
        XCTAssertEqual(try prepare(text, options: options).isHoldout, first.isHoldout)
        options.seed = 43
        XCTAssertNotEqual(try prepare(text, options: options).isHoldout, first.isHoldout)
        options.holdoutFraction = 0
        XCTAssertEqual(try prepare(text, options: options).isHoldout.filter { $0 }.count, 0)
    }

    private func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int { b == 0 ? a : greatestCommonDivisor(b, a % b) }

    func testBadInputNamesFileLineAndColumn() throws {
        assertError("", line: nil, column: nil, containing: "empty file")
        assertError("\n\n", line: nil, column: nil, containing: "empty file")
        assertError("formula,formula\nNaCl,1\n", line: 1, column: "formula", containing: "duplicate column name")
        assertError("formula,e\nNaCl,1\n", line: 1, column: "e_form_ev_per_atom", containing: "no such column")
        assertError("formula,e_form_ev_per_atom\nNaCl,1\nKCl\n", line: 3, column: nil, containing: "1 fields, expected 2")
        assertError("formula,e_form_ev_per_atom\nNaCl,1\n\nXxO,1\n", line: 4, column: "formula", containing: "unknown element symbol 'Xx'")
        assertError("formula,e_form_ev_per_atom\nNa0.5Cl,1\n", line: 2, column: "formula", containing: "fractional count")
        assertError("formula,e_form_ev_per_atom\nNaCl,abc\n", line: 2, column: "e_form_ev_per_atom", containing: "'abc' is not a finite number")
        assertError("formula,e_form_ev_per_atom\nNaCl,nan\n", line: 2, column: "e_form_ev_per_atom", containing: "not a finite number")
        assertError("formula,e_form_ev_per_atom\n\"NaCl,1\n", line: 2, column: "1", containing: "never closed")
        assertError("formula,e_form_ev_per_atom\nFe,1\n", line: nil, column: nil, containing: "no rows left")
        let latin1: [UInt8] = Array("formula,e_form_ev_per_atom\nNaCl,1\nK".utf8) + [0xE9] + Array("Cl,2\n".utf8)
        XCTAssertThrowsError(try PreparedDataset(file: "fixture.csv", bytes: latin1, preset: nil, options: PreparationOptions())) { error in
            XCTAssertEqual((error as? DataFileError)?.line, 3)
            XCTAssertEqual((error as? DataFileError)?.column, "formula")
            XCTAssertTrue("\(error)".contains("invalid UTF-8 byte 0xE9"), "\(error)")
        }

        // --skip-invalid: the same rows are counted and reported, the rest prepared.
        var options = PreparationOptions()
        options.skipsInvalidRows = true
        let bytes = Array("formula,e_form_ev_per_atom\nNaCl,1\nKCl\nXxO,1\nNaCl,abc\nMgO,2\n".utf8) + [0xFF] + Array(",3\n".utf8)
        let dataset = try PreparedDataset(file: "fixture.csv", bytes: bytes, preset: nil, options: options)
        XCTAssertEqual(try compositions(dataset).compositions.map(\.formula), ["NaCl", "MgO"])
        XCTAssertEqual(dataset.rowsRead, 6)
        XCTAssertEqual(dataset.steps.first, FilterStep(name: "invalid rows skipped", removed: 4, remaining: 2))
        XCTAssertEqual(Set(dataset.skippedRows.compactMap(\.line)), [3, 4, 5, 7])
        XCTAssertTrue(dataset.summary.contains("skipped rows (first 4 of 4)"))
    }

    func testQuotedFieldsCRLFAndByteOrderMark() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("\"formula\",e_form_ev_per_atom\r\n\"Ag(AuF4)2\",\"-0.5\"\r\n\"Na\"\"Cl\",1\r\n".utf8)
        XCTAssertThrowsError(try PreparedDataset(file: "fixture.csv", bytes: bytes, preset: nil, options: PreparationOptions())) { error in
            XCTAssertEqual((error as? DataFileError)?.line, 3)  // Na"Cl parses as a field but not a formula
        }
        let good = Array(bytes.prefix(bytes.count - 12))
        let dataset = try PreparedDataset(file: "fixture.csv", bytes: good, preset: nil, options: PreparationOptions())
        XCTAssertEqual(try compositions(dataset).compositions.map(\.formula), ["AgAu2F8"])
    }

    func testElpasoliteAugmentationClassesAndSplit() throws {
        let text = """
            idx,formula,A,B,C,D,e_form_ev_per_atom
            0,OCXe2Sb6,O,C,Xe,Sb,0.96
            1,CaOF2Cs6,Ca,O,F,Cs,-0.71
            2,OCaF2Cs6,O,Ca,F,Cs,-0.70
            3,NaKF2Li6,Na,K,F,Li,-3.0
            4,HHeLi2Be6,H,He,Li,Be,5.0
            """
        let dataset = try prepare(text, preset: .elpasolite)
        guard case .elpasolites(let rows) = dataset.content else { return XCTFail("expected elpasolites") }
        // 5 file rows; CaOF2Cs6 / OCaF2Cs6 are each other's swap, so 3 swaps are added.
        XCTAssertEqual(rows.compounds.count, 8)
        XCTAssertEqual(rows.isAugmented.filter { $0 }.count, 3)
        XCTAssertEqual(rows.compounds[5].formula, "COXe2Sb6")
        XCTAssertEqual(rows.targets[5], 0.96)
        XCTAssertEqual(rows.classes.lowerBound, -3.0)
        XCTAssertEqual(rows.classes.upperBound, 5.0)
        XCTAssertEqual(rows.targets.map(rows.classes.index(ofEnergy:)), [4, 2, 2, 0, 9, 4, 0, 9])
        // A compound and its swap always share a split.
        for (row, compound) in rows.compounds.enumerated() {
            if let partner = rows.compounds.firstIndex(of: compound.swappingAB) {
                XCTAssertEqual(rows.isHoldout[row], rows.isHoldout[partner])
            }
        }
        XCTAssertThrowsError(try prepare("A,B,C,D,e_form_ev_per_atom\nFe,O,F,Cs,1\n", preset: .elpasolite)) { error in
            XCTAssertEqual((error as? DataFileError)?.column, "A")
            XCTAssertEqual((error as? DataFileError)?.line, 2)
        }
        XCTAssertThrowsError(try prepare("A,B,C,D,e_form_ev_per_atom\nO,O,F,Cs,1\n", preset: .elpasolite)) { error in
            XCTAssertTrue("\(error)".contains("four distinct elements"), "\(error)")
        }
    }

    func testWritesHDF5WithProvenanceAndLeavesNothingOnFailure() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chem-prepare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = "formula,e_form_ev_per_atom\nK4Mn4O8,-1.0\nNaCl,-2.0\nSrTiO3,-3.0\nFe,0\n"
        let dataset = try prepare(text, preset: .mp)
        let path = directory.appendingPathComponent("mp.h5").path
        try dataset.write(to: path)

        let file = try File.open(path)
        XCTAssertEqual(try file.openDataset(PreparedFile.onehot).shape, [3, 85, 8])
        let onehot = try file.read(PreparedFile.onehot, as: UInt8.self)
        XCTAssertEqual(try file.readStrings(PreparedFile.formula), ["KMnO2", "NaCl", "SrTiO3"])
        for (row, formula) in ["KMnO2", "NaCl", "SrTiO3"].enumerated() {
            let matrix = onehot[(row * 680)..<((row + 1) * 680)].map(Float.init)
            XCTAssertEqual(MatrixEncoding.matgan.decode(matrix), try Composition(parsing: formula))
        }
        XCTAssertEqual(try file.read(PreparedFile.target, as: Double.self), [-1.0, -2.0, -3.0])
        XCTAssertEqual(try file.read(PreparedFile.split, as: UInt8.self).count, 3)
        XCTAssertEqual(try file.read(PreparedFile.smactValid, as: UInt8.self), [1, 1, 1])
        XCTAssertEqual(try file.read(PreparedFile.elementCount, as: UInt8.self), [3, 2, 3])
        XCTAssertEqual(try file.attribute("source_sha256").stringValue, FileDigest.sha256(of: Array(text.utf8)))
        XCTAssertEqual(try file.attribute("source_file").stringValue, "fixture.csv")
        XCTAssertEqual(try file.attribute("preset").stringValue, "mp")
        XCTAssertEqual(try file.attribute("filter_rows_removed").int64ArrayValue, [0, 1, 0, 0, 0])
        XCTAssertEqual(try file.attribute("element_order").stringArrayValue, MatrixEncoding.matgan.rowElements.map(\.symbol))
        try file.commit()

        XCTAssertThrowsError(try dataset.write(to: directory.appendingPathComponent("missing/mp.h5").path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["mp.h5"])
    }
}
