import Chemistry
import Datasets
import ElpasoliteBenchmark
import Foundation
import HDF5
import NeuralNet
import TestSupport
import Training
import XCTest

/// Elpasolite training and sweeps: the fast vector decoder, class-balanced draws, and
/// `train --model elpasolite-*` and `elpasolite sweep` as real `mpirun` jobs on a small
/// synthetic data set and a synthetic labelled space.
final class ElpasoliteTrainingTests: XCTestCase {
    private static let work = FileManager.default.temporaryDirectory.appendingPathComponent("elpasolite-models-\(UUID().uuidString)")
    private static var dataPath: String { work.appendingPathComponent("elpasolites.h5").path }
    private static var oraclePath: String { work.appendingPathComponent("oracle.h5").path }

    override class func setUp() {
        super.setUp()
        try? FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(at: work)
        super.tearDown()
    }

    private func path(_ name: String) -> String { Self.work.appendingPathComponent(name).path }

    /// 300 distinct unordered tuples with energies spread over -3 ... 5 eV/atom, prepared with
    /// the elpasolite preset (A/B swaps added, no hold-out).
    private func prepareData() throws {
        guard !FileManager.default.fileExists(atPath: Self.dataPath) else { return }
        var state: UInt64 = 2024
        var seen: Set<Elpasolite> = []
        var lines = ["idx,formula,A,B,C,D,e_form_ev_per_atom"]
        while seen.count < 300 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let compound = Elpasolite(index: Int(state >> 20) % Elpasolite.tupleCount)
            guard !seen.contains(compound), !seen.contains(compound.swappingAB) else { continue }
            seen.insert(compound)
            let energy = -3 + 8 * Double(seen.count % 97) / 96
            lines.append("\(seen.count),\(compound.formula)," + compound.elements.map(\.symbol).joined(separator: ",") + ",\(energy)")
        }
        var options = PreparationOptions(preset: .elpasolite)
        options.holdoutFraction = 0
        let prepared = try PreparedDataset(file: "synthetic.csv", bytes: Array((lines.joined(separator: "\n") + "\n").utf8),
                                           preset: .elpasolite, options: options)
        try prepared.write(to: Self.dataPath)
    }

    /// A labelled space without a kernel model: class `index % 10 + 1`, every 7th tuple in the
    /// DFT set; all `LabelledSpace(contentsOf:)` reads.
    private func writeOracle() throws {
        guard !FileManager.default.fileExists(atPath: Self.oraclePath) else { return }
        let count = Elpasolite.tupleCount
        let file = try File.create(Self.oraclePath)
        try file.write(OracleFile.energyDataset, (0..<count).map { Float($0 % 10) - 3 })
        try file.write(OracleFile.classDataset, (0..<count).map { UInt8($0 % 10 + 1) })
        try file.write(OracleFile.membershipDataset, (0..<count).map { $0 % 7 == 0 ? UInt8(1) : 0 })
        try file.setAttribute("class_edges", .doubleArray((0...10).map { -3.5 + Double($0) }))
        try file.commit()
    }

    // MARK: In process

    func testVectorDecoderAgreesWithChemistryDecoding() {
        var state: UInt64 = 7
        func uniform() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
        var valid = 0, invalid = 0
        var vector = [Float](repeating: 0, count: 8)
        for trial in 0..<50_000 {
            if trial % 3 == 0 {
                // Exact encodings of tuples, slightly perturbed: always valid, same index.
                let compound = Elpasolite(index: trial * 37 % Elpasolite.tupleCount)
                vector = compound.vector.map { $0 + (uniform() - 0.5) * 0.1 }
                XCTAssertEqual(vector.withUnsafeBufferPointer { ElpasoliteVectorDecoder.tupleIndex($0.baseAddress!) }, compound.index)
            } else {
                // Anything in (-1.2, 1.2): out-of-range levels, missing elements and repeats.
                vector = (0..<8).map { _ in (uniform() * 2 - 1) * 1.2 }
            }
            let expected = Elpasolite(vector: vector)?.index ?? -1
            XCTAssertEqual(vector.withUnsafeBufferPointer { ElpasoliteVectorDecoder.tupleIndex($0.baseAddress!) }, expected,
                           "vector \(vector)")
            if expected >= 0 { valid += 1 } else { invalid += 1 }
        }
        XCTAssertGreaterThan(invalid, 10_000)
        XCTAssertGreaterThan(valid, 18_000)
        // The block decoder agrees with the single one.
        let block = (0..<4000).map { _ in (uniform() * 2 - 1) * 1.1 }
        var indices = [Int32](repeating: 7, count: 500)
        let validInBlock = block.withUnsafeBufferPointer { values in
            indices.withUnsafeMutableBufferPointer { ElpasoliteVectorDecoder.tupleIndices(values.baseAddress!, count: 500, into: $0.baseAddress!) }
        }
        let expectedIndices = (0..<500).map { Int32(Elpasolite(vector: block[$0 * 8 ..< $0 * 8 + 8])?.index ?? -1) }
        XCTAssertEqual(indices, expectedIndices)
        XCTAssertEqual(validInBlock, expectedIndices.filter { $0 >= 0 }.count)
        XCTAssertGreaterThan(validInBlock, 50)
        // Rounding edges: level boundaries of periods (n = 6) land exactly between levels.
        let boundary: [Float] = [-2.0 / 3, -0.5, -1.0 / 3, -0.25, 0, 0.25, 1.0 / 3, 0.5]
        XCTAssertEqual(boundary.withUnsafeBufferPointer { ElpasoliteVectorDecoder.tupleIndex($0.baseAddress!) },
                       Elpasolite(vector: boundary)?.index ?? -1)
    }

    func testClassBalancedDrawsDoNotDependOnTheRankCountAndBalanceTheClasses() throws {
        try prepareData()
        let data = try ElpasoliteTrainingSet(path: Self.dataPath)
        XCTAssertEqual(data.rowCount, 600, "300 tuples plus their A/B swaps")
        let counts = data.classCounts
        XCTAssertEqual(counts.reduce(0, +), 600)
        XCTAssertGreaterThan(counts.filter { $0 > 0 }.count, 5)

        let batch = 40, groups = 3
        func draw(rank: Int, world: Int, step: Int) throws -> (features: [Float], classes: [Int]) {
            let batches = try ClassBalancedBatches(data: data, globalBatch: batch, groups: groups, rank: rank, worldSize: world, seed: 9)
            var features = [Float](repeating: 0, count: groups * batches.localBatch * 8)
            var classes = [Int](repeating: -1, count: groups * batches.localBatch)
            features.withUnsafeMutableBufferPointer { f in
                classes.withUnsafeMutableBufferPointer { c in batches.fill(step: step, features: f.baseAddress!, classes: c.baseAddress!) }
            }
            return (features, classes)
        }
        // Rank r of 2 holds global samples r, r + 2, ... of each group of one process's batch.
        let single = try draw(rank: 0, world: 1, step: 3)
        for rank in 0..<2 {
            let share = try draw(rank: rank, world: 2, step: 3)
            for group in 0..<groups {
                for local in 0..<(batch / 2) {
                    let global = group * batch + rank + 2 * local, slot = group * batch / 2 + local
                    XCTAssertEqual(share.classes[slot], single.classes[global])
                    XCTAssertEqual(Array(share.features[slot * 8 ..< slot * 8 + 8]), Array(single.features[global * 8 ..< global * 8 + 8]))
                }
            }
        }
        XCTAssertNotEqual(try draw(rank: 0, world: 1, step: 4).classes, single.classes, "each step draws anew")
        // Every drawn vector is a training row, with its class.
        for slot in 0..<single.classes.count {
            let row = (0..<data.rowCount).first { Array(data.vectors[$0 * 8 ..< $0 * 8 + 8]) == Array(single.features[slot * 8 ..< slot * 8 + 8]) }
            XCTAssertEqual(data.classes[try XCTUnwrap(row)], single.classes[slot])
        }

        // Over many draws each present class appears about equally often (inverse-frequency weights).
        let batches = try ClassBalancedBatches(data: data, globalBatch: 1, groups: 1, rank: 0, worldSize: 1, seed: 1)
        var drawn = [Int](repeating: 0, count: 10)
        let draws = 40_000
        for step in 0..<draws { drawn[data.classes[batches.row(step: step, sample: 0)]] += 1 }
        let present = counts.indices.filter { counts[$0] > 0 }
        let expected = Double(draws) / Double(present.count)
        for index in present {
            XCTAssertEqual(Double(drawn[index]), expected, accuracy: 5 * expected.squareRoot(), "class index \(index), rows \(counts[index])")
        }
        XCTAssertThrowsError(try ClassBalancedBatches(data: data, globalBatch: 5, groups: 1, rank: 0, worldSize: 2, seed: 1))
    }

    func testTrainFractionKeepsASeededShare() throws {
        try prepareData()
        let all = try ElpasoliteTrainingSet(path: Self.dataPath)
        let quarter = try ElpasoliteTrainingSet(path: Self.dataPath, trainFraction: 0.25, seed: 3)
        XCTAssertEqual(quarter.rowCount, 150)
        let again = try ElpasoliteTrainingSet(path: Self.dataPath, trainFraction: 0.25, seed: 3)
        XCTAssertEqual(quarter.vectors, again.vectors)
        XCTAssertNotEqual(try ElpasoliteTrainingSet(path: Self.dataPath, trainFraction: 0.25, seed: 4).vectors, quarter.vectors)
        let rows = Set((0..<all.rowCount).map { Array(all.vectors[$0 * 8 ..< $0 * 8 + 8]) })
        for row in 0..<quarter.rowCount { XCTAssertTrue(rows.contains(Array(quarter.vectors[row * 8 ..< row * 8 + 8]))) }
        XCTAssertThrowsError(try ElpasoliteTrainingSet(path: Self.dataPath, trainFraction: 0))
    }

    func testFitTableReportsMeanAndSampleDeviation() throws {
        let statistics = ElpasoliteFitTable.meanAndDeviation([1, 2, 3, 4])
        XCTAssertEqual(statistics.mean, 2.5)
        XCTAssertEqual(statistics.deviation, (5.0 / 3).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(ElpasoliteFitTable.meanAndDeviation([0.7]).deviation, 0)

        // Class 1 holds tuples 0..<10, class 2 tuples 10..<30, the rest class 3; tuple 0 is a DFT tuple.
        let count = Elpasolite.tupleCount
        let space = try LabeledSpace(
            energies: [Float](repeating: 0, count: count),
            classes: (0..<count).map { $0 < 10 ? 1 : ($0 < 30 ? 2 : 3) },
            membership: (0..<count).map { $0 == 0 ? 1 : 0 },
            energyClasses: ElpasoliteEnergyClasses(lowerBound: 0, upperBound: 1))
        let reference = SiteFrequencies(TupleBitmap([0]))
        // Fit 1: 4 tuples, 2 in class 1 and 2 in class 2; fit 2: 5 tuples, 4 in class 1, 1 in class 2.
        let first = ClassMetrics(unique: TupleBitmap([0, 1, 10, 11]), requestedClass: 1, space: space, reference: reference)
        let second = ClassMetrics(unique: TupleBitmap([0, 1, 2, 3, 12]), requestedClass: 1, space: space, reference: reference)
        XCTAssertEqual([first.precision, second.precision], [0.5, 0.8])
        XCTAssertEqual([first.coverage, second.coverage], [0.2, 0.4])
        XCTAssertEqual([first.neighbouringCoverage, second.neighbouringCoverage], [0.1, 0.05])
        XCTAssertEqual(ClassMetrics(values: second.values), second, "the values sent between ranks rebuild the metrics")
        let table = ElpasoliteFitTable(model: "elpasolite-cgan", fits: [first, second])
        let lines = table.markdown.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "| class 1, 2 fits | elpasolite-cgan |")
        // precision 0.5, 0.8: mean 65 %, sd 0.3 / sqrt(2) = 21 %; coverage 0.2, 0.4: 30 ± 14 %.
        XCTAssertEqual(lines[2], "| precision | 65 ± 21 % |")
        XCTAssertEqual(lines[3], "| precision, neighbours | 35 ± 21 % |")
        XCTAssertEqual(lines[4], "| coverage | 30 ± 14 % |")
        XCTAssertEqual(lines[5], "| coverage, neighbours | 8 ± 4 % |")
        XCTAssertTrue(lines[6].hasPrefix("| JS distance | "), lines[6])
        let csv = table.csv.split(separator: "\n").map(String.init)
        XCTAssertEqual(csv.count, 5)
        XCTAssertEqual(csv[1], "1," + first.csvRow)
        XCTAssertTrue(csv[3].hasPrefix("mean,1,4.5,3.0,1.5,0.650000,0.350000,0.300000,0.075000,"), csv[3])
        XCTAssertTrue(csv[4].hasPrefix("sd,1,0.7,1.4,0.7,0.212132,0.212132,0.141421,0.035355,"), csv[4])
    }

    // MARK: End to end

    private func metricValues(_ runDirectory: String, _ name: String) throws -> [Double] {
        let text = try String(contentsOfFile: path(runDirectory) + "/metrics.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return try XCTUnwrap(object?[name] as? Double, "metrics line lacks \(name): \(line)")
        }
    }

    private func trainArguments(_ model: String, _ runDirectory: String, steps: Int, batch: Int) -> [String] {
        ["train", "--model", model, "--data", Self.dataPath, "--run-dir", path(runDirectory), "--steps", String(steps),
         "--batch-size", String(batch), "--seed", "5", "--log-every", "1"]
    }

    func testCGANTrainingFollowsTheSameTrajectoryOnOneAndTwoRanks() throws {
        try prepareData()
        try assertSucceeds(trainArguments("elpasolite-cgan", "gan1", steps: 3, batch: 20), ranks: 1)
        let two = try assertSucceeds(trainArguments("elpasolite-cgan", "gan2", steps: 3, batch: 20), ranks: 2)
        XCTAssertTrue(two.standardOutput.contains("trained elpasolite-cgan to step 3"), two.standardOutput)
        // The same global batches, noise and interpolation weights: the losses of every step agree
        // up to the order of the sums (different batches would differ at once). The critic's output
        // bias has a zero gradient up to rounding, which Adam turns into steps of ±lr: the generator
        // loss (unlike the critic's, which the bias cancels from) may drift by 2 lr per critic update.
        let biasDrift = 2 * 1e-5 * 5 * 3
        for (name, tolerance) in [("critic_loss", 1e-5), ("wasserstein", 1e-5), ("gradient_penalty", 1e-5),
                                  ("generator_loss", biasDrift + 1e-5)] {
            let one = try metricValues("gan1", name), other = try metricValues("gan2", name)
            XCTAssertEqual(one.count, 3)
            for (a, b) in zip(one, other) {
                XCTAssertEqual(a, b, accuracy: tolerance * max(1, abs(a)), "\(name) differs between 1 and 2 ranks")
            }
        }
        let initial = ElpasoliteConditionalGAN(maxBatch: 1, seed: 5)
        let trainedGenerator = try File.open(path("gan2/checkpoint.h5")).read("networks/generator/parameters", as: Float.self)
        XCTAssertEqual(trainedGenerator.count, initial.generator.store.parameterCount)
        let initialGenerator = withExtendedLifetime(initial) { Array(initial.generator.store.parameters) }
        XCTAssertFalse(trainedGenerator == initialGenerator, "the generator was not trained")
        let header = try Checkpoint.readHeader(path("gan2/checkpoint.h5"))
        XCTAssertEqual(header.model, "elpasolite-cgan")
        XCTAssertEqual(header.step, 3)

        // Resuming continues from the checkpoint; a MatGAN-only option is refused.
        let resumed = try assertSucceeds(trainArguments("elpasolite-cgan", "gan2", steps: 4, batch: 20) + ["--resume"], ranks: 2)
        XCTAssertTrue(resumed.standardOutput.contains("to step 4"), resumed.standardOutput)
        let refused = try CommandRunner.run(trainArguments("elpasolite-cgan", "gan3", steps: 1, batch: 20) + ["--critic-lr", "1e-3"])
        XCTAssertNotEqual(refused.exitCode, 0)
        XCTAssertTrue(refused.standardError.contains("--critic-lr does not apply to elpasolite-cgan; it applies to matgan-mp, matgan-oqmd"), refused.standardError)
    }

    func testSweepCountsExactlyTheBudgetOfValidSamplesOnAnyRankCount() throws {
        try prepareData()
        try writeOracle()
        try assertSucceeds(trainArguments("elpasolite-cgan", "sweep-gan", steps: 2, batch: 20), ranks: 2)
        let checkpoint = path("sweep-gan/checkpoint.h5")
        let budget = 9_000, requestedClass = 3
        func sweep(ranks: Int, prefix: String) throws -> CommandRunner.Outcome {
            try assertSucceeds(["elpasolite", "sweep", "--checkpoint", checkpoint, "--class", String(requestedClass),
                         "--valid-samples", String(budget), "--oracle", Self.oraclePath, "--seed", "11",
                         "--curve-points", "4", "--output-prefix", path(prefix)], ranks: ranks)
        }
        let one = try sweep(ranks: 1, prefix: "one")
        try sweep(ranks: 2, prefix: "two")
        for suffix in ["-metrics.csv", "-curve.csv"] {
            XCTAssertEqual(try String(contentsOfFile: path("one" + suffix), encoding: .utf8),
                           try String(contentsOfFile: path("two" + suffix), encoding: .utf8), "\(suffix) differs between 1 and 2 ranks")
        }

        // A serial reference: the first `budget` valid samples of the index sequence.
        let source = try ElpasoliteSampleSource(checkpoint: checkpoint, blockRows: ElpasoliteSweep.blockSize)
        let block = ElpasoliteSweep.blockSize
        var samples = [Float](repeating: 0, count: block * 8)
        let space = try LabeledSpace(contentsOf: Self.oraclePath)
        var unique = TupleBitmap(), prefixUnique: [Int: Int] = [:]
        var valid = 0, invalid = 0, first = 0, inClass = 0, inNeighbours = 0
        generation: while true {
            try samples.withUnsafeMutableBufferPointer {
                try source.generate(requestedClass: requestedClass - 1, count: block, firstSampleIndex: first, seed: 11, into: $0.baseAddress!)
            }
            for row in 0..<block {
                let index = samples.withUnsafeBufferPointer { ElpasoliteVectorDecoder.tupleIndex($0.baseAddress! + row * 8) }
                let compound = Elpasolite(vector: samples[row * 8 ..< row * 8 + 8])
                XCTAssertEqual(index, compound?.index ?? -1)
                guard index >= 0 else { invalid += 1; continue }
                unique.insert(index)
                valid += 1
                let tupleClass = Int(space.classes[index])
                if tupleClass == requestedClass { inClass += 1 }
                if abs(tupleClass - requestedClass) == 1 { inNeighbours += 1 }
                if valid % (budget / 4) == 0 { prefixUnique[valid] = unique.count }
                if valid == budget { break generation }
            }
            first += block
        }
        XCTAssertGreaterThan(invalid, 0, "an untrained generator makes invalid samples too")
        let metrics = ClassMetrics(unique: unique, requestedClass: requestedClass, space: space,
                                   reference: SiteFrequencies({ var set = space.dataSetBitmap
                                       set.formIntersection(space.classBitmaps[requestedClass - 1]); return set }()))
        let csv = try String(contentsOfFile: path("one-metrics.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv[0], "model,seed,valid_samples,invalid_samples,sample_precision,sample_neighbouring_precision,"
                       + ClassMetrics.csvHeader)
        let samplePrecision = String(format: "%.6f,%.6f", Double(inClass) / Double(budget), Double(inNeighbours) / Double(budget))
        XCTAssertEqual(String(csv[1]), "elpasolite-cgan,11,\(budget),\(invalid),\(samplePrecision)," + metrics.csvRow)
        let curve = try String(contentsOfFile: path("one-curve.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(curve.map { Int($0.split(separator: ",")[0])! }, [2250, 4500, 6750, 9000])
        XCTAssertEqual(curve.map { Int($0.split(separator: ",")[1])! }, [2250, 4500, 6750, 9000].map { prefixUnique[$0]! })
        XCTAssertTrue(one.standardOutput.contains("\(budget) valid samples (\(invalid) invalid"), one.standardOutput)
        XCTAssertTrue(try String(contentsOfFile: path("two-curve.svg"), encoding: .utf8).hasSuffix("</svg>\n"))
    }

    func testCVAENoiseFollowsTheGlobalSampleSoRanksAndResumesAgree() throws {
        try prepareData()
        try assertSucceeds(trainArguments("elpasolite-cvae", "vae-one", steps: 3, batch: 50), ranks: 1)
        try assertSucceeds(trainArguments("elpasolite-cvae", "vae-two", steps: 3, batch: 50), ranks: 2)
        // Same batches and the same noise per global sample: the losses agree up to summation order.
        for name in ["reconstruction", "kl"] {
            let one = try metricValues("vae-one", name), two = try metricValues("vae-two", name)
            XCTAssertEqual(one.count, 3)
            for (a, b) in zip(one, two) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(a)), "\(name) differs between 1 and 2 ranks") }
        }
        // Stopping after 2 updates and resuming to 3 gives the uninterrupted run's parameters bit for bit.
        try assertSucceeds(trainArguments("elpasolite-cvae", "vae-resumed", steps: 2, batch: 50), ranks: 2)
        try assertSucceeds(trainArguments("elpasolite-cvae", "vae-resumed", steps: 3, batch: 50) + ["--resume"], ranks: 2)
        let straight = try File.open(path("vae-two/checkpoint.h5")).read("networks/cvae/parameters", as: Float.self)
        let resumed = try File.open(path("vae-resumed/checkpoint.h5")).read("networks/cvae/parameters", as: Float.self)
        XCTAssertEqual(straight, resumed)
    }

    func testCVAETrainsAndSweepsUnderMPI() throws {
        try prepareData()
        try writeOracle()
        let trained = try assertSucceeds(trainArguments("elpasolite-cvae", "vae", steps: 3, batch: 50) + ["--train-fraction", "0.5"], ranks: 2)
        XCTAssertTrue(trained.standardOutput.contains("trained elpasolite-cvae to step 3"), trained.standardOutput)
        let header = try Checkpoint.readHeader(path("vae/checkpoint.h5"))
        XCTAssertEqual(header.model, "elpasolite-cvae")
        XCTAssertTrue(header.configuration.contains("\"trainFraction\":0.5"), header.configuration)
        let metrics = try String(contentsOfFile: path("vae/metrics.jsonl"), encoding: .utf8)
        XCTAssertTrue(metrics.contains("\"reconstruction\""), metrics)

        let arguments = ["elpasolite", "sweep", "--checkpoint", path("vae/checkpoint.h5"), "--class", "1", "--valid-samples", "3000",
                         "--oracle", Self.oraclePath, "--curve-points", "2"]
        try assertSucceeds(arguments + ["--output-prefix", path("vae-one")], ranks: 1)
        try assertSucceeds(arguments + ["--output-prefix", path("vae-two")], ranks: 2)
        XCTAssertEqual(try String(contentsOfFile: path("vae-one-metrics.csv"), encoding: .utf8),
                       try String(contentsOfFile: path("vae-two-metrics.csv"), encoding: .utf8))
        let row = try String(contentsOfFile: path("vae-two-metrics.csv"), encoding: .utf8).split(separator: "\n")[1]
        XCTAssertTrue(row.hasPrefix("elpasolite-cvae,1,3000,"), String(row))

        // Two seeded fits, trained and swept in one job.
        let fits = try assertSucceeds(["elpasolite", "sweep", "--fits", "2", "--model", "elpasolite-cvae", "--data", Self.dataPath,
                                "--steps", "2", "--class", "2", "--valid-samples", "500", "--oracle", Self.oraclePath,
                                "--curve-points", "2", "--run-dir", path("fits"), "--output-prefix", path("fits")], ranks: 2)
        XCTAssertTrue(fits.standardOutput.contains("| class 2, 2 fits | elpasolite-cvae |"), fits.standardOutput)
        XCTAssertEqual(try Checkpoint.readHeader(path("fits/fit-2/checkpoint.h5")).seed, 2)
        let perFit = try (1...2).map { try String(contentsOfFile: path("fits-fit-\($0)-metrics.csv"), encoding: .utf8) }
        XCTAssertNotEqual(perFit[0], perFit[1], "fits are seeded independently")
        XCTAssertEqual(try String(contentsOfFile: path("fits-fits.csv"), encoding: .utf8).split(separator: "\n").count, 5)
        // The fits' checkpoints are not overwritten by a second sweep unless it says so.
        let again = try CommandRunner.run(["elpasolite", "sweep", "--fits", "1", "--model", "elpasolite-cvae", "--data", Self.dataPath,
                                           "--steps", "1", "--class", "2", "--valid-samples", "100", "--oracle", Self.oraclePath,
                                           "--run-dir", path("fits"), "--output-prefix", path("fits-again")])
        XCTAssertNotEqual(again.exitCode, 0)
        XCTAssertTrue(again.standardError.contains("already holds a checkpoint") && again.standardError.contains("--overwrite"),
                      again.standardError)

        // Two groups of one rank each train and sweep one fit apiece: the table of a one-rank job.
        let fitArguments = ["elpasolite", "sweep", "--fits", "2", "--model", "elpasolite-cvae", "--data", Self.dataPath, "--steps", "2",
                            "--class", "2", "--valid-samples", "500", "--oracle", Self.oraclePath, "--curve-points", "2"]
        try assertSucceeds(fitArguments + ["--run-dir", path("solo"), "--output-prefix", path("solo")], ranks: 1)
        let grouped = try assertSucceeds(fitArguments + ["--fit-groups", "2", "--run-dir", path("grouped"),
                                                         "--output-prefix", path("grouped")], ranks: 2)
        XCTAssertTrue(grouped.standardOutput.contains("| class 2, 2 fits | elpasolite-cvae |"), grouped.standardOutput)
        XCTAssertEqual(try String(contentsOfFile: path("solo-fits.csv"), encoding: .utf8),
                       try String(contentsOfFile: path("grouped-fits.csv"), encoding: .utf8))
        let badGroups = try CommandRunner.run(fitArguments + ["--fit-groups", "3"])
        XCTAssertNotEqual(badGroups.exitCode, 0)
        XCTAssertTrue(badGroups.standardError.contains("--fit-groups 3"), badGroups.standardError)

        let wrongModel = try CommandRunner.run(["elpasolite", "sweep", "--checkpoint", path("vae/metrics.jsonl"), "--class", "1",
                                                "--valid-samples", "10", "--oracle", Self.oraclePath])
        XCTAssertNotEqual(wrongModel.exitCode, 0)
    }
}

