import SQLKit

extension Store {
    /// Appends the common table expressions `x` (the experiment), `exposure_agg` and `validation`
    /// (one row per assigned unit with its status) for an experiment.
    ///
    /// With `validation` false only `x` is appended (ITT needs no exposure validation).
    func appendValidationCTEs(to query: inout SQLQueryString, experimentID: Int64, validation: Bool = true) {
        query.appendLiteral(
            "WITH x AS (SELECT id, key, conversion_key, start_at, end_at, CAST(conversion_window_days AS BIGINT) * 86400000000 AS window_us FROM experiments WHERE id = ")
        query.appendInterpolation(bind: experimentID)
        guard validation else {
            query.appendLiteral(")\n")
            return
        }
        // Exposures: those recorded for the experiment, plus `experiment_exposure` events whose
        // properties name the experiment (seed 003's stg_experiment_exposures from fct_events).
        let eventExperiment = dialect.jsonText("ev.properties", key: "experiment_id")
        let eventVariant = dialect.jsonText("ev.properties", key: "variant")
        query.appendLiteral(
            """
            ), all_exposures AS (
                SELECT profile_id, exposure_ts, variant FROM experiment_exposures WHERE experiment_id = 
            """)
        query.appendInterpolation(bind: experimentID)
        query.appendLiteral(
            """

                UNION ALL
                SELECT ev.profile_id, ev.ts, \(eventVariant) FROM x CROSS JOIN events ev
                WHERE ev.event_name = '\(ExposureEvent.name)' AND \(eventExperiment) = x.key
            ), exposure_agg AS (
                SELECT profile_id, MIN(exposure_ts) AS first_exposure_at, MIN(variant) AS min_variant,
                    MAX(variant) AS logged_variant
                FROM all_exposures
            """)
        query.appendLiteral(
            """
             GROUP BY profile_id
            ), validation AS (
                SELECT a.profile_id, a.variant, a.assigned_at, e.first_exposure_at,
                    CASE
                        WHEN e.profile_id IS NULL THEN 'no_exposure'
                        WHEN e.min_variant <> e.logged_variant THEN 'multi_variation_exposure'
                        WHEN e.logged_variant IS NOT NULL AND e.logged_variant <> a.variant THEN 'variant_mismatch'
                        WHEN e.first_exposure_at < a.assigned_at THEN 'pre_assignment_exposure'
                        WHEN (x.start_at IS NOT NULL AND e.first_exposure_at < x.start_at)
                            OR (x.end_at IS NOT NULL AND e.first_exposure_at > x.end_at) THEN 'exposure_outside_window'
                        ELSE 'valid'
                    END AS validation_status
                FROM experiment_assignments a
                CROSS JOIN x
                LEFT JOIN exposure_agg e ON e.profile_id = a.profile_id
                WHERE a.experiment_id = 
            """)
        query.appendInterpolation(bind: experimentID)
        query.appendLiteral(")\n")
    }

    /// Every assigned unit with its validation status, ordered by profile.
    public func validation(experimentID: Int64) async throws(StoreError) -> [UnitValidation] {
        var query = SQLQueryString("")
        appendValidationCTEs(to: &query, experimentID: experimentID)
        query.appendLiteral("SELECT profile_id, variant, assigned_at, first_exposure_at, validation_status FROM validation ORDER BY profile_id")
        let finalQuery = query
        do {
            return try await withConnection { sql in
                try await sql.raw(finalQuery).all().map { row in
                    UnitValidation(
                        profileID: try row.decode(column: "profile_id", as: String.self),
                        variant: try row.decode(column: "variant", as: String.self),
                        assignedAt: Timestamp(microseconds: try row.decode(column: "assigned_at", as: Int64.self)),
                        firstExposureAt: try row.decode(column: "first_exposure_at", as: Int64?.self).map(Timestamp.init(microseconds:)),
                        status: ValidationStatus(rawValue: try row.decode(column: "validation_status", as: String.self)) ?? .valid)
                }
            }
        } catch {
            throw StoreError(.database, "cannot validate exposures: \(Store.describe(error))")
        }
    }

