import Foundation
package import HoldoutModel
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
        experimentID: Int64, variants: [String], cap: Double?, partitions: Int? = nil, metric: String = ""
    ) async throws(StoreError) -> [VariantStatistics]? {
        guard !variants.isEmpty else { return nil }
        let units: Int
        do {
            let queries = self.queries
            let usesEvents = try await withConnection { sql in
                let exposureEvents = try await sql.raw(queries.derivedFromEvents(experimentID: experimentID, exposures: true)).first()
                // Conversion events count for the default metric only.
                let conversionEvents = metric.isEmpty ? try await sql.raw(queries.derivedFromEvents(experimentID: experimentID, exposures: false)).first() : nil
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
                            return try await self.exposurePartition(experimentID: experimentID, variants: variants, cap: cap, range: range, metric: metric)
                        }
                        let other = try await Store.open(self.location, schema: .unchecked)
                        do {
                            let part = try await other.exposurePartition(experimentID: experimentID, variants: variants, cap: cap, range: range, metric: metric)
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
    func exposurePartition(
        experimentID: Int64, variants: [String], cap: Double?, range: (String?, String?), metric: String = ""
    ) async throws -> ExposurePartition {
        let queries = self.queries(metric: metric)
        let pass1 = queries.exposurePartition(experimentID: experimentID, variants: variants, cap: cap, range: range, outcomes: false)
        let pass2 = queries.exposurePartition(experimentID: experimentID, variants: variants, cap: cap, range: range, outcomes: true)
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
}
