/// A GitHub-flavoured Markdown table, for the Markdown decision report.
///
/// ```swift
/// MarkdownTable(header: ["metric", "lift"], rows: [["conversion", "+3.1%"]], numericColumns: [1]).render()
/// // | metric | lift |
/// // | --- | ---: |
/// // | conversion | +3.1% |
/// ```
///
/// Cells are escaped so user text cannot break the table or inject markup: `\` and `|` get a
/// backslash, `&`, `<` and `>` become entity references (they show as themselves in a rendered
/// view), and line breaks become spaces. Rows shorter than the widest row are padded with empty
/// cells, and the header is widened to match, so no cell is dropped.
public struct MarkdownTable: Hashable, Sendable {
    public var header: [String]
    public var rows: [[String]]
    /// Columns (0-based) aligned right, for numbers.
    public var numericColumns: Set<Int>

    public init(header: [String], rows: [[String]], numericColumns: Set<Int> = []) {
        self.header = header
        self.rows = rows
        self.numericColumns = numericColumns
    }

    /// The table, one line per row, ending with a newline.
    public func render() -> String {
        let columns = max(1, header.count, rows.map(\.count).max() ?? 0)
        func line(_ cells: [String]) -> String {
            "| " + (0..<columns).map { $0 < cells.count ? Self.escape(cells[$0]) : "" }.joined(separator: " | ") + " |\n"
        }
        var text = line(header)
        text += "| " + (0..<columns).map { numericColumns.contains($0) ? "---:" : "---" }.joined(separator: " | ") + " |\n"
        for row in rows { text += line(row) }
        return text
    }

    /// `cell` made safe inside a table cell.
    public static func escape(_ cell: String) -> String {
        var result = ""
        for scalar in cell.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "|": result += "\\|"
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\n", "\r", "\u{2028}", "\u{2029}", "\u{85}", "\u{0B}", "\u{0C}": result += " "
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
