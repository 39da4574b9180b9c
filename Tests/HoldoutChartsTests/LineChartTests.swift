import HoldoutCharts
import Testing

@Suite("Line chart")
struct LineChartTests {
    static func qini() -> LineChart {
        LineChart(
            title: "Qini curves",
            series: [
                .init(name: "S-learner", x: [0, 25, 50, 100], y: [0, 0.02, 0.037, 0.03]),
                .init(name: "random", points: [.init(x: 0, y: 0), .init(x: 100, y: 0.03)], stroke: .dashed),
                .init(
                    name: "band", x: [0, 100], y: [0, 0.01], stroke: .dotted,
                    band: [.init(x: 0, low: -0.004, high: 0.004), .init(x: 100, low: 0.005, high: 0.015)]),
            ],
            xAxis: .init(label: "units targeted", format: .number(digits: 0)), yAxis: .init(label: "incremental conversions", format: .number(digits: 3)))
    }

    @Test("Points map to the plot area on the nice domains")
    func mapping() throws {
        let chart = Self.qini()
        let layout = try #require(chart.layout)
        // y spans [−0.004, 0.037]: 6 target intervals (360 px / 60) → raw step 0.0068 → 0.005, so
        // [−0.005, 0.04]; x spans [0, 100]: 7 target intervals → raw 14.3 → 20.
        #expect(layout.yTicks.values == (-1...8).map { Double($0) * 5 / 1000 })
        #expect(layout.xTicks == [0, 20, 40, 60, 80, 100])
        let plot = layout.plot
        func x(_ value: Double) -> Double { plot.x + (value - 0) / (100 - 0) * plot.width }
        func y(_ value: Double) -> Double { plot.y + plot.height - (value - -0.005) / (0.04 - -0.005) * plot.height }
        let svg = XMLInspector(chart.svg)
        #expect(svg.isWellFormed, "\(svg.error ?? "")")
        let paths = svg.all("path", className: "series")
        #expect(paths.count == 3)
        let points = pathPoints(paths[0].attributes["d"] ?? "")
        let expected: [(Double, Double)] = [(0, 0), (25, 0.02), (50, 0.037), (100, 0.03)]
        #expect(points.count == 4)
        for (point, (vx, vy)) in zip(points, expected) {
            #expect(abs(point.x - x(vx)) <= 0.0051 && abs(point.y - y(vy)) <= 0.0051)
        }
        #expect(paths[1].attributes["stroke-dasharray"] == "7 4")
        #expect(paths[0].attributes["stroke"] == Palette.colors[0] && paths[2].attributes["stroke"] == Palette.colors[2])
        let zero = try #require(svg.all("line", className: "zero").first)
        #expect(abs(try svg.number(zero, "y1") - y(0)) <= 0.0051)
        let band = pathPoints(try #require(svg.all("path", className: "band").first?.attributes["d"]))
        #expect(band.count == 4)
        #expect(abs(band[0].y - y(0.004)) <= 0.0051 && abs(band[3].y - y(-0.004)) <= 0.0051)
        #expect(
            svg.all("text", className: "y-tick").map(\.text) == [
                "-0.005", "0.000", "0.005", "0.010", "0.015", "0.020", "0.025", "0.030", "0.035", "0.040",
            ])
        #expect(svg.all("text", className: "legend").map(\.text) == ["S-learner", "random", "band"])
    }

    @Test("Markers are drawn at their x when inside the domain")
    func markers() throws {
        var chart = Self.qini()
        chart.markers = [.init(x: 30, label: "top 30% <k>"), .init(x: .nan, label: "nan"), .init(x: 150, label: "outside")]
        let layout = try #require(chart.layout)
        let svg = XMLInspector(chart.svg)
        let lines = svg.all("line", className: "marker")
        #expect(lines.count == 1)
        #expect(abs(try svg.number(lines[0], "x1") - (layout.plot.x + 30 / 100 * layout.plot.width)) <= 0.0051)
        #expect(svg.all("text", className: "marker-label").map(\.text) == ["top 30% <k>"])
    }

    @Test("A date axis labels calendar days, weekly ticks on Mondays")
    func dates() throws {
        let start = Double(CivilDate(year: 2026, month: 1, day: 1).daysSinceEpoch)  // 20454, a Thursday
        let days = (0...30).map { start + Double($0) }
        let chart = LineChart(
            title: "Cumulative lift", series: [.init(name: "lift", x: days, y: days.map { ($0 - start) / 1000 })],
            xAxis: .init(label: "day", format: .date), yAxis: .init(format: .percent(digits: 1)))
        let svg = XMLInspector(chart.svg)
        #expect(svg.all("text", className: "x-tick").map(\.text) == ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"])
        let layout = try #require(chart.layout)
        // The date domain is the data's own range, not widened.
        #expect(layout.x.lower == start && layout.x.upper == start + 30)
        let long = LineChart(
            title: "t", series: [.init(name: "s", x: [start, start + 400], y: [0, 1])], xAxis: .init(format: .date))
        let labels = XMLInspector(long.svg).all("text", className: "x-tick").map(\.text)
        #expect(labels.allSatisfy { $0.hasSuffix("-01") } && labels.first == "2026-01-01" && labels.count == 5)  // quarterly
    }

