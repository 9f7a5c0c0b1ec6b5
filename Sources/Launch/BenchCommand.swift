import ArgumentParser
import BLAS
import Distributed
import Foundation
import MatGAN
import NeuralNet
import Random

/// `matgan-dist bench`: per-core throughput of the training engine on fixed workloads, with the
/// BLAS kernel set it ran on, the GEMM speed each row reaches against the sgemm peak measured in
/// the same run, and the peak resident memory of each case. Run with `OPENBLAS_NUM_THREADS=1`.
/// The reference column is PyTorch on one thread, same models (MatGAN's critic with batch norm, 5
/// critic updates per generator update): measured on this host by `scripts/pytorch_reference.py`
/// and passed with `--reference`, or else the stored figures of PyTorch 2.15 (MKL, oneDNN) on a
/// current AVX-512 Xeon, which compare engines only roughly (docs/performance.md).
/// Under `mpirun` every rank runs the cases (the `allreduce` case times the collective across
/// them) and rank 0 prints.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training and generation throughput of the NeuralNet engine (samples/s).",
        discussion: "Cases: " + BenchmarkCase.registry.map(\.name).joined(separator: ", ") + ".")

    @Option(name: .customLong("case"), help: "Case to run (repeatable); default: all.")
    var cases: [String] = []

    @Option(help: "Minimum measured seconds per row (after one warm-up step).")
    var seconds: Double = 3

    @Option(help: ArgumentHelp(
        "PyTorch figures measured on this host: the JSON that scripts/pytorch_reference.py prints.",
        discussion: "Without it, the reference column shows stored figures from another machine, marked *.",
        valueName: "file"))
    var reference: String?

    func validate() throws {
        let known = Set(BenchmarkCase.registry.map(\.name))
        for name in cases where !known.contains(name) {
            throw ValidationError("unknown case '\(name)'; known: \(known.sorted().joined(separator: ", "))")
        }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive, got \(seconds)") }
    }

    func run() throws {
        let world = try Communicator.world
        try world.abortingOnError { try measure(printing: world.isRoot) }
    }

    /// Runs the selected cases, printing the BLAS kernels first and the table at the end when `printing`.
    private func measure(printing: Bool) throws {
        let selected = cases.isEmpty ? BenchmarkCase.registry : BenchmarkCase.registry.filter { cases.contains($0.name) }
        let measured = try reference.map(MeasuredReference.init(path:))
        if printing {
            print("BLAS: \(KernelChoice.summary)")
            if let measured { print("reference: \(measured.summary)") }
            if let warning = KernelChoice.warning { print("warning: \(warning)") }
        }
        let peak = BLASRuntime.measureSgemm(size: 1024)
        if printing { print(String(format: "sgemm 1024^3 peak of this run: %.1f GFLOP/s", peak)) }
        let header = ["case", "workload", "batch", "samples/s", "per CPU-s", "ms/call", "reference", "ratio", "GEMM GFLOP/s",
                      "of peak", "peak RSS MiB"]
        var rows: [[String]] = []
        var results: [BenchmarkResult] = []
        for benchmark in selected {
            ProcessMemory.resetPeak()
            for result in try benchmark.run(seconds) {
                results.append(result)
                let onThisHost = measured?.rates["\(benchmark.name)/\(result.batch)"]
                let reference = onThisHost ?? result.reference
                let marker = onThisHost == nil && reference != nil ? "*" : ""
                rows.append([
                    benchmark.name, result.workload, "\(result.batch)", String(format: "%.0f", result.samplesPerSecond),
                    String(format: "%.0f", result.samplesPerCPUSecond), String(format: result.secondsPerCall >= 0.1 ? "%.0f" : "%.3g", 1000 * result.secondsPerCall),
                    reference.map { String(format: "%.0f", $0) + marker } ?? "-",
                    reference.map { String(format: "%.2fx", result.samplesPerSecond / $0) + marker } ?? "-",
                    result.gemmGFLOPS.map { String(format: "%.1f", $0) } ?? "-",
                    result.gemmGFLOPS.map { String(format: "%.0f %%", 100 * $0 / peak) } ?? "-",
                    String(format: "%.0f", result.peakResidentMiB ?? ProcessMemory.peakResidentMiB),
                ])
            }
        }
        guard printing else { return }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max()! }
        for line in [header] + rows {
            print(zip(line, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
        for detail in results.flatMap(\.details) { print("\n" + detail) }
        if let column = header.firstIndex(of: "reference"), rows.contains(where: { $0[column].hasSuffix("*") }) {
            print("* stored PyTorch 2.15 figure of a current AVX-512 Xeon, not this host (docs/performance.md)")
        }
    }
}

/// PyTorch figures measured on this host by `scripts/pytorch_reference.py`, keyed `case/batch`.
struct MeasuredReference {
    let summary: String
    let rates: [String: Double]

    private struct Contents: Decodable {
        let torch: String
        let threads: Int
        let cases: [String: Double]
    }

    init(path: String) throws {
        let contents: Contents
        do {
            contents = try JSONDecoder().decode(Contents.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ValidationError("--reference \(path): expected the JSON of scripts/pytorch_reference.py (torch, threads, cases): \(error.localizedDescription)")
        }
        guard contents.cases.values.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw ValidationError("--reference \(path): every case rate must be a positive number")
        }
        summary = "PyTorch \(contents.torch), \(contents.threads) thread(s), measured on this host (\(path))"
        rates = contents.cases
    }
}

/// One named benchmark: `run(seconds)` measures each of its rows for at least `seconds`.
struct BenchmarkCase: Sendable {
    let name: String
    let run: @Sendable (_ seconds: Double) throws -> [BenchmarkResult]

    /// Every case `bench` knows, in the order it runs them.
    static let registry: [BenchmarkCase] = MatGANBenchmarks.cases + ElpasoliteBenchmarks.cases + ChemistryBenchmarks.cases
        + CommunicationBenchmarks.cases
}

/// One measured row.
struct BenchmarkResult {
    /// What was timed, e.g. "ICSD WGAN-GP, 5 critic updates/G update".
    let workload: String
    let batch: Int
    /// Samples per wall-clock second.
    let samplesPerSecond: Double
    /// Samples per second of this process's CPU time: with one BLAS thread, the figure a quiet
    /// core would give even when other processes share the machine.
    let samplesPerCPUSecond: Double
    /// Wall-clock seconds of one timed call (e.g. one MatGAN step, one allreduce).
    let secondsPerCall: Double
    /// GEMM operations per wall-clock second in billions (nil: the workload runs no GEMM).
    let gemmGFLOPS: Double?
    /// The PyTorch (1 thread) figure to compare with, if any.
    let reference: Double?
    /// Peak resident memory of this row alone (nil: the case's peak so far is reported).
    var peakResidentMiB: Double? = nil
    /// Tables printed after the summary (e.g. a per-layer profile).
    var details: [String] = []

    /// A row from `rates` of a timed call that handles `samplesPerCall` samples.
    init(workload: String, batch: Int, rates: Rates, samplesPerCall: Int, reference: Double?, peakResidentMiB: Double? = nil) {
        self.workload = workload
        self.batch = batch
        samplesPerSecond = rates.perSecond * Double(samplesPerCall)
        samplesPerCPUSecond = rates.perCPUSecond * Double(samplesPerCall)
        secondsPerCall = 1 / rates.perSecond
        gemmGFLOPS = rates.gemmOperationsPerCall > 0 ? rates.perSecond * Double(rates.gemmOperationsPerCall) / 1e9 : nil
        self.reference = reference
        self.peakResidentMiB = peakResidentMiB
    }
}

/// How often a timed call ran per wall-clock and per CPU second, and the GEMM work it does.
struct Rates {
    /// Timed calls (after the warm-up).
    let steps: Int
    let perSecond: Double
    let perCPUSecond: Double
    let gemmOperationsPerCall: UInt64
}

/// Calls per wall-clock second and per process CPU second of `step`, timed (after one warm-up
/// call, which also counts its GEMM operations) until `seconds` of wall-clock time have passed.
func measureRates(seconds: Double, _ step: () throws -> Void) rethrows -> Rates {
    let operationsBefore = GEMMOperations.total
    try step()
    let operations = GEMMOperations.total - operationsBefore
    let start = DispatchTime.now().uptimeNanoseconds
    let cpuStart = ProcessMemory.cpuSeconds
    var steps = 0
    var elapsed = 0.0
    repeat {
        try step()
        steps += 1
        elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    } while elapsed < seconds || steps < 2
    return Rates(steps: steps, perSecond: Double(steps) / elapsed, perCPUSecond: Double(steps) / (ProcessMemory.cpuSeconds - cpuStart),
                 gemmOperationsPerCall: operations)
}

/// Resident-memory and CPU-time figures of this process (Linux).
enum ProcessMemory {
    /// CPU time this process has used, all threads.
    static var cpuSeconds: Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Peak resident set size (`VmHWM` of /proc/self/status) in MiB.
    static var peakResidentMiB: Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kibibytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return .nan }
        return kibibytes / 1024
    }

    /// Resets the peak resident size to the current one (writes 5 to /proc/self/clear_refs).
    static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }
}

