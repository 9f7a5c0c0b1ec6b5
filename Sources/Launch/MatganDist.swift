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
        subcommands: [InfoCommand.self, SelfTestCommand.self, CheckFormulasCommand.self, PrepareCommand.self, ElpasoliteCommand.self,
                      TrainCommand.self, GenerateCommand.self, EvaluateCommand.self, DecodabilityCommand.self, PropertyCommand.self,
                      ActiveCommand.self, CompareRunsCommand.self, BenchCommand.self]
    )

    /// Chooses the BLAS kernel set (which may restart the process) before anything else runs.
    static func main() {
        KernelChoice.selectBeforeStart()
        main(nil)
    }
}
