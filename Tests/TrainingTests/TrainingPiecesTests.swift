import Foundation
import Chemistry
import Distributed
import MatGAN
import NeuralNet
import Training
import XCTest

/// The pieces of distributed training that do not need several processes.
final class TrainingPiecesTests: XCTestCase {
    func testBatchScheduleSplitsEveryGlobalBatchAcrossRanks() throws {
        let rows = 103
        let single = try BatchSchedule(rowCount: rows, globalBatchSize: 12, rank: 0, worldSize: 1, seed: 5)
        XCTAssertEqual(single.stepsPerEpoch, 8, "103 rows make 8 full batches of 12; the rest is dropped")
        for epoch in 0..<3 {
            let whole = single.localRows(epoch: epoch)
            XCTAssertEqual(whole.count, 96)
            XCTAssertEqual(Set(whole).count, 96, "no row twice in an epoch")
            for worldSize in [2, 3, 4] {
                let shards = try (0..<worldSize).map {
                    try BatchSchedule(rowCount: rows, globalBatchSize: 12, rank: $0, worldSize: worldSize, seed: 5)
                        .localRows(epoch: epoch)
                }
                for step in 0..<8 {
                    let local = 12 / worldSize
                    let global = Set(shards.flatMap { $0[step * local ..< (step + 1) * local] })
                    XCTAssertEqual(global, Set(whole[step * 12 ..< (step + 1) * 12]),
                                   "step \(step) of epoch \(epoch) on \(worldSize) ranks is the same global batch")
                }
            }
        }
        XCTAssertNotEqual(single.localRows(epoch: 0), single.localRows(epoch: 1), "each epoch reshuffles")
    }

    func testBatchScheduleRejectsUnsplittableBatches() {
        XCTAssertThrowsError(try BatchSchedule(rowCount: 100, globalBatchSize: 32, rank: 0, worldSize: 3, seed: 1)) {
            XCTAssertTrue("\($0)".contains("--batch-size 32 cannot be split evenly over 3 ranks"), "\($0)")
        }
        XCTAssertThrowsError(try BatchSchedule(rowCount: 10, globalBatchSize: 32, rank: 0, worldSize: 1, seed: 1)) {
            XCTAssertTrue("\($0)".contains("10 rows, fewer than one global batch of 32"), "\($0)")
        }
    }

    func testAnUnsplittableBatchIsAnsweredWithTheNearestThatSplit() {
        XCTAssertTrue(BatchSchedule.nearestSplittableBatches(around: 32, worldSize: 12) == (24, 36))
        XCTAssertTrue(BatchSchedule.nearestSplittableBatches(around: 32, worldSize: 64) == (nil, 64), "no positive multiple below")
        XCTAssertTrue(BatchSchedule.nearestDividingRankCounts(of: 32, around: 12) == (8, 16))
        XCTAssertTrue(BatchSchedule.nearestDividingRankCounts(of: 32, around: 64) == (32, nil), "no larger rank count divides")
        XCTAssertTrue(BatchSchedule.nearestDividingRankCounts(of: 7, around: 3) == (1, 7))

        XCTAssertEqual(TrainingError.indivisibleBatch(globalBatchSize: 32, worldSize: 12, defaultOf: "matgan-mp",
                                                      perRankFlag: "--batch-per-rank").message,
                       "matgan-mp's default --batch-size 32 cannot be split evenly over 12 ranks: use --batch-size 24 or 36 "
                       + "(multiples of 12), or --batch-per-rank N for a global batch of 12 x N")
        XCTAssertEqual(TrainingError.indivisibleBatch(globalBatchSize: 32, worldSize: 64).message,
                       "--batch-size 32 cannot be split evenly over 64 ranks: use --batch-size 64 (the smallest multiple of 64)")
        XCTAssertEqual("\(TrainingError.indivisibleResumedBatch(checkpoint: "run/checkpoint.h5", globalBatchSize: 32, worldSize: 12))",
                       "checkpoint run/checkpoint.h5 was trained with a global batch of 32, which cannot be split evenly over 12 "
                       + "ranks; resume it on 8 or 16 ranks (the global batch stays, so the run continues as it would have), or "
                       + "start a new run")
    }

