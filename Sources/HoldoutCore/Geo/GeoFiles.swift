import Foundation
import HoldoutCSV
public import HoldoutGeo
public import HoldoutModel

/// Reads the files of `holdout geo analyze` and `geo power` and writes `geo panel`'s: a daily
/// panel CSV (`date, geo, <response>[, <cost>]`) and an assignment (seed 000's design JSON, or a
/// CSV `geo, group[, pair]`). Errors are ``HoldoutError`` values naming the file, line, geo or
/// field and how to fix it.
public enum GeoFiles {
    /// Reads a panel CSV.
    ///
    /// - Parameters:
    ///   - responseColumn: the response column (default `revenue`).
    ///   - costColumn: the cost column; used when the header has it, required when `costRequired`.
    /// - Throws: ``HoldoutError`` for an unreadable file, a missing column, a bad date or number
    ///   (naming the line and column), a negative value, a duplicate (geo, date) or a missing day
    ///   (naming the geo and date).
    public static func readPanel(
        path: String, responseColumn: String = "revenue", costColumn: String = "cost", costRequired: Bool = false
    )
        throws(HoldoutError) -> GeoPanel
    {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw HoldoutError(.invalidInput, "--panel: cannot read '\(path)': check the path", field: "panel")
        }
        var rows: [GeoPanel.Row] = []
        var lines: [Int] = []
        var columns: (date: Int, geo: Int, response: Int, cost: Int?)?
        var failure: HoldoutError?
        do {
            try CSVScanner(path: path).forEachRecord { record in
                guard failure == nil else { return }
                guard let c = columns else {
                    let names = (0..<record.count).map { record.trimmedString($0) }
                    func index(_ name: String, option: String) -> Int? { names.firstIndex(of: name) }
                    guard let date = index("date", option: ""), let geo = index("geo", option: "") else {
                        failure = HoldoutError(
                            .invalidInput, "\(path) line 1: the panel needs columns date and geo (found: \(names.joined(separator: ", ")))", field: "panel")
                        return
                    }
                    guard let response = index(responseColumn, option: "") else {
                        failure = HoldoutError(
                            .invalidInput,
                            "\(path) line 1: no column '\(responseColumn)' (found: \(names.joined(separator: ", "))); name the response with --response-column",
                            field: "response_column")
                        return
                    }
                    let cost = names.firstIndex(of: costColumn)
                    if costRequired && cost == nil {
                        failure = HoldoutError(
                            .invalidInput,
                            "\(path) line 1: no column '\(costColumn)' (found: \(names.joined(separator: ", "))); name the cost with --cost-column",
                            field: "cost_column")
                        return
                    }
                    columns = (date, geo, response, cost)
                    return
                }
                let needed = max(c.date, c.geo, c.response, c.cost ?? 0)
                guard record.count > needed else {
                    failure = HoldoutError(.invalidInput, "\(path) line \(record.line): \(record.count) fields, the header has more", field: "panel")
                    return
                }
                let dateText = record.trimmedString(c.date)
                guard let day = try? GeoDay(dateText) else {
                    failure = HoldoutError(
                        .invalidInput, "\(path) line \(record.line), column date: '\(dateText)' is not a date of the form YYYY-MM-DD", field: "date")
                    return
                }
                let geo = record.trimmedString(c.geo)
                guard !geo.isEmpty else {
                    failure = HoldoutError(.invalidInput, "\(path) line \(record.line), column geo: is empty", field: "geo")
                    return
                }
                func value(_ index: Int, _ name: String) -> Double? {
                    guard let v = record.double(index) else {
                        failure = HoldoutError(
                            .invalidInput, "\(path) line \(record.line), column \(name): '\(record.trimmedString(index))' is not a finite decimal number",
                            field: name)
                        return nil
                    }
                    guard v >= 0 else {
                        failure = HoldoutError(
                            .invalidInput, "\(path) line \(record.line), column \(name): negative value \(v) (geo \(geo), \(dateText)); values must be ≥ 0",
                            field: name)
                        return nil
                    }
                    return v
                }
                guard let response = value(c.response, responseColumn) else { return }
                var cost: Double?
                if let ci = c.cost {
                    guard let v = value(ci, costColumn) else { return }
                    cost = v
                }
                rows.append(GeoPanel.Row(date: day, geo: geo, response: response, cost: cost))
                lines.append(record.line)
            }
        } catch {
            throw HoldoutError(.invalidInput, "--panel: cannot read '\(path)': \(error)", field: "panel")
        }
        if let failure { throw failure }
        guard !rows.isEmpty else {
            throw HoldoutError(.invalidInput, "\(path) has no data rows (expected a header date,geo,\(responseColumn) and rows)", field: "panel")
        }
        do throws(GeoError) {
            return try GeoPanel(rows: rows)
        } catch {
            var message = "\(path): \(error.message)"
            if let row = error.row, row < lines.count {
                message = "\(path) line \(lines[row]): \(error.message)"
                if error.code == .duplicateRow { message += "; keep one row per geo and date" }
            }
            if error.code == .missingDay { message += "; add a row with 0 for that day" }
            throw HoldoutError(.invalidInput, message, field: "panel")
        }
    }

    /// Reads an assignment: seed 000's design JSON (its `assignment` array) or a CSV with columns
    /// `geo, group` (`control`/`treatment`) and optionally `pair`, and checks every geo is in the
    /// panel.
    /// - Throws: ``HoldoutError`` naming the line (CSV) or entry (JSON) and the geo.
    public static func readAssignment(path: String, panel: GeoPanel) throws(HoldoutError) -> GeoAssignment {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HoldoutError(.invalidInput, "--assignment: cannot read '\(path)': check the path", field: "assignment")
        }
        var entries: [(where: String, entry: GeoAssignment.Entry)] = []
        let firstByte = data.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF }
        if firstByte == UInt8(ascii: "{") {
            struct Document: Decodable { var assignment: [GeoAssignment.Entry] }
            do {
                let document = try JSONDecoder().decode(Document.self, from: data)
                entries = document.assignment.enumerated().map { ("entry \($0.offset) of 'assignment'", $0.element) }
            } catch {
                throw HoldoutError(
                    .invalidInput,
                    "\(path): not a design document with an 'assignment' array of {geo, group: control|treatment, pair?} (\(describe(error)))",
                    field: "assignment")
            }
        } else {
            var columns: (geo: Int, group: Int, pair: Int?)?
            var failure: HoldoutError?
            do {
                try CSVScanner(path: path).forEachRecord { record in
                    guard failure == nil else { return }
                    guard let c = columns else {
                        let names = (0..<record.count).map { record.trimmedString($0) }
                        guard let geo = names.firstIndex(of: "geo"), let group = names.firstIndex(of: "group") else {
                            failure = HoldoutError(
                                .invalidInput, "\(path) line 1: an assignment CSV needs columns geo and group (found: \(names.joined(separator: ", ")))",
                                field: "assignment")
                            return
                        }
                        columns = (geo, group, names.firstIndex(of: "pair"))
                        return
                    }
                    guard record.count > max(c.geo, c.group, c.pair ?? 0) else {
                        failure = HoldoutError(.invalidInput, "\(path) line \(record.line): too few fields", field: "assignment")
                        return
                    }
                    let geo = record.trimmedString(c.geo)
                    let groupText = record.trimmedString(c.group)
                    guard let group = GeoAssignment.Group(rawValue: groupText) else {
                        failure = HoldoutError(
                            .invalidInput, "\(path) line \(record.line), column group: '\(groupText)' (geo \(geo)) is not control or treatment",
                            field: "group")
                        return
                    }
                    var pair: Int?
                    if let pc = c.pair {
                        let text = record.trimmedString(pc)
                        if !text.isEmpty {
                            guard let p = Int(text) else {
                                failure = HoldoutError(
                                    .invalidInput, "\(path) line \(record.line), column pair: '\(text)' (geo \(geo)) is not an integer", field: "pair")
                                return
                            }
                            pair = p
                        }
                    }
                    entries.append(("line \(record.line)", GeoAssignment.Entry(geo: geo, group: group, pair: pair)))
                }
            } catch {
                throw HoldoutError(.invalidInput, "--assignment: cannot read '\(path)': \(error)", field: "assignment")
            }
            if let failure { throw failure }
        }
        guard !entries.isEmpty else { throw HoldoutError(.invalidInput, "\(path) assigns no geos", field: "assignment") }
        var seen: [OpaqueID: String] = [:]
        for (place, entry) in entries {
            guard panel.position(of: entry.geo) != nil else {
                throw HoldoutError(
                    .invalidInput,
                    "\(path) \(place): geo '\(entry.geo)' is not in the panel (\(panel.geos.count) geos, e.g. \(panel.geos.prefix(3).joined(separator: ", "))); fix the geo id or remove it",
                    field: "assignment")
            }
            if let earlier = seen.updateValue(place, forKey: OpaqueID(entry.geo)) {
                throw HoldoutError(
                    .invalidInput, "\(path) \(place): geo '\(entry.geo)' is already assigned at \(earlier); assign each geo once", field: "assignment")
            }
        }
        return GeoAssignment(entries: entries.map(\.entry))
    }

    /// Writes a panel as CSV `date,geo,revenue` (by date, then geo), atomically.
    public static func writePanel(_ rows: [GeoPanel.Row], to path: String) throws(HoldoutError) {
        var text = "date,geo,revenue\n"
        text.reserveCapacity(rows.count * 32)
        for row in rows {
            text += row.date.description + "," + CSVField.escape(row.geo) + "," + shortest(row.response) + "\n"
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw HoldoutError(.invalidInput, "--out: cannot write '\(path)': \(error.localizedDescription)", field: "out")
        }
    }

    /// The shortest decimal that reads back as the same double.
    static func shortest(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            "missing '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "at '\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)"
        default: "\(error)"
        }
    }
}
