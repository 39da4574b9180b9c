/// Named series of (x, y) points on linear axes, each with an optional shaded band.
///
/// Used for cumulative lift over time (x: day numbers with `ValueFormat.date`, a band for the
/// interval), Qini curves (model, random and perfect; x: units targeted) and the policy gain curve
/// (incremental conversions against the share targeted).
///
/// ```swift
/// let chart = LineChart(
///     title: "Qini curves",
///     series: [
///         .init(name: "S-learner", x: shares, y: qini),
///         .init(name: "random", points: [.init(x: 0, y: 0), .init(x: 1, y: total)], stroke: .dashed),
///         .init(name: "perfect", x: shares, y: perfect, stroke: .dotted),
///     ],
///     xAxis: .init(label: "share targeted", format: .percent(digits: 0)),
///     yAxis: .init(label: "incremental conversions", format: .number(digits: 0)))
/// let svg = chart.svg
/// ```
///
/// Axes have nice ticks over every drawable value (and 0 on y when `zeroLine` is set, which also
/// draws a horizontal line at 0); a date x axis puts its ticks on calendar boundaries instead.
/// Points with a non-finite coordinate (or beyond ±1e100) are skipped. Series longer than twice the
/// plot's width in pixels are reduced by `Downsampling.minMaxPerPixelColumn`, bands likewise edge by
/// edge. A chart with no drawable point says "no data".
public struct LineChart: Chart, Hashable {
    public struct Point: Hashable, Sendable {
        public var x: Double
        public var y: Double

        public init(x: Double, y: Double) {
            self.x = x
            self.y = y
        }
    }

    /// One x with the low and high ends of the band at it.
    public struct BandPoint: Hashable, Sendable {
        public var x: Double
        public var low: Double
        public var high: Double

        public init(x: Double, low: Double, high: Double) {
            self.x = x
            self.low = low
            self.high = high
        }
    }

    public enum Stroke: String, Hashable, Sendable {
        case solid, dashed, dotted

        var dashArray: String? {
            switch self {
            case .solid: nil
            case .dashed: "7 4"
            case .dotted: "2 3"
            }
        }
    }

    public struct Series: Hashable, Sendable {
        public var name: String
        /// In drawing order (for curves, ascending x).
        public var points: [Point]
        public var stroke: Stroke
        /// An index into `Palette.colors`; `nil` takes the series' position.
        public var color: Int?
        /// A shaded band (an interval around the line); empty for none.
        public var band: [BandPoint]

        public init(name: String, points: [Point], stroke: Stroke = .solid, color: Int? = nil, band: [BandPoint] = []) {
            self.name = name
            self.points = points
            self.stroke = stroke
            self.color = color
            self.band = band
        }

        /// A series from parallel x and y arrays (the shorter one sets the length).
        public init(name: String, x: [Double], y: [Double], stroke: Stroke = .solid, color: Int? = nil, band: [BandPoint] = []) {
            self.init(name: name, points: zip(x, y).map { Point(x: $0, y: $1) }, stroke: stroke, color: color, band: band)
        }
    }

    /// A labelled vertical line at `x` (the policy's budget, a launch date).
    public struct Marker: Hashable, Sendable {
        public var x: Double
        public var label: String

        public init(x: Double, label: String) {
            self.x = x
            self.label = label
        }
    }

    public struct Axis: Hashable, Sendable {
        public var label: String?
        public var format: ValueFormat

        public init(label: String? = nil, format: ValueFormat = .number(digits: 2)) {
            self.label = label
            self.format = format
        }
    }

    public var id: String
    public var title: String
    /// The `<desc>` text; `nil` writes one summarising each series.
    public var description: String?
    public var series: [Series]
    public var xAxis: Axis
    public var yAxis: Axis
    public var zeroLine: Bool
    /// Vertical lines drawn when their x is drawable and inside the x domain.
    public var markers: [Marker]
    public var width: Double
    public var height: Double

    public init(
        id: String = "line", title: String, description: String? = nil, series: [Series], xAxis: Axis = Axis(), yAxis: Axis = Axis(),
        zeroLine: Bool = true, markers: [Marker] = [], width: Double = 720, height: Double = 360
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.series = series
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.zeroLine = zeroLine
        self.markers = markers
        self.width = width
        self.height = height
    }

    /// The chart's size after limits (64…4096 × 64…4096 px).
    public var size: (width: Double, height: Double) {
        (ChartValues.clamp(width, 64, 4096, fallback: 720), ChartValues.clamp(height, 64, 4096, fallback: 360))
    }

    /// The axes' domains and ticks, and where the data is drawn; `nil` when nothing is drawable.
    public struct Layout: Hashable, Sendable {
        public let plot: PlotArea
        public let xTicks: [Double]
        public let xStep: Double
        public let yTicks: NiceTicks
        public let x: LinearScale
        public let y: LinearScale
        let legendRows: [[Int]]
    }

