import Foundation

/// Printing helpers: one JSON object for `--json`, aligned tables for people.
enum Output {
    /// Prints a value as one JSON object with sorted keys.
    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// Formats a number for a table: up to 6 significant digits, or "—" when absent.
    static func number(_ value: Double?, digits: Int = 6) -> String {
        guard let value else { return "—" }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e-4 && magnitude < 1e9 {
            return String(format: "%.\(digits)g", value)
        }
        return String(format: "%.\(max(digits - 2, 1))e", value)
    }

    /// Formats a p-value; one that underflows double precision prints as "<1e-300".
    static func pValue(_ value: Double?) -> String {
        guard let value else { return "—" }
        return value < 1e-300 ? "<1e-300" : number(value, digits: 4)
    }

    static func percent(_ value: Double?) -> String {
        guard let value else { return "—" }
        return String(format: "%+.3f%%", value * 100)
    }

    /// Renders rows as a left-aligned first column and right-aligned others.
    static func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return index == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }

    /// Writes to standard error (progress and warnings never mix with `--json` output).
    static func error(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