    func testAConfigurationStoredBeforeTheLaterSettingsContinuesAsItWas() throws {
        let configuration = MatGANConfiguration.defaults(for: .matganOQMD, stop: StopCondition(maximumSteps: 7))
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(configuration.json.utf8)) as? [String: Any])
        for key in ["learningRateDecay", "learningRateScaling", "warmupSteps"] { object[key] = nil }
        let older = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        XCTAssertEqual(try MatGANConfiguration(storedJSON: older), configuration)
        XCTAssertThrowsError(try MatGANConfiguration(storedJSON: "{\"model\": \"matgan-mp\"}"), "a configuration lacking others")
    }

    func testLearningRatesScaleWithTheGlobalBatchAndWarmUp() {
        var configuration = MatGANConfiguration.defaults(for: .matganMP, stop: StopCondition(maximumSteps: 4))
        XCTAssertEqual(configuration.model.referenceBatchSize, configuration.batchSize, "the defaults are the reference")
        configuration.batchSize = 128
        XCTAssertEqual(configuration.learningRateFactor, 1, "no scaling unless asked")
        configuration.learningRateScaling = .linear
        XCTAssertEqual(configuration.learningRateFactor, 4)
        configuration.learningRateScaling = .squareRoot
        XCTAssertEqual(configuration.learningRateFactor, 2)

        // sqrt(128 / 32) = 2 times the rate, warmed up over 2 steps: the generator's 2 updates,
        // the critic's 2 x 5.
        configuration.warmupSteps = 2
        configuration.criticIterations = 5
        let generator = configuration.learningRateSchedule(1e-3, updatesPerStep: 1, plannedSteps: 4)
        XCTAssertEqual(generator(step: 0), 1e-3, accuracy: 1e-9)
        XCTAssertEqual(generator(step: 1), 2e-3, accuracy: 1e-9)
        XCTAssertEqual(generator(step: 3), 2e-3, accuracy: 1e-9)
        let critic = configuration.learningRateSchedule(1e-2, updatesPerStep: 5, plannedSteps: 4)
        XCTAssertEqual(critic(step: 0), 2e-3, accuracy: 1e-9)
        XCTAssertEqual(critic(step: 4), 1e-2, accuracy: 1e-9)
        XCTAssertEqual(critic(step: 10), 2e-2, accuracy: 1e-9)

        // With cosine decay to 0 at step 4: step 1 is 2/2 · (1 + cos(pi/4)) / 2 of 2e-3, step 2 half of it.
        configuration.learningRateDecay = .cosine
        let decayed = configuration.learningRateSchedule(1e-3, updatesPerStep: 1, plannedSteps: 4)
        XCTAssertEqual(decayed(step: 0), 1e-3, accuracy: 1e-9)
        XCTAssertEqual(decayed(step: 1), 1.70710678e-3, accuracy: 1e-9)
        XCTAssertEqual(decayed(step: 2), 1e-3, accuracy: 1e-9)
        XCTAssertEqual(decayed(step: 4), 0, accuracy: 1e-9)

        configuration.batchSize = 32
        configuration.batchPerRank = 2
        XCTAssertEqual(configuration.batchSummary(worldSize: 16), [
            "batch: 16 rank(s) x 2 per rank = global batch 32 (given as --batch-per-rank 2); reference batch of matgan-mp 32",
            "learning rates: generator 0.001, critic 0.01 (--lr-scaling sqrt x1, linear warm-up over 2 steps, cosine decay to 0)",
        ])
    }

    func testSampleRandomnessDependsOnlyOnTheGlobalSample() {
        let width = 128
        var whole = [Float](repeating: 0, count: 8 * width)
        SampleRandomness(seed: 11, update: 3).fillNormal(&whole, rows: 8, width: width, purpose: .criticNoise)
        var weights = [Float](repeating: 0, count: 8)
        SampleRandomness(seed: 11, update: 3).fillUniform(&weights, count: 8, purpose: .interpolation)
        for worldSize in [2, 4] {
            for rank in 0..<worldSize {
                // Rank r holds global samples r, r + W, r + 2W, ...
                let local = 8 / worldSize
                let randomness = SampleRandomness(seed: 11, sampleOffset: rank, sampleStride: worldSize, update: 3)
                var part = [Float](repeating: 0, count: local * width)
                randomness.fillNormal(&part, rows: local, width: width, purpose: .criticNoise)
                var partWeights = [Float](repeating: 0, count: local)
                randomness.fillUniform(&partWeights, count: local, purpose: .interpolation)
                for j in 0..<local {
                    let global = rank + j * worldSize
                    XCTAssertEqual(Array(part[j * width ..< (j + 1) * width]), Array(whole[global * width ..< (global + 1) * width]))
                    XCTAssertEqual(partWeights[j], weights[global])
                }
            }
        }
        var other = [Float](repeating: 0, count: 8 * width)
        SampleRandomness(seed: 11, update: 4).fillNormal(&other, rows: 8, width: width, purpose: .criticNoise)
        XCTAssertNotEqual(other, whole, "the next update draws new noise")
        SampleRandomness(seed: 11, update: 3).fillNormal(&other, rows: 8, width: width, purpose: .generatorNoise)
        XCTAssertNotEqual(other, whole, "each purpose has its own stream")
    }

    func testStopConditionTakesTheFirstLimitReached() {
        let stop = StopCondition(maximumSteps: 100, maximumEpochs: 3, maximumSeconds: 60)
        XCTAssertNil(stop.reason(step: 99, epoch: 2, elapsedSeconds: 59))
        XCTAssertEqual(stop.reason(step: 100, epoch: 0, elapsedSeconds: 0), "reached 100 steps")
        XCTAssertEqual(stop.reason(step: 1, epoch: 3, elapsedSeconds: 0), "reached 3 epochs")
        XCTAssertEqual(stop.reason(step: 1, epoch: 0, elapsedSeconds: 61), "reached the 60.0 s time limit")
        XCTAssertEqual(stop.progress(step: 50, epochProgress: 0.3, elapsedSeconds: 6), 0.5, accuracy: 1e-12)
    }

    func testCheckpointRoundTripAndLayoutChecks() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("checkpoint.h5").path

        let generator = MatGANNetworks.generator(.icsd, maxBatch: 2)
        generator.store.initializeWeights(.normal(standardDeviation: 1), seed: 3)
        for index in generator.store.buffers.indices { generator.store.buffers[index] = Float(index) * 0.5 }
        let adam = Adam(parameterCount: generator.store.parameterCount)
        for index in generator.store.gradients.indices { generator.store.gradients[index] = Float(index % 7) - 3 }
        adam.step(generator.store)
        adam.step(generator.store)
        let header = Checkpoint.Header(model: "matgan-mp", step: 2, epoch: 0, seed: 3, configuration: "{}",
                                       dataFile: "data.h5", dataSHA256: "abc", worldSize: 2)
        try Checkpoint(header: header, networks: [("generator", generator.store)], optimizers: [("generator", adam)],
                       counters: ["random_update": 9]).write(to: path)

        let copy = MatGANNetworks.generator(.icsd, maxBatch: 2)
        let copyAdam = Adam(parameterCount: copy.store.parameterCount)
        let restored = try Checkpoint.restore(from: path, networks: [("generator", copy.store)], optimizers: [("generator", copyAdam)])
        XCTAssertEqual(restored.header, header)
        XCTAssertEqual(restored.counters, ["random_update": 9])
        XCTAssertEqual(Array(copy.store.parameters), Array(generator.store.parameters))
        XCTAssertEqual(Array(copy.store.buffers), Array(generator.store.buffers))
        XCTAssertEqual(copyAdam.stepCount, 2)
        XCTAssertEqual(Array(copyAdam.secondMoment.storage), Array(adam.secondMoment.storage))

        // A network of another layout is refused before anything is overwritten.
        let oqmd = MatGANNetworks.generator(.oqmd, maxBatch: 2)
        let before = Array(oqmd.store.parameters)
        XCTAssertThrowsError(try Checkpoint.restore(from: path, networks: [("generator", oqmd.store)], optimizers: [])) {
            XCTAssertTrue("\($0)".contains("network 'generator' has a different layout"), "\($0)")
        }
        XCTAssertEqual(Array(oqmd.store.parameters), before)
        XCTAssertThrowsError(try Checkpoint.restore(from: path, networks: [("critic", copy.store)], optimizers: [])) {
            XCTAssertTrue("\($0)".contains("has no network 'critic'"), "\($0)")
        }
    }
}
