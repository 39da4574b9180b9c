/// An interval forest: one row per estimate, a point at the estimate and a line from the low to
/// the high end of its interval, against a vertical reference line (0: no effect).
///
/// ```swift
/// let chart = ForestChart(
///     title: "Relative lift by metric",
///     rows: [
///         .init(label: "conversion", estimate: 0.031, low: 0.012, high: 0.050),
///         .init(label: "visit", estimate: 0.004, low: -0.006, high: 0.014),
///         .init(label: "revenue", estimate: 0.020, note: "no interval: too few conversions"),
///     ],
///     format: .percent(digits: 1), axisLabel: "relative lift")
/// let svg = chart.svg
/// ```
///
/// The x axis has nice ticks (`NiceTicks`) over every finite estimate, interval end and the
/// reference. A row without an interval is drawn as a point with its note ("no interval" when it
/// has none); a row without a finite estimate shows its label and note only. Each row's numbers
/// ("3.1% [1.2%, 5.0%]") are written in a column on the right. Labels longer than 32 characters
/// are shortened with "…" and keep the full text as a tooltip.
public struct ForestChart: Chart, Hashable {
    /// One estimate and its interval. Non-finite numbers count as missing.
    public struct Row: Hashable, Sendable {
        public var label: String
        public var estimate: Double?
        public var low: Double?
        public var high: Double?
        public var note: String?

        public init(label: String, estimate: Double?, low: Double? = nil, high: Double? = nil, note: String? = nil) {
            self.label = label
            self.estimate = estimate
            self.low = low
            self.high = high
            self.note = note
        }

        /// The interval when both ends are finite (ordered low ≤ high).
        var interval: (low: Double, high: Double)? {
            guard let low, let high, ChartValues.isDrawable(low), ChartValues.isDrawable(high) else { return nil }
            return (min(low, high), max(low, high))
        }

        var drawableEstimate: Double? { estimate.flatMap { ChartValues.isDrawable($0) ? $0 : nil } }
    }

    public var id: String
    public var title: String
    /// The `<desc>` text; `nil` writes one listing every row's numbers.
    public var description: String?
    public var rows: [Row]
    public var reference: Double
    public var format: ValueFormat
    public var axisLabel: String?
    public var width: Double
    /// `nil`: 30 px per row plus the axis.
    public var height: Double?

    public init(
        id: String = "forest", title: String, description: String? = nil, rows: [Row], reference: Double = 0,
        format: ValueFormat = .number(digits: 3), axisLabel: String? = nil, width: Double = 720, height: Double? = nil
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.rows = rows
        self.reference = reference
        self.format = format
        self.axisLabel = axisLabel
        self.width = width
        self.height = height
    }

    static let labelLimit = 32
    static let top = 12.0
    static let bottom = 44.0

    /// The chart's size after defaults and limits (64…4096 px wide, 48…16384 px high).
    public var size: (width: Double, height: Double) {
        let width = ChartValues.clamp(width, 64, 4096, fallback: 720)
        let auto = Self.top + 30 * Double(max(rows.count, 1)) + Self.bottom + (axisLabel == nil ? 0 : 14)
        return (width, ChartValues.clamp(height ?? auto, 48, 16_384, fallback: auto))
    }

    /// The plot area in pixels: the estimates' x axis spans `x ..< x + width`.
    public var plotArea: PlotArea {
        let (width, height) = size
        let longest = rows.map { min($0.label.count, Self.labelLimit) }.max() ?? 0
        let left = min(max(72, Double(longest) * 7 + 16), width * 0.4)
        let plotWidth = max(10, width - left - valueColumnWidth - 12)
        let plotHeight = max(10, height - Self.top - Self.bottom - (axisLabel == nil ? 0 : 14))
        return PlotArea(x: left, y: Self.top, width: plotWidth, height: plotHeight)
    }

    /// The x axis ticks; `nil` when no row has a finite number.
    public var ticks: NiceTicks? {
        var values: [Double] = []
        for row in rows {
            if let estimate = row.drawableEstimate { values.append(estimate) }
            if let interval = row.interval { values += [interval.low, interval.high] }
        }
        guard let low = values.min(), let high = values.max() else { return nil }
        let reference = ChartValues.isDrawable(reference) ? reference : 0
        return NiceTicks(lower: min(low, reference), upper: max(high, reference), target: 6)
    }

