/// Several ``LinePlot``s in one SVG document, `columns` to a row, in reading order.
public struct PlotSheet {
    public let plots: [LinePlot]
    public let columns: Int

    public init(plots: [LinePlot], columns: Int) {
        precondition(columns > 0, "PlotSheet: columns must be positive, got \(columns)")
        self.plots = plots
        self.columns = columns
    }

    /// The sheet as a standalone SVG document.
    public var svg: String {
        let rows = (plots.count + columns - 1) / columns
        var body: [String] = []
        for (index, plot) in plots.enumerated() {
            let x = Double(index % columns) * LinePlot.width, y = Double(index / columns) * LinePlot.height
            body.append("<g transform=\"translate(\(Int(x)) \(Int(y)))\">")
            body += plot.elements
            body.append("</g>")
        }
        return LinePlot.document(width: Double(min(columns, max(plots.count, 1))) * LinePlot.width,
                                 height: Double(rows) * LinePlot.height, body: body)
    }
}