/// The MatGAN workloads of the engine's performance targets.
enum MatGANBenchmarks {
    static let cases = [
        BenchmarkCase(name: "matgan-train") { seconds in
            try [32, 128, 512].map { try training(.icsd, batch: $0, reference: [32: 110.8, 128: 112.2, 512: 106.1][$0]!, seconds: seconds) }
        },
        BenchmarkCase(name: "matgan-train-oqmd") { seconds in
            [try training(.oqmd, batch: 512, reference: 46.7, seconds: seconds)]
        },
        BenchmarkCase(name: "matgan-generate") { seconds in
            [try generation(.icsd, batch: 4096, reference: 4316, seconds: seconds)]
        },
        BenchmarkCase(name: "matgan-profile") { seconds in
            try [32, 512].map { try training(.icsd, batch: $0, reference: nil, seconds: seconds, profile: true) }
        },
        // How one rank's update time grows with its share of the batch: what a larger rank count
        // gains per update before the allreduce (`allreduce` case) is added.
        BenchmarkCase(name: "matgan-update-scaling") { seconds in
            try [4, 8, 16, 32, 64, 128, 256, 512].map { try training(.icsd, batch: $0, reference: nil, seconds: seconds) }
        },
    ]

    /// Critic updates per generator update in the benchmark workload.
    static let criticIterations = 5

