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
        XCTAssertEqual(Array(tickLabels(plot.svg).prefix(8)), ["0", "0.5", "1", "1.5", "2", "2.5", "3", "x"])
        XCTAssertTrue(plot.svg.contains("points=\"80.0,380.0 "), "the first point sits on the left axis at y = 0")
    }

    func testAxisStartsAtANiceFloorForNegativeX() {
        let plot = LinePlot(title: "t", xLabel: "x", yLabel: "y", x: [-3.7, -1, 0.5], series: [("a", "red", [1, 2, 3])])
        XCTAssertEqual(tickLabels(plot.svg).first, "-4")
    }

    /// 30 epochs and 118.2 minutes end their axes at 30 and 120, not at 50 and 200.
    func testAxesEndAtTheFirstRoundStepPastTheData() {
        let plot = LinePlot(title: "t", xLabel: "x", yLabel: "y", x: [0, 15, 30], series: [("a", "red", [0, 60, 118.2])])
        XCTAssertEqual(tickLabels(plot.svg), ["0", "5", "10", "15", "20", "25", "30", "x", "y"], "x ticks, then the axis labels")
        let yLabels = plot.svg.split(separator: "\n").filter { $0.contains("text-anchor=\"end\">") }
            .compactMap { $0.split(separator: ">")[1].split(separator: "<").first.map(String.init) }
        XCTAssertEqual(yLabels, ["0", "20", "40", "60", "80", "100", "120"])
        XCTAssertTrue(plot.svg.contains("points=\"80.0,380.0 300.0,"), "x = 15 sits half-way across the 440-pixel plot")
        let negative = LinePlot(title: "t", xLabel: "x", yLabel: "y", x: [0, 1], series: [("a", "red", [-0.3, 0.7])])
        XCTAssertTrue(negative.svg.contains(">-0.4</text>") && negative.svg.contains(">0.8</text>"), negative.svg)
    }

    func testNiceCeiling() {
        XCTAssertEqual(LinePlot.niceCeiling(0), 1)
        XCTAssertEqual(LinePlot.niceCeiling(3.2), 5)
        XCTAssertEqual(LinePlot.niceCeiling(1800), 2000)
        XCTAssertEqual(LinePlot.niceCeiling(0.21), 0.25)
    }

    func testDashedSeriesAndGapsAtValuesThatAreNotFinite() {
        let plot = LinePlot(title: "t", xLabel: "x", yLabel: "y", x: [0, 1, 2],
                            series: [.init(name: "a", color: "red", values: [1, .nan, 3]),
                                     .init(name: "a (avg)", color: "red", values: [1, 2, 3], dashed: true)])
        let polylines = plot.svg.split(separator: "\n").filter { $0.hasPrefix("<polyline") }
        XCTAssertEqual(polylines.count, 2)
        XCTAssertEqual(polylines[0].split(separator: "points=")[1].split(separator: " ").count, 2, "the NaN point is left out")
        XCTAssertFalse(polylines[0].contains("dasharray"))
        XCTAssertTrue(polylines[1].contains("stroke-dasharray"))
        XCTAssertFalse(plot.svg.contains("nan"))
    }

    func testSheetPlacesPlotsInRows() {
        let plot = LinePlot(title: "t", xLabel: "x", yLabel: "y", x: [0, 1], series: [("a", "red", [0, 1])])
        let svg = PlotSheet(plots: [plot, plot, plot], columns: 2).svg
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1440\" height=\"880\""), svg)
        XCTAssertEqual(svg.components(separatedBy: "<svg").count - 1, 1, "one document")
        for offset in ["translate(0 0)", "translate(720 0)", "translate(0 440)"] {
            XCTAssertTrue(svg.contains("<g transform=\"\(offset)\">"), offset)
        }
    }
}
