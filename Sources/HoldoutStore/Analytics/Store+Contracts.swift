public import HoldoutModel
import SQLKit

/// The result of one data contract (seed 003's dbt tests) on one experiment.
public struct ContractResult: Sendable, Hashable, Encodable {
    public enum Severity: String, Sendable, Hashable, Encodable { case error, warning }
    public var experiment: String
    public var contract: String
    public var description: String
    public var severity: Severity
    public var violations: Int

    public var passed: Bool { violations == 0 }

    enum CodingKeys: String, CodingKey { case experiment, contract, description, severity, violations, passed }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(experiment, forKey: .experiment)
        try c.encode(contract, forKey: .contract)
        try c.encode(description, forKey: .description)
        try c.encode(severity, forKey: .severity)
        try c.encode(violations, forKey: .violations)
        try c.encode(passed, forKey: .passed)
    }
}

extension Store {
    /// Runs every data contract on an experiment: unique keys, not-null, accepted variant values
    /// and exposure timing. Each returns its count of violating rows or units.
    public func checkContracts(experiment: Experiment) async throws(StoreError) -> [ContractResult] {
        let id = experiment.id
        typealias Check = (name: String, description: String, severity: ContractResult.Severity, count: @Sendable (any SQLDatabase) async throws -> Int)
        @Sendable func count(_ sql: any SQLDatabase, _ query: SQLQueryString) async throws -> Int {
            try await sql.raw(query).first()?.decode(column: "n", as: Int?.self) ?? 0
        }
        let queries = self.queries
        @Sendable func statusCount(_ sql: any SQLDatabase, _ statuses: [String]) async throws -> Int {
            try await count(sql, queries.validationStatusCount(experimentID: id, statuses: statuses))
        }
        let checks: [Check] = [
            (
                "assignments.unique_unit", "one assignment per unit", .error,
                { sql in
                    try await count(sql, "SELECT COUNT(*) - COUNT(DISTINCT profile_id) AS n FROM experiment_assignments WHERE experiment_id = \(bind: id)")
                }
            ),
            (
                "assignments.not_null", "assignments have a unit and a variant", .error,
                { sql in
                    try await count(
                        sql, "SELECT COUNT(*) AS n FROM experiment_assignments WHERE experiment_id = \(bind: id) AND (profile_id = '' OR variant = '')")
                }
            ),
            (
                "assignments.accepted_variant", "assigned variants are the experiment's variants", .error,
                { sql in
                    try await count(
                        sql,
                        "SELECT COUNT(*) AS n FROM experiment_assignments a WHERE a.experiment_id = \(bind: id) AND NOT EXISTS (SELECT 1 FROM experiment_variants v WHERE v.experiment_id = a.experiment_id AND v.name = a.variant)"
                    )
                }
            ),
            (
                "exposures.unique_event", "one row per exposure event_id", .error,
                { sql in
                    try await count(sql, "SELECT COUNT(*) - COUNT(DISTINCT event_id) AS n FROM experiment_exposures WHERE experiment_id = \(bind: id)")
                }
            ),
            (
                "exposures.accepted_variant", "logged variants are the experiment's variants", .error,
                { sql in
                    try await count(
                        sql,
                        "SELECT COUNT(*) AS n FROM experiment_exposures e WHERE e.experiment_id = \(bind: id) AND e.variant IS NOT NULL AND NOT EXISTS (SELECT 1 FROM experiment_variants v WHERE v.experiment_id = e.experiment_id AND v.name = e.variant)"
                    )
                }
            ),
            (
                "exposures.assigned_unit", "exposed units are assigned", .error,
                { sql in
                    try await count(
                        sql,
                        "SELECT COUNT(DISTINCT e.profile_id) AS n FROM experiment_exposures e WHERE e.experiment_id = \(bind: id) AND NOT EXISTS (SELECT 1 FROM experiment_assignments a WHERE a.experiment_id = e.experiment_id AND a.profile_id = e.profile_id)"
                    )
                }
            ),
            (
                "exposures.after_assignment", "no unit is exposed before it is assigned", .error,
                { sql in try await statusCount(sql, ["pre_assignment_exposure"]) }
            ),
            (
                "exposures.consistent_variant", "exposures log the assigned variant, and only one", .error,
                { sql in
                    try await statusCount(sql, ["variant_mismatch", "multi_variation_exposure"])
                }
            ),
            (
                "exposures.within_window", "first exposures fall within the experiment's start and end", .error,
                { sql in
                    try await statusCount(sql, ["exposure_outside_window"])
                }
            ),
            (
                "outcomes.unique_event", "one row per outcome event_id", .error,
                { sql in
                    try await count(sql, "SELECT COUNT(*) - COUNT(DISTINCT event_id) AS n FROM experiment_outcomes WHERE experiment_id = \(bind: id)")
                }
            ),
            (
                "outcomes.assigned_unit", "outcomes belong to assigned units (others are ignored by the analysis)", .warning,
                { sql in
                    try await count(
                        sql,
                        "SELECT COUNT(*) AS n FROM experiment_outcomes o WHERE o.experiment_id = \(bind: id) AND NOT EXISTS (SELECT 1 FROM experiment_assignments a WHERE a.experiment_id = o.experiment_id AND a.profile_id = o.profile_id)"
                    )
                }
            ),
        ]
        return try await failing("run the data contracts") {
            try await withConnection { sql in
                var results: [ContractResult] = []
                for check in checks {
                    results.append(
                        ContractResult(
                            experiment: experiment.key, contract: check.name, description: check.description, severity: check.severity,
                            violations: try await check.count(sql)))
                }
                return results
            }
        }
    }

    /// Covariate names recorded for an experiment.
    public func covariateNames(experimentID: Int64) async throws(StoreError) -> [String] {
        return try await failing("read covariates") {
            try await withConnection { sql in
                try await sql.raw("SELECT DISTINCT name FROM unit_covariates WHERE experiment_id = \(bind: experimentID) ORDER BY name").all().map {
                    try $0.decode(column: "name", as: String.self)
                }
            }
        }
    }

    /// Stores one computation of results (seed 001's `experiment_results`).
    public func saveResult(
        experimentID: Int64, mode: AnalysisMode, upliftAbs: Double?, upliftRel: Double?, ciLow: Double?, ciHigh: Double?, pValue: Double?,
        treatmentSize: Int, controlSize: Int, metaJSON: String
    ) async throws(StoreError) {
        try await failing("save the results") {
            try await withConnection { sql in
                try await sql.raw(
                    """
                    INSERT INTO experiment_results (experiment_id, computed_at, analysis_mode, uplift_abs, uplift_rel, ci_low, ci_high, p_value,
                        treatment_size, control_size, meta_json)
                    VALUES (\(bind: experimentID), \(bind: self.now.microseconds), \(bind: mode.rawValue), \(bind: upliftAbs), \(bind: upliftRel),
                        \(bind: ciLow), \(bind: ciHigh), \(bind: pValue), \(bind: treatmentSize), \(bind: controlSize), \(bind: metaJSON))
                    """
                ).run()
            }
        }
    }

    /// How many result computations are stored for an experiment.
    public func resultCount(experimentID: Int64) async throws(StoreError) -> Int {
        return try await failing("count results") {
            try await withConnection { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM experiment_results WHERE experiment_id = \(bind: experimentID)").first()?
                    .decode(column: "n", as: Int.self) ?? 0
            }
        }
    }
}
