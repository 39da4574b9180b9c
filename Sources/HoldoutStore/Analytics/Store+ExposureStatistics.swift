package import HoldoutModel
import Foundation
import SQLKit

extension Store {
    /// Exposure-based per-variant statistics (no covariates, no segments) as ordered reads by
    /// unit, split into unit ranges that run at once on separate connections.
    ///
    /// The general query hashes or sorts every exposure by unit and joins the result to every
    /// assignment; at 10M units that is most of half a minute on either engine. Here each range
    /// makes two passes, both reading indexes in unit order:
    /// 1. the exposures of the range grouped by unit (`exposures_unit`, already in unit order),
    ///    each looked up in the assignments by key: the valid units per variant;
    /// 2. the units of the range with an outcome: their exposures, assignment and outcomes, for
    ///    the conversion and value sums.
    /// Statistics are sums, so the ranges add up. Logged variants are compared as their position
    /// among the experiment's variants (integers group faster than text): an unlisted logged
    /// variant is −1 and never equals an assigned one, which is what the general query's
    /// statuses imply for the cohort.
    ///
    /// - Parameter partitions: unit ranges (and connections); nil chooses by size and cores.
    /// - Returns: nil when the general query must run instead: exposures or conversions derived
    ///   from the events stream, or an exposed unit assigned to a variant the experiment does not
    ///   list.
    package func partitionedExposureStatistics(
        experimentID: Int64, variants: [String], cap: Double?, partitions: Int? = nil
    ) async throws(StoreError) -> [VariantStatistics]? {
        guard !variants.isEmpty else { return nil }
        let units: Int
        do {
            let usesEvents = try await withConnection { sql in
                let eventExperiment = self.dialect.jsonText("ev.properties", key: "experiment_id")
                let exposureEvents = try await sql.raw(
                    """
                    SELECT 1 AS found FROM experiments x CROSS JOIN events ev
                    WHERE x.id = \(bind: experimentID) AND ev.event_name = \(bind: ExposureEvent.name) AND \(unsafeRaw: eventExperiment) = x.key LIMIT 1
                    """
                ).first()
                let conversionEvents = try await sql.raw(
                    "SELECT 1 AS found FROM experiments x CROSS JOIN events ev WHERE x.id = \(bind: experimentID) AND ev.event_name = x.conversion_key LIMIT 1"
                ).first()
                return exposureEvents != nil || conversionEvents != nil
            }
            if usesEvents { return nil }
            units = try await withConnection { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM experiment_assignments WHERE experiment_id = \(bind: experimentID)").first()?
                    .decode(column: "n", as: Int.self) ?? 0
            }
        } catch {
            throw StoreError(.database, "cannot plan the exposure statistics: \(Store.describe(error))")
        }
        let count = max(1, min(partitions ?? (units < 200_000 ? 1 : min(4, ProcessInfo.processInfo.activeProcessorCount)), max(1, units)))
        // Range boundaries: every (units/count)-th profile in key order.
        var bounds: [String] = []
        do {
            for k in 1..<count {
                let offset = units * k / count
                if let row = try await withConnection({ sql in
                    try await sql.raw(
                        "SELECT profile_id FROM experiment_assignments WHERE experiment_id = \(bind: experimentID) ORDER BY profile_id LIMIT 1 OFFSET \(bind: offset)"
                    ).first()
                }), let bound = try? row.decode(column: "profile_id", as: String.self), bound != bounds.last {
                    bounds.append(bound)
                }
            }
        } catch {
            throw StoreError(.database, "cannot split the units into ranges: \(Store.describe(error))")
        }
        let ranges: [(String?, String?)] = (0...bounds.count).map { i in (i == 0 ? nil : bounds[i - 1], i == bounds.count ? nil : bounds[i]) }
        let parts: [ExposurePartition]
        do {
            parts = try await withThrowingTaskGroup(of: ExposurePartition.self) { group in
                for (index, range) in ranges.enumerated() {
                    group.addTask {
                        // The first range on this connection, the others each on a connection of
                        // their own (SQLite in WAL mode reads concurrently).
                        if index == 0 {
                            return try await self.exposurePartition(experimentID: experimentID, variants: variants, cap: cap, range: range)
                        }
                        let other = try await Store.open(self.location, schema: .unchecked)
                        do {
                            let part = try await other.exposurePartition(experimentID: experimentID, variants: variants, cap: cap, range: range)
                            try? await other.close()
                            return part
                        } catch {
                            try? await other.close()
                            throw error
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.database, "cannot compute variant statistics: \(Store.describe(error))")
        }
        if parts.contains(where: { $0.unlisted > 0 }) { return nil }
        // A unit without outcomes has value 0, which a negative cap lowers.
        let zero = min(0, cap ?? 0)
        return variants.enumerated().compactMap { i, name in
            let units = parts.reduce(0) { $0 + $1.units[i] }
            guard units > 0 else { return nil }
            let touched = parts.reduce(0) { $0 + ($1.touched[name]?.units ?? 0) }
            let untouched = Double(units - touched)
            return VariantStatistics(
                variant: name, segment: nil, units: units, converters: parts.reduce(0) { $0 + ($1.touched[name]?.converters ?? 0) },
                sumValue: parts.reduce(0) { $0 + ($1.touched[name]?.sumValue ?? 0) } + untouched * zero,
                sumValueSquares: parts.reduce(0) { $0 + ($1.touched[name]?.sumValueSquares ?? 0) } + untouched * zero * zero,
                sumX: [], sumXY: [], sumXX: [])
        }
    }

    /// One unit range's share of the exposure-based statistics.
    struct ExposurePartition: Sendable {
        /// Valid units per variant (in the experiment's order).
        var units: [Int]
        /// Exposed units assigned to a variant the experiment does not list.
        var unlisted: Int
        /// Per variant, over valid units with an outcome: units, converters and value sums.
        var touched: [String: VariantStatistics]
    }

    /// The two passes over one unit range `[lower, upper)` (nil: unbounded).
    func exposurePartition(experimentID: Int64, variants: [String], cap: Double?, range: (String?, String?)) async throws -> ExposurePartition {
        let pass1 = exposurePartitionQuery(experimentID: experimentID, variants: variants, cap: cap, range: range, outcomes: false)
        let pass2 = exposurePartitionQuery(experimentID: experimentID, variants: variants, cap: cap, range: range, outcomes: true)
        // Planner settings hold for this transaction only (none on SQLite, whose reads need no
        // transaction, and where one would take the write lock).
        let settings = dialect.orderedPlanSettings
        @Sendable func run(_ sql: any SQLDatabase) async throws -> ExposurePartition {
            for statement in settings { try await sql.raw(SQLQueryString(statement)).run() }
            guard let row = try await sql.raw(pass1).first() else { return ExposurePartition(units: variants.map { _ in 0 }, unlisted: 0, touched: [:]) }
            var part = ExposurePartition(
                units: try variants.indices.map { try row.decode(column: "u\($0)", as: Int?.self) ?? 0 },
                unlisted: try row.decode(column: "unlisted", as: Int?.self) ?? 0, touched: [:])
            if let row = try await sql.raw(pass2).first() {
                for (i, variant) in variants.enumerated() {
                    part.touched[variant] = VariantStatistics(
                        variant: variant, segment: nil, units: try row.decode(column: "t\(i)", as: Int?.self) ?? 0,
                        converters: try row.decode(column: "c\(i)", as: Int?.self) ?? 0,
                        sumValue: try row.decode(column: "s\(i)", as: Double?.self) ?? 0,
                        sumValueSquares: try row.decode(column: "q\(i)", as: Double?.self) ?? 0, sumX: [], sumXY: [], sumXX: [])
                }
            }
            return part
        }
        return settings.isEmpty ? try await withConnection(run) : try await transaction(run)
    }

    /// Pass 1 (`outcomes` false): valid units per variant, and exposed units with an unlisted
    /// assigned variant. Pass 2: per variant, the valid units with an outcome, their conversions
    /// within the window from the first exposure, and value sums (capped per unit).
    func exposurePartitionQuery(experimentID: Int64, variants: [String], cap: Double?, range: (String?, String?), outcomes: Bool) -> SQLQueryString {
        var q = SQLQueryString("")
        func rangeCondition(_ column: String) {
            if let lower = range.0 {
                q.appendLiteral(" AND \(column) >= ")
                q.appendInterpolation(bind: lower)
            }
            if let upper = range.1 {
                q.appendLiteral(" AND \(column) < ")
                q.appendInterpolation(bind: upper)
            }
        }
        /// The position of a variant among the experiment's, `otherwise` when unlisted (NULL stays NULL).
        func code(_ column: String, otherwise: Int) -> SQLQueryString {
            var c = SQLQueryString("(CASE WHEN \(unsafeRaw: column) IS NULL THEN NULL")
            for (i, name) in variants.enumerated() {
                c.appendLiteral(" WHEN \(column) = ")
                c.appendInterpolation(bind: name)
                c.appendLiteral(" THEN \(i)")
            }
            c.appendLiteral(" ELSE \(otherwise) END)")
            return c
        }
        q.appendLiteral(
            "WITH x AS (SELECT start_at, end_at, CAST(conversion_window_days AS BIGINT) * 86400000000 AS window_us FROM experiments WHERE id = ")
        q.appendInterpolation(bind: experimentID)
        q.appendLiteral("), ea AS (")
        q.appendLiteral("SELECT profile_id, MIN(exposure_ts) AS first_at, MIN(")
        q += code("variant", otherwise: -1)
        q.appendLiteral(") AS lo, MAX(")
        q += code("variant", otherwise: -1)
        q.appendLiteral(") AS hi FROM experiment_exposures WHERE experiment_id = ")
        q.appendInterpolation(bind: experimentID)
        if outcomes {
            // Only the units of this range that have an outcome.
            q.appendLiteral(" AND profile_id IN (SELECT profile_id FROM experiment_outcomes WHERE experiment_id = ")
            q.appendInterpolation(bind: experimentID)
            rangeCondition("profile_id")
            q.appendLiteral(")")
        } else {
            rangeCondition("profile_id")
        }
        q.appendLiteral(" GROUP BY profile_id)\n")
        // Valid: every logged variant is the assigned one, and the first exposure is after the
        // assignment and inside the experiment's dates (the general query's statuses, in order).
        var valid = SQLQueryString("(ea.hi IS NULL OR (ea.lo = ea.hi AND ea.hi = ") + code("a.variant", otherwise: -2)
        valid.appendLiteral(
            ")) AND ea.first_at >= a.assigned_at AND (x.start_at IS NULL OR ea.first_at >= x.start_at) AND (x.end_at IS NULL OR ea.first_at <= x.end_at)"
        )
        if !outcomes {
            q.appendLiteral("SELECT ")
            for (i, name) in variants.enumerated() {
                q.appendLiteral("SUM(CASE WHEN a.variant = ")
                q.appendInterpolation(bind: name)
                q.appendLiteral(" AND ")
                q += valid
                q.appendLiteral(" THEN 1 ELSE 0 END) AS u\(i), ")
            }
            q.appendLiteral("SUM(CASE WHEN ")
            q += code("a.variant", otherwise: -2)
            q.appendLiteral(" = -2 THEN 1 ELSE 0 END) AS unlisted FROM ea CROSS JOIN x JOIN experiment_assignments a ON a.experiment_id = ")
            q.appendInterpolation(bind: experimentID)
            q.appendLiteral(" AND a.profile_id = ea.profile_id")
            // The range again on the assignments, so an engine that merges the two ordered
            // inputs reads only this range of the key.
            rangeCondition("a.profile_id")
            return q
        }
        let inWindow = "o.conversion_ts >= ea.first_at AND (x.window_us = 0 OR o.conversion_ts < ea.first_at + x.window_us)"
        let double = dialect.doubleType
        q.appendLiteral(
            """
            , t AS (SELECT MAX(a.variant) AS variant, MAX(CASE WHEN \(inWindow) THEN 1 ELSE 0 END) AS converted,
                CAST(SUM(CASE WHEN \(inWindow) THEN COALESCE(o.value, 0) ELSE 0 END) AS \(double)) AS value
              FROM experiment_outcomes o CROSS JOIN x
              JOIN experiment_assignments a ON a.experiment_id = o.experiment_id AND a.profile_id = o.profile_id
              JOIN ea ON ea.profile_id = o.profile_id
              WHERE o.experiment_id = 
            """)
        q.appendInterpolation(bind: experimentID)
        rangeCondition("o.profile_id")
        q.appendLiteral(" AND ")
        q += valid
        let value = cap.map { "(CASE WHEN t.value > \(Self.literal($0)) THEN \(Self.literal($0)) ELSE t.value END)" } ?? "t.value"
        // Conditional sums per variant rather than GROUP BY: no sort or hash of the units.
        q.appendLiteral(" GROUP BY o.profile_id)\nSELECT ")
        for (i, name) in variants.enumerated() {
            for (j, (column, expression)) in [("t", "1"), ("c", "t.converted"), ("s", value), ("q", "\(value) * \(value)")].enumerated() {
                q.appendLiteral(i + j == 0 ? "SUM(CASE WHEN t.variant = " : ", SUM(CASE WHEN t.variant = ")
                q.appendInterpolation(bind: name)
                q.appendLiteral(" THEN \(expression) ELSE 0 END) AS \(column)\(i)")
            }
        }
        q.appendLiteral(" FROM t")
        return q
    }
}
