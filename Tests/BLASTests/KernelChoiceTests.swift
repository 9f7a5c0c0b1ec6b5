import BLAS
import TestSupport
import XCTest

/// The kernel-set decision as a pure function, on every combination that matters.
final class KernelChoiceDecisionTests: XCTestCase {
    private func situation(
        requested: String? = nil, earlier: String? = nil, restarts: Int = 0, optedOut: Bool = false, switchable: Bool = true,
        loaded: String = "Prescott", supported: VectorExtension = .avx512, correct: Bool = true
    ) -> KernelChoice.Situation {
        KernelChoice.Situation(requestedCoreType: requested, earlierChoice: earlier, restarts: restarts, optedOut: optedOut,
                               switchable: switchable, loadedCore: loaded, supported: supported, computesCorrectly: correct)
    }

    func testAnUnknownProcessorIsUpgradedOnce() {
        guard case .restart(let coreType, let reason) = KernelChoice.decide(situation()) else {
            return XCTFail("expected a restart")
        }
        XCTAssertEqual(coreType, "SkylakeX")
        XCTAssertTrue(reason.contains("OpenBLAS picked Prescott (SSE3)"), reason)
        XCTAssertEqual(KernelChoice.decide(situation(supported: .avx2)), .restart(coreType: "Haswell", reason:
            "OpenBLAS picked Prescott (SSE3) on a CPU with AVX2: restarted with OPENBLAS_CORETYPE=Haswell"))
        // The restarted process keeps what it got, even if OpenBLAS ignored the request.
        XCTAssertEqual(KernelChoice.decide(situation(earlier: reason, restarts: 1)), .keep(reason: reason))
        XCTAssertEqual(KernelChoice.decide(situation(restarts: 1)),
                       .keep(reason: "OpenBLAS's own choice, the widest instruction set this CPU supports"))
    }

    func testTheBestChoiceAndTheUsersChoiceAreKept() {
        XCTAssertEqual(KernelChoice.decide(situation(loaded: "Cooperlake")),
                       .keep(reason: "OpenBLAS's own choice, the widest instruction set this CPU supports"))
        XCTAssertEqual(KernelChoice.decide(situation(loaded: "Zen", supported: .avx2)),
                       .keep(reason: "OpenBLAS's own choice, the widest instruction set this CPU supports"))
        XCTAssertEqual(KernelChoice.decide(situation(requested: "Haswell", loaded: "Haswell")),
                       .keep(reason: "set by the user (OPENBLAS_CORETYPE=Haswell)"))
        XCTAssertEqual(KernelChoice.decide(situation(optedOut: true)),
                       .keep(reason: "OpenBLAS's own choice (automatic choice off: MATGAN_BLAS_AUTOSELECT=0)"))
        XCTAssertEqual(KernelChoice.decide(situation(switchable: false)),
                       .keep(reason: "the only kernel set of this OpenBLAS build (no DYNAMIC_ARCH)"))
    }

    func testWrongResultsFallBackToTheNextWeakerSet() {
        guard case .restart(let coreType, let reason) = KernelChoice.decide(situation(requested: "SkylakeX", loaded: "SkylakeX",
                                                                                   correct: false)) else {
            return XCTFail("expected a fallback restart")
        }
        XCTAssertEqual(coreType, "Haswell")
        XCTAssertTrue(reason.contains("fell back to OPENBLAS_CORETYPE=Haswell"), reason)
        guard case .fail(let message) = KernelChoice.decide(situation(loaded: "Prescott", correct: false)) else {
            return XCTFail("SSE3 kernels that compute wrongly leave nothing to fall back to")
        }
        XCTAssertTrue(message.contains("no weaker kernel set"), message)
        guard case .keep(let warning) = KernelChoice.decide(situation(optedOut: true, correct: false)) else {
            return XCTFail("with the choice off, the kernels stay")
        }
        XCTAssertTrue(warning.contains("WARNING"), warning)
        guard case .fail = KernelChoice.decide(situation(restarts: 4, loaded: "Haswell", correct: false)) else {
            return XCTFail("restarts are bounded")
        }
    }

    func testCoreNamesMapToInstructionSets() {
        XCTAssertEqual(VectorExtension(openBLASCoreName: "SkylakeX"), .avx512)
        XCTAssertEqual(VectorExtension(openBLASCoreName: "SAPPHIRERAPIDS"), .avx512)
        XCTAssertEqual(VectorExtension(openBLASCoreName: "Zen"), .avx2)
        XCTAssertEqual(VectorExtension(openBLASCoreName: "Sandybridge"), .avx)
        XCTAssertEqual(VectorExtension(openBLASCoreName: "Nehalem"), .sse3)
        XCTAssertEqual(VectorExtension.avx512.weaker, .avx2)
        XCTAssertNil(VectorExtension.sse3.weaker)
        XCTAssertTrue(BLASRuntime.computesCorrectly())
    }
}

/// The choice in real processes under `mpirun -np 2`: what `info` reports on each rank.
final class KernelChoiceLaunchTests: XCTestCase {
    private struct Report {
        let kernelLine: String
        /// Per rank: the kernel set and the number of restarts.
        let ranks: [(core: String, restarts: Int)]
        let warned: Bool
    }

