import Foundation

/// A minimal SVG line plot: axes with round-number ticks, one polyline per series, a legend.
/// Each axis spans 0 and the data, in at most six steps of 1, 2, 2.5 or 5 times a power of ten,
/// so it ends just past the data. A point whose x or value is not finite is left out of its line.
public struct LinePlot {
    /// One line: its legend name, stroke colour (any SVG colour), one value per x, and whether
    /// it is drawn dashed (e.g. a variant beside the solid line of the same colour).
    public struct Series {
        public var name: String
        public var color: String
        public var values: [Double]
        public var dashed: Bool

        public init(name: String, color: String, values: [Double], dashed: Bool = false) {
            self.name = name
            self.color = color
            self.values = values
            self.dashed = dashed
        }
    }

    public let title: String
    public let xLabel: String
    public let yLabel: String
    public let x: [Double]
    public let series: [Series]

    /// A plot of each series' values against `x`.
    public init(title: String, xLabel: String, yLabel: String, x: [Double], series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.x = x
        self.series = series
    }

    /// A plot of each series' `values` (one per `x`) with its stroke `colour`, all solid.
    public init(title: String, xLabel: String, yLabel: String, x: [Double], series: [(name: String, color: String, values: [Double])]) {
        self.init(title: title, xLabel: xLabel, yLabel: yLabel, x: x,
                  series: series.map { Series(name: $0.name, color: $0.color, values: $0.values) })
    }

    /// The size of one plot in pixels.
    static let width = 720.0, height = 440.0
    private let left = 80.0, right = 200.0, top = 40.0, bottom = 60.0

    /// The plot as a standalone SVG document.
    public var svg: String {
        Self.document(width: Self.width, height: Self.height, body: elements)
    }

    /// An SVG document of `width` x `height` pixels holding `body`.
    static func document(width: Double, height: Double, body: [String]) -> String {
        (["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "font-family=\"sans-serif\" font-size=\"12\">"] + body + ["</svg>"]).joined(separator: "\n") + "\n"
    }

    /// The plot's SVG elements, in a `width` x `height` box at the origin.
    var elements: [String] {
        let width = Self.width, height = Self.height
        let xAxis = Axis(covering: x), yAxis = Axis(covering: series.flatMap(\.values))
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func px(_ value: Double) -> Double { left + (value - xAxis.lower) / (xAxis.upper - xAxis.lower) * plotWidth }
        func py(_ value: Double) -> Double { top + plotHeight - (value - yAxis.lower) / (yAxis.upper - yAxis.lower) * plotHeight }
        func number(_ value: Double) -> String { String(format: "%.1f", value) }
        func label(_ value: Double) -> String {
            abs(value) >= 1e6 ? String(format: "%gM", value / 1e6) : abs(value) >= 1e3 ? String(format: "%gk", value / 1e3)
                : String(format: "%g", value)
        }

        var lines = [
            "<rect width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"white\"/>",
            "<text x=\"\(number(left + plotWidth / 2))\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">\(Self.escape(title))</text>",
        ]
        for xValue in xAxis.ticks {
            lines.append("<line x1=\"\(number(px(xValue)))\" y1=\"\(number(top))\" x2=\"\(number(px(xValue)))\" "
                + "y2=\"\(number(top + plotHeight))\" stroke=\"#e5e5e5\"/>")
            lines.append("<text x=\"\(number(px(xValue)))\" y=\"\(number(top + plotHeight + 18))\" "
                + "text-anchor=\"middle\">\(label(xValue))</text>")
        }
        for yValue in yAxis.ticks {
            lines.append("<line x1=\"\(number(left))\" y1=\"\(number(py(yValue)))\" x2=\"\(number(left + plotWidth))\" "
                + "y2=\"\(number(py(yValue)))\" stroke=\"#e5e5e5\"/>")
            lines.append("<text x=\"\(number(left - 8))\" y=\"\(number(py(yValue) + 4))\" text-anchor=\"end\">\(label(yValue))</text>")
        }
        lines.append("<rect x=\"\(number(left))\" y=\"\(number(top))\" width=\"\(number(plotWidth))\" "
            + "height=\"\(number(plotHeight))\" fill=\"none\" stroke=\"black\"/>")
        lines.append("<text x=\"\(number(left + plotWidth / 2))\" y=\"\(number(height - 16))\" "
            + "text-anchor=\"middle\">\(Self.escape(xLabel))</text>")
        lines.append("<text transform=\"translate(20 \(number(top + plotHeight / 2))) rotate(-90)\" "
            + "text-anchor=\"middle\">\(Self.escape(yLabel))</text>")
        for (index, line) in series.enumerated() {
            let stroke = "stroke=\"\(line.color)\" stroke-width=\"2\"" + (line.dashed ? " stroke-dasharray=\"6 4\"" : "")
            let coordinates = zip(x, line.values).filter { $0.isFinite && $1.isFinite }.map { "\(number(px($0))),\(number(py($1)))" }
                .joined(separator: " ")
            lines.append("<polyline fill=\"none\" \(stroke) points=\"\(coordinates)\"/>")
            let legendY = top + 10 + Double(index) * 20
            lines.append("<line x1=\"\(number(left + plotWidth + 16))\" y1=\"\(number(legendY))\" "
                + "x2=\"\(number(left + plotWidth + 40))\" y2=\"\(number(legendY))\" \(stroke)/>")
            lines.append("<text x=\"\(number(left + plotWidth + 46))\" y=\"\(number(legendY + 4))\">\(Self.escape(line.name))</text>")
        }
        return lines
    }

    /// The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value` (1 for 0 or less).
    public static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let power = pow(10, (log10(value)).rounded(.down))
        return [1, 2, 2.5, 5, 10].map { $0 * power }.first { $0 >= value }!
    }

    /// An axis from `lower` to `upper` in `steps` equal steps of a round size.
    struct Axis {
        let lower: Double, upper: Double, steps: Int

        /// The shortest axis of at most six steps, each 1, 2, 2.5 or 5 times a power of ten,
        /// that spans 0 and every finite value (0 to 1 when there is none).
        init(covering values: [Double]) {
            let finite = values.filter(\.isFinite)
            let low = min(finite.min() ?? 0, 0), high = max(finite.max() ?? 1, 0)
            guard high > low else {
                (lower, upper, steps) = (0, 1, 5)
                return
            }
            // Smaller sizes than a sixth of the range need more than six steps; from the first round
            // size above it, the next round sizes until six steps cover the data.
            var size = LinePlot.niceCeiling((high - low) / 6)
            // Slack for floating-point error, so that a value on a step is not pushed a step further.
            let slack = 1e-9
            while true {
                let first = (low / size + slack).rounded(.down), last = (high / size - slack).rounded(.up)
                if last - first <= 6 {
                    (lower, upper, steps) = (first * size, last * size, Int(last - first))
                    return
                }
                size = LinePlot.niceCeiling(size * 1.01)
            }
        }

        /// The tick values, `lower` through `upper`.
        var ticks: [Double] {
            (0 ... steps).map { lower + (upper - lower) * Double($0) / Double(steps) }
        }
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
