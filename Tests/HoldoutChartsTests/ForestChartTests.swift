import HoldoutCharts
import Testing

@Suite("Forest chart")
struct ForestChartTests {
    static let rows: [ForestChart.Row] = [
        .init(label: "conversion", estimate: 0.031, low: 0.012, high: 0.050),
        .init(label: "visit", estimate: 0.004, low: -0.006, high: 0.014),
        .init(label: "revenue", estimate: 0.02, note: "too few conversions"),
        .init(label: "exposure", estimate: nil),
    ]

    static func chart(_ rows: [ForestChart.Row] = rows) -> ForestChart {
        ForestChart(title: "Relative lift", rows: rows, format: .percent(digits: 1), axisLabel: "relative lift")
    }

    @Test("Values map to x = left + (v − min)/(max − min)·width on the nice domain")
    func mapping() throws {
        let chart = Self.chart()
        // Data and reference span [−0.006, 0.05]; with 6 target intervals the step is 0.01, so
        // the domain is [−0.01, 0.05].
        let ticks = try #require(chart.ticks)
        #expect(ticks.values == [-0.01, 0, 0.01, 0.02, 0.03, 0.04, 0.05])
        let plot = chart.plotArea
        func x(_ value: Double) -> Double { plot.x + (value - -0.01) / (0.05 - -0.01) * plot.width }
        let svg = XMLInspector(chart.svg)
        #expect(svg.isWellFormed, "\(svg.error ?? "")")
        let circles = svg.all("circle", className: "estimate")
        #expect(circles.count == 3)  // the row without an estimate draws no point
        let rowHeight = plot.height / 4
        for (index, estimate) in [0.031, 0.004, 0.02].enumerated() {
            #expect(abs(try svg.number(circles[index], "cx") - x(estimate)) <= 0.0051)
            #expect(abs(try svg.number(circles[index], "cy") - (plot.y + (Double(index) + 0.5) * rowHeight)) <= 0.0051)
        }
        let intervals = svg.all("line", className: "interval")
        #expect(intervals.count == 2)  // "revenue" has no interval
        for (index, (low, high)) in [(0.012, 0.050), (-0.006, 0.014)].enumerated() {
            #expect(abs(try svg.number(intervals[index], "x1") - x(low)) <= 0.0051)
            #expect(abs(try svg.number(intervals[index], "x2") - x(high)) <= 0.0051)
        }
        let reference = try #require(svg.all("line", className: "reference").first)
        #expect(abs(try svg.number(reference, "x1") - x(0)) <= 0.0051)
        #expect(svg.all("text", className: "tick").map(\.text) == ["-1%", "0%", "1%", "2%", "3%", "4%", "5%"])
        #expect(svg.all("text", className: "value").map(\.text) == ["3.1% [1.2%, 5.0%]", "0.4% [-0.6%, 1.4%]", "2.0%"])
        #expect(svg.all("text", className: "note").map(\.text) == ["too few conversions", "no estimate"])
    }

    @Test("Root carries role, aria-labelledby, title and desc")
    func accessibility() throws {
        let svg = XMLInspector(Self.chart().render(id: "lift", standalone: true))
        let root = try #require(svg.elements.first)
        #expect(root.name == "svg")
        #expect(root.attributes["role"] == "img")
        #expect(root.attributes["aria-labelledby"] == "lift-title lift-desc")
        #expect(root.attributes["xmlns"] == "http://www.w3.org/2000/svg")
        #expect(svg.elements.first { $0.attributes["id"] == "lift-title" }?.text == "Relative lift")
        let desc = try #require(svg.elements.first { $0.attributes["id"] == "lift-desc" })
        #expect(desc.text.contains("conversion: 3.1% [1.2%, 5.0%]"))
        #expect(!Self.chart().render(id: "x", standalone: false).contains("xmlns"))
    }