    /// Daily exposure health, by the UTC day units were assigned.
    public func dailyQuality(experimentID: Int64) async throws(StoreError) -> [QualityDay] {
        var query = SQLQueryString("")
        appendValidationCTEs(to: &query, experimentID: experimentID)
        let day = dialect.floorDivide("assigned_at", "86400000000")
        query.appendLiteral(
            "SELECT \(day) AS day, validation_status, COUNT(*) AS n FROM validation GROUP BY \(day), validation_status ORDER BY day, validation_status")
        let finalQuery = query
        do {
            let rows = try await withConnection { sql in
                try await sql.raw(finalQuery).all().map { row in
                    (try row.decode(column: "day", as: Int64.self), try row.decode(column: "validation_status", as: String.self),
                        try row.decode(column: "n", as: Int.self))
                }
            }
            var byDay: [Int64: [String: Int]] = [:]
            for (day, status, n) in rows { byDay[day, default: [:]][status] = n }
            return byDay.keys.sorted().map { day in
                let counts = byDay[day] ?? [:]
                let assigned = counts.values.reduce(0, +)
                let exposed = assigned - (counts[ValidationStatus.noExposure.rawValue] ?? 0)
                let valid = counts[ValidationStatus.valid.rawValue] ?? 0
                let mismatched = (counts[ValidationStatus.variantMismatch.rawValue] ?? 0) + (counts[ValidationStatus.multiVariationExposure.rawValue] ?? 0)
                var full: [String: Int] = [:]
                for status in ValidationStatus.allCases { full[status.rawValue] = counts[status.rawValue] ?? 0 }
                return QualityDay(
                    date: Timestamp.dayString(day), assigned: assigned, exposed: exposed,
                    exposureRate: assigned > 0 ? Double(exposed) / Double(assigned) : 0,
                    validExposureRate: assigned > 0 ? Double(valid) / Double(assigned) : 0,
                    mismatchRate: exposed > 0 ? Double(mismatched) / Double(exposed) : 0, statusCounts: full)
            }
        } catch {
            throw StoreError(.database, "cannot compute exposure quality: \(Store.describe(error))")
        }
    }

