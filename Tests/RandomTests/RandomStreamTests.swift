import Foundation
import Random
import XCTest

final class RandomStreamTests: XCTestCase {
    /// The polynomial log/sin/cos must agree with libm in double precision on the same bits.
    func testFloatNormalsMatchDoublePrecisionBoxMuller() {
        let seed: UInt64 = 2024
        var stream = RandomStream(seed: seed, stream: 3)
        let count = 1 << 16
        let values: [Float] = fill(count: count) { stream.fillNormal($0) }
        var worst = 0.0
        for (index, value) in values.enumerated() {
            // Value j: block 4 (j / 16) + j % 4; k = (j / 4) % 4 picks the pair (k / 2) and cos/sin.
            let block = Philox4x32(key: seed).block(counter: (UInt32(4 * (index / 16) + index % 4), 0, 3, 0))
            let k = (index / 4) % 4, pair = k / 2
            let u = Double((block[2 * pair] >> 8) + 1) * 0x1p-24
            let angle = 2 * Double.pi * Double(block[2 * pair + 1]) * 0x1p-32
            let expected = (-2 * log(u)).squareRoot() * (k % 2 == 0 ? cos(angle) : sin(angle))
            worst = max(worst, abs(Double(value) - expected))
        }
        // Float spacing near |z| = 5.8 is 4.8e-7; the measured worst case is 6.0e-7.
        XCTAssertLessThan(worst, 1.5e-6)
    }

    /// Moments of 2^21 normals. Standard errors for n samples of N(0, 1): mean 1/sqrt(n) = 6.9e-4,
    /// variance sqrt(2/n) = 9.8e-4, skewness sqrt(6/n) = 1.7e-3, excess kurtosis sqrt(24/n) =
    /// 3.4e-3, P(z < 1) sqrt(p(1-p)/n) = 2.5e-4. Tolerances are 5 standard errors.
    func testNormalMoments() {
        let n = 1 << 21
        var stream = RandomStream(seed: 11, stream: 0)
        let values: [Float] = fill(count: n) { stream.fillNormal($0, mean: 3, standardDeviation: 2) }
        let z: [Double] = values.map { (Double($0) - 3) / 2 }
        let mean = z.reduce(0, +) / Double(n)
        let variance = z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        let skewness = z.map { pow($0 - mean, 3) }.reduce(0, +) / Double(n) / pow(variance, 1.5)
        let kurtosis = z.map { pow($0 - mean, 4) }.reduce(0, +) / Double(n) / (variance * variance) - 3
        let belowOne = Double(z.count { $0 < 1 }) / Double(n)
        XCTAssertEqual(mean, 0, accuracy: 5 * 6.9e-4)
        XCTAssertEqual(variance, 1, accuracy: 5 * 9.8e-4)
        XCTAssertEqual(skewness, 0, accuracy: 5 * 1.7e-3)
        XCTAssertEqual(kurtosis, 0, accuracy: 5 * 3.4e-3)
        XCTAssertEqual(belowOne, 0.841_344_746, accuracy: 5 * 2.5e-4)
    }

    /// Double normals: same moment checks on 2^19 values (standard errors doubled accordingly).
    func testDoubleNormalMomentsAndConsumption() {
        let n = 1 << 19
        var stream = RandomStream(seed: 12)
        let z = fill(count: n) { stream.fillNormal($0) } as [Double]
        XCTAssertEqual(stream.position, UInt64(n / 2))
        let mean = z.reduce(0, +) / Double(n)
        let variance = z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        XCTAssertEqual(mean, 0, accuracy: 5 * 1.4e-3)
        XCTAssertEqual(variance, 1, accuracy: 5 * 2.0e-3)
        var odd = RandomStream(seed: 12)
        let three = fill(count: 3) { odd.fillNormal($0) } as [Double]
        XCTAssertEqual(odd.position, 2)
        XCTAssertEqual(three, Array(z.prefix(3)))
    }

    /// Uniforms: the range is respected, and counts in 16 equal bins pass a chi-square test
    /// (15 degrees of freedom; 37.7 is the 0.999 quantile).
    func testUniformRangeAndBins() {
        let n = 1 << 20
        var stream = RandomStream(seed: 5, stream: 1)
        let values = fill(count: n) { stream.fillUniform($0, in: -2...6) } as [Float]
        XCTAssertTrue(values.allSatisfy { (-2...6).contains($0) })
        var bins = [Int](repeating: 0, count: 16)
        for value in values { bins[min(15, Int((value + 2) * 2))] += 1 }
        let expected = Double(n) / 16
        let chiSquare = bins.map { (Double($0) - expected) * (Double($0) - expected) / expected }.reduce(0, +)
        XCTAssertLessThan(chiSquare, 37.7)

        var doubles = RandomStream(seed: 5, stream: 2)
        let d = fill(count: n) { doubles.fillUniform($0) } as [Double]
        XCTAssertTrue(d.allSatisfy { $0 >= 0 && $0 < 1 })
        // Mean of U(0, 1): standard error sqrt(1/12/n) = 2.8e-4.
        XCTAssertEqual(d.reduce(0, +) / Double(n), 0.5, accuracy: 5 * 2.8e-4)
    }

