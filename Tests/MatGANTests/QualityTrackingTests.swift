import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import HDF5
import MatGAN
import Random
import TestSupport
import XCTest

/// The quality a GAN run measures while it trains (`train --eval-every`, `--eval-samples`), as
/// real `mpirun` jobs of the built binary: when the evaluations come, that they are `evaluate`'s
/// numbers for the same samples whatever the rank count, the plot, and resume.
final class QualityTrackingTests: XCTestCase {
    private static let fixture = TrainingFixture(name: "quality")

    override class func tearDown() {
        fixture.remove()
        super.tearDown()
    }

    private func path(_ name: String) -> String { Self.fixture.path(name) }

    private func train(_ runDirectory: String, steps: Int, _ extra: [String]) -> [String] {
        Self.fixture.trainArguments(runDirectory, steps: steps, extra: extra)
    }

    private func evaluations(_ runDirectory: String) throws -> [[String: Any]] {
        try Self.fixture.metricsRecords(runDirectory, evaluations: true)
    }

    private func number(_ record: [String: Any], _ name: String) throws -> Double {
        try XCTUnwrap((record[name] as? NSNumber)?.doubleValue, "evaluation record lacks \(name): \(record)")
    }

    func testEvaluationsComeEveryIntervalAndAtTheEndAndRedrawThePlot() throws {
        try Self.fixture.prepare()
        let run = try assertSucceeds(train("every", steps: 5, ["--eval-every", "2", "--ema-decay", "0.5"]), ranks: 2)
        let records = try evaluations("every")
        XCTAssertEqual(records.compactMap { $0["step"] as? Int }, [2, 4, 5], "every 2 steps, then at the end")
        let progressEpochs = Dictionary(uniqueKeysWithValues: try Self.fixture.metricsRecords("every").map {
            (try XCTUnwrap($0["step"] as? Int), try number($0, "epoch"))
        })
        for record in records {
            XCTAssertEqual(try number(record, "epoch"), progressEpochs[try XCTUnwrap(record["step"] as? Int)])
            for measure in QualityMeasure.allCases {
                for name in [measure.rawValue, "ema_" + measure.rawValue] {
                    let value = try number(record, name)
                    XCTAssertTrue(measure.isPercent ? (0...100).contains(value) : (0...1).contains(value), "\(name) = \(value)")
                }
            }
        }
        let clock = try records.map { try number($0, "elapsed_seconds") }
        XCTAssertEqual(clock, clock.sorted(), "the wall clock runs forward")
        XCTAssertTrue(run.standardError.contains("eval step 2 epoch \(String(format: "%.2f", progressEpochs[2] ?? 0)): decoded "),
                      run.standardError)
        XCTAssertTrue(run.standardError.contains("; ema: decoded "), run.standardError)
        XCTAssertEqual(run.standardError.components(separatedBy: "eval step ").count - 1, 3, run.standardError)

        let svg = try String(contentsOfFile: path("every/quality.svg"), encoding: .utf8)
        let parser = XMLParser(data: Data(svg.utf8))
        XCTAssertTrue(parser.parse(), "quality.svg is not well-formed XML: \(String(describing: parser.parserError))")
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2 * 2 * QualityMeasure.allCases.count,
                       "each measure, raw and averaged, against epochs and against time")
        XCTAssertTrue(svg.contains(">decoded (EMA)</text>") && svg.contains("stroke-dasharray"), "the average is drawn dashed")
        XCTAssertTrue(svg.contains("wall-clock seconds"), "a short run's time axis is in seconds")