    /// WGAN-GP training (5 critic updates with penalty per generator update) on synthetic
    /// composition matrices; counts real samples consumed. With `profile`, as many steps again
    /// are run with every layer call timed, and the row carries the time per layer and pass.
    static func training(
        _ variant: MatGANVariant, batch: Int, reference: Double?, seconds: Double, profile: Bool = false
    ) throws -> BenchmarkResult {
        ProcessMemory.resetPeak()
        let generator = MatGANNetworks.generator(variant, maxBatch: batch)
        let critic = MatGANNetworks.critic(variant, maxBatch: batch)
        MatGANNetworks.initializeGenerator(generator.store, .he, seed: 1)
        MatGANNetworks.initializeCritic(critic.store, .he, seed: 2)
        let adam = { (count: Int, rate: Float) in
            Adam(parameterCount: count, learningRate: .constant(rate), beta1: 0.5, beta2: 0.9, variant: .tensorflow1)
        }
        let trainer = WassersteinGP(
            generator: generator, critic: critic,
            generatorOptimizer: adam(generator.store.parameterCount, 1e-3),
            criticOptimizer: adam(critic.store.parameterCount, variant == .oqmd ? 5e-3 : 1e-2),
            criticIterations: criticIterations, randomness: SampleRandomness(seed: 3))
        let real = syntheticCompositions(count: criticIterations * batch)
        let step = { try trainer.train(batch: batch) { UnsafePointer(real.pointer + $0 * batch * critic.inputCount) } }
        let rates = try measureRates(seconds: seconds) { try step() }
        var result = BenchmarkResult(
            workload: "\(variant.rawValue.uppercased()) WGAN-GP train, \(criticIterations) critic/G update",
            batch: batch, rates: rates, samplesPerCall: criticIterations * batch, reference: reference,
            peakResidentMiB: ProcessMemory.peakResidentMiB)
        if profile {
            // As many steps again, each layer call timed; the step time is these steps' own.
            let profiles = [("generator", LayerProfile(layers: generator.layers)), ("critic", LayerProfile(layers: critic.layers))]
            generator.profile = profiles[0].1
            critic.profile = profiles[1].1
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0 ..< rates.steps { try step() }
            let stepSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(rates.steps)
            let optimizers = try measureRates(seconds: 0.2) {
                for _ in 0 ..< criticIterations { trainer.criticOptimizer.step(critic.store) }
                trainer.generatorOptimizer.step(generator.store)
            }
            result.details.append(profileTable(
                title: "\(variant.rawValue.uppercased()) training step, batch \(batch): milliseconds per step (\(criticIterations) critic updates + 1 generator update)",
                profiles: profiles, steps: rates.steps, stepSeconds: stepSeconds, optimizerSeconds: 1 / optimizers.perSecond))
        }
        return result
    }

