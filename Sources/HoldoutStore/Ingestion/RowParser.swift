import Foundation
import HoldoutCSV
import HoldoutModel

/// Turns a source row into table rows, enforcing the row-level data contracts: required values
/// present, identifiers within their size limit, timestamps within the accepted range, numbers
/// plain decimals, logged variants the experiment's (accepted values, compared as UTF-8 bytes).
///
/// Shared by imports, the API and webhooks (through `Store.record(kind:…)`), so every path
/// refuses the same rows for the same reasons.
struct RowParser {
    let kind: ImportKind
    let experiment: Experiment?
    /// The experiment's variant names, compared by their UTF-8 bytes: `String` equality is
    /// canonical equivalence, which would take an NFD `cafe\u{301}` for an NFC `caf\u{e9}`.
    let variantNames: [String]
    /// Covariate columns (for covariates imports).
    let covariates: [String]
    let ignoredColumns: [String]
    /// The assignment time of an assignments row without `assigned_at`: when the import ran,
    /// by the store's clock.
    let importedAt: Int64
    /// Values and covariates beyond ±1e15 are refused: squared and summed over 10⁸ units they
    /// would still be finite (1e38), and no currency amount or count comes near.
    static let maximumMagnitude = 1e15
    /// The largest identifier, in UTF-8 bytes: profile ids, variants (`group`, `variant`), event,
    /// campaign and message ids, channels, event names, and covariate and property names. The
    /// same limit as the API's profile ids.
    static let maximumIdentifierBytes = OpaqueID.maximumBytes
    /// The largest property value (a `properties` import's values, an event's `properties`
    /// JSON object), in UTF-8 bytes.
    static let maximumValueBytes = 64 << 10
    /// Columns that hold identifiers (``maximumIdentifierBytes``).
    static let identifierColumns: Set<String> = [
        "order_id", "profile_id", "group", "variant", "event_id", "campaign_id", "message_id", "channel", "event_name",
    ]

    /// - Parameter header: the CSV header, checked for required columns; nil for JSON lines
    ///   (checked per row).
    /// The tenant touchpoints belong to (auto-assign reads only its own tenant's).
    let tenant: String
    /// The column that names an order's geo (orders imports).
    let geoColumn: String