/// The elpasolite DQN: offline transitions from the training rows, softmax sampling, and
/// training and sweeping under MPI.
final class ElpasoliteDQNTests: XCTestCase {
    func testSoftmaxDrawInvertsTheDistribution() {
        // beta 1, Q = (0, log 3): probabilities 1/4 and 3/4.
        let q: [Float] = [0, Float(log(3.0))]
        XCTAssertEqual(ElpasoliteDQNSampler.softmaxDraw(q, count: 2, beta: 1, uniform: 0.2), 0)
        XCTAssertEqual(ElpasoliteDQNSampler.softmaxDraw(q, count: 2, beta: 1, uniform: 0.26), 1)
        XCTAssertEqual(ElpasoliteDQNSampler.softmaxDraw(q, count: 2, beta: 1, uniform: 0.999), 1)
        // beta 0: uniform over the legal values only.
        let wide: [Float] = [5, -3, 2, 0, 1, 9, 100, 100]
        XCTAssertEqual((0..<6).map { ElpasoliteDQNSampler.softmaxDraw(wide, count: 6, beta: 0, uniform: (Double($0) + 0.5) / 6) },
                       [0, 1, 2, 3, 4, 5])
        // A large beta picks the best legal value.
        XCTAssertEqual(ElpasoliteDQNSampler.softmaxDraw(wide, count: 6, beta: 50, uniform: 0.5), 5)
    }

