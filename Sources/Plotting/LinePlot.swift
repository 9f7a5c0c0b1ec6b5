import Foundation

/// A minimal SVG line plot: axes with round-number ticks, one polyline per series, a legend.
/// The y axis starts at 0 (values are counts or densities); the x axis starts at 0 unless some
/// x is negative.
public struct LinePlot {
    public let title: String
    public let xLabel: String
    public let yLabel: String
    public let x: [Double]
    public let series: [(name: String, color: String, values: [Double])]

    /// A plot of each series' `values` (one per `x`) with its stroke `colour` (any SVG colour).
    public init(title: String, xLabel: String, yLabel: String, x: [Double], series: [(name: String, color: String, values: [Double])]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.x = x
        self.series = series
    }

    private let width = 720.0, height = 440.0
    private let left = 80.0, right = 200.0, top = 40.0, bottom = 60.0

    /// The plot as a standalone SVG document.
    public var svg: String {
        let smallestX = x.min() ?? 0
        let xMin = smallestX < 0 ? -Self.niceCeiling(-smallestX) : 0
        let xMax = Self.niceCeiling(x.max() ?? 1)
        let yMax = Self.niceCeiling(series.flatMap(\.values).max() ?? 1)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func px(_ value: Double) -> Double { left + (value - xMin) / (xMax - xMin) * plotWidth }
        func py(_ value: Double) -> Double { top + plotHeight - value / yMax * plotHeight }
        func number(_ value: Double) -> String { String(format: "%.1f", value) }
        func label(_ value: Double) -> String {
            abs(value) >= 1e6 ? String(format: "%gM", value / 1e6) : abs(value) >= 1e3 ? String(format: "%gk", value / 1e3)
                : String(format: "%g", value)
        }

        var lines = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
                + "font-family=\"sans-serif\" font-size=\"12\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(number(left + plotWidth / 2))\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">\(Self.escape(title))</text>",
        ]
        for tick in 0...5 {
            let xValue = xMin + (xMax - xMin) * Double(tick) / 5, yValue = yMax * Double(tick) / 5
            lines.append("<line x1=\"\(number(px(xValue)))\" y1=\"\(number(top))\" x2=\"\(number(px(xValue)))\" "
                + "y2=\"\(number(top + plotHeight))\" stroke=\"#e5e5e5\"/>")
            lines.append("<line x1=\"\(number(left))\" y1=\"\(number(py(yValue)))\" x2=\"\(number(left + plotWidth))\" "
                + "y2=\"\(number(py(yValue)))\" stroke=\"#e5e5e5\"/>")
            lines.append("<text x=\"\(number(px(xValue)))\" y=\"\(number(top + plotHeight + 18))\" "
                + "text-anchor=\"middle\">\(label(xValue))</text>")
            lines.append("<text x=\"\(number(left - 8))\" y=\"\(number(py(yValue) + 4))\" text-anchor=\"end\">\(label(yValue))</text>")
        }
        lines.append("<rect x=\"\(number(left))\" y=\"\(number(top))\" width=\"\(number(plotWidth))\" "
            + "height=\"\(number(plotHeight))\" fill=\"none\" stroke=\"black\"/>")
        lines.append("<text x=\"\(number(left + plotWidth / 2))\" y=\"\(number(height - 16))\" "
            + "text-anchor=\"middle\">\(Self.escape(xLabel))</text>")
        lines.append("<text transform=\"translate(20 \(number(top + plotHeight / 2))) rotate(-90)\" "
            + "text-anchor=\"middle\">\(Self.escape(yLabel))</text>")
        for (index, line) in series.enumerated() {
            let coordinates = zip(x, line.values).map { "\(number(px($0))),\(number(py($1)))" }.joined(separator: " ")
            lines.append("<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\" points=\"\(coordinates)\"/>")
            let legendY = top + 10 + Double(index) * 20
            lines.append("<line x1=\"\(number(left + plotWidth + 16))\" y1=\"\(number(legendY))\" "
                + "x2=\"\(number(left + plotWidth + 40))\" y2=\"\(number(legendY))\" stroke=\"\(line.color)\" stroke-width=\"2\"/>")
            lines.append("<text x=\"\(number(left + plotWidth + 46))\" y=\"\(number(legendY + 4))\">\(Self.escape(line.name))</text>")
        }
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value` (1 for 0 or less).
    public static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let power = pow(10, (log10(value)).rounded(.down))
        return [1, 2, 2.5, 5, 10].map { $0 * power }.first { $0 >= value }!
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
