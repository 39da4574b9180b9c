public import HoldoutModel
import SQLKit

extension Store {
    /// The analysis queries for this store's engine.
    package var queries: AnalyticsQueries { AnalyticsQueries(dialect: dialect) }

    /// The analysis queries of one outcome metric (`""`: the experiment's default).
    package func queries(metric: String) -> AnalyticsQueries { AnalyticsQueries(dialect: dialect, metric: metric) }

    /// Every assigned unit with its validation status, ordered by profile.
    public func validation(experimentID: Int64) async throws(StoreError) -> [UnitValidation] {
        let finalQuery = queries.validation(experimentID: experimentID)
        return try await failing("validate exposures") {
            try await withConnection { sql in
                try await sql.raw(finalQuery).all().map { row in
                    UnitValidation(
                        profileID: try row.decode(column: "profile_id", as: String.self),
                        variant: try row.decode(column: "variant", as: String.self),
                        assignedAt: Timestamp(microseconds: try row.decode(column: "assigned_at", as: Int64.self)),
                        firstExposureAt: try row.decode(column: "first_exposure_at", as: Int64?.self).map(Timestamp.init(microseconds:)),
                        status: ValidationStatus(rawValue: try row.decode(column: "validation_status", as: String.self)) ?? .valid)
                }
            }
        }
    }