    static func drawable(_ point: Point) -> Bool { ChartValues.isDrawable(point.x) && ChartValues.isDrawable(point.y) }
    static func drawable(_ point: BandPoint) -> Bool {
        ChartValues.isDrawable(point.x) && ChartValues.isDrawable(point.low) && ChartValues.isDrawable(point.high)
    }

    public var layout: Layout? {
        var xLow = Double.infinity
        var xHigh = -Double.infinity
        var yLow = Double.infinity
        var yHigh = -Double.infinity
        for item in series {
            for point in item.points where Self.drawable(point) {
                xLow = min(xLow, point.x)
                xHigh = max(xHigh, point.x)
                yLow = min(yLow, point.y)
                yHigh = max(yHigh, point.y)
            }
            for point in item.band where Self.drawable(point) {
                xLow = min(xLow, point.x)
                xHigh = max(xHigh, point.x)
                yLow = min(yLow, point.low, point.high)
                yHigh = max(yHigh, point.low, point.high)
            }
        }
        guard xLow <= xHigh, yLow <= yHigh else { return nil }
        if zeroLine {
            yLow = min(yLow, 0)
            yHigh = max(yHigh, 0)
        }
        let (width, height) = size
        let yTicks = NiceTicks(lower: yLow, upper: yHigh, target: max(2, Int(height / 60)))
        let xTicks: [Double]
        let xStep: Double
        let xDomain: (Double, Double)
        if xAxis.format == .date {
            if xLow == xHigh {
                xLow -= 1
                xHigh += 1
            }
            xTicks = DateTicks.ticks(lower: xLow, upper: xHigh, target: max(2, Int(width / 120)))
            xStep = 1
            xDomain = (xLow, xHigh)
        } else {
            let ticks = NiceTicks(lower: xLow, upper: xHigh, target: max(2, Int(width / 100)))
            xTicks = ticks.values
            xStep = ticks.step
            xDomain = (ticks.lower, ticks.upper)
        }
        // Legend rows: items wrap to the width.
        var legendRows: [[Int]] = []
        var rowWidth = 0.0
        for (index, item) in series.enumerated() {
            let itemWidth = Self.legendWidth(XMLText.truncate(item.name, to: 40))
            if legendRows.isEmpty || rowWidth + itemWidth > width - 80 {
                legendRows.append([])
                rowWidth = 0
            }
            legendRows[legendRows.count - 1].append(index)
            rowWidth += itemWidth
        }
        let longestTick = yTicks.values.map { yAxis.format.tickLabel($0, step: yTicks.step).count }.max() ?? 1
        let left = Double(longestTick) * 6.6 + 14 + (yAxis.label == nil ? 0 : 20)
        let top = 12 + Double(legendRows.count) * 18
        let bottom: Double = 28 + (xAxis.label == nil ? 0 : 18)
        // Half the last x label hangs past the plot's right edge.
        let lastLabel = xTicks.last.map { xAxis.format.tickLabel($0, step: xStep).count } ?? 0
        let right = max(16, Double(lastLabel) * 3.4 + 8)
        let plot = PlotArea(x: left, y: top, width: max(10, width - left - right), height: max(10, height - top - bottom))
        return Layout(
            plot: plot, xTicks: xTicks, xStep: xStep, yTicks: yTicks,
            x: LinearScale(domain: xDomain.0, xDomain.1, range: plot.x, plot.x + plot.width),
            y: LinearScale(domain: yTicks.lower, yTicks.upper, range: plot.y + plot.height, plot.y), legendRows: legendRows)
    }