    /// Per-variant sufficient statistics of conversion and value for the cohort of `mode`,
    /// computed in the database.
    ///
    /// - The cohort: every assigned unit (ITT) or units with a `valid` exposure (exposure mode).
    /// - A unit converted when it has an outcome in [anchor, anchor + window), the anchor being
    ///   the assignment (ITT) or the first exposure (exposure mode); a window of 0 days means no
    ///   limit. Its value is the sum of those outcomes' values.
    /// - `cap` winsorizes per-unit values before summing; `covariates` (names in
    ///   `unit_covariates`, 0 when a unit lacks one) add CUPED sums against the value.
    /// - `segmentBy` (a property name in `unit_properties`) breaks the statistics down by that
    ///   unit dimension, for per-segment results and per-segment SRM.
    public func variantStatistics(
        experimentID: Int64, mode: AnalysisMode, covariates: [String] = [], cap: ValueCap? = nil, segmentBy: String? = nil
    ) async throws(StoreError) -> [VariantStatistics] {
        var capValue: Double?
        switch cap {
        case .absolute(let value): capValue = value
        case .percentile(let q):
            guard q > 0, q < 1 else { throw StoreError(.invalidInput, "the cap percentile must be in (0, 1), got \(q)", field: "cap") }
            capValue = try await valuePercentile(experimentID: experimentID, mode: mode, quantile: q)
        case nil: break
        }
        if covariates.isEmpty, segmentBy == nil {
            return try await sparseVariantStatistics(experimentID: experimentID, mode: mode, cap: capValue)
        }
        var query = SQLQueryString("")
        appendUnitOutcomeCTEs(to: &query, experimentID: experimentID, mode: mode, covariates: covariates)
        var value = "u.value"
        if let capValue { value = "(CASE WHEN u.value > \(Self.literal(capValue)) THEN \(Self.literal(capValue)) ELSE u.value END)" }
        var select = "SELECT u.variant, \(segmentBy == nil ? "" : "COALESCE(p.value, '(none)') AS segment, ")COUNT(*) AS units, SUM(u.converted) AS converters, SUM(\(value)) AS sum_value, SUM(\(value) * \(value)) AS sum_value_sq"
        let k = covariates.count
        for i in 0..<k {
            select += ", SUM(u.c\(i)) AS sx\(i), SUM(u.c\(i) * \(value)) AS sxy\(i)"
            for j in i..<k { select += ", SUM(u.c\(i) * u.c\(j)) AS sxx\(i)_\(j)" }
        }
        if let segmentBy {
            query.appendLiteral(select + " FROM unit_outcomes u LEFT JOIN unit_properties p ON p.profile_id = u.profile_id AND p.name = ")
            query.appendInterpolation(bind: segmentBy)
            query.appendLiteral(" GROUP BY u.variant, COALESCE(p.value, '(none)') ORDER BY u.variant, segment")
        } else {
            query.appendLiteral(select + " FROM unit_outcomes u GROUP BY u.variant ORDER BY u.variant")
        }
        let finalQuery = query
        do {
            return try await withConnection { sql in
                try await sql.raw(finalQuery).all().map { row in
                    var sumX = [Double](repeating: 0, count: k)
                    var sumXY = [Double](repeating: 0, count: k)
                    var sumXX = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
                    for i in 0..<k {
                        sumX[i] = try row.decode(column: "sx\(i)", as: Double?.self) ?? 0
                        sumXY[i] = try row.decode(column: "sxy\(i)", as: Double?.self) ?? 0
                        for j in i..<k {
                            let v = try row.decode(column: "sxx\(i)_\(j)", as: Double?.self) ?? 0
                            sumXX[i][j] = v
                            sumXX[j][i] = v
                        }
                    }
                    return VariantStatistics(
                        variant: try row.decode(column: "variant", as: String.self),
                        segment: segmentBy == nil ? nil : try row.decode(column: "segment", as: String.self), units: try row.decode(column: "units", as: Int.self),
                        converters: try row.decode(column: "converters", as: Int?.self) ?? 0,
                        sumValue: try row.decode(column: "sum_value", as: Double?.self) ?? 0,
                        sumValueSquares: try row.decode(column: "sum_value_sq", as: Double?.self) ?? 0, sumX: sumX, sumXY: sumXY,
                        sumXX: sumXX)
                }
            }
        } catch {
            throw StoreError(.database, "cannot compute variant statistics: \(Store.describe(error))")
        }
    }

    /// Per-variant statistics without covariates or segments, without a per-unit pass over the
    /// whole cohort.
    ///
    /// Units without an outcome row have value 0 and did not convert, so the statistics split
    /// into the cohort's size per variant (one scan) and sums over the units that have an outcome
    /// (outcomes joined to the cohort, a fifth of the units or fewer in practice); the remaining
    /// units each add the capped value of 0. The general path groups every cohort unit with its
    /// outcomes and costs a sort or hash of the whole cohort; a test checks both paths agree.
    func sparseVariantStatistics(experimentID: Int64, mode: AnalysisMode, cap: Double?) async throws(StoreError) -> [VariantStatistics] {
        // Counting the cohort per variant with one conditional sum per known variant is a plain
        // scan; GROUP BY variant sorts the whole cohort first (SQLite: 0.29 s against 0.09 s per
        // million units). A unit whose variant is not the experiment's (impossible through
        // import and assign, but the tables do not forbid it) makes the counts disagree with the
        // total, and the grouped form is used instead.
        let variants: [String]
        do {
            variants = try await withConnection { sql in
                try await sql.raw("SELECT name FROM experiment_variants WHERE experiment_id = \(bind: experimentID) ORDER BY position").all()
                    .map { try $0.decode(column: "name", as: String.self) }
            }
        } catch {
            throw StoreError(.database, "cannot read the experiment's variants: \(Store.describe(error))")
        }
        if mode == .exposure, let rows = try await partitionedExposureStatistics(experimentID: experimentID, variants: variants, cap: cap) {
            return rows
        }
        if !variants.isEmpty, let rows = try await sparseQuery(experimentID: experimentID, mode: mode, cap: cap, variants: variants) {
            return rows
        }
        return try await sparseQuery(experimentID: experimentID, mode: mode, cap: cap, variants: nil) ?? []
    }

