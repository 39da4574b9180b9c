import HoldoutCharts
import Testing

@Suite("HTML report")
struct HTMLReportTests {
    static func report(_ text: String = "checkout-v2") -> HTMLReport {
        let forest = ForestChart(
            title: "Lift " + text, rows: [.init(label: text, estimate: 0.03, low: 0.01, high: 0.05), .init(label: "visit", estimate: 0.01, note: text)],
            format: .percent(digits: 1))
        let line = LineChart(
            title: "Qini " + text,
            series: [.init(name: text, x: [0, 0.5, 1], y: [0, 40, 55]), .init(name: "random", x: [0, 1], y: [0, 55], stroke: .dashed)],
            xAxis: .init(label: "share targeted", format: .percent(digits: 0)), yAxis: .init(label: "incremental conversions", format: .number(digits: 0)))
        return HTMLReport(
            title: "Decision report: " + text, summary: "Ship " + text,
            sections: [
                .init(
                    heading: "Stages " + text,
                    blocks: [
                        .table(
                            .init(
                                header: ["stage", "status", text],
                                rows: [["srm", .status(.ok), .text(text)], ["uplift", .status(.skipped)], ["ab", .status(.halted), "1"]],
                                numericColumns: [2])),
                        .status(.failed, "policy " + text),
                        .list([text, "b"]),
                        .preformatted("holdout analyze --experiment " + text),
                    ]),
                .init(heading: "Charts", blocks: [.chart(forest, caption: text), .chart(line, caption: nil), .paragraph(text)]),
            ], footer: "holdout " + text)
    }

    @Test("Self-contained: no URL, no src, no script, charts inline")
    func selfContained() {
        let html = Self.report().render()
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        for forbidden in ["http://", "https://", "src=", "href=", "url(", "@import", "<script", "<link", "<img", "xmlns"] {
            #expect(!html.contains(forbidden), "found \(forbidden)")
        }
        #expect(html.contains("<style>"))
    }

    @Test("Well-formed, with unique chart ids and their title and desc")
    func wellFormed() throws {
        let document = XMLInspector(Self.report().render())
        #expect(document.isWellFormed, "\(document.error ?? "")")
        let svgs = document.all("svg")
        #expect(svgs.map { $0.attributes["id"] } == ["chart-1", "chart-2"])
        for svg in svgs {
            let id = try #require(svg.attributes["id"])
            #expect(svg.attributes["aria-labelledby"] == "\(id)-title \(id)-desc")
            #expect(document.elements.filter { $0.attributes["id"] == "\(id)-title" }.count == 1)
            #expect(document.elements.filter { $0.attributes["id"] == "\(id)-desc" }.count == 1)
        }
        #expect(document.all("figure").count == 2 && document.all("figcaption").count == 1)
        #expect(document.all("h2").map(\.text) == ["Stages checkout-v2", "Charts"])
    }

    @Test("Badges and tables")
    func tables() {
        let document = XMLInspector(Self.report().render())
        #expect(document.all("span", className: "badge").map(\.text) == ["ok", "skipped", "halted", "failed"])
        #expect(document.all("span", className: "badge-halted").count == 1)
        #expect(document.all("th").map(\.text) == ["stage", "status", "checkout-v2"])
        // Short rows are padded to the header's width.
        #expect(document.all("tr").count == 4 && document.all("td").count == 9)
        #expect(document.all("td", className: "num").map(\.text) == ["checkout-v2", "", "1"])
        for status in HTMLReport.Status.allCases {
            #expect(HTMLReport.styleSheet.contains(".badge-\(status.rawValue) {"))
        }
    }

    @Test("Hostile text is escaped everywhere and reads back unchanged", arguments: hostileLabels)
    func hostile(_ label: String) {
        let html = Self.report(label).render()
        #expect(!html.contains("<script"))
        let document = XMLInspector(html)
        #expect(document.isWellFormed, "\(document.error ?? "")")
        let expected = readBack(label)
        #expect(document.all("title").first?.text == "Decision report: " + expected)
        #expect(document.all("h1").first?.text == "Decision report: " + expected)
        #expect(document.all("li").first?.text == expected)
        #expect(document.all("figcaption").first?.text == expected)
        #expect(document.all("footer").first?.text == "holdout " + expected)
        #expect(document.all("text", className: "label").first?.text == expected)
    }

    @Test("Same input, same bytes")
    func deterministic() {
        #expect(Self.report().render() == Self.report().render())
    }
}
