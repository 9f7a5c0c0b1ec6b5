import XCTest

/// Runs `matgan-dist arguments...` (under `mpirun` when `ranks` is set) and records a test
/// failure with both output streams unless it exits 0.
@discardableResult
public func assertSucceeds(
    _ arguments: [String], ranks: Int? = nil, timeout: Double = 300,
    file: StaticString = #filePath, line: UInt = #line
) throws -> CommandRunner.Outcome {
    let outcome = try CommandRunner.run(arguments, ranks: ranks, timeout: timeout)
    XCTAssertEqual(outcome.exitCode, 0,
                   "matgan-dist \(arguments.joined(separator: " ")) failed:\n\(outcome.standardOutput)\n\(outcome.standardError)",
                   file: file, line: line)
    return outcome
}
