import ArgumentParser
import BLAS

/// The `matgan-dist` command: one binary for a laptop (`matgan-dist ...` or `mpirun -np 2`)
/// and a cluster (`srun matgan-dist ...`).
@main
struct MatganDist: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matgan-dist",
        abstract: "Distributed generative models of inorganic compositions (MatGAN, elpasolites).",
        discussion: """
            Run under mpirun or srun for data-parallel training and sharded generation; \
            a plain process is a one-rank job.
            """,
        subcommands: [Info.self, SelfTest.self, CheckFormulas.self, Prepare.self, ElpasoliteCommand.self, Train.self, Generate.self, Evaluate.self, DecodabilityCommand.self, PropertyCommand.self, ActiveCommand.self, Bench.self]
    )

    /// Chooses the BLAS kernel set (which may restart the process) before anything else runs.
    static func main() {
        KernelChoice.selectBeforeStart()
        main(nil)
    }
}