    /// Daily exposure health, by the UTC day units were assigned.
    public func dailyQuality(experimentID: Int64) async throws(StoreError) -> [QualityDay] {
        let finalQuery = queries.dailyQuality(experimentID: experimentID)
        do {
            let rows = try await withConnection { sql in
                try await sql.raw(finalQuery).all().map { row in
                    (
                        try row.decode(column: "day", as: Int64.self), try row.decode(column: "validation_status", as: String.self),
                        try row.decode(column: "n", as: Int.self)
                    )
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
    /// - `metric` names the outcomes read (`experiment_outcomes.metric`; `""`, the default, also
    ///   counts events named by the experiment's `conversion_key`).
    public func variantStatistics(
        experimentID: Int64, mode: AnalysisMode, covariates: [String] = [], cap: ValueCap? = nil, segmentBy: String? = nil, metric: String = ""
    ) async throws(StoreError) -> [VariantStatistics] {
        var capValue: Double?
        switch cap {
        case .absolute(let value): capValue = value
        case .percentile(let q):
            guard q > 0, q < 1 else { throw StoreError(.invalidInput, "the cap percentile must be in (0, 1), got \(q)", field: "cap") }
            capValue = try await valuePercentile(experimentID: experimentID, mode: mode, quantile: q, metric: metric)
        case nil: break
        }
        if covariates.isEmpty, segmentBy == nil {
            return try await sparseVariantStatistics(experimentID: experimentID, mode: mode, cap: capValue, metric: metric)
        }
        let finalQuery = queries(metric: metric).variantStatistics(
            experimentID: experimentID, mode: mode, covariates: covariates, cap: capValue, segmentBy: segmentBy)
        let k = covariates.count
        return try await failing("compute variant statistics") {
            try await withConnection { sql in
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
                        segment: segmentBy == nil ? nil : try row.decode(column: "segment", as: String.self),
                        units: try row.decode(column: "units", as: Int.self),
                        converters: try row.decode(column: "converters", as: Int?.self) ?? 0,
                        sumValue: try row.decode(column: "sum_value", as: Double?.self) ?? 0,
                        sumValueSquares: try row.decode(column: "sum_value_sq", as: Double?.self) ?? 0, sumX: sumX, sumXY: sumXY,
                        sumXX: sumXX)
                }
            }
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
    func sparseVariantStatistics(experimentID: Int64, mode: AnalysisMode, cap: Double?, metric: String = "") async throws(StoreError) -> [VariantStatistics] {
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
        if mode == .exposure, let rows = try await partitionedExposureStatistics(experimentID: experimentID, variants: variants, cap: cap, metric: metric) {
            return rows
        }
        if !variants.isEmpty, let rows = try await sparseQuery(experimentID: experimentID, mode: mode, cap: cap, variants: variants, metric: metric) {
            return rows
        }
        return try await sparseQuery(experimentID: experimentID, mode: mode, cap: cap, variants: nil, metric: metric) ?? []
    }

    /// - Returns: nil when `variants` does not cover every cohort unit.
    private func sparseQuery(
        experimentID: Int64, mode: AnalysisMode, cap: Double?, variants: [String]?, metric: String
    ) async throws(StoreError) -> [VariantStatistics]? {
        let finalQuery = queries(metric: metric).sparseVariantStatistics(experimentID: experimentID, mode: mode, cap: cap, variants: variants)
        // A unit without outcomes has value 0, which a negative cap lowers.
        let zero = min(0, cap ?? 0)
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
    func valuePercentile(experimentID: Int64, mode: AnalysisMode, quantile q: Double, metric: String = "") async throws(StoreError) -> Double? {
        let queries = self.queries(metric: metric)
        let finalCount = queries.cohortSize(experimentID: experimentID, mode: mode)
        return try await failing("compute the value percentile") {
            try await withConnection { sql in
                let n = try await sql.raw(finalCount).first()?.decode(column: "n", as: Int.self) ?? 0
                guard n > 0 else { return nil }
                // Nearest rank: the ⌈q·n⌉-th smallest value.
                let rank = max(1, Int((q * Double(n)).rounded(.up)))
                return try await sql.raw(queries.unitValue(experimentID: experimentID, mode: mode, rank: rank)).first()?
                    .decode(column: "value", as: Double.self)
            }
        }
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
    public func outcomesNotCounted(experimentID: Int64, mode: AnalysisMode, metric: String = "") async throws(StoreError) -> OutcomesNotCounted {
        let query = queries(metric: metric).outcomesNotCounted(
            experimentID: experimentID, mode: mode, exposureEvents: mode == .exposure ? try await hasExposureEvents(experimentID: experimentID) : false)
        return try await countRow("count the outcomes not counted", query) { n in
            OutcomesNotCounted(
                unassignedProfile: try n("unassigned"), notValidlyExposed: try n("not_exposed"), outsideExperimentDates: try n("outside_dates"),
                beforeAssignment: try n("before_anchor"), afterWindow: try n("after_window"))
        }
    }
}

extension Store {
    /// Counts the experiment's exposure rows (recorded, and `experiment_exposure` events) whose
    /// unit exposure-based results leave out, by the unit's validation status (the same rules,
    /// in the same order, as ``validation(experimentID:)``).
    ///
    /// One pass over the exposures grouped by unit, each unit looked up in the assignments.
    public func exposuresNotCounted(experimentID: Int64) async throws(StoreError) -> ExposuresNotCounted {
        let query = queries.exposuresNotCounted(experimentID: experimentID, exposureEvents: try await hasExposureEvents(experimentID: experimentID))
        return try await countRow("count the exposures not counted", query) { n in
            ExposuresNotCounted(
                unassignedProfile: try n("unassigned"), multiVariationExposure: try n("multi"), variantMismatch: try n("mismatch"),
                preAssignmentExposure: try n("pre"), exposureOutsideWindow: try n("outside"))
        }
    }
}

extension Store {
    /// Whether any `experiment_exposure` event names the experiment (then exposures are the
    /// recorded ones and the events'; otherwise the queries read the unit index alone).
    func hasExposureEvents(experimentID: Int64) async throws(StoreError) -> Bool {
        let query = queries.derivedFromEvents(experimentID: experimentID, exposures: true)
        return try await failing("look for exposure events") {
            try await withConnection { sql in try await sql.raw(query).first() != nil }
        }
    }

    /// Runs a query that answers one row of counts and reads them by column (NULL, or no row,
    /// as 0): the exclusion counts' shared reading.
    private func countRow<T: Sendable>(
        _ doing: String, _ query: SQLQueryString, _ read: @escaping @Sendable (_ count: (String) throws -> Int) throws -> T
    )
        async throws(StoreError) -> T
    {
        try await failing(doing) {
            try await withConnection { sql in
                let row = try await sql.raw(query).first()
                return try read { column in try row?.decode(column: column, as: Int?.self) ?? 0 }
            }
        }
    }
}
