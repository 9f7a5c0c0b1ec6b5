import Foundation
import Synchronization

private let terminationSignal = Atomic<Int32>(0)

/// Notices SIGTERM (what Slurm and mpirun send before killing a job) and SIGINT, so a training
/// loop can write a final checkpoint at the next step boundary instead of dying mid-update.
public enum TerminationRequest {
    /// Installs the handlers; later signals are recorded, not acted on.
    public static func install() {
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber) { received in terminationSignal.store(received, ordering: .relaxed) }
        }
    }

    /// The signal received since `install()`, if any.
    public static var receivedSignal: Int32? {
        let value = terminationSignal.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }
}
