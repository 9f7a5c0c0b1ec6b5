import Chemistry
import ElpasoliteBenchmark
import XCTest

final class MetricsTests: XCTestCase {
    /// A made-up labelled space: tuple i is in class i % 10 + 1, and tuples 0...3 form the DFT set.
    /// Classes 1...4 then hold 197,403 tuples and classes 5...10 hold 197,402.
    private static let space: LabeledSpace = {
        var membership = [UInt8](repeating: 0, count: Elpasolite.tupleCount)
        for index in 0...3 { membership[index] = index < 2 ? 1 : 2 }
        return try! LabeledSpace(energies: [Float](repeating: 0, count: Elpasolite.tupleCount),
                                  classes: (0..<Elpasolite.tupleCount).map { UInt8($0 % 10 + 1) },
                                  membership: membership,
                                  energyClasses: ElpasoliteEnergyClasses(lowerBound: -3, upperBound: 5))
    }()

    func testBitmapOperations() {
        var set = TupleBitmap()
        XCTAssertTrue(set.insert(0))
        XCTAssertTrue(set.insert(63))
        XCTAssertTrue(set.insert(64))
        XCTAssertTrue(set.insert(Elpasolite.tupleCount - 1))
        XCTAssertFalse(set.insert(64))
        XCTAssertEqual(set.count, 4)
        XCTAssertTrue(set.contains(63))
        XCTAssertFalse(set.contains(62))
        var visited: [Int] = []
        set.forEach { visited.append($0) }
        XCTAssertEqual(visited, [0, 63, 64, Elpasolite.tupleCount - 1])

        let other = TupleBitmap([1, 63, 64])
        XCTAssertEqual(set.intersectionCount(other), 2)
        var union = set
        union.formUnion(other)
        XCTAssertEqual(union.count, 5)
        var difference = set
        difference.subtract(other)
        XCTAssertEqual(difference, TupleBitmap([0, Elpasolite.tupleCount - 1]))
        XCTAssertEqual(TupleBitmap.wordCount, 30_845)
    }

    func testClassSizesAndDataSetOfTheLabeledSpace() {
        XCTAssertEqual(Self.space.classSizes, [197_403, 197_403, 197_403, 197_403] + [Int](repeating: 197_402, count: 6))
        XCTAssertEqual(Self.space.dataSetBitmap, TupleBitmap(0...3))
    }

    /// Unique tuples {0, 10, 20, 100} are class 1, {1, 11} class 2 and {5} class 6.
    func testClassMetricsByHand() {
        let unique = TupleBitmap([0, 10, 20, 1, 11, 5, 100])
        let reference = SiteFrequencies(unique)
        let first = ClassMetrics(unique: unique, requestedClass: 1, space: Self.space, reference: reference)
        XCTAssertEqual(first.uniqueCount, 7)
        XCTAssertEqual(first.inClassCount, 4)
        XCTAssertEqual(first.inNeighboursCount, 2)
        XCTAssertEqual(first.precision, 4.0 / 7, accuracy: 1e-15)
        XCTAssertEqual(first.neighbouringPrecision, 2.0 / 7, accuracy: 1e-15)
        XCTAssertEqual(first.coverage, 4.0 / 197_403, accuracy: 1e-15)
        XCTAssertEqual(first.neighbouringCoverage, 2.0 / 197_403, accuracy: 1e-15)
        XCTAssertEqual(first.jensenShannonDistance, 0)

        let second = ClassMetrics(unique: unique, requestedClass: 2, space: Self.space, reference: reference)
        XCTAssertEqual(second.inClassCount, 2)
        XCTAssertEqual(second.inNeighboursCount, 4)
        XCTAssertEqual(second.neighbouringCoverage, 4.0 / (2 * 197_403), accuracy: 1e-15)
        XCTAssertEqual(second.csvRow.split(separator: ",").count, ClassMetrics.csvHeader.split(separator: ",").count)

        let empty = ClassMetrics(unique: TupleBitmap(), requestedClass: 10, space: Self.space, reference: reference)
        XCTAssertEqual(empty.precision, 0)
        XCTAssertEqual(empty.coverage, 0)
    }

    func testJensenShannonDistance() {
        let x = compound("H", "He", "Li", "Be")
        let frequencies = SiteFrequencies(compounds: [x, compound("Na", "K", "Cl", "F")])
        XCTAssertEqual(frequencies.jensenShannonDistance(to: frequencies), 0, accuracy: 1e-15)
        // Scaling all counts does not change the distributions.
        XCTAssertEqual(frequencies.jensenShannonDistance(to: SiteFrequencies(compounds: [x, x, compound("Na", "K", "Cl", "F"),
                                                                                          compound("Na", "K", "Cl", "F")])),
                       0, accuracy: 1e-15)
        // Disjoint elements on every site.
        XCTAssertEqual(SiteFrequencies(compounds: [x]).jensenShannonDistance(to: SiteFrequencies(compounds: [compound("B", "C", "N", "O")])),
                       1, accuracy: 1e-12)
        // Only site A differs: p = (1, 0), q = (1/2, 1/2), m = (3/4, 1/4):
        // JS = ½ log2(4/3) + ¼ log2(2/3) + ¼ log2(2) = 0.311278..., d = sqrt(JS) / 4.
        let p = SiteFrequencies(compounds: [x])
        let q = SiteFrequencies(compounds: [x, compound("Na", "He", "Li", "Be")])
        XCTAssertEqual(p.jensenShannonDistance(to: q), 0.13948076132103596, accuracy: 1e-12)
        XCTAssertEqual(q.jensenShannonDistance(to: p), 0.13948076132103596, accuracy: 1e-12)
    }

    func testSiteFrequenciesFromABitmapMatchCompounds() {
        var sampler = TupleSampler(seed: 3)
        let indices = (0..<500).map { _ in sampler.nextIndex() }
        let unique = Set(indices)
        XCTAssertEqual(SiteFrequencies(TupleBitmap(indices)), SiteFrequencies(compounds: unique.map { Elpasolite(index: $0) }))
    }

    func testDiscoveryCurveCSVAndSVG() {
        var curve = DiscoveryCurve(requestedClass: 1)
        curve.record(samples: 3, unique: TupleBitmap([0, 10]), space: Self.space)
        curve.record(samples: 10, unique: TupleBitmap([0, 1, 2, 10, 20]), space: Self.space)
        let point = curve.points[1]
        XCTAssertEqual([point.samples, point.unique, point.novel, point.novelInClass, point.repetitions, point.rediscoveries],
                       [10, 5, 2, 2, 5, 3])
        XCTAssertEqual(curve.csv, """
            samples,unique,novel,novel_in_class,repetitions,rediscoveries
            3,2,1,1,1,1
            10,5,2,2,5,3

            """)
        let svg = curve.svg(title: "class 1 <test>")
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertTrue(svg.hasSuffix("</svg>\n"))
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 4)
        XCTAssertTrue(svg.contains("class 1 &lt;test&gt;"))
        XCTAssertTrue(svg.contains("novel in class 1"))
    }
}
