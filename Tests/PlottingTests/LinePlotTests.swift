import Plotting
import XCTest

final class LinePlotTests: XCTestCase {
    /// The x pixel of each tick label, in order.
    private func tickLabels(_ svg: String) -> [String] {
        svg.split(separator: "\n").filter { $0.contains("text-anchor=\"middle\">") && !$0.contains("font-size") }
            .compactMap { line in line.split(separator: ">").dropFirst().first?.split(separator: "<").first.map(String.init) }
    }

    func testAxisStartsAtZeroForNonNegativeX() {
        let plot = LinePlot(title: "t", xLabel: "x", yLabel: "y", x: [0, 1, 2, 3], series: [("a", "red", [0, 1, 4, 9])])
        XCTAssertEqual(Array(tickLabels(plot.svg).prefix(6)), ["0", "1", "2", "3", "4", "5"])
        XCTAssertTrue(plot.svg.contains("points=\"80.0,380.0 "), "the first point sits on the left axis at y = 0")
    }

    func testAxisStartsAtANiceFloorForNegativeX() {
        let plot = LinePlot(title: "t", xLabel: "x", yLabel: "y", x: [-3.7, -1, 0.5], series: [("a", "red", [1, 2, 3])])
        XCTAssertEqual(tickLabels(plot.svg).first, "-5")
    }

    func testNiceCeiling() {
        XCTAssertEqual(LinePlot.niceCeiling(0), 1)
        XCTAssertEqual(LinePlot.niceCeiling(3.2), 5)
        XCTAssertEqual(LinePlot.niceCeiling(1800), 2000)
        XCTAssertEqual(LinePlot.niceCeiling(0.21), 0.25)
    }
}