    /// - Returns: nil when `variants` does not cover every cohort unit.
    private func sparseQuery(experimentID: Int64, mode: AnalysisMode, cap: Double?, variants: [String]?) async throws(StoreError) -> [VariantStatistics]? {
        var query = SQLQueryString("")
        appendOutcomeAndCohortCTEs(to: &query, experimentID: experimentID, mode: mode)
        let value = cap.map { "(CASE WHEN t.value > \(Self.literal($0)) THEN \(Self.literal($0)) ELSE t.value END)" } ?? "t.value"
        let double = dialect.doubleType
        query.appendLiteral(
            """
            , touched AS (
                SELECT c.variant,
                    MAX(CASE WHEN o.conversion_ts >= c.anchor AND (x.window_us = 0 OR o.conversion_ts < c.anchor + x.window_us) THEN 1 ELSE 0 END) AS converted,
                    CAST(SUM(CASE WHEN o.conversion_ts >= c.anchor AND (x.window_us = 0 OR o.conversion_ts < c.anchor + x.window_us) THEN COALESCE(o.value, 0) ELSE 0 END) AS \(double)) AS value
                FROM all_outcomes o
                CROSS JOIN cohort c
                CROSS JOIN x
                WHERE c.profile_id = o.profile_id
                GROUP BY o.profile_id, c.variant)
            , touched_variants AS (
                SELECT t.variant, COUNT(*) AS touched, SUM(t.converted) AS converters, SUM(\(value)) AS sum_value, SUM(\(value) * \(value)) AS sum_value_sq
                FROM touched t GROUP BY t.variant)

            """)
        if let variants {
            query.appendLiteral(", units AS (SELECT COUNT(*) AS total")
            for (i, name) in variants.enumerated() {
                query.appendLiteral(", SUM(CASE WHEN variant = ")
                query.appendInterpolation(bind: name)
                query.appendLiteral(" THEN 1 ELSE 0 END) AS u\(i)")
            }
            query.appendLiteral(" FROM cohort)\nSELECT v.variant, CAST(v.units AS BIGINT) AS units, CAST(v.total AS BIGINT) AS total")
            query.appendLiteral(
                ", CAST(COALESCE(t.touched, 0) AS BIGINT) AS touched, CAST(COALESCE(t.converters, 0) AS BIGINT) AS converters, t.sum_value, t.sum_value_sq FROM (")
            for (i, name) in variants.enumerated() {
                query.appendLiteral(i == 0 ? "SELECT " : " UNION ALL SELECT ")
                query.appendInterpolation(bind: name)
                query.appendLiteral(" AS variant, u\(i) AS units, total FROM units")
            }
            query.appendLiteral(") v LEFT JOIN touched_variants t ON t.variant = v.variant ORDER BY v.variant")
        } else {
            query.appendLiteral(
                """
                , cohort_variants AS (SELECT variant, COUNT(*) AS units FROM cohort GROUP BY variant)
                SELECT v.variant, CAST(v.units AS BIGINT) AS units, CAST(0 AS BIGINT) AS total, CAST(COALESCE(t.touched, 0) AS BIGINT) AS touched,
                    CAST(COALESCE(t.converters, 0) AS BIGINT) AS converters, t.sum_value, t.sum_value_sq
                FROM cohort_variants v LEFT JOIN touched_variants t ON t.variant = v.variant ORDER BY v.variant
                """)
        }
        // A unit without outcomes has value 0, which a negative cap lowers.
        let zero = min(0, cap ?? 0)
        let finalQuery = query
        do {
            let rows = try await withConnection { sql in
                try await sql.raw(finalQuery).all().map { row in
                    let units = try row.decode(column: "units", as: Int?.self) ?? 0
                    let untouched = Double(units - (try row.decode(column: "touched", as: Int.self)))
                    let statistics = VariantStatistics(
                        variant: try row.decode(column: "variant", as: String.self), segment: nil, units: units,
                        converters: try row.decode(column: "converters", as: Int.self),
                        sumValue: (try row.decode(column: "sum_value", as: Double?.self) ?? 0) + untouched * zero,
                        sumValueSquares: (try row.decode(column: "sum_value_sq", as: Double?.self) ?? 0) + untouched * zero * zero,
                        sumX: [], sumXY: [], sumXX: [])
                    return (statistics, try row.decode(column: "total", as: Int?.self) ?? 0)
                }
            }
            if variants != nil, rows.reduce(0, { $0 + $1.0.units }) != (rows.first?.1 ?? 0) { return nil }
            // Like the grouped form: variants without units are absent.
            return rows.map(\.0).filter { $0.units > 0 }
        } catch {
            throw StoreError(.database, "cannot compute variant statistics: \(Store.describe(error))")
        }
    }