    /// Values are addressed by block: one worker filling everything and four workers each filling
    /// a range (starting at its block) produce identical numbers, as do per-sample streams.
    func testResultsDoNotDependOnHowWorkIsSplit() {
        let seed: UInt64 = 99, valuesPerSample = 128, samples = 40
        var single = RandomStream(seed: seed, stream: 4)
        let whole = fill(count: samples * valuesPerSample) { single.fillNormal($0) } as [Float]
        var split = [Float]()
        for worker in 0..<4 {
            let first = worker * samples / 4, last = (worker + 1) * samples / 4
            var stream = RandomStream(seed: seed, stream: 4, position: UInt64(first * valuesPerSample / 4))
            let part: [Float] = fill(count: (last - first) * valuesPerSample) { stream.fillNormal($0) }
            split += part
        }
        XCTAssertEqual(whole, split)

        // One stream per sample index: sample 17 is the same whichever worker draws it.
        func sample(_ index: Int) -> [Float] {
            var stream = RandomStream(seed: seed, stream: UInt64(index))
            let values: [Float] = fill(count: valuesPerSample) { stream.fillNormal($0) }
            return values
        }
        let drawnInOrder = (0..<samples).map(sample)
        let drawnInReverse = (0..<samples).reversed().map(sample).reversed()
        XCTAssertEqual(drawnInOrder, Array(drawnInReverse))
        XCTAssertNotEqual(drawnInOrder[0], drawnInOrder[1])
    }

    /// A fill of n floats consumes 4 blocks per started group of 16; the next fill starts afresh.
    func testPartialGroupsAreDiscarded() {
        var stream = RandomStream(seed: 1)
        let five: [Float] = fill(count: 5) { stream.fillNormal($0) }
        XCTAssertEqual(stream.position, 4)
        let next: [Float] = fill(count: 4) { stream.fillNormal($0) }
        var reference = RandomStream(seed: 1)
        let twenty: [Float] = fill(count: 20) { reference.fillNormal($0) }
        XCTAssertEqual(five, Array(twenty[0..<5]))
        XCTAssertEqual(next, Array(twenty[16..<20]))
    }

    /// Different seeds and streams give different numbers; the same address gives the same ones.
    func testSeedsAndStreamsAreDistinct() {
        func draw(_ seed: UInt64, _ stream: UInt64) -> [Float] {
            var generator = RandomStream(seed: seed, stream: stream)
            let values: [Float] = fill(count: 8) { generator.fillUniform($0) }
            return values
        }
        XCTAssertEqual(draw(1, 2), draw(1, 2))
        XCTAssertNotEqual(draw(1, 2), draw(2, 1))
        XCTAssertNotEqual(draw(1, 2), draw(1, 3))
        XCTAssertNotEqual(derivedSeed(1, for: .matganTrainingNoise), derivedSeed(1, for: .permutation))
        XCTAssertEqual(derivedSeed(1, for: .matganTrainingNoise), derivedSeed(1, for: .matganTrainingNoise))
    }

    /// uniformInt stays below its bound and is uniform (chi-square, 5 degrees of freedom, 0.999
    /// quantile 20.5); bound 1 always gives 0.
    func testUniformIntIsUnbiased() {
        var stream = RandomStream(seed: 8)
        var counts = [Int](repeating: 0, count: 6)
        let n = 600_000
        for _ in 0..<n { counts[stream.uniformInt(below: 6)] += 1 }
        let chiSquare = counts.map { pow(Double($0) - 100_000, 2) / 100_000 }.reduce(0, +)
        XCTAssertLessThan(chiSquare, 20.5)
        XCTAssertEqual(stream.uniformInt(below: 1), 0)
        let large = UInt64(1) << 63 + 12345
        for _ in 0..<1000 { XCTAssertLessThan(stream.uniformInt(below: large), large) }
    }

    /// Release-build throughput of fillNormal on one core (skipped in debug builds): a MatGAN
    /// noise batch (512 x 128 floats), best of 200 fills so other processes on the machine
    /// interfere less.
    func testFillNormalThroughput() throws {
        #if DEBUG
        throw XCTSkip("throughput is only meaningful in release builds (swift test -c release)")
        #else
        let count = 512 * 128
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        var stream = RandomStream(seed: 3)
        func floatsPerSecond(_ fill: (inout RandomStream) -> Void) -> Double {
            var best = Double.infinity
            for _ in 0..<200 {
                let start = DispatchTime.now().uptimeNanoseconds
                fill(&stream)
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            }
            return Double(count) / best
        }
        let normalRate = floatsPerSecond { $0.fillNormal(buffer) }
        let uniformRate = floatsPerSecond { $0.fillUniform(buffer) }
        print("fillNormal: \(Int(normalRate / 1e6)) M floats/s, fillUniform: \(Int(uniformRate / 1e6)) M floats/s (one core)")
        XCTAssertGreaterThan(normalRate, 50e6, "far below the expected > 200 M floats/s")
        #endif
    }
}