    /// The per-layer, per-pass table of a profiled training row; the rest of the step (noise,
    /// interpolation, penalty norms, Adam) is what the layers do not account for.
    static func profileTable(
        title: String, profiles: [(String, LayerProfile)], steps: Int, stepSeconds: Double, optimizerSeconds: Double
    ) -> String {
        let passes = LayerProfile.Pass.allCases
        let milliseconds = { (seconds: Double) in String(format: "%.2f", 1000 * seconds) }
        let share = { (seconds: Double) in String(format: "%.1f %%", 100 * seconds / stepSeconds) }
        var rows: [[String]] = []
        var layersTotal = 0.0
        for (network, profile) in profiles {
            for (index, name) in profile.layerNames.enumerated() {
                let times = passes.map { profile.seconds(layer: index, pass: $0) / Double(steps) }
                let total = times.reduce(0, +)
                layersTotal += total
                rows.append(["\(network) \(index) \(name)"] + times.map(milliseconds) + [milliseconds(total), share(total)])
            }
        }
        let blank = passes.map { _ in "" }
        rows.append(["Adam (measured alone)"] + blank + [milliseconds(optimizerSeconds), share(optimizerSeconds)])
        let rest = stepSeconds - layersTotal - optimizerSeconds
        rows.append(["rest: noise, interpolation, penalty norms"] + blank + [milliseconds(rest), share(rest)])
        rows.append(["step"] + blank + [milliseconds(stepSeconds), "100 %"])
        let header = ["layer"] + passes.map(\.name) + ["total", "of step"]
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max()! }
        return ([title] + ([header] + rows).map { line in
            zip(line, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }).joined(separator: "\n")
    }

    /// Generator inference (running batch-norm averages) on N(0, 1) noise.
    static func generation(_ variant: MatGANVariant, batch: Int, reference: Double, seconds: Double) throws -> BenchmarkResult {
        ProcessMemory.resetPeak()
        let generator = MatGANNetworks.generator(variant, maxBatch: batch)
        MatGANNetworks.initializeGenerator(generator.store, .he, seed: 1)
        let noise = FloatBuffer(count: batch * generator.inputCount)
        var random = RandomStream(seed: 4)
        random.fillNormal(noise.storage)
        let rates = try measureRates(seconds: seconds) {
            try generator.forward(noise.pointer, batch: batch, mode: .inference)
        }
        return BenchmarkResult(
            workload: "\(variant.rawValue.uppercased()) generator inference", batch: batch, rates: rates,
            samplesPerCall: batch, reference: reference, peakResidentMiB: ProcessMemory.peakResidentMiB)
    }

    /// `count` composition-like matrices [85, 8, 1]: 2-5 elements, one count cell each.
    static func syntheticCompositions(count: Int) -> FloatBuffer {
        let width = 85 * 8
        let buffer = FloatBuffer(count: count * width)
        var random = RandomStream(seed: 5)
        for sample in 0 ..< count {
            for _ in 0 ..< 2 + random.uniformInt(below: 4) {
                buffer.pointer[sample * width + random.uniformInt(below: 85) * 8 + random.uniformInt(below: 8)] = 1
            }
        }
        return buffer
    }
}
