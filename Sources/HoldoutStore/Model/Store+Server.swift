public import HoldoutModel
import Foundation
import SQLKit

/// An API key as listed (never the key itself: only its hash is stored).
public struct APIKeyRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var tenant: String
    public var scope: String
    /// The first characters of the key, to recognise it in a list.
    public var prefix: String
    public var createdAt: Timestamp
    public var revokedAt: Timestamp?

    enum CodingKeys: String, CodingKey {
        case id, tenant, scope, prefix
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
    }
}

/// One day (or week) of an experiment's cumulative time series, per variant.
public struct TimeSeriesPoint: Sendable, Hashable {
    /// `YYYY-MM-DD`: the day, or the last day of the week.
    public var date: String
    /// The experiment's variants, control first.
    public var variants: [String]
    /// Cumulative units assigned, by variant (in the order of ``variants``).
    public var units: [Int]
    /// Cumulative units that converted within their window, by variant (a unit counts on the
    /// day of its first conversion).
    public var conversions: [Int]
}

extension Store {
    // MARK: Items posted to the API

    /// Records items posted to the API (exposures, outcomes, touchpoints) in one transaction,
    /// with the same validation and idempotency keys as `holdout import`.
    ///
    /// - Parameters:
    ///   - items: each item's fields as text (seed 001's field names).
    ///   - field: the request's array name, for errors (`exposures[3].exposure_ts`).
    /// - Returns: how many items were new (re-posting the same event ids adds nothing).
    /// - Throws: ``StoreError`` `invalid_input` naming the first bad item and field; nothing is
    ///   written then.
    public func record(
        kind: ImportKind, experiment: Experiment?, items: [[String: String]], field: String, tenant: String = "default"
    ) async throws(StoreError) -> Int {
        guard !items.isEmpty else { return 0 }
        var rows: [[DatabaseValue]] = []
        do {
            let parser = try RowParser(kind: kind, experiment: experiment, header: nil, tenant: tenant)
            for (index, values) in items.enumerated() {
                do {
                    rows += try parser.parse(SourceRow(line: index + 1, values: values))
                } catch let error as RowError {
                    let path = "\(field)[\(index)]" + (error.column.map { ".\($0)" } ?? "")
                    throw StoreError(.invalidInput, "\(path) \(error.reason)", field: path)
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.invalidInput, "\(error)", field: field)
        }
        let finalRows = rows
        do {
            return try await transaction { _ in
                try await self.bulk.insert(table: kind.table, columns: kind.tableColumns, conflict: kind.conflictTarget, rows: finalRows[...])
            }
        } catch {
            throw StoreError(.database, "cannot record \(kind.rawValue): \(Store.describe(error))")
        }
    }

    /// Updates an experiment's descriptive fields (not its key, variants or salt, which fix
    /// assignments).
    public func updateExperiment(id: Int64, name: String?, notes: String?, endAt: Timestamp?) async throws(StoreError) {
        if let name, name.trimmingCharacters(in: .whitespaces).isEmpty {
            throw StoreError(.invalidInput, "name must not be empty", field: "name")
        }
        do {
            try await withConnection { sql in
                let now = Timestamp.now.microseconds
                if let name { try await sql.raw("UPDATE experiments SET name = \(bind: name), updated_at = \(bind: now) WHERE id = \(bind: id)").run() }
                if let notes { try await sql.raw("UPDATE experiments SET notes = \(bind: notes), updated_at = \(bind: now) WHERE id = \(bind: id)").run() }
                if let endAt {
                    try await sql.raw("UPDATE experiments SET end_at = \(bind: endAt.microseconds), updated_at = \(bind: now) WHERE id = \(bind: id)").run()
                }
            }
        } catch {
            throw StoreError(.database, "cannot update experiment \(id): \(Store.describe(error))")
        }
    }

    /// The tenant's profiles with a touchpoint in `channel` within [from, to], each with its
    /// first such touchpoint (seed 001's auto-assign: the profile's entry into the experiment),
    /// ordered by profile id.
    public func touchpointProfiles(tenant: String, channel: String, from: Timestamp, to: Timestamp) async throws(StoreError) -> [(id: String, first: Timestamp)] {
        do {
            return try await withConnection { sql in
                try await sql.raw(
                    "SELECT profile_id, MIN(ts) AS first_ts FROM touchpoints WHERE tenant = \(bind: tenant) AND channel = \(bind: channel) AND ts >= \(bind: from.microseconds) AND ts <= \(bind: to.microseconds) GROUP BY profile_id ORDER BY profile_id"
                ).all().map { (try $0.decode(column: "profile_id", as: String.self), Timestamp(microseconds: try $0.decode(column: "first_ts", as: Int64.self))) }
            }
        } catch {
            throw StoreError(.database, "cannot read touchpoints: \(Store.describe(error))")
        }
    }

    // MARK: Time series

    /// The most points a time series carries (ten years of days); longer ranges keep the latest.
    public static let maximumTimeSeriesPoints = 3_660

    /// Seed 001's cumulative daily series (ITT: units by assignment day; a unit converts on the
    /// day of its first conversion within its window from assignment).
    ///
    /// Days run from the first assignment or conversion to the last, bounded by the experiment's
    /// dates (from `start_at`; through `end_at` plus the conversion window) when some data falls
    /// inside them, always by `now`, and to the latest ``maximumTimeSeriesPoints`` days. Units and conversions before the first day
    /// shown are included in its cumulative counts; those after the last day are not shown.
    public func timeSeries(experiment: Experiment, now: Timestamp = .now) async throws(StoreError) -> [TimeSeriesPoint] {
        let window = Int64(experiment.conversionWindowDays) * 86_400_000_000
        let assignedQuery = queries.assignmentsByDay(experimentID: experiment.id)
        let convertedQuery = queries.conversionsByDay(experimentID: experiment.id, window: window)
        do {
            let (assigned, converted) = try await withConnection { sql in
                let assigned = try await sql.raw(assignedQuery).all().map { (try $0.decode(column: "variant", as: String.self), try $0.decode(column: "day", as: Int64.self), try $0.decode(column: "n", as: Int.self)) }
                let converted = try await sql.raw(convertedQuery).all().map { (try $0.decode(column: "variant", as: String.self), try $0.decode(column: "day", as: Int64.self), try $0.decode(column: "n", as: Int.self)) }
                return (assigned, converted)
            }
            let days = assigned.map(\.1) + converted.map(\.1)
            guard var first = days.min(), var last = days.max() else { return [] }
            // The experiment's dates bound the range when some data falls inside them (data
            // entirely outside, such as assignments made after the end, keeps its own range).
            let datedFirst = experiment.startAt.map { max(first, $0.dayNumber) } ?? first
            let datedLast = experiment.endAt.map { min(last, $0.dayNumber + Int64(experiment.conversionWindowDays)) } ?? last
            if datedFirst <= min(datedLast, now.dayNumber) { (first, last) = (datedFirst, datedLast) }
            last = min(last, now.dayNumber)
            first = max(first, last - Int64(Self.maximumTimeSeriesPoints) + 1)
            guard first <= last else { return [] }
            // Variants by their bytes: a stored spelling that is not byte-equal to one of the
            // experiment's variants is not an arm.
            let names = experiment.variants.map(\.name)
            let index = Dictionary(names.enumerated().map { (OpaqueID($0.element), $0.offset) }, uniquingKeysWith: { a, _ in a })
            // Per day and variant index; rows before the first day shown fold into it.
            func byDay(_ rows: [(String, Int64, Int)]) -> [Int64: [Int]] {
                var out: [Int64: [Int]] = [:]
                for (variant, day, n) in rows {
                    guard let k = index[OpaqueID(variant)], day <= last else { continue }
                    out[max(day, first), default: [Int](repeating: 0, count: names.count)][k] += n
                }
                return out
            }
            let unitsByDay = byDay(assigned)
            let conversionsByDay = byDay(converted)
            var units = [Int](repeating: 0, count: names.count)
            var conversions = units
            var points: [TimeSeriesPoint] = []
            points.reserveCapacity(Int(last - first + 1))
            for day in first...last {
                for (k, n) in (unitsByDay[day] ?? []).enumerated() { units[k] += n }
                for (k, n) in (conversionsByDay[day] ?? []).enumerated() { conversions[k] += n }
                points.append(TimeSeriesPoint(date: Timestamp.dayString(day), variants: names, units: units, conversions: conversions))
            }
            return points
        } catch {
            throw StoreError(.database, "cannot compute the time series: \(Store.describe(error))")
        }
    }

    // MARK: API keys

    /// Stores a key's hash; returns its id.
    public func createAPIKey(tenant: String, scope: String, keyHash: String, prefix: String) async throws(StoreError) -> Int64 {
        let returning = dialect.returning(["id"])
        do {
            return try await withConnection { sql in
                let row = try await sql.raw(
                    "INSERT INTO api_keys (tenant, scope, key_hash, prefix, created_at) VALUES (\(bind: tenant), \(bind: scope), \(bind: keyHash), \(bind: prefix), \(bind: Timestamp.now.microseconds)) \(unsafeRaw: returning)"
                ).first()
                return try row?.decode(column: "id", as: Int64.self) ?? 0
            }
        } catch {
            throw StoreError(.database, "cannot store the key: \(Store.describe(error))")
        }
    }

    /// The live (not revoked) key with this hash.
    public func apiKey(hash: String) async throws(StoreError) -> APIKeyRecord? {
        try await apiKeys(condition: "key_hash = ", bind: hash, includeRevoked: false).first
    }

    /// Keys, newest first, optionally of one tenant.
    public func apiKeys(tenant: String? = nil) async throws(StoreError) -> [APIKeyRecord] {
        try await apiKeys(condition: tenant == nil ? nil : "tenant = ", bind: tenant, includeRevoked: true)
    }

    private func apiKeys(condition: String?, bind: String?, includeRevoked: Bool) async throws(StoreError) -> [APIKeyRecord] {
        do {
            return try await withConnection { sql in
                var query = SQLQueryString("SELECT id, tenant, scope, prefix, created_at, revoked_at FROM api_keys WHERE 1 = 1")
                if let condition, let bind {
                    query.appendLiteral(" AND " + condition)
                    query.appendInterpolation(bind: bind)
                }
                if !includeRevoked { query.appendLiteral(" AND revoked_at IS NULL") }
                query.appendLiteral(" ORDER BY id DESC")
                return try await sql.raw(query).all().map { row in
                    APIKeyRecord(
                        id: try row.decode(column: "id", as: Int64.self), tenant: try row.decode(column: "tenant", as: String.self),
                        scope: try row.decode(column: "scope", as: String.self), prefix: try row.decode(column: "prefix", as: String.self),
                        createdAt: Timestamp(microseconds: try row.decode(column: "created_at", as: Int64.self)),
                        revokedAt: try row.decode(column: "revoked_at", as: Int64?.self).map(Timestamp.init(microseconds:)))
                }
            }
        } catch {
            throw StoreError(.database, "cannot read keys: \(Store.describe(error))")
        }
    }

    /// Revokes a key by id; false when no live key has that id.
    public func revokeAPIKey(id: Int64) async throws(StoreError) -> Bool {
        let returning = dialect.returning(["id"])
        do {
            return try await withConnection { sql in
                try await sql.raw(
                    "UPDATE api_keys SET revoked_at = \(bind: Timestamp.now.microseconds) WHERE id = \(bind: id) AND revoked_at IS NULL \(unsafeRaw: returning)"
                ).all().count == 1
            }
        } catch {
            throw StoreError(.database, "cannot revoke key \(id): \(Store.describe(error))")
        }
    }

    // MARK: Webhook secrets

    /// Sets (or replaces) a tenant's webhook secret.
    public func setWebhookSecret(tenant: String, secret: String) async throws(StoreError) {
        let upsert = dialect.updateConflicts(on: ["tenant"], set: ["secret", "created_at"])
        do {
            try await withConnection { sql in
                try await sql.raw(
                    "INSERT INTO webhook_secrets (tenant, secret, created_at) VALUES (\(bind: tenant), \(bind: secret), \(bind: Timestamp.now.microseconds)) \(unsafeRaw: upsert)"
                ).run()
            }
        } catch {
            throw StoreError(.database, "cannot store the webhook secret: \(Store.describe(error))")
        }
    }

    /// A tenant's webhook secret.
    public func webhookSecret(tenant: String) async throws(StoreError) -> String? {
        do {
            return try await withConnection { sql in
                try await sql.raw("SELECT secret FROM webhook_secrets WHERE tenant = \(bind: tenant)").first()?.decode(column: "secret", as: String.self)
            }
        } catch {
            throw StoreError(.database, "cannot read the webhook secret: \(Store.describe(error))")
        }
    }

    // MARK: Reports

    /// Stores a report's JSON.
    public func saveReport(kind: String, asOf: Timestamp, body: String) async throws(StoreError) {
        do {
            try await withConnection { sql in
                try await sql.raw(
                    "INSERT INTO reports (kind, as_of, created_at, body) VALUES (\(bind: kind), \(bind: asOf.microseconds), \(bind: Timestamp.now.microseconds), \(bind: body))"
                ).run()
            }
        } catch {
            throw StoreError(.database, "cannot store the report: \(Store.describe(error))")
        }
    }

    /// The latest report of a kind (its JSON).
    public func latestReport(kind: String) async throws(StoreError) -> String? {
        do {
            return try await withConnection { sql in
                try await sql.raw("SELECT body FROM reports WHERE kind = \(bind: kind) ORDER BY id DESC LIMIT 1").first()?.decode(column: "body", as: String.self)
            }
        } catch {
            throw StoreError(.database, "cannot read the report: \(Store.describe(error))")
        }
    }
}