    @Test("Non-finite points are skipped; none is printed")
    func nonFinite() throws {
        let chart = LineChart(
            title: "t",
            series: [
                .init(name: "a", x: [0, 1, .nan, 3, .infinity, 5], y: [0, 1, 2, -.infinity, 4, 1e200]),
                .init(name: "b", points: [], band: [.init(x: 0, low: .nan, high: 1), .init(x: 1, low: 0, high: 1)]),
            ], width: .nan, height: -.infinity)
        let markup = chart.svg
        assertFinite(markup)
        let svg = XMLInspector(markup)
        #expect(svg.isWellFormed)
        #expect(pathPoints(svg.all("path", className: "series").first?.attributes["d"] ?? "").count == 2)
        let empty = LineChart(title: "t", series: [.init(name: "a", x: [.nan, .infinity], y: [1, 2])])
        #expect(empty.layout == nil)
        #expect(XMLInspector(empty.svg).all("text", className: "no-data").map(\.text) == ["no data"])
        #expect(XMLInspector(LineChart(title: "t", series: []).svg).all("text", className: "no-data").count == 1)
    }

    @Test("A single point is drawn as a dot on a padded domain")
    func singlePoint() throws {
        let chart = LineChart(title: "one", series: [.init(name: "a", points: [.init(x: 3, y: 5)])], zeroLine: false)
        let layout = try #require(chart.layout)
        #expect(layout.xTicks.first! < 3 && layout.xTicks.last! > 3)
        #expect(layout.yTicks.lower < 5 && layout.yTicks.upper > 5)
        let svg = XMLInspector(chart.svg)
        #expect(svg.isWellFormed)
        let dot = try #require(svg.all("circle", className: "point").first)
        let (cx, cy) = (try svg.number(dot, "cx"), try svg.number(dot, "cy"))
        #expect(abs(cx - layout.x(3)) <= 0.0051 && abs(cy - layout.y(5)) <= 0.0051)
        #expect(svg.all("line", className: "zero").isEmpty)
    }

    @Test("Hostile series names and titles are escaped", arguments: hostileLabels)
    func hostile(_ label: String) {
        let chart = LineChart(
            id: label, title: label, description: label, series: [.init(name: label, x: [0, 1], y: [0, 1])], xAxis: .init(label: label),
            yAxis: .init(label: label))
        let markup = chart.render(id: label, standalone: false)
        #expect(!markup.contains("<script"))
        let svg = XMLInspector(markup)
        #expect(svg.isWellFormed, "\(svg.error ?? "")")
        let expected = readBack(label)
        #expect(svg.all("text", className: "legend").first?.text == expected)
        #expect(svg.all("text", className: "axis-label").map(\.text) == [expected, expected])
        #expect(svg.all("desc").first?.text == expected)
    }

    @Test("Same input, same bytes")
    func deterministic() {
        #expect(Self.qini().svg == Self.qini().svg)
        #expect(Self.qini().render(id: "a", standalone: false) != Self.qini().render(id: "b", standalone: false))
    }

    @Test("A million points are drawn with a few thousand, keeping ends and extrema")
    func longSeries() throws {
        let n = 1_000_000
        var state: UInt64 = 7
        var walk = 0.0
        var ys: [Double] = []
        ys.reserveCapacity(n)
        for _ in 0..<n {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            walk += Double(state >> 11) / Double(1 << 53) - 0.5
            ys.append(walk)
        }
        ys[123_457] = 5_000  // a one-point spike must survive
        ys[876_543] = -5_000
        let xs = (0..<n).map(Double.init)
        let chart = LineChart(title: "walk", series: [.init(name: "walk", x: xs, y: ys)])
        let layout = try #require(chart.layout)
        let svg = XMLInspector(chart.svg)
        let drawn = pathPoints(try #require(svg.all("path", className: "series").first?.attributes["d"]))
        let columns = Int(layout.plot.width.rounded(.up)) + 1
        #expect(drawn.count <= 4 * columns && drawn.count > columns)
        func near(_ a: (x: Double, y: Double), _ vx: Double, _ vy: Double) -> Bool {
            abs(a.x - layout.x(vx)) <= 0.0051 && abs(a.y - layout.y(vy)) <= 0.0051
        }
        #expect(near(drawn[0], 0, ys[0]) && near(drawn[drawn.count - 1], Double(n - 1), ys[n - 1]))
        #expect(drawn.contains { near($0, 123_457, 5_000) } && drawn.contains { near($0, 876_543, -5_000) })
    }

    @Test("Min/max per pixel column keeps each column's range, first and last point")
    func downsamplingRule() {
        var state: UInt64 = 99
        let points = (0..<200_000).map { index -> LineChart.Point in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return .init(x: Double(index) / 500, y: Double(state >> 11) / Double(1 << 53))
        }
        let kept = Downsampling.minMaxPerPixelColumn(points)
        #expect(kept.count <= 4 * 400)
        #expect(kept.first == points.first && kept.last == points.last)
        // Same per-column minimum, maximum, first and last as the full series, in order.
        func summary(_ list: [LineChart.Point]) -> [Double: [Double]] {
            Dictionary(grouping: list, by: { $0.x.rounded(.down) }).mapValues { column in
                [column.map(\.y).min()!, column.map(\.y).max()!, column.first!.y, column.last!.y]
            }
        }
        #expect(summary(kept) == summary(points))
        #expect(zip(kept, kept.dropFirst()).allSatisfy { $0.x <= $1.x })
        #expect(Downsampling.minMaxPerPixelColumn(Array(points.prefix(3))) == Array(points.prefix(3)))
    }
}