    init(
        kind: ImportKind, experiment: Experiment?, header: [String]?, tenant: String = "default", importedAt: Timestamp = .now,
        geoColumn: String = "ship_geohash"
    ) throws {
        self.importedAt = importedAt.microseconds
        self.geoColumn = geoColumn
        self.kind = kind
        self.tenant = experiment?.tenant ?? tenant
        self.experiment = experiment
        variantNames = experiment?.variants.map(\.name) ?? []
        let required = kind.columns.required + (kind == .orders ? [geoColumn] : [])
        let known = Set(required + kind.columns.optional)
        if let header {
            for column in required where !header.contains(column) {
                let hint = column == geoColumn && kind == .orders ? " (name the geo column with --geo-column)" : ""
                throw ImportError(
                    "column '\(column)' is missing from the header (found: \(header.joined(separator: ", "))); \(kind.rawValue) need \(required.joined(separator: ", "))\(hint)"
                )
            }
            if kind == .orders && !header.contains("net_revenue") && !header.contains("subtotal") {
                throw ImportError(
                    "orders need revenue: a net_revenue column, or subtotal (and optionally discounts); the header has \(header.joined(separator: ", "))")
            }
            if kind == .covariates || kind == .properties {
                covariates = header.filter { $0 != "profile_id" && !$0.isEmpty }
                if covariates.isEmpty {
                    throw ImportError("a \(kind.rawValue) file needs profile_id and at least one more column")
                }
                if let index = header.firstIndex(where: { $0.utf8.count > Self.maximumIdentifierBytes }) {
                    throw ImportError(
                        "line 1: column \(index + 1) of the header is a name of \(header[index].utf8.count) bytes; names are at most \(Self.maximumIdentifierBytes) bytes"
                    )
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

    /// A value for an error message: quoted, and cut at 64 bytes so a hostile value never makes
    /// a hostile message.
    static func quoted(_ text: String) -> String {
        guard text.utf8.count > 64 else { return "'\(text)'" }
        var end = text.utf8.index(text.utf8.startIndex, offsetBy: 64)
        while end > text.startIndex, text.utf8[end] & 0xC0 == 0x80 { end = text.utf8.index(before: end) }
        return "'\(text[..<end])…' (\(text.utf8.count) bytes)"
    }

    func parse(_ row: SourceRow) throws -> [[DatabaseValue]] {
        /// A value, or nil when it is absent or empty (the API sends `""`; imports drop it).
        func optional(_ column: String) -> String? {
            guard let value = row.values[column]?.text, !value.isEmpty else { return nil }
            return value
        }
        func required(_ column: String) throws -> String {
            guard let value = optional(column) else {
                throw RowError(line: row.line, column: column, reason: "is empty or missing")
            }
            return value
        }
        func checkIdentifier(_ value: String, column: String) throws {
            let count = value.utf8.count
            guard count <= Self.maximumIdentifierBytes else {
                throw RowError(
                    line: row.line, column: column,
                    reason: "is \(count) bytes long; identifiers are at most \(Self.maximumIdentifierBytes) bytes (UTF-8)")
            }
        }
        func identifier(_ column: String) throws -> String {
            let value = try required(column)
            try checkIdentifier(value, column: column)
            return value
        }
        func optionalIdentifier(_ column: String) throws -> String? {
            guard let value = optional(column) else { return nil }
            try checkIdentifier(value, column: column)
            return value
        }
        func timestamp(_ column: String) throws -> Int64 {
            func outside(_ text: String) -> RowError {
                RowError(
                    line: row.line, column: column,
                    reason: "\(Self.quoted(text)) is outside the accepted range \(Timestamp.earliestAccepted) ..< 2200-01-01T00:00:00Z")
            }
            switch row.values[column] {
            case .time(let ts)?:
                guard ts.isInAcceptedRange else { throw outside(ts.description) }
                return ts.microseconds
            case .number(let seconds)?:
                guard let ts = Timestamp(epochSeconds: seconds) else {
                    throw RowError(line: row.line, column: column, reason: "\(seconds) is not a timestamp (epoch seconds below 1e11, or ISO 8601 text)")
                }
                guard ts.isInAcceptedRange else { throw outside(FieldValue.number(seconds).text) }
                return ts.microseconds
            case .text?, nil: break
            }
            let text = try required(column)
            guard let ts = Timestamp(parsing: text) else {
                throw RowError(
                    line: row.line, column: column,
                    reason: "\(Self.quoted(text)) is not a timestamp (use ISO 8601 like 2026-03-05T10:30:00Z, or epoch seconds)")
            }
            guard ts.isInAcceptedRange else {
                throw RowError(
                    line: row.line, column: column,
                    reason: "\(Self.quoted(text)) is outside the accepted range \(Timestamp.earliestAccepted) ..< 2200-01-01T00:00:00Z")
            }
            return ts.microseconds
        }
        func number(_ column: String) throws -> Double? {
            switch row.values[column] {
            case .number(let value)?:
                guard value.isFinite, abs(value) <= Self.maximumMagnitude else {
                    throw RowError(
                        line: row.line, column: column,
                        reason: "\(value) is not finite or larger in magnitude than \(Self.maximumMagnitude) (the largest value accepted)")
                }
                return value
            case .time?:
                throw RowError(line: row.line, column: column, reason: "is a time, not a number")
            case .text?, nil: break
            }
            guard let text = optional(column) else { return nil }
            // Plain decimals only (`Double(String)` would also take 0x10, nan and inf).
            guard let value = FastDouble.parse(text) else {
                throw RowError(line: row.line, column: column, reason: "\(Self.quoted(text)) is not a finite decimal number")
            }
            // Sums of squares over millions of units must stay finite.
            guard abs(value) <= Self.maximumMagnitude else {
                throw RowError(
                    line: row.line, column: column,
                    reason: "\(Self.quoted(text)) is larger in magnitude than \(Self.maximumMagnitude) (the largest value accepted)")
            }
            return value
        }
        func variant(_ column: String, required isRequired: Bool) throws -> String? {
            guard let value = isRequired ? try required(column) : optional(column) else { return nil }
            // By bytes: a name canonically equivalent to a variant's is still another name.
            guard variantNames.contains(where: { $0.utf8.elementsEqual(value.utf8) }) else {
                throw RowError(
                    line: row.line, column: column,
                    reason: "\(Self.quoted(value)) is not a variant of '\(experiment?.key ?? "")' (accepted: \(variantNames.joined(separator: ", ")))")
            }
            return value
        }
        func name(_ name: String) throws {
            guard name.utf8.count <= Self.maximumIdentifierBytes else {
                throw RowError(
                    line: row.line, column: String(decoding: name.utf8.prefix(64), as: UTF8.self) + "…",
                    reason: "is a name of \(name.utf8.count) bytes; names are at most \(Self.maximumIdentifierBytes) bytes")
            }
        }
        let experimentID = DatabaseValue.integer(experiment?.id ?? 0)
        switch kind {
        case .assignments:
            let profile = try identifier("profile_id")
            let group = try variant("group", required: true)
            let assignedAt = optional("assigned_at") == nil ? importedAt : try timestamp("assigned_at")
            return [[experimentID, .text(profile), DatabaseValue(group), .integer(assignedAt)]]
        case .exposures:
            let profile = try identifier("profile_id")
            let ts = try timestamp("exposure_ts")
            let logged = try variant("variant", required: false)
            let campaign = try optionalIdentifier("campaign_id")
            let message = try optionalIdentifier("message_id")
            let eventID = try optionalIdentifier("event_id") ?? "nk:\(profile)|\(ts)|\(campaign ?? "")|\(message ?? "")"
            return [[experimentID, .text(profile), .integer(ts), DatabaseValue(logged), DatabaseValue(campaign), DatabaseValue(message), .text(eventID)]]
        case .outcomes:
            let profile = try identifier("profile_id")
            let ts = try timestamp("conversion_ts")
            let value = try number("value")
            // The metric (issue 12): absent is the experiment's default.
            let metric = try optionalIdentifier("metric") ?? ""
            let eventID =
                try optionalIdentifier("event_id") ?? "nk:\(profile)|\(ts)|\(value.map { "\($0)" } ?? "")" + (metric.isEmpty ? "" : "|m:\(metric)")
            return [[experimentID, .text(profile), .integer(ts), DatabaseValue(value), .text(eventID), .text(metric)]]
        case .events:
            let eventID = try identifier("event_id")
            let name = try identifier("event_name")
            let profile = try identifier("profile_id")
            let ts = try timestamp("ts")
            let value = try number("value")
            var properties: String?
            if let text = optional("properties") {
                guard text.utf8.count <= Self.maximumValueBytes else {
                    throw RowError(
                        line: row.line, column: "properties",
                        reason: "is \(text.utf8.count) bytes long; property values are at most \(Self.maximumValueBytes) bytes")
                }
                guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)), object is [String: Any] else {
                    throw RowError(line: row.line, column: "properties", reason: "must be a JSON object")
                }
                properties = text
            }
            return [[.text(eventID), .text(name), .text(profile), .integer(ts), DatabaseValue(value), DatabaseValue(properties)]]
        case .touchpoints:
            let profile = try identifier("profile_id")
            let channel = try identifier("channel")
            let ts = try timestamp("ts")
            return [[.text(tenant), .text(profile), .text(channel), .integer(ts), .text(try optionalIdentifier("campaign_id") ?? "")]]
        case .covariates:
            let profile = try identifier("profile_id")
            let names = covariates.isEmpty ? row.values.keys.filter { $0 != "profile_id" }.sorted() : covariates
            if covariates.isEmpty { try names.forEach(name) }
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
            let profile = try identifier("profile_id")
            let names = covariates.isEmpty ? row.values.keys.filter { $0 != "profile_id" }.sorted() : covariates
            if covariates.isEmpty { try names.forEach(name) }
            let present = names.filter { optional($0) != nil }
            if present.isEmpty { throw RowError(line: row.line, column: nil, reason: "has no property values") }
            for column in present {
                let count = row.values[column]?.text.utf8.count ?? 0
                guard count <= Self.maximumValueBytes else {
                    throw RowError(
                        line: row.line, column: column,
                        reason: "is \(count) bytes long; property values are at most \(Self.maximumValueBytes) bytes")
                }
            }
            return present.map { [.text(profile), .text($0), .text(row.values[$0]?.text ?? "")] }
        case .orders:
            let orderID = try identifier("order_id")
            let createdAt = try timestamp("created_at")
            let geo = try identifier(geoColumn)
            // Seed 000: net_revenue when present, else subtotal − discounts.
            let revenue: Double
            let column: String
            if let net = try number("net_revenue") {
                (revenue, column) = (net, "net_revenue")
            } else if let subtotal = try number("subtotal") {
                (revenue, column) = (subtotal - (try number("discounts") ?? 0), "subtotal")
            } else {
                throw RowError(line: row.line, column: "net_revenue", reason: "is empty, and so is subtotal: an order needs net_revenue or subtotal")
            }
            guard revenue >= 0 else {
                let how = column == "net_revenue" ? "net_revenue" : "subtotal − discounts"
                throw RowError(
                    line: row.line, column: column,
                    reason: "gives negative revenue \(revenue) (\(how)); refunds and corrections are not orders, leave them out or net them into the order")
            }
            return [[.text(tenant), .text(orderID), .integer(createdAt), .text(geo), .double(revenue)]]
        }
    }
}