    public func render(id: String, standalone: Bool) -> String {
        let (width, height) = size
        let description = description ?? autoDescription
        guard let layout else {
            return SVGDocument.empty(id: id, width: width, height: height, title: title, description: description, standalone: standalone)
        }
        let plot = layout.plot
        let (x, y) = (layout.x, layout.y)
        let bottom = plot.y + plot.height
        var svg = SVGDocument()
        for tick in layout.yTicks.values {
            svg.line(x1: plot.x, y1: y(tick), x2: plot.x + plot.width, y2: y(tick), stroke: SVGDocument.gridColor)
            svg.text(
                yAxis.format.tickLabel(tick, step: layout.yTicks.step), x: plot.x - 8, y: y(tick) + 4, anchor: .end, size: 11,
                fill: SVGDocument.mutedColor, className: "tick y-tick")
        }
        for tick in layout.xTicks {
            svg.line(x1: x(tick), y1: bottom, x2: x(tick), y2: bottom + 5, stroke: SVGDocument.axisColor)
            svg.text(
                xAxis.format.tickLabel(tick, step: layout.xStep), x: x(tick), y: bottom + 18, anchor: .middle, size: 11, fill: SVGDocument.mutedColor,
                className: "tick x-tick")
        }
        svg.line(x1: plot.x, y1: bottom, x2: plot.x + plot.width, y2: bottom, stroke: SVGDocument.axisColor)
        svg.line(x1: plot.x, y1: plot.y, x2: plot.x, y2: bottom, stroke: SVGDocument.axisColor)
        if let label = xAxis.label {
            svg.text(label, x: plot.x + plot.width / 2, y: bottom + 38, anchor: .middle, size: 12, fill: SVGDocument.mutedColor, className: "axis-label")
        }
        if let label = yAxis.label {
            svg.text(label, x: 14, y: plot.y + plot.height / 2, anchor: .middle, size: 12, fill: SVGDocument.mutedColor, rotate: true, className: "axis-label")
        }
        let columns = Int(plot.width.rounded(.up))
        for (index, item) in series.enumerated() {
            let band = item.band.filter(Self.drawable)
            guard !band.isEmpty else { continue }
            var upper = band.map { Point(x: x($0.x), y: y(max($0.low, $0.high))) }
            var lower = band.map { Point(x: x($0.x), y: y(min($0.low, $0.high))) }
            if band.count > 2 * columns {
                upper = Downsampling.minMaxPerPixelColumn(upper)
                lower = Downsampling.minMaxPerPixelColumn(lower)
            }
            svg.raw(
                "<path class=\"band\" d=\"\(Self.path(upper + lower.reversed()))Z\" fill=\"\(color(item, index))\" fill-opacity=\"0.18\" stroke=\"none\"/>\n")
        }
        if zeroLine {
            svg.line(x1: plot.x, y1: y(0), x2: plot.x + plot.width, y2: y(0), stroke: SVGDocument.textColor, className: "zero")
        }
        for marker in markers where ChartValues.isDrawable(marker.x) && marker.x >= x.lower && marker.x <= x.upper {
            svg.line(x1: x(marker.x), y1: plot.y, x2: x(marker.x), y2: bottom, stroke: SVGDocument.mutedColor, dash: "3 3", className: "marker")
            svg.text(
                XMLText.truncate(marker.label, to: 40), x: x(marker.x) + 4, y: plot.y + 12, size: 11, fill: SVGDocument.mutedColor, className: "marker-label")
        }
        for (index, item) in series.enumerated() {
            var points = item.points.filter(Self.drawable).map { Point(x: x($0.x), y: y($0.y)) }
            guard !points.isEmpty else { continue }
            if points.count > 2 * columns { points = Downsampling.minMaxPerPixelColumn(points) }
            var element = "<path class=\"series\" data-series=\"\(index)\" d=\"\(Self.path(points))\" fill=\"none\" stroke=\"\(color(item, index))\""
            element += " stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\""
            if let dash = item.stroke.dashArray { element += " stroke-dasharray=\"\(dash)\"" }
            svg.raw(element + "><title>\(XMLText.escape(item.name))</title></path>\n")
            if points.count == 1 {
                svg.raw(
                    "<circle class=\"point\" cx=\"\(SVGDocument.number(points[0].x))\" cy=\"\(SVGDocument.number(points[0].y))\" r=\"3\" fill=\"\(color(item, index))\"/>\n"
                )
            }
        }
        for (row, indices) in layout.legendRows.enumerated() {
            var left = plot.x
            let top = 14 + Double(row) * 18
            for index in indices {
                let item = series[index]
                svg.line(
                    x1: left, y1: top, x2: left + 22, y2: top, stroke: color(item, index), width: 2.5, dash: item.stroke.dashArray, className: "legend-swatch")
                let name = XMLText.truncate(item.name, to: 40)
                svg.text(name, x: left + 28, y: top + 4, size: 12, className: "legend", tooltip: name == item.name ? nil : item.name)
                left += Self.legendWidth(name)
            }
        }
        return svg.finish(id: id, width: width, height: height, title: title, description: description, standalone: standalone)
    }

    /// Room for a legend entry: the swatch, the name at about 7.2 px per character, a gap.
    static func legendWidth(_ name: String) -> Double { 46 + Double(name.count) * 7.2 }

    func color(_ item: Series, _ index: Int) -> String { Palette.color(item.color ?? index) }

    /// "M x y L x y …" in pixel coordinates.
    static func path(_ points: [Point]) -> String {
        var d = ""
        d.reserveCapacity(points.count * 16)
        for (index, point) in points.enumerated() {
            d += index == 0 ? "M" : " L"
            d += SVGDocument.number(point.x) + " " + SVGDocument.number(point.y)
        }
        return d
    }

    var autoDescription: String {
        var text = "Line chart"
        if let label = yAxis.label { text += " of \(label)" }
        if let label = xAxis.label { text += " against \(label)" }
        text += "."
        for item in series {
            let points = item.points.filter(Self.drawable)
            text += " \(item.name): "
            if let first = points.first, let last = points.last {
                text += "\(points.count) points from (\(xAxis.format.format(first.x)), \(yAxis.format.format(first.y)))"
                text += " to (\(xAxis.format.format(last.x)), \(yAxis.format.format(last.y)))"
                if let low = points.map(\.y).min(), let high = points.map(\.y).max() {
                    text += ", y between \(yAxis.format.format(low)) and \(yAxis.format.format(high))"
                }
                text += "."
            } else {
                text += "no data."
            }
        }
        return text
    }
}
