import Chemistry
import Datasets
import Foundation
import Random

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
    ]

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