    /// The nearest-rank quantile of per-unit values over the cohort (all variants).
    func valuePercentile(experimentID: Int64, mode: AnalysisMode, quantile q: Double) async throws(StoreError) -> Double? {
        var countQuery = SQLQueryString("")
        appendUnitOutcomeCTEs(to: &countQuery, experimentID: experimentID, mode: mode, covariates: [])
        countQuery.appendLiteral("SELECT COUNT(*) AS n FROM unit_outcomes")
        let finalCount = countQuery
        do {
            return try await withConnection { sql in
                let n = try await sql.raw(finalCount).first()?.decode(column: "n", as: Int.self) ?? 0
                guard n > 0 else { return nil }
                // Nearest rank: the ⌈q·n⌉-th smallest value.
                let rank = max(1, Int((q * Double(n)).rounded(.up)))
                var query = SQLQueryString("")
                appendUnitOutcomeCTEs(to: &query, experimentID: experimentID, mode: mode, covariates: [])
                query.appendLiteral("SELECT value FROM unit_outcomes ORDER BY value LIMIT 1 OFFSET \(rank - 1)")
                return try await sql.raw(query).first()?.decode(column: "value", as: Double.self)
            }
        } catch {
            throw StoreError(.database, "cannot compute the value percentile: \(Store.describe(error))")
        }
    }

    /// Appends the CTEs through `unit_outcomes` (variant, converted, value, c0…c(k−1) per unit).
    func appendUnitOutcomeCTEs(to query: inout SQLQueryString, experimentID: Int64, mode: AnalysisMode, covariates: [String]) {
        appendOutcomeAndCohortCTEs(to: &query, experimentID: experimentID, mode: mode)
        let double = dialect.doubleType
        query.appendLiteral(
            """
            , outcome_units AS (
                SELECT c.profile_id, MAX(c.variant) AS variant,
                    MAX(CASE WHEN o.conversion_ts >= c.anchor AND (x.window_us = 0 OR o.conversion_ts < c.anchor + x.window_us) THEN 1 ELSE 0 END) AS converted,
                    SUM(CASE WHEN o.conversion_ts >= c.anchor AND (x.window_us = 0 OR o.conversion_ts < c.anchor + x.window_us) THEN COALESCE(o.value, 0) ELSE 0 END) AS value
                FROM cohort c
                CROSS JOIN x
                LEFT JOIN all_outcomes o ON o.profile_id = c.profile_id
                GROUP BY c.profile_id)

            """)
        if covariates.isEmpty {
            query.appendLiteral(", unit_outcomes AS (SELECT profile_id, variant, converted, CAST(value AS \(double)) AS value FROM outcome_units)\n")
            return
        }
        var pivot = ", unit_outcomes AS (SELECT ou.profile_id, ou.variant, ou.converted, CAST(ou.value AS \(double)) AS value"
        for i in covariates.indices {
            pivot += ", COALESCE(MAX(CASE WHEN uc.name = "
            query.appendLiteral(pivot)
            query.appendInterpolation(bind: covariates[i])
            pivot = " THEN uc.value END), 0) AS c\(i)"
        }
        query.appendLiteral(pivot + " FROM outcome_units ou LEFT JOIN unit_covariates uc ON uc.experiment_id = ")
        query.appendInterpolation(bind: experimentID)
        query.appendLiteral(" AND uc.profile_id = ou.profile_id GROUP BY ou.profile_id, ou.variant, ou.converted, ou.value)\n")
    }

