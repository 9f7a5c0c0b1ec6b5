import Chemistry
import Datasets
import Foundation
import Random
import Training

/// The Chemistry workloads of the data-preparation and screening performance targets:
/// validity of 1 million generated formulas in under 5 s per core (>= 200,000/s), and
/// `prepare --preset oqmd` (341,700 rows with validity) in under 10 s.
enum ChemistryBenchmarks {
    static let cases = [
        BenchmarkCase(name: "chemistry-validity") { seconds in
            let formulas = generatedFormulas(count: 1_000_000)
            return [ValidityRule.matgan, .smact].map { rule in
                let checker = ValidityChecker(rule: rule, oxidationStates: .smact14)
                var valid = 0
                let passes = measureRates(seconds: seconds) {
                    valid = formulas.reduce(0) { $0 + (checker.check($1).isValid ? 1 : 0) }
                }
                return BenchmarkResult(workload: "validity, \(rule.rawValue) rule, smact14, 2-8 elements (\(valid) valid)",
                                       batch: formulas.count, rates: passes, samplesPerCall: formulas.count, reference: nil)
            }
        },
        BenchmarkCase(name: "chemistry-decode") { seconds in
            let count = 100_000
            let encoding = MatrixEncoding.matgan
            let matrices = noisyMatrices(generatedFormulas(count: count), encoding: encoding)
            var decoded = 0
            let passes = measureRates(seconds: seconds) {
                decoded = 0
                matrices.withUnsafeBufferPointer { all in
                    for sample in 0..<count {
                        let matrix = UnsafeBufferPointer(rebasing: all[(sample * encoding.cellCount)..<((sample + 1) * encoding.cellCount)])
                        if encoding.decode(matrix)?.key != nil { decoded += 1 }
                    }
                }
            }
            return [BenchmarkResult(workload: "MatGAN threshold decode + key (\(decoded) decoded)", batch: count,
                                    rates: passes, samplesPerCall: count, reference: nil)]
        },
        BenchmarkCase(name: "chemistry-prepare-oqmd") { seconds in
            guard let directory = try? DataOptions.parse([]).resolve() else {
                FileHandle.standardError.write(Data("chemistry-prepare-oqmd: no data directory found, skipped\n".utf8))
                return []
            }
            let path = directory.appendingPathComponent(DatasetPreset.oqmd.fileName).path
            var rows = 0
            let runs = measureRates(seconds: seconds) {
                guard let bytes = try? DataFile.read(path),
                      let dataset = try? PreparedDataset(file: path, bytes: bytes, preset: .oqmd,
                                                         options: PreparationOptions(preset: .oqmd)) else { return }
                rows = dataset.rowsRead
            }
            let workload = "prepare oqmd: read, parse, filter, validity, split (\(rows) rows; "
                + String(format: "%.2f s/run, %.2f CPU s/run)", 1 / runs.perSecond, 1 / runs.perCPUSecond)
            return [BenchmarkResult(workload: workload, batch: rows, rates: runs, samplesPerCall: rows, reference: nil)]
        },
        BenchmarkCase(name: "data-epoch-load") { seconds in
            guard let directory = try? DataOptions.parse([]).resolve() else {
                FileHandle.standardError.write(Data("data-epoch-load: no data directory found, skipped\n".utf8))
                return []
            }
            return try epochLoad(oqmd: directory.appendingPathComponent(DatasetPreset.oqmd.fileName).path, seconds: seconds)
        },
    ]

    /// Rank 0's rows of one OQMD epoch (global batch 512) read from the prepared file, as
    /// `train` reads them at the start of each epoch, for 1, 2, 8 and 64 ranks.
    static func epochLoad(oqmd path: String, seconds: Double) throws -> [BenchmarkResult] {
        let prepared = FileManager.default.temporaryDirectory.appendingPathComponent("bench-oqmd-\(getpid()).h5").path
        defer { try? FileManager.default.removeItem(atPath: prepared) }
        try PreparedDataset(file: path, bytes: try DataFile.read(path), preset: .oqmd, options: PreparationOptions(preset: .oqmd))
            .write(to: prepared)
        let data = try CompositionTrainingSet(path: prepared)
        var results: [BenchmarkResult] = []
        for worldSize in [1, 2, 8, 64] {
            let schedule = try BatchSchedule(rowCount: data.trainingRows.count, globalBatchSize: 512, rank: 0,
                                             worldSize: worldSize, seed: 1)
            let rows = schedule.localRows(epoch: 0)
            let rates = try measureRates(seconds: seconds) { _ = try data.readMatrices(rows, split: PreparedFile.trainSplit) }
            results.append(BenchmarkResult(workload: "OQMD epoch rows of rank 0 of \(worldSize) (\(rows.count) rows)",
                                           batch: worldSize, rates: rates, samplesPerCall: rows.count, reference: nil))
        }
        return results
    }

    /// Random formulas like a generator's output: 2-8 distinct elements of MatGAN's 85,
    /// counts 1-8.
    static func generatedFormulas(count: Int) -> [Composition] {
        var random = RandomStream(seed: 6)
        let elements = MatrixEncoding.matgan.rowElements
        return (0..<count).map { _ in
            var chosen: [Element] = []
            let elementCount = 2 + random.uniformInt(below: 7)
            while chosen.count < elementCount {
                let element = elements[random.uniformInt(below: elements.count)]
                if !chosen.contains(element) { chosen.append(element) }
            }
            return Composition(chosen.map { ($0, 1 + random.uniformInt(below: 8)) })
        }
    }

    /// One-hot matrices of `formulas` with uniform noise below the 0.2 threshold everywhere.
    static func noisyMatrices(_ formulas: [Composition], encoding: MatrixEncoding) -> [Float] {
        var random = RandomStream(seed: 7)
        var matrices = [Float](repeating: 0, count: formulas.count * encoding.cellCount)
        matrices.withUnsafeMutableBufferPointer { all in
            random.fillUniform(all, in: 0...0.19)
            for (sample, formula) in formulas.enumerated() {
                for (element, count) in zip(formula.elements, formula.counts) {
                    all[sample * encoding.cellCount + encoding.row(of: element)! * MatrixEncoding.maximumCount + count - 1] = 0.9
                }
            }
        }
        return matrices
    }
}