    private func info(_ environment: [String: String]) throws -> Report {
        let outcome = try CommandRunner.run(["info"], ranks: 2, environment: environment,
                                            unsetting: ["OPENBLAS_CORETYPE", KernelChoice.optOutVariable, KernelChoice.choiceVariable,
                                                        KernelChoice.restartsVariable, KernelChoice.simulationVariable]
                                                .filter { environment[$0] == nil })
        XCTAssertEqual(outcome.exitCode, 0, outcome.standardError)
        let lines = outcome.standardOutput.split(separator: "\n").map(String.init)
        let kernelLine = try XCTUnwrap(lines.first { $0.hasPrefix("BLAS kernels:") }, outcome.standardOutput)
        let ranks = try lines.filter { $0.hasPrefix("rank ") }.map { line in
            let core = try XCTUnwrap(line.range(of: "BLAS core ").map { line[$0.upperBound...].prefix { $0 != "," } }, line)
            let restarts = try XCTUnwrap(line.range(of: "restarts ").flatMap { Int(line[$0.upperBound...].prefix { $0.isNumber }) }, line)
            return (String(core), restarts)
        }
        XCTAssertEqual(ranks.count, 2, outcome.standardOutput)
        return Report(kernelLine: kernelLine, ranks: ranks, warned: lines.contains { $0.hasPrefix("warning: BLAS runs") })
    }

    /// Some hosts set `OPENBLAS_CORETYPE` for every process because wider kernel sets crash or
    /// compute wrongly there; the tests that run those sets leave such a host alone.
    private func skipWhereTheHostForcesAKernelSet() throws {
        if let forced = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !forced.isEmpty {
            throw XCTSkip("this host's environment sets OPENBLAS_CORETYPE=\(forced); wider kernel sets are not run here")
        }
    }

    func testNothingSetGivesTheWidestKernelsWithAtMostOneRestart() throws {
        try skipWhereTheHostForcesAKernelSet()
        let report = try info([:])
        // Kernels that fail the numeric check here are replaced by narrower ones, and say so.
        guard !report.kernelLine.contains("fail the start-up check") else { return }
        for rank in report.ranks {
            XCTAssertEqual(VectorExtension(openBLASCoreName: rank.core), VectorExtension.supported, report.kernelLine)
            XCTAssertLessThanOrEqual(rank.restarts, 1)
        }
        XCTAssertFalse(report.warned)
    }

    func testAValueTheUserSetIsKeptWithAWarning() throws {
        let report = try info(["OPENBLAS_CORETYPE": "Prescott"])
        XCTAssertTrue(report.ranks.allSatisfy { $0.core == "Prescott" && $0.restarts == 0 }, report.kernelLine)
        XCTAssertTrue(report.kernelLine.contains("set by the user (OPENBLAS_CORETYPE=Prescott)"), report.kernelLine)
        XCTAssertEqual(report.warned, VectorExtension.supported > .sse3)
    }

    func testAnUnknownProcessorRestartsOnceAndTheOptOutIsHonoured() throws {
        guard VectorExtension.supported > .sse3 else { throw XCTSkip("this CPU has nothing wider than SSE3 to restart into") }
        try skipWhereTheHostForcesAKernelSet()
        // Prescott standing in for OpenBLAS's fallback on a processor model it does not know.
        let unknown = ["OPENBLAS_CORETYPE": "Prescott", KernelChoice.simulationVariable: "unknown-cpu"]
        let restarted = try info(unknown)
        for rank in restarted.ranks where !restarted.kernelLine.contains("fail the start-up check") {
            XCTAssertEqual(rank.core.lowercased(), VectorExtension.supported.openBLASCoreType.lowercased(), restarted.kernelLine)
            XCTAssertEqual(rank.restarts, 1)
        }
        XCTAssertTrue(restarted.kernelLine.contains("OpenBLAS picked Prescott (SSE3)"), restarted.kernelLine)

        let optedOut = try info(unknown.merging([KernelChoice.optOutVariable: "0"]) { $1 })
        XCTAssertTrue(optedOut.ranks.allSatisfy { $0.core == "Prescott" && $0.restarts == 0 }, optedOut.kernelLine)
        XCTAssertTrue(optedOut.warned)
    }

    func testKernelsThatComputeWronglyAreReplacedByWeakerOnes() throws {
        let supported = VectorExtension.supported
        guard let weaker = supported.weaker else { throw XCTSkip("this CPU has no weaker kernel set to fall back to") }
        try skipWhereTheHostForcesAKernelSet()
        let report = try info(["OPENBLAS_CORETYPE": "Prescott",
                               KernelChoice.simulationVariable: "unknown-cpu,reject=\(supported.openBLASCoreType)"])
        for rank in report.ranks {
            XCTAssertEqual(rank.core.lowercased(), weaker.openBLASCoreType.lowercased(), report.kernelLine)
            XCTAssertEqual(rank.restarts, 2)
        }
        XCTAssertTrue(report.kernelLine.contains("fell back to OPENBLAS_CORETYPE=\(weaker.openBLASCoreType)"), report.kernelLine)
    }
}