    /// Appends `x`, the validation CTEs (exposure mode), `all_outcomes` and `cohort` (profile,
    /// variant, anchor).
    func appendOutcomeAndCohortCTEs(to query: inout SQLQueryString, experimentID: Int64, mode: AnalysisMode) {
        // ITT takes every assigned unit from its assignment: no exposure validation needed.
        appendValidationCTEs(to: &query, experimentID: experimentID, validation: mode == .exposure)
        query.appendLiteral(
            """
            , all_outcomes AS (
                SELECT profile_id, conversion_ts, value FROM experiment_outcomes WHERE experiment_id = 
            """)
        query.appendInterpolation(bind: experimentID)
        // Conversions: outcomes recorded for the experiment, plus events named like its
        // conversion_key (seed 003's stg_conversion_events).
        query.appendLiteral(
            """

                UNION ALL
                SELECT ev.profile_id, ev.ts, ev.value FROM x CROSS JOIN events ev
                WHERE x.conversion_key IS NOT NULL AND ev.event_name = x.conversion_key
            )

            """)
        if mode == .itt {
            // Not materialized: referenced twice, it is still a plain scan (or index lookup) of
            // the assignments, which a materialized copy of every unit would only slow down.
            let inline = dialect.inlineCommonTableExpression.map { "\($0) " } ?? ""
            query.appendLiteral(", cohort AS \(inline)(SELECT profile_id, variant, assigned_at AS anchor FROM experiment_assignments WHERE experiment_id = ")
            query.appendInterpolation(bind: experimentID)
            query.appendLiteral(")\n")
        } else {
            query.appendLiteral(", cohort AS (SELECT profile_id, variant, first_exposure_at AS anchor FROM validation WHERE validation_status = 'valid')\n")
        }
    }

    /// A double as an SQL literal (caps are computed numbers, not user text).
    static func literal(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "0"
    }
}

/// Outcome rows recorded for an experiment that its results did not count, by reason (each row
/// counted once, under the first reason that applies, in this order).
public struct OutcomesNotCounted: Sendable, Hashable, Codable {
    /// The profile has no assignment in the experiment.
    public var unassignedProfile: Int
    /// Exposure mode: the profile is assigned but not in the cohort (no exposure, or an invalid
    /// one: another variant logged, exposed before assignment or outside the dates). Always 0 in
    /// ITT, where every assigned profile is in the cohort.
    public var notValidlyExposed: Int
    /// Outside the experiment's dates: before `start_at`, or after `end_at` plus the window.
    public var outsideExperimentDates: Int
    /// Before the unit's anchor: its assignment (ITT) or its first exposure (exposure mode).
    public var beforeAssignment: Int
    /// After the unit's conversion window.
    public var afterWindow: Int

    public init(unassignedProfile: Int = 0, notValidlyExposed: Int = 0, outsideExperimentDates: Int = 0, beforeAssignment: Int = 0, afterWindow: Int = 0) {
        self.unassignedProfile = unassignedProfile
        self.notValidlyExposed = notValidlyExposed
        self.outsideExperimentDates = outsideExperimentDates
        self.beforeAssignment = beforeAssignment
        self.afterWindow = afterWindow
    }

    public var total: Int { unassignedProfile + notValidlyExposed + outsideExperimentDates + beforeAssignment + afterWindow }

    enum CodingKeys: String, CodingKey {
        case unassignedProfile = "unassigned_profile"
        case notValidlyExposed = "not_validly_exposed"
        case outsideExperimentDates = "outside_experiment_dates"
        case beforeAssignment = "before_assignment"
        case afterWindow = "after_window"
    }
}

