import Foundation

/// Turns a source row into table rows, enforcing the row-level data contracts: required values
/// present, timestamps and numbers parse, logged variants are the experiment's (accepted
/// values).
struct RowParser {
    let kind: ImportKind
    let experiment: Experiment?
    let variantNames: Set<String>
    /// Covariate columns (for covariates imports).
    let covariates: [String]
    let ignoredColumns: [String]
    let importedAt = Timestamp.now.microseconds
    /// Values and covariates beyond ±1e15 are refused: squared and summed over 10⁸ units they
    /// would still be finite (1e38), and no currency amount or count comes near.
    static let maximumMagnitude = 1e15

    /// - Parameter header: the CSV header, checked for required columns; nil for JSON lines
    ///   (checked per row).
    /// The tenant touchpoints belong to (auto-assign reads only its own tenant's).
    let tenant: String

    init(kind: ImportKind, experiment: Experiment?, header: [String]?, tenant: String = "default") throws {
        self.kind = kind
        self.tenant = experiment?.tenant ?? tenant
        self.experiment = experiment
        variantNames = Set(experiment?.variants.map(\.name) ?? [])
        let known = Set(kind.columns.required + kind.columns.optional)
        if let header {
            for column in kind.columns.required where !header.contains(column) {
                throw ImportError(
                    "column '\(column)' is missing from the header (found: \(header.joined(separator: ", "))); \(kind.rawValue) need \(kind.columns.required.joined(separator: ", "))"
                )
            }
            if kind == .covariates || kind == .properties {
                covariates = header.filter { $0 != "profile_id" && !$0.isEmpty }
                if covariates.isEmpty {
                    throw ImportError("a \(kind.rawValue) file needs profile_id and at least one more column")
                }
                ignoredColumns = []
            } else {
                covariates = []
                ignoredColumns = header.filter { !known.contains($0) }
            }
        } else {
            covariates = []
            ignoredColumns = []
        }
    }

    func parse(_ row: SourceRow) throws -> [[DatabaseValue]] {
        func required(_ column: String) throws -> String {
            guard let value = row.values[column] else {
                throw RowError(line: row.line, column: column, reason: "is empty or missing")
            }
            return value
        }
        func timestamp(_ column: String) throws -> Int64 {
            let text = try required(column)
            guard let ts = Timestamp(parsing: text) else {
                throw RowError(
                    line: row.line, column: column,
                    reason: "'\(text)' is not a timestamp (use ISO 8601 like 2026-03-05T10:30:00Z, or epoch seconds)")
            }
            return ts.microseconds
        }
        func number(_ column: String) throws -> Double? {
            guard let text = row.values[column] else { return nil }
            guard let value = Double(text), value.isFinite else {
                throw RowError(line: row.line, column: column, reason: "'\(text)' is not a finite number")
            }
            // Sums of squares over millions of units must stay finite.
            guard abs(value) <= Self.maximumMagnitude else {
                throw RowError(line: row.line, column: column, reason: "\(text) is larger in magnitude than \(Self.maximumMagnitude) (the largest value accepted)")
            }
            return value
        }
        func variant(_ column: String, required isRequired: Bool) throws -> String? {
            guard let value = isRequired ? try required(column) : row.values[column] else { return nil }
            guard variantNames.contains(value) else {
                throw RowError(
                    line: row.line, column: column,
                    reason: "'\(value)' is not a variant of '\(experiment?.key ?? "")' (accepted: \(experiment?.variants.map(\.name).joined(separator: ", ") ?? ""))")
            }
            return value
        }
        let experimentID = DatabaseValue.integer(experiment?.id ?? 0)
        switch kind {
        case .assignments:
            let profile = try required("profile_id")
            let group = try variant("group", required: true)
            let assignedAt = row.values["assigned_at"] == nil ? importedAt : try timestamp("assigned_at")
            return [[experimentID, .text(profile), DatabaseValue(group), .integer(assignedAt)]]
        case .exposures:
            let profile = try required("profile_id")
            let ts = try timestamp("exposure_ts")
            let logged = try variant("variant", required: false)
            let campaign = row.values["campaign_id"]
            let message = row.values["message_id"]
            let eventID = row.values["event_id"] ?? "nk:\(profile)|\(ts)|\(campaign ?? "")|\(message ?? "")"
            return [[experimentID, .text(profile), .integer(ts), DatabaseValue(logged), DatabaseValue(campaign), DatabaseValue(message), .text(eventID)]]
        case .outcomes:
            let profile = try required("profile_id")
            let ts = try timestamp("conversion_ts")
            let value = try number("value")
            let eventID = row.values["event_id"] ?? "nk:\(profile)|\(ts)|\(value.map { "\($0)" } ?? "")"
            return [[experimentID, .text(profile), .integer(ts), DatabaseValue(value), .text(eventID)]]
        case .events:
            let eventID = try required("event_id")
            let name = try required("event_name")
            let profile = try required("profile_id")
            let ts = try timestamp("ts")
            let value = try number("value")
            var properties: String?
            if let text = row.values["properties"] {
                guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)), object is [String: Any] else {
                    throw RowError(line: row.line, column: "properties", reason: "must be a JSON object")
                }
                properties = text
            }
            return [[.text(eventID), .text(name), .text(profile), .integer(ts), DatabaseValue(value), DatabaseValue(properties)]]
        case .touchpoints:
            let profile = try required("profile_id")
            let channel = try required("channel")
            let ts = try timestamp("ts")
            return [[.text(tenant), .text(profile), .text(channel), .integer(ts), .text(row.values["campaign_id"] ?? "")]]
        case .covariates:
            let profile = try required("profile_id")
            let names = covariates.isEmpty ? row.values.keys.filter { $0 != "profile_id" }.sorted() : covariates
            if names.isEmpty { throw RowError(line: row.line, column: nil, reason: "has no covariate values") }
            var out: [[DatabaseValue]] = []
            for name in names {
                guard let value = try number(name) else {
                    throw RowError(line: row.line, column: name, reason: "is empty (every covariate needs a value; use 0 for none)")
                }
                out.append([experimentID, .text(profile), .text(name), .double(value)])
            }
            return out
        case .properties:
            let profile = try required("profile_id")
            let names = covariates.isEmpty ? row.values.keys.filter { $0 != "profile_id" }.sorted() : covariates
            let present = names.filter { row.values[$0] != nil }
            if present.isEmpty { throw RowError(line: row.line, column: nil, reason: "has no property values") }
            return present.map { [.text(profile), .text($0), .text(row.values[$0] ?? "")] }
        }
    }
}
