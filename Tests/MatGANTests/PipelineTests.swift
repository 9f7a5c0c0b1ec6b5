import Chemistry
import Foundation
import HDF5
import TestSupport
import XCTest

/// prepare → train → generate → evaluate as real `mpirun` jobs of the built binary, on a small
/// generated formula list: the distributed guarantees (rank-count independence, identical
/// replicas, exact resume, synchronised batch norm) checked end to end.
final class PipelineTests: XCTestCase {
    private static let fixture = TrainingFixture(name: "pipeline")
    private static var dataPath: String { fixture.dataPath }

    override class func tearDown() {
        fixture.remove()
        super.tearDown()
    }

    private func path(_ name: String) -> String { Self.fixture.path(name) }

    private func prepareData() throws { try Self.fixture.prepare() }

    private func trainArguments(_ runDirectory: String, steps: Int, extra: [String] = []) -> [String] {
        Self.fixture.trainArguments(runDirectory, steps: steps, extra: extra)
    }

    private func parameters(_ checkpoint: String) throws -> [String: [Float]] {
        let file = try File.open(path(checkpoint))
        return try ["generator", "critic"].reduce(into: [:]) { result, name in
            result[name] = try file.read("networks/\(name)/parameters", as: Float.self)
            result[name + ".state"] = try file.read("networks/\(name)/state", as: Float.self)
        }
    }

    private func metricValues(_ runDirectory: String, _ name: String) throws -> [Double] {
        try Self.fixture.metricsRecords(runDirectory).map { record in
            try XCTUnwrap(record[name] as? Double, "metrics record lacks \(name): \(record)")
        }
    }