extension Store {
    /// Counts the experiment's outcome rows (recorded outcomes and conversion events) that the
    /// results in `mode` do not count, by reason.
    ///
    /// One pass over the outcomes, each looked up in the assignments by key; in exposure mode
    /// also the exposures of the profiles with an outcome (the same validity rule as the
    /// cohort: every logged variant is the assigned one, the first exposure is at or after the
    /// assignment and inside the dates). Exposures derived from `experiment_exposure` events
    /// are included through the general validation.
    public func outcomesNotCounted(experimentID: Int64, mode: AnalysisMode) async throws(StoreError) -> OutcomesNotCounted {
        var q = SQLQueryString("")
        appendValidationCTEs(to: &q, experimentID: experimentID, validation: false)
        q.appendLiteral(", all_outcomes AS (SELECT profile_id, conversion_ts FROM experiment_outcomes WHERE experiment_id = ")
        q.appendInterpolation(bind: experimentID)
        q.appendLiteral(
            """

                UNION ALL
                SELECT ev.profile_id, ev.ts FROM x CROSS JOIN events ev
                WHERE x.conversion_key IS NOT NULL AND ev.event_name = x.conversion_key)

            """)
        let eventExperiment = dialect.jsonText("ev.properties", key: "experiment_id")
        let eventVariant = dialect.jsonText("ev.properties", key: "variant")
        if mode == .exposure {
            q.appendLiteral(", ea AS (SELECT profile_id, MIN(exposure_ts) AS first_at, MIN(variant) AS lo, MAX(variant) AS hi FROM (")
            q.appendLiteral("SELECT profile_id, exposure_ts, variant FROM experiment_exposures WHERE experiment_id = ")
            q.appendInterpolation(bind: experimentID)
            q.appendLiteral(" AND profile_id IN (SELECT profile_id FROM all_outcomes)")
            q.appendLiteral(
                " UNION ALL SELECT ev.profile_id, ev.ts, \(eventVariant) FROM x CROSS JOIN events ev WHERE ev.event_name = '\(ExposureEvent.name)' AND \(eventExperiment) = x.key"
            )
            q.appendLiteral(") e GROUP BY profile_id)\n")
        }
        let anchor = mode == .exposure ? "ea.first_at" : "a.assigned_at"
        let inCohort =
            mode == .exposure
            ? "(ea.profile_id IS NOT NULL AND (ea.hi IS NULL OR (ea.lo = ea.hi AND ea.hi = a.variant)) AND ea.first_at >= a.assigned_at AND (x.start_at IS NULL OR ea.first_at >= x.start_at) AND (x.end_at IS NULL OR ea.first_at <= x.end_at))"
            : "1 = 1"
        let counted = "(o.conversion_ts >= \(anchor) AND (x.window_us = 0 OR o.conversion_ts < \(anchor) + x.window_us))"
        let outside = "((x.start_at IS NOT NULL AND o.conversion_ts < x.start_at) OR (x.end_at IS NOT NULL AND o.conversion_ts > x.end_at + x.window_us))"
        q.appendLiteral(
            """
            SELECT
                SUM(CASE WHEN a.profile_id IS NULL THEN 1 ELSE 0 END) AS unassigned,
                SUM(CASE WHEN a.profile_id IS NOT NULL AND NOT \(inCohort) THEN 1 ELSE 0 END) AS not_exposed,
                SUM(CASE WHEN a.profile_id IS NOT NULL AND \(inCohort) AND NOT \(counted) AND \(outside) THEN 1 ELSE 0 END) AS outside_dates,
                SUM(CASE WHEN a.profile_id IS NOT NULL AND \(inCohort) AND NOT \(counted) AND NOT \(outside) AND o.conversion_ts < \(anchor) THEN 1 ELSE 0 END) AS before_anchor,
                SUM(CASE WHEN a.profile_id IS NOT NULL AND \(inCohort) AND NOT \(counted) AND NOT \(outside) AND o.conversion_ts >= \(anchor) THEN 1 ELSE 0 END) AS after_window
            FROM all_outcomes o CROSS JOIN x
            LEFT JOIN experiment_assignments a ON a.experiment_id = 
            """)
        q.appendInterpolation(bind: experimentID)
        q.appendLiteral(" AND a.profile_id = o.profile_id")
        if mode == .exposure { q.appendLiteral(" LEFT JOIN ea ON ea.profile_id = o.profile_id") }
        let query = q
        do {
            return try await withConnection { sql in
                guard let row = try await sql.raw(query).first() else { return OutcomesNotCounted() }
                func n(_ column: String) throws -> Int { try row.decode(column: column, as: Int?.self) ?? 0 }
                return OutcomesNotCounted(
                    unassignedProfile: try n("unassigned"), notValidlyExposed: try n("not_exposed"), outsideExperimentDates: try n("outside_dates"),
                    beforeAssignment: try n("before_anchor"), afterWindow: try n("after_window"))
            }
        } catch {
            throw StoreError(.database, "cannot count the outcomes not counted: \(Store.describe(error))")
        }
    }
}
