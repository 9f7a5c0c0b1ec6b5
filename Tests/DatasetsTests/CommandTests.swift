import Chemistry
import Datasets
import Foundation
import HDF5
import TestSupport
import XCTest

/// `check-formulas` and `prepare` run as the built `matgan-dist` executable.
final class CommandTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("chem-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    func testCheckFormulasLines() throws {
        let path = try write("candidates.txt", Array("NaCl\nNa10Cl10\n\n  Fe3O4  \nXx2O\nAg(AuF4)2\nPmCl3\nCuZn\n".utf8))
        let outcome = try CommandRunner.run(["check-formulas", path])
        XCTAssertEqual(outcome.exitCode, 0, outcome.standardError)
        XCTAssertEqual(outcome.standardOutput, """
            formula,reduced_formula,n_elements,charge_neutral,electronegativity_balanced,smact_valid
            NaCl,NaCl,2,true,true,true
            Na10Cl10,NaCl,2,true,true,true
            Fe3O4,Fe3O4,2,false,false,false
            Ag(AuF4)2,AgAu2F8,3,true,true,true
            PmCl3,Cl3Pm,2,true,false,false
            CuZn,ZnCu,2,false,false,true

            """)
        XCTAssertTrue(outcome.standardError.contains("\(path):5: formula 'Xx2O': unknown element symbol 'Xx' at character 1"),
                      outcome.standardError)
        XCTAssertTrue(outcome.standardError.contains("6 formulas screened, 1 invalid lines reported"), outcome.standardError)

        let matgan = try CommandRunner.run(["check-formulas", path, "--rule", "matgan", "--ox-set", "icsd24"])
        XCTAssertTrue(matgan.standardOutput.contains("Na10Cl10,NaCl,2,false,false,false"), matgan.standardOutput)
        XCTAssertTrue(matgan.standardOutput.contains("CuZn,ZnCu,2,false,false,false"), matgan.standardOutput)

        let strict = try CommandRunner.run(["check-formulas", path, "--strict"])
        XCTAssertNotEqual(strict.exitCode, 0)
        XCTAssertTrue(strict.standardError.contains(":5: formula 'Xx2O'"), strict.standardError)
    }

    func testCheckFormulasCSVColumnAndBadBytes() throws {
        let path = try write("table.csv", Array("id,formula\n1,SrTiO3\n2,\"Mg(OH)2\"\n3\n4,H2O\n".utf8) + [0x35, 0x2C, 0xC3, 0x28, 0x0A])
        let outcome = try CommandRunner.run(["check-formulas", path, "--column", "formula"])
        XCTAssertEqual(outcome.exitCode, 0, outcome.standardError)
        XCTAssertEqual(outcome.standardOutput.split(separator: "\n").count, 4)
        XCTAssertTrue(outcome.standardOutput.contains("Mg(OH)2,MgH2O2,3,true,true,true"), outcome.standardOutput)
        XCTAssertTrue(outcome.standardError.contains("\(path):4: 1 fields, expected 2"), outcome.standardError)
        XCTAssertTrue(outcome.standardError.contains("\(path):6: column 'formula': invalid UTF-8 byte 0xC3"), outcome.standardError)

        let missing = try CommandRunner.run(["check-formulas", path, "--column", "composition"])
        XCTAssertNotEqual(missing.exitCode, 0)
        XCTAssertTrue(missing.standardError.contains("column 'composition': no such column"), missing.standardError)
        let empty = try CommandRunner.run(["check-formulas", try write("empty.csv", []), "--column", "formula"])
        XCTAssertTrue(empty.standardError.contains("empty file"), empty.standardError)
    }

    /// Runs `matgan-dist` through the shell with `redirection` (e.g. `< /dev/zero`) feeding its
    /// standard input.
    private func runWithInput(_ arguments: String, _ redirection: String) throws -> CommandRunner.Outcome {
        try CommandRunner.runProgram("/bin/sh", ["-c", "\"$0\" \(arguments) \(redirection)", CommandRunner.executable.path],
                                     timeout: 60)
    }

    func testCheckFormulasRefusesDevicesAndBinaryInputQuickly() throws {
        let device = try CommandRunner.run(["check-formulas", "/dev/zero"], timeout: 60)
        XCTAssertEqual(device.exitCode, 1, device.standardError)
        XCTAssertTrue(device.standardError.contains("/dev/zero: is a character device"), device.standardError)

        let zeros = try runWithInput("check-formulas -", "< /dev/zero")
        XCTAssertFalse(zeros.timedOut)
        XCTAssertEqual(zeros.exitCode, 1, zeros.standardError)
        XCTAssertTrue(zeros.standardError.contains("-:1: byte 1 of the line is NUL: binary data, not a text file"),
                      zeros.standardError)
        let columns = try runWithInput("check-formulas - --column formula", "< /dev/zero")
        XCTAssertEqual(columns.exitCode, 1, columns.standardError)
        XCTAssertTrue(columns.standardError.contains("binary data"), columns.standardError)

        let folder = try CommandRunner.run(["prepare", "--input", directory.path, "-o", directory.appendingPathComponent("out.h5").path])
        XCTAssertNotEqual(folder.exitCode, 0)
        XCTAssertTrue(folder.standardError.contains("\(directory.path): is a directory, expected a file"), folder.standardError)
    }

    func testCheckFormulasReadsStandardInputAndNamesHydrates() throws {
        let outcome = try runWithInput("check-formulas -", "<<'END'\nNaCl\nCuSO4.5H2O\nNa0.5Cl\nEND")
        XCTAssertEqual(outcome.exitCode, 0, outcome.standardError)
        XCTAssertTrue(outcome.standardOutput.contains("NaCl,NaCl,2,true,true,true"), outcome.standardOutput)
        XCTAssertTrue(outcome.standardError.contains("-:2: formula 'CuSO4.5H2O': hydrate notation '.5H2O' at character 6 is not "
            + "supported; write the formula without water of crystallisation or as CuH10SO9"), outcome.standardError)
        XCTAssertTrue(outcome.standardError.contains("-:3: formula 'Na0.5Cl': fractional count '0.5'"), outcome.standardError)
    }

    func testPrepareWritesFileOrNothing() throws {
        let input = try write("small.csv", Array("formula,e_form_ev_per_atom\nK4Mn4O8,-1\nNaCl,-2\nFe,0\nSrTiO3,-3\n".utf8))
        let output = directory.appendingPathComponent("small.h5").path
        let outcome = try CommandRunner.run(["prepare", "--input", input, "-o", output, "--seed", "3"])
        XCTAssertEqual(outcome.exitCode, 0, outcome.standardError)
        XCTAssertTrue(outcome.standardOutput.contains("single element"), outcome.standardOutput)
        XCTAssertTrue(outcome.standardOutput.contains("wrote \(output): 3 rows"), outcome.standardOutput)
        let file = try File.open(output)
        XCTAssertEqual(try file.readStrings(PreparedFile.formula), ["KMnO2", "NaCl", "SrTiO3"])
        XCTAssertEqual(try file.attribute("seed").int64Value, 3)
        try file.commit()

        // A bad row stops the run and leaves no file; --skip-invalid counts it instead.
        let bad = try write("bad.csv", Array("formula,e_form_ev_per_atom\nNaCl,-2\nNaXy,1\nKCl,-1\n".utf8))
        let failed = directory.appendingPathComponent("bad.h5").path
        let failure = try CommandRunner.run(["prepare", "--input", bad, "-o", failed])
        XCTAssertNotEqual(failure.exitCode, 0)
        XCTAssertTrue(failure.standardError.contains("\(bad):3: column 'formula': formula 'NaXy': unknown element symbol 'Xy'"),
                      failure.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: failed))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: directory.path).contains { $0.hasPrefix("bad.h5") })
        let skipped = try CommandRunner.run(["prepare", "--input", bad, "-o", failed, "--skip-invalid"])
        XCTAssertEqual(skipped.exitCode, 0, skipped.standardError)
        XCTAssertTrue(skipped.standardOutput.contains("skipped rows (first 1 of 1)"), skipped.standardOutput)

        let noInput = try CommandRunner.run(["prepare", "-o", output])
        XCTAssertNotEqual(noInput.exitCode, 0)
        XCTAssertTrue(noInput.standardError.contains("give --preset, --input FILE, or both"), noInput.standardError)
    }

    /// Under mpirun only rank 0 prepares; every rank returns once the file exists.
    func testPrepareUnderMPI() throws {
        let input = try write("small.csv", Array("formula,e_form_ev_per_atom\nNaCl,-2\nSrTiO3,-3\n".utf8))
        let output = directory.appendingPathComponent("mpi.h5").path
        let outcome = try CommandRunner.run(["prepare", "--input", input, "-o", output], ranks: 2)
        XCTAssertEqual(outcome.exitCode, 0, outcome.standardError)
        XCTAssertEqual(outcome.standardOutput.components(separatedBy: "wrote \(output)").count, 2, outcome.standardOutput)
        XCTAssertTrue(FileManager.default.fileExists(atPath: output))

        let failing = try CommandRunner.run(["prepare", "--input", input + ".missing", "-o", output + ".2"], ranks: 2)
        XCTAssertNotEqual(failing.exitCode, 0)
        XCTAssertFalse(failing.timedOut)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output + ".2"))
    }
}