    @Test("Hostile labels are escaped and read back unchanged", arguments: hostileLabels)
    func hostile(_ label: String) throws {
        let chart = ForestChart(
            id: label, title: label, rows: [.init(label: label, estimate: 0.1, low: 0, high: 0.2, note: label)], axisLabel: label)
        let markup = chart.svg
        #expect(!markup.contains("<script"))
        let svg = XMLInspector(markup)
        #expect(svg.isWellFormed, "\(svg.error ?? "")")
        let expected = readBack(label)
        #expect(svg.all("text", className: "label").first?.text == expected)
        #expect(svg.all("text", className: "note").first?.text == expected)
        #expect(svg.all("text", className: "axis-label").first?.text == expected)
        #expect(svg.all("title").first?.text == expected)
        let id = try #require(svg.elements.first?.attributes["id"])
        #expect(id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
    }

    @Test("Non-finite numbers are skipped, never printed")
    func nonFinite() throws {
        let rows: [ForestChart.Row] = [
            .init(label: "a", estimate: .nan, low: 0, high: 1),
            .init(label: "b", estimate: 0.5, low: -.infinity, high: 1),
            .init(label: "c", estimate: 0.25, low: 0.1, high: .nan),
            .init(label: "d", estimate: 1e300, low: 0, high: 2),
            .init(label: "e", estimate: 0.3, low: 0.2, high: 0.4),
        ]
        let chart = ForestChart(title: "t", rows: rows, reference: .nan, width: .infinity, height: .nan)
        let markup = chart.svg
        assertFinite(markup)
        let svg = XMLInspector(markup)
        #expect(svg.isWellFormed)
        #expect(svg.all("circle", className: "estimate").count == 3)  // b, c, e
        #expect(svg.all("line", className: "interval").count == 3)  // a and d (intervals without a point) and e
        // Finite values span [0, 2] (the NaN reference falls back to 0): step 0.5 for 6 intervals.
        #expect(try #require(chart.ticks).values == [0, 0.5, 1, 1.5, 2])
    }

    @Test("Nothing to draw says no data", arguments: [[], [ForestChart.Row(label: "x", estimate: .nan)]])
    func empty(_ rows: [ForestChart.Row]) {
        let markup = Self.chart(rows).svg
        let svg = XMLInspector(markup)
        #expect(svg.isWellFormed)
        #expect(svg.all("text", className: "no-data").map(\.text) == ["no data"])
        assertFinite(markup)
    }

    @Test("Same input, same bytes")
    func deterministic() {
        let first = Self.chart().svg
        let second = ForestChart(title: "Relative lift", rows: Self.rows, format: .percent(digits: 1), axisLabel: "relative lift").svg
        #expect(first == second)
    }

    @Test("Wide numbers widen the value column and stay inside the chart")
    func wideNumbers() throws {
        let chart = ForestChart(
            title: "Revenue", rows: [.init(label: "revenue", estimate: 12_345.678, low: 10_000.5, high: 14_000.25)], format: .number(digits: 3),
            width: 640)
        let svg = XMLInspector(chart.svg)
        let value = try #require(svg.all("text", className: "value").first)
        #expect(value.text == "12,345.678 [10,000.500, 14,000.250]")
        let x = try svg.number(value, "x")
        #expect(x + Double(value.text.count) * 6.3 <= 640)
        let plot = chart.plotArea
        for circle in svg.all("circle", className: "estimate") {
            let cx = try svg.number(circle, "cx")
            #expect(cx >= plot.x && cx <= plot.x + plot.width)
        }
    }

    @Test("Long labels are shortened with the full text as a tooltip")
    func longLabel() {
        let label = String(repeating: "é", count: 50)
        let svg = XMLInspector(Self.chart([.init(label: label, estimate: 1, low: 0, high: 2)]).svg)
        #expect(svg.all("text", className: "label").first?.text == String(repeating: "é", count: 31) + "…")
        #expect(svg.all("title").last?.text == label)
    }
}
