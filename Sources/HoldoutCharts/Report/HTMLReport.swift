/// A self-contained HTML5 document: inline CSS, charts as inline SVG, no scripts, and no
/// reference to anything outside the file (no URL, no `src=`, no external font or stylesheet), so
/// it can be mailed, archived or opened offline and shows the same everywhere.
///
/// ```swift
/// let report = HTMLReport(
///     title: "Decision report: checkout-v2",
///     summary: "Ship: conversion +3.1% [1.2%, 5.0%].",
///     sections: [
///         .init(heading: "Stages", blocks: [
///             .table(.init(header: ["stage", "status"], rows: [["srm", .status(.ok)], ["uplift", .status(.skipped)]])),
///         ]),
///         .init(heading: "Effects", blocks: [.chart(forest, caption: "95% intervals")]),
///     ])
/// let html = report.render()
/// ```
///
/// All text is HTML-escaped. The output is also well-formed XML after its `<!DOCTYPE html>` line
/// (void elements are self-closed, only numeric character references are used), so tests and
/// tools can check it with an XML parser. Charts get the ids `chart-1`, `chart-2`, … in document
/// order, which keeps their `aria-labelledby` references unique.
public struct HTMLReport: Sendable {
    /// How a stage or a check ended.
    public enum Status: String, Hashable, Sendable, CaseIterable {
        case ok, halted, failed, skipped
    }

    /// A table cell: text, or a status badge.
    public enum Cell: Hashable, Sendable, ExpressibleByStringLiteral {
        case text(String)
        case status(Status)

        public init(stringLiteral value: String) { self = .text(value) }
    }

    public struct Table: Hashable, Sendable {
        public var header: [String]
        public var rows: [[Cell]]
        /// Columns (0-based) aligned right, for numbers.
        public var numericColumns: Set<Int>

        public init(header: [String], rows: [[Cell]], numericColumns: Set<Int> = []) {
            self.header = header
            self.rows = rows
            self.numericColumns = numericColumns
        }

        /// A table of text cells.
        public init(header: [String], textRows: [[String]], numericColumns: Set<Int> = []) {
            self.init(header: header, rows: textRows.map { $0.map(Cell.text) }, numericColumns: numericColumns)
        }
    }

    public enum Block: Sendable {
        case paragraph(String)
        /// A paragraph starting with a status badge.
        case status(Status, String)
        case list([String])
        case table(Table)
        /// Monospaced text kept as written (commands, raw numbers).
        case preformatted(String)
        case chart(any Chart, caption: String?)
    }

    public struct Section: Sendable {
        public var heading: String
        public var blocks: [Block]

        public init(heading: String, blocks: [Block]) {
            self.heading = heading
            self.blocks = blocks
        }
    }

    public var title: String
    /// A lead paragraph under the title (the decision in one sentence).
    public var summary: String?
    public var sections: [Section]
    /// A line at the foot of the page (generator, version, inputs fingerprint).
    public var footer: String?

    public init(title: String, summary: String? = nil, sections: [Section], footer: String? = nil) {
        self.title = title
        self.summary = summary
        self.sections = sections
        self.footer = footer
    }

    /// The CSS inlined in the document; badges use the classes `badge badge-<status>`.
    public static let styleSheet = """
        body { margin: 0; background: #f6f8fa; color: #1f2328; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        main { max-width: 960px; margin: 0 auto; padding: 24px 20px 48px; background: #ffffff; }
        h1 { font-size: 1.6em; margin: 0 0 8px; }
        h2 { font-size: 1.2em; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #d1d9e0; }
        p.summary { font-size: 1.1em; }
        table { border-collapse: collapse; margin: 12px 0; font-size: 0.92em; }
        th, td { border: 1px solid #d1d9e0; padding: 4px 10px; text-align: left; vertical-align: top; }
        th { background: #f6f8fa; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        pre { background: #f6f8fa; padding: 8px 12px; overflow-x: auto; font-size: 0.88em; }
        figure { margin: 16px 0; }
        figure svg { max-width: 100%; height: auto; }
        figcaption { color: #59636e; font-size: 0.9em; }
        .badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 0.85em; font-weight: 600; border: 1px solid; }
        .badge-ok { color: #1a7f37; background: #dafbe1; border-color: #1a7f37; }
        .badge-halted { color: #9a6700; background: #fff8c5; border-color: #9a6700; }
        .badge-failed { color: #cf222e; background: #ffebe9; border-color: #cf222e; }
        .badge-skipped { color: #59636e; background: #f6f8fa; border-color: #8c959f; }
        footer { margin-top: 40px; color: #59636e; font-size: 0.85em; }
        """

    /// The HTML document.
    public func render() -> String {
        var html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
        html += "<title>\(XMLText.escape(title))</title>\n<style>\n\(Self.styleSheet)\n</style>\n</head>\n<body>\n<main>\n"
        html += "<h1>\(XMLText.escape(title))</h1>\n"
        if let summary { html += "<p class=\"summary\">\(XMLText.escape(summary))</p>\n" }
        var chartNumber = 0
        for section in sections {
            html += "<section>\n<h2>\(XMLText.escape(section.heading))</h2>\n"
            for block in section.blocks {
                switch block {
                case .paragraph(let text):
                    html += "<p>\(XMLText.escape(text))</p>\n"
                case .status(let status, let text):
                    html += "<p>\(Self.badge(status)) \(XMLText.escape(text))</p>\n"
                case .list(let items):
                    html += "<ul>\n" + items.map { "<li>\(XMLText.escape($0))</li>\n" }.joined() + "</ul>\n"
                case .table(let table):
                    html += Self.table(table)
                case .preformatted(let text):
                    html += "<pre>\(XMLText.escape(text))</pre>\n"
                case .chart(let chart, let caption):
                    chartNumber += 1
                    html += "<figure>\n" + chart.render(id: "chart-\(chartNumber)", standalone: false)
                    if let caption { html += "<figcaption>\(XMLText.escape(caption))</figcaption>\n" }
                    html += "</figure>\n"
                }
            }
            html += "</section>\n"
        }
        if let footer { html += "<footer>\(XMLText.escape(footer))</footer>\n" }
        html += "</main>\n</body>\n</html>\n"
        return html
    }

    static func badge(_ status: Status) -> String { "<span class=\"badge badge-\(status.rawValue)\">\(status.rawValue)</span>" }

    static func table(_ table: Table) -> String {
        let columns = max(table.header.count, table.rows.map(\.count).max() ?? 0)
        func cellClass(_ column: Int) -> String { table.numericColumns.contains(column) ? " class=\"num\"" : "" }
        var html = "<table>\n<thead>\n<tr>"
        for column in 0..<columns {
            let text = column < table.header.count ? table.header[column] : ""
            html += "<th scope=\"col\"\(cellClass(column))>\(XMLText.escape(text))</th>"
        }
        html += "</tr>\n</thead>\n<tbody>\n"
        for row in table.rows {
            html += "<tr>"
            for column in 0..<columns {
                let content: String
                switch column < row.count ? row[column] : .text("") {
                case .text(let text): content = XMLText.escape(text)
                case .status(let status): content = badge(status)
                }
                html += "<td\(cellClass(column))>\(content)</td>"
            }
            html += "</tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }
}
