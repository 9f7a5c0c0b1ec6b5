import Foundation

/// Chooses the fastest OpenBLAS kernel set that computes correctly, before the program starts
/// its real work (docs/platform.md).
///
/// OpenBLAS fixes its kernel set when the library loads, from the processor model, and falls back
/// to SSE3 kernels on a model it does not know (3-5x slower GEMMs). So ``selectBeforeStart()``
/// runs first in `main`, before `MPI_Init`: when `OPENBLAS_CORETYPE` is unset and the loaded set
/// uses a weaker instruction set than the processor and OS support, it sets the variable and
/// replaces the process with itself (`execv`, same process id, so `mpirun` and `srun` see no
/// difference). A value the user set is kept; `MATGAN_BLAS_AUTOSELECT=0` turns the choice off.
/// Every start checks sgemm and sgemv against plain loops and, on a mismatch, falls back to the
/// next weaker kernel set.
public enum KernelChoice {
    /// `0` turns the automatic choice off.
    public static let optOutVariable = "MATGAN_BLAS_AUTOSELECT"
    /// Why the kernel set was chosen, set before a restart so that the new image can say it.
    public static let choiceVariable = "MATGAN_BLAS_CHOICE"
    /// Restarts so far (at most one to upgrade, one per rejected kernel set to fall back).
    public static let restartsVariable = "MATGAN_BLAS_RESTARTS"
    /// Tests only: `unknown-cpu` treats `OPENBLAS_CORETYPE` as OpenBLAS's own pick (as on a
    /// processor it does not know), `reject=NAME` fails the numeric check on kernel set NAME.
    public static let simulationVariable = "MATGAN_BLAS_SIMULATE"

    /// Everything the choice depends on.
    public struct Situation: Equatable, Sendable {
        /// `OPENBLAS_CORETYPE` as the user set it (nil when unset or empty).
        public var requestedCoreType: String?
        /// The reason an earlier start of this process left in ``choiceVariable``.
        public var earlierChoice: String?
        public var restarts: Int
        public var optedOut: Bool
        /// Whether the OpenBLAS build can switch kernel sets (DYNAMIC_ARCH).
        public var switchable: Bool
        /// The kernel set OpenBLAS loaded.
        public var loadedCore: String
        /// What the processor and OS support.
        public var supported: VectorExtension
        /// Whether the loaded kernels passed the numeric check.
        public var computesCorrectly: Bool

        public init(requestedCoreType: String?, earlierChoice: String?, restarts: Int, optedOut: Bool, switchable: Bool,
                    loadedCore: String, supported: VectorExtension, computesCorrectly: Bool) {
            self.requestedCoreType = requestedCoreType
            self.earlierChoice = earlierChoice
            self.restarts = restarts
            self.optedOut = optedOut
            self.switchable = switchable
            self.loadedCore = loadedCore
            self.supported = supported
            self.computesCorrectly = computesCorrectly
        }
    }

    /// What to do at start-up.
    public enum Decision: Equatable, Sendable {
        /// Run with the loaded kernel set, for this reason.
        case keep(reason: String)
        /// Restart with `OPENBLAS_CORETYPE=coreType`; `reason` is what the restarted process reports.
        case restart(coreType: String, reason: String)
        /// The kernels compute wrong results and no weaker set is left to try.
        case fail(message: String)
    }

    /// How a reason says that a kernel set computed wrongly.
    static let failedCheck = "fail the start-up check of sgemm/sgemv against plain loops"

    /// The upgrade restart happens at most once; each fallback adds one more, up to this bound.
    static let maximumRestarts = 4

    /// The decision for `situation`; pure, so that it can be tested on any host.
    public static func decide(_ situation: Situation) -> Decision {
        let loaded = VectorExtension(openBLASCoreName: situation.loadedCore)
        let loadedDescription = "\(situation.loadedCore) (\(loaded.name))"
        guard situation.computesCorrectly else {
            let problem = "OpenBLAS's \(loadedDescription) kernels \(failedCheck)"
            if situation.optedOut { return .keep(reason: "automatic choice off (\(optOutVariable)=0); WARNING: \(problem)") }
            guard situation.switchable, situation.restarts < maximumRestarts, let weaker = loaded.weaker else {
                return .fail(message: "\(problem), and no weaker kernel set is left to try; set OPENBLAS_CORETYPE to another "
                             + "kernel set or use another BLAS build")
            }
            return .restart(coreType: weaker.openBLASCoreType,
                            reason: "\(problem): fell back to OPENBLAS_CORETYPE=\(weaker.openBLASCoreType)")
        }
        if situation.optedOut { return .keep(reason: "OpenBLAS's own choice (automatic choice off: \(optOutVariable)=0)") }
        if let earlier = situation.earlierChoice { return .keep(reason: earlier) }
        if let requested = situation.requestedCoreType { return .keep(reason: "set by the user (OPENBLAS_CORETYPE=\(requested))") }
        guard situation.switchable else { return .keep(reason: "the only kernel set of this OpenBLAS build (no DYNAMIC_ARCH)") }
        guard loaded < situation.supported, situation.restarts == 0 else {
            return .keep(reason: "OpenBLAS's own choice, the widest instruction set this CPU supports")
        }
        let target = situation.supported.openBLASCoreType
        return .restart(coreType: target, reason: "OpenBLAS picked \(loadedDescription) on a CPU with \(situation.supported.name): "
                        + "restarted with OPENBLAS_CORETYPE=\(target)")
    }

