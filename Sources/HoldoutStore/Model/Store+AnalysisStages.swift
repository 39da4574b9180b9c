public import HoldoutModel
import SQLKit

/// A stage of `holdout analyze` as recorded in the store.
public struct StageRecord: Sendable, Hashable, Codable {
    public var stage: String
    public var status: String
    public var reason: String?
    /// SHA-256 of the stage's inputs (settings, data counts, upstream fingerprints).
    public var fingerprint: String
    public var durationSeconds: Double
    /// The stage's output as JSON.
    public var output: String
    public var updatedAt: Timestamp

    public init(stage: String, status: String, reason: String?, fingerprint: String, durationSeconds: Double, output: String, updatedAt: Timestamp) {
        self.stage = stage
        self.status = status
        self.reason = reason
        self.fingerprint = fingerprint
        self.durationSeconds = durationSeconds
        self.output = output
        self.updatedAt = updatedAt
    }
}

extension Store {
    /// The recorded stages of one run (`run` names the metric and mode), in the order recorded.
    public func analysisStages(experimentID: Int64, run: String) async throws(StoreError) -> [StageRecord] {
        try await failing("read the analysis stages") {
            try await withConnection { sql in
                try await sql.raw(
                    "SELECT stage, status, reason, fingerprint, duration_s, output, updated_at FROM analysis_stages WHERE experiment_id = \(bind: experimentID) AND run_key = \(bind: run) ORDER BY updated_at, stage"
                ).all().map { row in
                    StageRecord(
                        stage: try row.decode(column: "stage", as: String.self), status: try row.decode(column: "status", as: String.self),
                        reason: try row.decode(column: "reason", as: String?.self), fingerprint: try row.decode(column: "fingerprint", as: String.self),
                        durationSeconds: try row.decode(column: "duration_s", as: Double.self), output: try row.decode(column: "output", as: String.self),
                        updatedAt: Timestamp(microseconds: try row.decode(column: "updated_at", as: Int64.self)))
                }
            }
        }
    }

    /// Records a stage, replacing its previous record, in one transaction.
    public func saveAnalysisStage(experimentID: Int64, run: String, _ record: StageRecord) async throws(StoreError) {
        try await failing("record the analysis stage \(record.stage)") {
            try await transaction { sql in
                try await sql.raw(
                    "DELETE FROM analysis_stages WHERE experiment_id = \(bind: experimentID) AND run_key = \(bind: run) AND stage = \(bind: record.stage)"
                ).run()
                try await sql.raw(
                    """
                    INSERT INTO analysis_stages (experiment_id, run_key, stage, status, reason, fingerprint, duration_s, output, updated_at)
                    VALUES (\(bind: experimentID), \(bind: run), \(bind: record.stage), \(bind: record.status), \(bind: record.reason), \(bind: record.fingerprint),
                        \(bind: record.durationSeconds), \(bind: record.output), \(bind: record.updatedAt.microseconds))
                    """
                ).run()
            }
        }
    }

    /// Row counts of an experiment's inputs, for fingerprints: assignments, exposures, outcomes
    /// (every metric), packed feature rows and covariate rows.
    public func inputCounts(experimentID: Int64) async throws(StoreError) -> [String: Int] {
        try await failing("count the experiment's rows") {
            try await withConnection { sql in
                var counts: [String: Int] = [:]
                for (name, query) in [
                    ("assignments", "SELECT COUNT(*) AS n FROM experiment_assignments WHERE experiment_id = \(bind: experimentID)" as SQLQueryString),
                    ("exposures", "SELECT COUNT(*) AS n FROM experiment_exposures WHERE experiment_id = \(bind: experimentID)"),
                    ("outcomes", "SELECT COUNT(*) AS n FROM experiment_outcomes WHERE experiment_id = \(bind: experimentID)"),
                    ("features", "SELECT COUNT(*) AS n FROM unit_features WHERE experiment_id = \(bind: experimentID)"),
                    ("covariates", "SELECT COUNT(*) AS n FROM unit_covariates WHERE experiment_id = \(bind: experimentID)"),
                ] {
                    counts[name] = try await sql.raw(query).first()?.decode(column: "n", as: Int.self) ?? 0
                }
                return counts
            }
        }
    }
}