    func testGenerationAndEvaluationDoNotDependOnTheRankCount() throws {
        try prepareData()
        try assertSucceeds(trainArguments("gan", steps: 4), ranks: 2)
        try assertSucceeds(["generate", "--checkpoint", path("gan/checkpoint.h5"), "--samples", "700", "--batch-size", "64",
                     "--output", path("one.h5"), "--save-matrices"])
        try assertSucceeds(["generate", "--checkpoint", path("gan/checkpoint.h5"), "--samples", "700", "--batch-size", "64",
                     "--output", path("two.h5"), "--save-matrices"], ranks: 3)
        let one = try File.open(path("one.h5"))
        let two = try File.open(path("two.h5"))
        XCTAssertEqual(try one.read("samples/key", as: UInt64.self), try two.read("samples/key", as: UInt64.self))
        XCTAssertEqual(try one.readStrings("samples/formula"), try two.readStrings("samples/formula"))
        XCTAssertEqual(try one.read("samples/matrix", as: UInt8.self), try two.read("samples/matrix", as: UInt8.self))
        XCTAssertEqual(try one.openDataset("samples/matrix").shape, [700, 85, 8])
        for flag in ["element_count", "charge_neutral", "electronegativity_balanced", "smact_valid"] {
            XCTAssertEqual(try one.read("samples/\(flag)", as: UInt8.self), try two.read("samples/\(flag)", as: UInt8.self), flag)
        }

        let single = try assertSucceeds(["evaluate", "--samples", path("one.h5"), "--data", Self.dataPath,
                                  "--output-dir", path("evaluation-1")])
        try assertSucceeds(["evaluate", "--samples", path("one.h5"), "--data", Self.dataPath, "--compare", "self=\(Self.dataPath)",
                     "--output-dir", path("evaluation-2")], ranks: 2)
        XCTAssertTrue(single.standardOutput.contains("recovered hold-out formulas"), single.standardOutput)
        let reportOne = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("evaluation-1/evaluation.json")))) as? [String: Any]
        let reportTwo = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("evaluation-2/evaluation.json")))) as? [String: Any]
        for field in ["unique", "samples", "decodedByBucket", "novel", "uniquenessCurve", "generatedValidity", "trainingValidity"] {
            XCTAssertEqual(reportOne?[field] as? NSObject, reportTwo?[field] as? NSObject, "\(field) differs between 1 and 2 ranks")
        }
        let recoveryOne = reportOne?["recovery"] as? [String: NSObject]
        let recoveryTwo = reportTwo?["recovery"] as? [String: NSObject]
        XCTAssertEqual(recoveryOne?["training"], recoveryTwo?["training"])
        XCTAssertEqual(recoveryOne?["hold-out"], recoveryTwo?["hold-out"])
        // Comparing the data set with itself confirms exactly the novel samples found in the hold-out split.
        let confirmed = reportTwo?["confirmedElsewhere"] as? [String: Int]
        XCTAssertEqual(confirmed?["self"], confirmed?["hold-out"])
        let curve = try String(contentsOfFile: path("evaluation-2/uniqueness_curve.csv"), encoding: .utf8)
        XCTAssertTrue(curve.hasPrefix("samples,decoded,unique,unique_percent,unique_percent_of_decoded\n"), curve)
    }

    func testGeneratorAverageFollowsItsDecayAndIsWhatGenerateUses() throws {
        try prepareData()
        // After one update the average is d · initial + (1 − d) · updated, so its distance from
        // the updated generator scales with d: twice as far at d = 0.5 as at d = 0.25.
        try assertSucceeds(trainArguments("ema-half", steps: 1, extra: ["--ema-decay", "0.5"]), ranks: 2)
        try assertSucceeds(trainArguments("ema-quarter", steps: 1, extra: ["--ema-decay", "0.25"]), ranks: 2)
        let half = try File.open(path("ema-half/checkpoint.h5"))
        let quarter = try File.open(path("ema-quarter/checkpoint.h5"))
        let updated = try half.read("networks/generator/parameters", as: Float.self)
        XCTAssertTrue(updated == (try quarter.read("networks/generator/parameters", as: Float.self)), "the average must not change training")
        let averageHalf = try half.read("networks/generator_ema/parameters", as: Float.self)
        let averageQuarter = try quarter.read("networks/generator_ema/parameters", as: Float.self)
        var checked = 0
        for i in updated.indices where abs(averageQuarter[i] - updated[i]) > 1e-5 {
            XCTAssertEqual((averageHalf[i] - updated[i]) / (averageQuarter[i] - updated[i]), 2, accuracy: 1e-2, "parameter \(i)")
            checked += 1
        }
        XCTAssertGreaterThan(checked, updated.count / 2)
        // The average's batch-norm statistics are re-estimated for its own weights.
        let averageState = try half.read("networks/generator_ema/state", as: Float.self)
        XCTAssertNotEqual(averageState, try half.read("networks/generator/state", as: Float.self))
        XCTAssertTrue(averageState.allSatisfy(\.isFinite))

        try assertSucceeds(["generate", "--checkpoint", path("ema-half/checkpoint.h5"), "--samples", "50", "--output", path("ema.h5")])
        try assertSucceeds(["generate", "--checkpoint", path("ema-half/checkpoint.h5"), "--samples", "50", "--raw-generator",
                            "--output", path("raw.h5")])
        XCTAssertEqual(try File.open(path("ema.h5")).attribute("generator_weights").stringValue, "generator_ema")
        XCTAssertEqual(try File.open(path("raw.h5")).attribute("generator_weights").stringValue, "generator")

        for value in ["0", "1", "-0.5", "nan"] {
            let refused = try CommandRunner.run(trainArguments("ema-bad", steps: 1, extra: ["--ema-decay", value]))
            XCTAssertNotEqual(refused.exitCode, 0)
            XCTAssertTrue(refused.standardError.contains("--ema-decay must be above 0 and below 1, got"), refused.standardError)
        }
    }

    func testCosineDecayStartsAtTheGivenRatesAndLowersThem() throws {
        try prepareData()
        // Two planned updates: the first at the full rates, the second at half of them.
        try assertSucceeds(trainArguments("constant-rate", steps: 2))
        try FileManager.default.copyItem(atPath: path("constant-rate/checkpoint.h5"), toPath: path("constant-rate-2.h5"))
        try assertSucceeds(trainArguments("cosine-rate", steps: 2, extra: ["--lr-decay", "cosine"]))
        try assertSucceeds(trainArguments("constant-rate-1", steps: 1))
        try assertSucceeds(trainArguments("cosine-rate-1", steps: 1, extra: ["--lr-decay", "cosine"]))
        let first = try parameters("constant-rate-1/checkpoint.h5"), firstCosine = try parameters("cosine-rate-1/checkpoint.h5")
        let second = try parameters("constant-rate-2.h5"), secondCosine = try parameters("cosine-rate/checkpoint.h5")
        for name in ["generator", "critic"] {
            XCTAssertTrue(first[name] == firstCosine[name], "\(name): a one-update cosine run takes the full rate")
            XCTAssertFalse(second[name] == secondCosine[name], "\(name): the second cosine update takes half the rate")
        }
        let refused = try CommandRunner.run(["train", "--model", "matgan-mp", "--data", Self.dataPath, "--run-dir", path("cosine-bad"),
                                             "--time-limit", "1m", "--lr-decay", "cosine"])
        XCTAssertNotEqual(refused.exitCode, 0)
        XCTAssertTrue(refused.standardError.contains("--lr-decay cosine needs --steps or --epochs"), refused.standardError)
        let badDuration = try CommandRunner.run(["train", "--model", "matgan-mp", "--data", Self.dataPath, "--run-dir",
                                                 path("duration-bad"), "--time-limit", "5x"])
        XCTAssertNotEqual(badDuration.exitCode, 0)
        XCTAssertTrue(badDuration.standardError.contains("'5x'") && badDuration.standardError.contains("--time-limit"),
                      badDuration.standardError)
    }

    func testAutoencoderTrainsAndReportsDecodability() throws {
        try prepareData()
        let run = try assertSucceeds(["train", "--model", "matgan-ae", "--data", Self.dataPath, "--run-dir", path("ae"), "--steps", "3",
                               "--batch-size", "16", "--log-every", "1"], ranks: 2)
        XCTAssertTrue(run.standardOutput.contains("trained matgan-ae to step 3"), run.standardOutput)
        let losses = try metricValues("ae", "negative_dice")
        XCTAssertEqual(losses.count, 3)
        XCTAssertTrue(losses.allSatisfy { $0 >= -1 && $0 <= 0 }, "negative Dice lies in [-1, 0]: \(losses)")

        try assertSucceeds(["train", "--model", "matgan-mp", "--data", Self.dataPath, "--run-dir", path("ae-gan"), "--steps", "2",
                     "--batch-size", "8", "--eval-samples", "64"])
        try assertSucceeds(["generate", "--checkpoint", path("ae-gan/checkpoint.h5"), "--samples", "300", "--batch-size", "100",
                     "--output", path("ae-samples.h5")])
        let report = try assertSucceeds(["decodability", "--checkpoint", path("ae/checkpoint.h5"), "--data", Self.dataPath,
                                  "--samples", path("ae-samples.h5"), "--output-dir", path("ae-report")], ranks: 2)
        XCTAssertTrue(report.standardOutput.contains("decodable training formulas:"), report.standardOutput)
        XCTAssertTrue(report.standardOutput.contains("non-decodable training formulas the GAN generated:"), report.standardOutput)
        let list = try String(contentsOfFile: path("ae-report/non_decodable_training.csv"), encoding: .utf8)
        XCTAssertTrue(list.hasPrefix("formula\n"), list)

        let wrong = try CommandRunner.run(["decodability", "--checkpoint", path("ae-gan/checkpoint.h5"), "--data", Self.dataPath])
        XCTAssertNotEqual(wrong.exitCode, 0)
        XCTAssertTrue(wrong.standardError.contains("not the autoencoder"), wrong.standardError)
    }

    func testTerminationSignalWritesAFinalCheckpoint() throws {
        try prepareData()
        // As Slurm does before a time-out: SIGTERM to every rank.
        let running = try CommandRunner.start(trainArguments("terminated", steps: 100_000, extra: ["--checkpoint-every", "0"]),
                                              ranks: 2, timeout: 300)
        let metrics = path("terminated") + "/metrics.jsonl"
        let deadline = Date().addingTimeInterval(240)
        while Date() < deadline, running.process.isRunning,
              ((try? String(contentsOfFile: metrics, encoding: .utf8))?.split(separator: "\n").count ?? 0) < 3 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let ranks = running.childProcessIdentifiers
        XCTAssertEqual(ranks.count, 2, "expected two rank processes under mpirun")
        for rank in ranks { kill(rank, SIGTERM) }
        let outcome = try running.wait()
        XCTAssertEqual(outcome.exitCode, 128 + SIGTERM, "a run ended by SIGTERM says so after its checkpoint\n" + outcome.standardError)
        XCTAssertTrue(outcome.standardOutput.contains("received signal 15"), outcome.standardOutput)
        let step = try XCTUnwrap(File.open(path("terminated/checkpoint.h5")).attribute("step").intValue)
        XCTAssertGreaterThanOrEqual(step, 3)
    }

    /// ‖a − b‖ / ‖a‖ over whole vectors, so that a few components near zero cannot dominate.
    private func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "vectors of \(a.count) and \(b.count) values")
        var difference = 0.0, norm = 0.0
        for (x, y) in zip(a, b) {
            difference += Double(x - y) * Double(x - y)
            norm += Double(x) * Double(x)
        }
        return (difference / max(norm, .leastNormalMagnitude)).squareRoot()
    }

    private func relativeDifference(_ a: [Double], _ b: [Double]) -> Double {
        relativeDifference(a.map(Float.init), b.map(Float.init))
    }

    /// The first moment Adam keeps for `network` ((1 − β1) · gradient after one update).
    private func firstMoment(_ runDirectory: String, _ network: String) throws -> [Float] {
        try File.open(path(runDirectory + "/checkpoint.h5")).read("optimizers/\(network)/exp_avg", as: Float.self)
    }

    func testSynchronizedBatchNormOnTwoRanksFollowsOneProcess() throws {
        try prepareData()
        // A well-conditioned configuration: He initialisation and small learning rates. With the
        // paper's N(0, 1) weights and critic rate 1e-2 the penalty is about 1e6 and one update turns
        // a different order of float sums (another BLAS kernel set, another split of the batch)
        // into a relative change of 1e-3, which says nothing about synchronisation.
        let conditioned = ["--init", "he", "--critic-lr", "1e-4", "--generator-lr", "1e-4", "--checkpoint-every", "0"]

        // Step 1 with one critic update: the critic's gradient comes from the initial parameters on
        // both runs, so the averaged gradients (Adam's first moments) must agree to rounding.
        let oneUpdate = conditioned + ["--critic-iterations", "1"]
        try assertSucceeds(trainArguments("first-1", steps: 1, extra: oneUpdate + ["--sync-bn"]), ranks: 1)
        try assertSucceeds(trainArguments("first-2", steps: 1, extra: oneUpdate + ["--sync-bn"]), ranks: 2)
        try assertSucceeds(trainArguments("first-local", steps: 1, extra: oneUpdate), ranks: 2)
        let firstTolerance = 1e-5
        for network in ["critic", "generator"] {
            let one = try firstMoment("first-1", network)
            let synchronized = relativeDifference(one, try firstMoment("first-2", network))
            let local = relativeDifference(one, try firstMoment("first-local", network))
            XCTAssertLessThanOrEqual(synchronized, firstTolerance, "\(network) gradient after step 1, 1 vs 2 synchronised ranks")
            // The check can fail: half-batch statistics change the gradient by far more.
            XCTAssertGreaterThan(local, 100 * firstTolerance, "\(network) gradient after step 1, 1 vs 2 unsynchronised ranks")
        }
        for metric in ["critic_loss", "wasserstein", "gradient_penalty", "generator_loss"] {
            let one = try metricValues("first-1", metric)
            XCTAssertLessThanOrEqual(relativeDifference(one, try metricValues("first-2", metric)), firstTolerance, metric)
        }

        // Six steps of five critic updates each: the runs may drift apart only by rounding.
        try assertSucceeds(trainArguments("steps-1", steps: 6, extra: conditioned + ["--sync-bn"]), ranks: 1)
        try assertSucceeds(trainArguments("steps-2", steps: 6, extra: conditioned + ["--sync-bn"]), ranks: 2)
        try assertSucceeds(trainArguments("steps-local", steps: 6, extra: conditioned), ranks: 2)
        let stepsTolerance = 1e-3
        for metric in ["critic_loss", "generator_loss", "gradient_penalty"] {
            let one = try metricValues("steps-1", metric)
            let synchronized = try metricValues("steps-2", metric)
            XCTAssertEqual(one.count, 6)
            XCTAssertEqual(synchronized.count, 6)
            let local = try metricValues("steps-local", metric)
            XCTAssertLessThanOrEqual(relativeDifference(one, synchronized), stepsTolerance, "\(metric) over 6 steps, synchronised")
        }
        XCTAssertGreaterThan(relativeDifference(try metricValues("steps-1", "critic_loss"), try metricValues("steps-local", "critic_loss")),
                             100 * stepsTolerance, "unsynchronised critic losses over 6 steps")
    }

    func testReplicasAgreeAndAKilledRunResumesExactly() throws {
        try prepareData()
        try assertSucceeds(trainArguments("straight", steps: 12, extra: ["--checkpoint-every", "4"]), ranks: 2)

        let interrupted = try CommandRunner.start(trainArguments("interrupted", steps: 12, extra: ["--checkpoint-every", "4"]),
                                                  ranks: 2, timeout: 300)
        let metrics = path("interrupted") + "/metrics.jsonl"
        let deadline = Date().addingTimeInterval(240)
        while Date() < deadline, interrupted.process.isRunning {
            let lines = (try? String(contentsOfFile: metrics, encoding: .utf8))?.split(separator: "\n").count ?? 0
            if lines >= 6 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let ranks = interrupted.childProcessIdentifiers
        XCTAssertFalse(ranks.isEmpty, "mpirun had no rank processes to kill")
        if let rank = ranks.last { kill(rank, SIGKILL) }
        let killed = try interrupted.wait()
        XCTAssertNotEqual(killed.exitCode, 0, "the job should fail when a rank is killed")
        XCTAssertFalse(killed.timedOut)

        try assertSucceeds(trainArguments("interrupted", steps: 12, extra: ["--checkpoint-every", "4", "--resume"]), ranks: 2)
        let straight = try parameters("straight/checkpoint.h5")
        let resumed = try parameters("interrupted/checkpoint.h5")
        for (name, values) in straight {
            XCTAssertEqual(values, resumed[name], "\(name) differs after resuming")
        }
        XCTAssertEqual(try File.open(path("interrupted/checkpoint.h5")).attribute("step").intValue, 12)

        // Resuming on other data is refused, naming both files.
        let other = path("other.h5")
        try assertSucceeds(["prepare", "--input", path("formulas.csv"), "--output", other, "--seed", "4"])
        let mismatch = try CommandRunner.run(["train", "--model", "matgan-mp", "--data", other, "--run-dir", path("straight"),
                                              "--steps", "14", "--batch-size", "8", "--resume"], ranks: 2, timeout: 120)
        XCTAssertNotEqual(mismatch.exitCode, 0)
        XCTAssertTrue(mismatch.standardError.contains("was trained on"), mismatch.standardError)
        let wrongModel = try CommandRunner.run(["train", "--model", "matgan-oqmd", "--data", Self.dataPath, "--run-dir", path("straight"),
                                                "--steps", "14", "--batch-size", "8", "--resume"], timeout: 120)
        XCTAssertNotEqual(wrongModel.exitCode, 0)
        XCTAssertTrue(wrongModel.standardError.contains("--model matgan-oqmd conflicts with") && wrongModel.standardError.contains("a checkpoint of matgan-mp"),
                      wrongModel.standardError)
    }
}