    /// This process's situation, read from the environment, the CPU and OpenBLAS.
    public static func currentSituation() -> Situation {
        let simulation = Set((variable(simulationVariable) ?? "").split(separator: ",").map { $0.lowercased() })
        let loaded = BLASRuntime.coreName
        let earlier = variable(choiceVariable)
        let requested = earlier == nil && simulation.contains("unknown-cpu") ? nil : variable("OPENBLAS_CORETYPE")
        return Situation(
            requestedCoreType: requested, earlierChoice: earlier, restarts: restarts,
            optedOut: variable(optOutVariable) == "0", switchable: BLASRuntime.hasDynamicArchitecture,
            loadedCore: loaded, supported: VectorExtension.supported,
            computesCorrectly: !simulation.contains("reject=\(loaded.lowercased())") && BLASRuntime.computesCorrectly())
    }

    /// Applies ``decide(_:)`` to this process: returns to run on, replaces the process with a
    /// restarted one, or exits with a message. Call first in `main`, before MPI starts.
    public static func selectBeforeStart() {
        switch decide(currentSituation()) {
        case .keep(let reason):
            setenv(choiceVariable, reason, 1)
        case .restart(let coreType, let reason):
            setenv("OPENBLAS_CORETYPE", coreType, 1)
            setenv(choiceVariable, reason, 1)
            setenv(restartsVariable, String(restarts + 1), 1)
            fflush(nil)  // nothing buffered may be lost with the old image
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            // Still here: the restart failed; run on with what is loaded and say why.
            setenv(choiceVariable, "OpenBLAS's own choice (restart with OPENBLAS_CORETYPE=\(coreType) failed: "
                   + "\(String(cString: strerror(errno))))", 1)
        case .fail(let message):
            FileHandle.standardError.write(Data("matgan-dist: \(message)\n".utf8))
            exit(70)
        }
    }

    /// Why the running kernel set was chosen.
    public static var reason: String { variable(choiceVariable) ?? "OpenBLAS's own choice" }

    /// How many times this process restarted itself to change kernel sets.
    public static var restarts: Int { variable(restartsVariable).flatMap { Int($0) } ?? 0 }

    /// A non-empty environment variable, read now (not from a snapshot taken at start-up).
    private static func variable(_ name: String) -> String? {
        guard let value = getenv(name), value.pointee != 0 else { return nil }
        return String(cString: value)
    }

    /// A warning when the kernels use a weaker instruction set than the CPU supports, saying how to fix it.
    public static var warning: String? {
        let running = BLASRuntime.vectorExtension, supported = VectorExtension.supported
        // After a fallback the wider kernels are known to be wrong here; the reason says so.
        guard running < supported, !reason.contains(failedCheck) else { return nil }
        return "BLAS runs \(BLASRuntime.coreName) kernels (\(running.name)) although this CPU supports \(supported.name): "
            + "GEMMs run up to several times slower. Unset OPENBLAS_CORETYPE (and \(optOutVariable)) to let matgan-dist "
            + "choose, or set OPENBLAS_CORETYPE=\(supported.openBLASCoreType)."
    }

    /// One line for logs: kernel set, instruction sets, threads, measured speed and reason.
    public static var summary: String {
        "\(BLASRuntime.version), \(BLASRuntime.coreName) kernels (\(BLASRuntime.vectorExtension.name); CPU supports "
            + "\(VectorExtension.supported.name)), \(BLASRuntime.threadCount) thread(s), sgemm "
            + String(format: "%.0f", BLASRuntime.sgemmGFLOPS) + " GFLOP/s; \(reason)"
    }

    /// What output files record of the BLAS that made them.
    public struct Provenance: Sendable {
        /// The loaded kernel set, e.g. "SkylakeX".
        public let kernels: String
        /// Why it was chosen.
        public let choice: String
        /// The measured sgemm speed of the writing process.
        public let sgemmGFLOPS: Double
    }

    /// This process's BLAS provenance.
    public static var provenance: Provenance {
        Provenance(kernels: BLASRuntime.coreName, choice: reason, sgemmGFLOPS: BLASRuntime.sgemmGFLOPS)
    }
}