    func testEpisodesSpellTrainingRowsIndependentlyOfTheRankCount() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("elpasolite-dqn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let csv = "A,B,C,D,e_form_ev_per_atom\n" + (0..<60).map { index in
            let compound = Elpasolite(index: index * 32_801)
            return compound.elements.map(\.symbol).joined(separator: ",") + ",\(-3 + Double(index % 9))"
        }.joined(separator: "\n") + "\n"
        var options = PreparationOptions(preset: .elpasolite)
        options.holdoutFraction = 0
        let path = work.appendingPathComponent("data.h5").path
        try PreparedDataset(file: "rows.csv", bytes: Array(csv.utf8), preset: .elpasolite, options: options).write(to: path)
        let data = try ElpasoliteTrainingSet(path: path)

        struct Transitions: Equatable {
            var states: [Float], next: [Float], rewards: [Float], classes: [Int], actions: [Int], terminal: [Bool]
        }
        func fill(rank: Int, world: Int, batch: Int) throws -> Transitions {
            let batches = try ClassBalancedBatches(data: data, globalBatch: batch, groups: 1, rank: rank, worldSize: world, seed: 4)
            let local = batches.localBatch
            var t = Transitions(states: .init(repeating: 0, count: local * 16), next: .init(repeating: 0, count: local * 16),
                                rewards: .init(repeating: 9, count: local), classes: .init(repeating: -1, count: local),
                                actions: .init(repeating: -1, count: local), terminal: .init(repeating: false, count: local))
            ElpasoliteEpisodes(batches: batches, seed: 4).fill(
                update: 2, states: &t.states, classes: &t.classes, actions: &t.actions, rewards: &t.rewards,
                nextStates: &t.next, terminal: &t.terminal)
            return t
        }
        let batch = 400
        let single = try fill(rank: 0, world: 1, batch: batch)
        let second = try fill(rank: 1, world: 2, batch: batch)
        for local in 0..<(batch / 2) {
            let global = 1 + 2 * local
            XCTAssertEqual(second.classes[local], single.classes[global])
            XCTAssertEqual(Array(second.states[local * 16 ..< local * 16 + 16]), Array(single.states[global * 16 ..< global * 16 + 16]))
        }
        var terminalCount = 0
        for i in 0..<batch {
            let state = Array(single.states[i * 16 ..< i * 16 + 16]), next = Array(single.next[i * 16 ..< i * 16 + 16])
            let step = state.withUnsafeBufferPointer { ElpasoliteDecisions.step(ofState: $0.baseAddress!) }
            XCTAssertEqual(next.withUnsafeBufferPointer { ElpasoliteDecisions.step(ofState: $0.baseAddress!) }, step + 1)
            XCTAssertEqual(Array(next[0..<step]), Array(state[0..<step]), "the next state keeps the earlier choices")
            // The action is the value the next state records at this step.
            let levels = step % 2 == 0 ? 6 : 8
            XCTAssertEqual(Elpasolite.scale(single.actions[i] + 1, levels: levels), next[step])
            XCTAssertEqual(single.terminal[i], step == 7)
            if step == 7 {
                terminalCount += 1
                let row = (0..<data.rowCount).first { Array(data.vectors[$0 * 8 ..< $0 * 8 + 8]) == Array(next[0..<8]) }
                let rowClass = data.classes[try XCTUnwrap(row)]
                XCTAssertEqual(single.rewards[i], rowClass == single.classes[i] ? 1 : -1)
            } else {
                XCTAssertEqual(single.rewards[i], 0)
            }
        }
        XCTAssertGreaterThan(terminalCount, 20)
    }

    func testDQNTrainsUnderMPIAndSamplesByGlobalIndex() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("elpasolite-dqn-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let csv = "A,B,C,D,e_form_ev_per_atom\n" + (0..<80).map { index in
            Elpasolite(index: index * 24_677).elements.map(\.symbol).joined(separator: ",") + ",\(-3 + Double(index % 9))"
        }.joined(separator: "\n") + "\n"
        let csvPath = work.appendingPathComponent("rows.csv").path, data = work.appendingPathComponent("data.h5").path
        try csv.write(toFile: csvPath, atomically: true, encoding: .utf8)
        func run(_ arguments: [String], ranks: Int) throws -> CommandRunner.Outcome {
            let outcome = try CommandRunner.run(arguments, ranks: ranks, timeout: 300)
            XCTAssertEqual(outcome.exitCode, 0, "\(arguments)\n\(outcome.standardOutput)\n\(outcome.standardError)")
            return outcome
        }
        try run(["prepare", "--preset", "elpasolite", "--input", csvPath, "--output", data, "--holdout-fraction", "0"], ranks: 1)
        let runDirectory = work.appendingPathComponent("dqn").path
        let trained = try run(["train", "--model", "elpasolite-dqn", "--data", data, "--run-dir", runDirectory, "--steps", "2",
                               "--batch-size", "16", "--log-every", "1"], ranks: 2)
        XCTAssertTrue(trained.standardOutput.contains("trained elpasolite-dqn to step 2"), trained.standardOutput)
        let metrics = try String(contentsOfFile: runDirectory + "/metrics.jsonl", encoding: .utf8)
        XCTAssertTrue(metrics.contains("temporal_difference_loss"), metrics)
        let checkpoint = runDirectory + "/checkpoint.h5"
        // The target network is synchronised every 10 updates: after 2 it still holds the
        // initial weights (seed 1), while the online network has moved.
        let online = try File.open(checkpoint).read("networks/q/parameters", as: Float.self)
        let target = try File.open(checkpoint).read("networks/q_target/parameters", as: Float.self)
        let initialNetwork = ElpasoliteQNetwork(maxBatch: 1, seed: 1)
        let initial = withExtendedLifetime(initialNetwork) { Array(initialNetwork.network.store.parameters) }
        XCTAssertTrue(target == initial, "the target network moved before its first synchronisation")
        XCTAssertFalse(online == initial, "the online network was not trained")

        // Samples depend on their global index only, not on how the calls split them (a sweep's
        // rank shares); every sample is spelled from exact levels.
        let source = try ElpasoliteSampleSource(checkpoint: checkpoint, blockRows: ElpasoliteSweep.blockSize)
        XCTAssertEqual(source.model, .doubleDQN)
        var whole = [Float](repeating: 0, count: 24 * 8), parts = whole
        try whole.withUnsafeMutableBufferPointer {
            try source.generate(requestedClass: 3, count: 24, firstSampleIndex: 1000, seed: 7, into: $0.baseAddress!)
        }
        try parts.withUnsafeMutableBufferPointer {
            try source.generate(requestedClass: 3, count: 10, firstSampleIndex: 1000, seed: 7, into: $0.baseAddress!)
            try source.generate(requestedClass: 3, count: 14, firstSampleIndex: 1010, seed: 7, into: $0.baseAddress! + 80)
        }
        XCTAssertEqual(whole, parts)
        for (position, value) in whole.enumerated() {
            let levels = position % 2 == 0 ? 6 : 8
            XCTAssertEqual(Elpasolite.scale(Elpasolite.unscale(value, levels: levels)!, levels: levels), value)
        }
        var other = whole
        try other.withUnsafeMutableBufferPointer {
            try source.generate(requestedClass: 3, count: 24, firstSampleIndex: 1000, seed: 8, into: $0.baseAddress!)
        }
        XCTAssertNotEqual(other, whole, "another seed draws other samples")
    }
}