    public func render(id: String, standalone: Bool) -> String {
        let (width, height) = size
        let description = description ?? autoDescription
        guard let ticks else {
            return SVGDocument.empty(id: id, width: width, height: height, title: title, description: description, standalone: standalone)
        }
        let plot = plotArea
        let x = LinearScale(domain: ticks.lower, ticks.upper, range: plot.x, plot.x + plot.width)
        let rowHeight = plot.height / Double(max(rows.count, 1))
        var svg = SVGDocument()
        // Grid and axis.
        let axisY = plot.y + plot.height
        for tick in ticks.values {
            svg.line(x1: x(tick), y1: plot.y, x2: x(tick), y2: axisY, stroke: SVGDocument.gridColor)
            svg.line(x1: x(tick), y1: axisY, x2: x(tick), y2: axisY + 5, stroke: SVGDocument.axisColor)
            svg.text(
                format.tickLabel(tick, step: ticks.step), x: x(tick), y: axisY + 18, anchor: .middle, size: 11, fill: SVGDocument.mutedColor,
                className: "tick")
        }
        svg.line(x1: plot.x, y1: axisY, x2: plot.x + plot.width, y2: axisY, stroke: SVGDocument.axisColor)
        if let axisLabel {
            svg.text(axisLabel, x: plot.x + plot.width / 2, y: axisY + 36, anchor: .middle, size: 12, fill: SVGDocument.mutedColor, className: "axis-label")
        }
        let reference = ChartValues.isDrawable(reference) ? reference : 0
        svg.line(x1: x(reference), y1: plot.y, x2: x(reference), y2: axisY, stroke: SVGDocument.textColor, dash: "4 3", className: "reference")
        // Rows.
        let color = Palette.color(0)
        for (index, row) in rows.enumerated() {
            let y = plot.y + (Double(index) + 0.5) * rowHeight
            let shown = XMLText.truncate(row.label, to: Self.labelLimit)
            svg.text(shown, x: plot.x - 10, y: y + 4, anchor: .end, size: 12, className: "label", tooltip: shown == row.label ? nil : row.label)
            if let interval = row.interval {
                svg.line(x1: x(interval.low), y1: y, x2: x(interval.high), y2: y, stroke: color, width: 2, className: "interval")
            }
            if let estimate = row.drawableEstimate {
                svg.raw(
                    "<circle class=\"estimate\" cx=\"\(SVGDocument.number(x(estimate)))\" cy=\"\(SVGDocument.number(y))\" r=\"4\" fill=\"\(color)\"/>\n")
            }
            let numbers = valueText(row)
            let note = row.note ?? (row.drawableEstimate == nil ? "no estimate" : row.interval == nil ? "no interval" : nil)
            let column = plot.x + plot.width + 12
            if let numbers {
                svg.text(numbers, x: column, y: note == nil ? y + 4 : y - 2, size: 11, className: "value")
            }
            if let note {
                svg.text(
                    XMLText.truncate(note, to: 30), x: column, y: numbers == nil ? y + 4 : y + 11, size: 10, fill: SVGDocument.mutedColor,
                    className: "note", tooltip: note.count > 30 ? note : nil)
            }
        }
        return svg.finish(id: id, width: width, height: height, title: title, description: description, standalone: standalone)
    }

    /// Room for the numbers and notes on the right: about 6.3 px per character at 11 px, 5.6 at
    /// 10 px (notes are cut to 30 characters); 80 px to 40% of the width.
    var valueColumnWidth: Double {
        let widest =
            rows.map { row in
                max(Double(valueText(row)?.count ?? 0) * 6.3, Double(min((row.note ?? "no estimate").count, 30)) * 5.6)
            }.max() ?? 0
        return min(max(80, widest + 16), size.width * 0.4)
    }

    /// "3.1% [1.2%, 5.0%]", "3.1%" without an interval, `nil` without an estimate.
    func valueText(_ row: Row) -> String? {
        guard let estimate = row.drawableEstimate else { return nil }
        guard let interval = row.interval else { return format.format(estimate) }
        return "\(format.format(estimate)) [\(format.format(interval.low)), \(format.format(interval.high))]"
    }

    var autoDescription: String {
        let parts = rows.map { row -> String in
            var part = row.label + ": " + (valueText(row) ?? "no estimate")
            if let note = row.note { part += " (\(note))" }
            return part
        }
        return "Estimates with intervals against a reference line at \(format.format(reference)). " + parts.joined(separator: "; ")
    }
}