        // compare-runs: the last evaluation, raw and averaged, as a table row each, and the curves.
        let comparison = try assertSucceeds(["compare-runs", path("every"), "--plot", path("compare.svg")])
        let last = try XCTUnwrap(records.last)
        for (generator, prefix) in [("raw", ""), ("EMA", "ema_")] {
            let row = try XCTUnwrap(comparison.standardOutput.split(separator: "\n").first { $0.hasPrefix("| every | \(generator) | 5 |") },
                                    comparison.standardOutput)
            let neutral = String(format: "%.1f", try number(last, prefix + QualityMeasure.chargeNeutral.rawValue))
            let distance = String(format: "%.3f", try number(last, prefix + QualityMeasure.elementDistance.rawValue))
            XCTAssertTrue(row.contains("| \(neutral) |") && row.hasSuffix(" |") && row.contains("| \(distance) |"), String(row))
        }
        let curves = try String(contentsOfFile: path("compare.svg"), encoding: .utf8)
        XCTAssertTrue(XMLParser(data: Data(curves.utf8)).parse(), "compare.svg is not well-formed XML")
        XCTAssertEqual(curves.components(separatedBy: "<polyline").count - 1, 4 * 2, "four measures, raw and averaged")
        try FileManager.default.createDirectory(atPath: path("no-evaluations"), withIntermediateDirectories: true)
        let refused = try CommandRunner.run(["compare-runs", path("every"), path("no-evaluations")])
        XCTAssertNotEqual(refused.exitCode, 0)
        XCTAssertTrue(refused.standardError.contains(path("no-evaluations") + "/metrics.jsonl holds no evaluation records"),
                      refused.standardError)
    }

    func testMetricsAreEvaluatesAndTheSameOnOneAndTwoRanks() throws {
        try Self.fixture.prepare()
        // 700 samples: two blocks of SampleQualityEvaluation.blockSize, one per rank on two ranks.
        // The recipe that learns (README, "Training recipe") decodes samples from about step 50 on.
        let samples = "700", steps = 50
        let recipe = ["--init", "he", "--no-critic-batch-norm", "--critic-lr", "1e-3", "--generator-lr", "1e-3",
                      "--critic-iterations", "5", "--ema-decay", "0.5", "--eval-samples", samples]
        try assertSucceeds(train("same", steps: steps, recipe), ranks: 2)
        let twoRanks = try XCTUnwrap(evaluations("same").last)
        XCTAssertEqual(twoRanks["step"] as? Int, steps)

        // The same samples through generate and evaluate: the generator's own weights and its average.
        let seed = String(derivedSeed(5, for: .matganEvaluationNoise))
        for (prefix, weights) in [("", ["--raw-generator"]), ("ema_", [])] {
            let samplesFile = path("same-\(prefix)samples.h5"), report = path("same-\(prefix)report")
            try assertSucceeds(["generate", "--checkpoint", path("same/checkpoint.h5"), "--samples", samples, "--seed", seed,
                                "--batch-size", String(SampleQualityEvaluation.blockSize), "--output", samplesFile] + weights)
            try assertSucceeds(["evaluate", "--samples", samplesFile, "--data", Self.fixture.dataPath, "--output-dir", report])
            let json = try Data(contentsOf: URL(fileURLWithPath: report + "/evaluation.json"))
            let evaluated = try JSONDecoder().decode(GenerationReport.self, from: json)
            for measure in QualityMeasure.allCases {
                XCTAssertEqual(try number(twoRanks, prefix + measure.rawValue), measure.value(in: evaluated), accuracy: 1e-12,
                               prefix + measure.rawValue)
            }
        }
        XCTAssertGreaterThan(try number(twoRanks, "decoded_percent"), 0, "a comparison of nothing decoded would prove little")

        // The same generator evaluated on one rank: resume without its evaluation record and no step left to train.
        try rewriteMetrics("same") { $0["kind"] as? String != "evaluation" }
        try assertSucceeds(train("same", steps: steps, ["--resume", "--eval-samples", samples]), ranks: 1)
        let oneRank = try XCTUnwrap(evaluations("same").last)
        for measure in QualityMeasure.allCases {
            for name in [measure.rawValue, "ema_" + measure.rawValue] {
                XCTAssertEqual(try number(oneRank, name), try number(twoRanks, name), name)
            }
        }
    }

    func testResumeContinuesTheClockAndRecordsNoStepTwice() throws {
        try Self.fixture.prepare()
        try assertSucceeds(train("resumed", steps: 4, ["--eval-every", "2"]), ranks: 2)
        let checkpointSeconds = try XCTUnwrap(File.open(path("resumed/checkpoint.h5")).attribute("elapsed_seconds").doubleValue)
        let before = try evaluations("resumed")
        XCTAssertGreaterThanOrEqual(checkpointSeconds, try number(XCTUnwrap(before.last), "elapsed_seconds"))
        // A crash after evaluating step 6 but before its checkpoint.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path("resumed/metrics.jsonl")))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"kind\":\"evaluation\",\"step\":6,\"elapsed_seconds\":0}\n".utf8))
        try handle.close()

        let resumed = try assertSucceeds(train("resumed", steps: 6, ["--eval-every", "2", "--resume"]), ranks: 2)
        XCTAssertTrue(resumed.standardError.contains("dropped 1 metrics record(s)"), resumed.standardError)
        let after = try evaluations("resumed")
        XCTAssertEqual(after.compactMap { $0["step"] as? Int }, [2, 4, 6])
        XCTAssertGreaterThan(try number(after[2], "elapsed_seconds"), checkpointSeconds, "the clock continues from the checkpoint's")
        let progress = try Self.fixture.metricsRecords("resumed").map { try number($0, "elapsed_seconds") }
        XCTAssertEqual(progress, progress.sorted(), "progress records share the run's clock")

        // Nothing left to train: the end of the run was evaluated already.
        let finished = try assertSucceeds(train("resumed", steps: 6, ["--resume"]), ranks: 2)
        XCTAssertEqual(try evaluations("resumed").compactMap { $0["step"] as? Int }, [2, 4, 6])
        XCTAssertTrue(finished.standardOutput.contains("to step 6 in") && finished.standardOutput.contains("(no step left to train)"),
                      finished.standardOutput)
    }

    /// Bad numbers for the schedule are among RunDirectoryTests' refused numbers.
    func testModelsWithoutSamplesRefuseTheSchedule() throws {
        try Self.fixture.prepare()
        let autoencoder = try CommandRunner.run(["train", "--model", "matgan-ae", "--data", Self.fixture.dataPath, "--run-dir",
                                                 path("bad-ae"), "--steps", "1", "--eval-every", "10"])
        XCTAssertNotEqual(autoencoder.exitCode, 0)
        XCTAssertTrue(autoencoder.standardError.contains("--eval-every does not apply to matgan-ae; it applies to matgan-mp, matgan-oqmd"),
                      autoencoder.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("bad-ae")), "a refused command created nothing")
        let elpasolite = try CommandRunner.run(["train", "--model", "elpasolite-cgan", "--data", Self.fixture.dataPath, "--run-dir",
                                                path("bad-cgan"), "--eval-samples", "100"])
        XCTAssertTrue(elpasolite.standardError.contains("--eval-samples does not apply to elpasolite-cgan"), elpasolite.standardError)
    }

    /// Keeps the records of `RUN-DIR/metrics.jsonl` that `keep` accepts.
    private func rewriteMetrics(_ runDirectory: String, keeping keep: ([String: Any]) -> Bool) throws {
        let file = path(runDirectory + "/metrics.jsonl")
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").filter { line in
            ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]).map(keep) ?? true
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: file))
    }
}
