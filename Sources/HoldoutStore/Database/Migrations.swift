import Foundation
public import HoldoutModel
import SQLKit

/// Versioned schema migrations, the same schema on every engine.
///
/// Each migration is a list of statements built from the dialect; ``Store/migrate()`` applies the
/// missing ones in order, each in its own transaction, and records them in `schema_migrations`.
enum Migrations {
    struct Migration: Sendable {
        let version: Int
        let name: String
        let statements: @Sendable (any StoreDialect) -> [String]
    }

    static let all: [Migration] = [
        Migration(version: 1, name: "experiments, assignments, exposures, outcomes, events", statements: version1),
        Migration(version: 2, name: "API keys, webhook secrets, reports", statements: version2),
        Migration(
            version: 3, name: "assignments by variant",
            statements: { _ in
                // Cohort sizes per variant read this index alone, however many other experiments
                // share the table (without it, a scan of the whole table: 0.34–0.58 s against 0.31 s
                // at 1M units beside 3M of another experiment). New rows append to each
                // (experiment, variant) range, so it costs inserts little.
                ["CREATE INDEX assignments_variant ON experiment_assignments (experiment_id, variant)"]
            }),
        Migration(version: 4, name: "assignments keyed by (experiment, profile)", statements: version4),
        Migration(
            version: 5, name: "assignments without the variant index",
            statements: { d in
                // Since version 4 an experiment's assignments are one range of the key (SQLite stores
                // the table in key order; PostgreSQL's key now carries the variant and time), so
                // cohort sizes read that range, and the variant index only cost every insert: POST
                // /assign went from 2,500 to 3,200 requests/s without it, GET /results at 1M units
                // stayed at 0.20 s.
                ["DROP INDEX assignments_variant"]
                    + d.coverPrimaryKey(
                        table: "experiment_assignments", constraint: "experiment_assignments_v4_pkey", key: ["experiment_id", "profile_id"],
                        include: ["variant", "assigned_at"])
            }),
        Migration(
            version: 6, name: "exposures by unit",
            statements: { d in
                // Exposure validation reads an experiment's exposures unit by unit: with this index
                // the exposure-based statistics are ordered scans and key lookups instead of a hash or
                // sort of every exposure (10M units: 25.9 s → 6.8 s on SQLite, see BENCHMARKS.md).
                // The price is paid by exposure writes: each lands in the index at its unit's place.
                // Outcomes get no such index: the statistics ran as fast without it (the outcomes of
                // a range are few), and it cut POST /outcomes from 290k to 41k rows/s.
                d.createCoveringIndex(
                    name: "exposures_unit", table: "experiment_exposures", key: ["experiment_id", "profile_id"], include: ["exposure_ts", "variant"])
                    + [d.analyze(table: "experiment_exposures")]
            }),
        Migration(version: 7, name: "orders and geo holdout designs", statements: version7),
        Migration(version: 8, name: "outcome metrics, unit feature vectors, analysis stages", statements: version8),
        Migration(version: 9, name: "semantic views and reader roles", statements: version9),
        Migration(version: 10, name: "order totals per geo and per geo and day", statements: version10),
    ]

    static var latest: Int { all.map(\.version).max() ?? 0 }

    /// Version 1. Timestamps are BIGINT microseconds since the Unix epoch, UTC.
    ///
    /// The high-volume tables (assignments, exposures, outcomes, covariates) carry no foreign
    /// keys and no per-unit index: the importer checks the experiment exists, the analysis scans
    /// an experiment's rows with hash joins, and on PostgreSQL the per-row key checks and an extra
    /// index were more than half of the load time. Their unique keys (the idempotency keys) stay.
    static func version1(_ d: any StoreDialect) -> [String] {
        let pk = d.autoIncrementPrimaryKey
        let double = d.doubleType
        return [
            """
            CREATE TABLE experiments (
                id \(pk),
                key TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                channel TEXT,
                status TEXT NOT NULL DEFAULT 'draft',
                start_at BIGINT,
                end_at BIGINT,
                conversion_key TEXT,
                conversion_window_days INTEGER NOT NULL DEFAULT 7,
                salt TEXT NOT NULL DEFAULT '',
                notes TEXT,
                tenant TEXT NOT NULL DEFAULT 'default',
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                CHECK (status IN ('draft', 'running', 'paused', 'completed', 'archived')),
                CHECK (conversion_window_days >= 0)
            )
            """,
            """
            CREATE TABLE experiment_variants (
                experiment_id BIGINT NOT NULL REFERENCES experiments (id),
                position INTEGER NOT NULL,
                name TEXT NOT NULL,
                weight \(double) NOT NULL,
                PRIMARY KEY (experiment_id, position),
                UNIQUE (experiment_id, name),
                CHECK (weight > 0 AND weight < 1)
            )
            """,
            """
            CREATE TABLE experiment_assignments (
                id \(pk),
                experiment_id BIGINT NOT NULL,
                profile_id TEXT NOT NULL,
                variant TEXT NOT NULL,
                assigned_at BIGINT NOT NULL,
                UNIQUE (experiment_id, profile_id)
            )
            """,
            """
            CREATE TABLE experiment_exposures (
                id \(pk),
                experiment_id BIGINT NOT NULL,
                profile_id TEXT NOT NULL,
                exposure_ts BIGINT NOT NULL,
                variant TEXT,
                campaign_id TEXT,
                message_id TEXT,
                event_id TEXT NOT NULL,
                UNIQUE (experiment_id, event_id)
            )
            """,
            """
            CREATE TABLE experiment_outcomes (
                id \(pk),
                experiment_id BIGINT NOT NULL,
                profile_id TEXT NOT NULL,
                conversion_ts BIGINT NOT NULL,
                value \(double),
                event_id TEXT NOT NULL,
                UNIQUE (experiment_id, event_id)
            )
            """,
            """
            CREATE TABLE events (
                id \(pk),
                event_id TEXT NOT NULL UNIQUE,
                event_name TEXT NOT NULL,
                profile_id TEXT NOT NULL,
                ts BIGINT NOT NULL,
                value \(double),
                properties TEXT
            )
            """,
            "CREATE INDEX events_profile ON events (profile_id, ts)",
            "CREATE INDEX events_name ON events (event_name, ts)",
            """
            CREATE TABLE touchpoints (
                id \(pk),
                profile_id TEXT NOT NULL,
                channel TEXT NOT NULL,
                ts BIGINT NOT NULL,
                campaign_id TEXT NOT NULL DEFAULT '',
                UNIQUE (profile_id, channel, ts, campaign_id)
            )
            """,
            "CREATE INDEX touchpoints_channel ON touchpoints (channel, ts)",
            """
            CREATE TABLE unit_covariates (
                experiment_id BIGINT NOT NULL,
                profile_id TEXT NOT NULL,
                name TEXT NOT NULL,
                value \(double) NOT NULL,
                PRIMARY KEY (experiment_id, profile_id, name)
            )
            """,
            """
            CREATE TABLE unit_properties (
                profile_id TEXT NOT NULL,
                name TEXT NOT NULL,
                value TEXT NOT NULL,
                PRIMARY KEY (profile_id, name)
            )
            """,
            """
            CREATE TABLE experiment_results (
                id \(pk),
                experiment_id BIGINT NOT NULL REFERENCES experiments (id),
                computed_at BIGINT NOT NULL,
                analysis_mode TEXT NOT NULL,
                uplift_abs \(double),
                uplift_rel \(double),
                ci_low \(double),
                ci_high \(double),
                p_value \(double),
                treatment_size BIGINT,
                control_size BIGINT,
                meta_json TEXT
            )
            """,
        ]
    }
}

extension Migrations {
    /// Version 2: what the server needs. Touchpoints gain a tenant. API keys are stored as SHA-256 hashes (the key is shown
    /// once); webhook secrets are stored as given, since verifying an HMAC needs the secret.
    static func version2(_ d: any StoreDialect) -> [String] {
        let pk = d.autoIncrementPrimaryKey
        return [
            """
            CREATE TABLE api_keys (
                id \(pk),
                tenant TEXT NOT NULL,
                scope TEXT NOT NULL,
                key_hash TEXT NOT NULL UNIQUE,
                prefix TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                revoked_at BIGINT,
                CHECK (scope IN ('read', 'write', 'admin'))
            )
            """,
            """
            CREATE TABLE webhook_secrets (
                tenant TEXT NOT NULL PRIMARY KEY,
                secret TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE reports (
                id \(pk),
                kind TEXT NOT NULL,
                as_of BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                body TEXT NOT NULL
            )
            """,
            "CREATE INDEX reports_kind ON reports (kind, id)",
            // Touchpoints belong to a tenant: auto-assign must not reach another tenant's profiles.
            """
            CREATE TABLE touchpoints_v2 (
                id \(pk),
                tenant TEXT NOT NULL DEFAULT 'default',
                profile_id TEXT NOT NULL,
                channel TEXT NOT NULL,
                ts BIGINT NOT NULL,
                campaign_id TEXT NOT NULL DEFAULT '',
                UNIQUE (tenant, profile_id, channel, ts, campaign_id)
            )
            """,
            "INSERT INTO touchpoints_v2 (tenant, profile_id, channel, ts, campaign_id) SELECT 'default', profile_id, channel, ts, campaign_id FROM touchpoints",
            "DROP TABLE touchpoints",
            "ALTER TABLE touchpoints_v2 RENAME TO touchpoints",
            "CREATE INDEX touchpoints_channel ON touchpoints (tenant, channel, ts)",
        ]
    }
}

extension Migrations {
    /// Version 4: assignments keyed by (experiment, profile) with no surrogate id — on SQLite one
    /// B-tree in key order (`WITHOUT ROWID`) instead of a rowid table plus a unique index, which
    /// made 400-row inserts 1.47× faster (333k → 491k rows/s with Python's sqlite3 on this
    /// machine) and lets a lookup by profile read the row itself. Nothing read the id.
    static func version4(_ d: any StoreDialect) -> [String] {
        [
            """
            CREATE TABLE experiment_assignments_v4 (
                experiment_id BIGINT NOT NULL,
                profile_id TEXT NOT NULL,
                variant TEXT NOT NULL,
                assigned_at BIGINT NOT NULL,
                PRIMARY KEY (experiment_id, profile_id)
            )\(d.clusteredTableOptions)
            """,
            "INSERT INTO experiment_assignments_v4 (experiment_id, profile_id, variant, assigned_at) SELECT experiment_id, profile_id, variant, assigned_at FROM experiment_assignments",
            "DROP TABLE experiment_assignments",
            "ALTER TABLE experiment_assignments_v4 RENAME TO experiment_assignments",
            "CREATE INDEX assignments_variant ON experiment_assignments (experiment_id, variant)",
            // The planner's statistics went with the old table.
            d.analyze(table: "experiment_assignments"),
        ]
    }
}

extension Store {
    /// The applied schema version, 0 for an empty database.
    public func schemaVersion() async throws(StoreError) -> Int {
        return try await failing("read the schema version") {
            try await withConnection { sql in
                try await sql.raw(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
                ).run()
                let row = try await sql.raw("SELECT MAX(version) AS version FROM schema_migrations").first()
                return try row?.decode(column: "version", as: Int?.self) ?? 0
            }
        }
    }

    /// Applies every missing migration, each in a transaction. Safe to run repeatedly and from
    /// several processes (the version row is the lock).
    ///
    /// - Returns: the versions applied.
    @discardableResult
    public func migrate() async throws(StoreError) -> [Int] {
        var applied: [Int] = []
        let current = try await schemaVersion()
        for migration in Migrations.all where migration.version > current {
            let statements = migration.statements(dialect)
            do {
                let didApply = try await transaction { sql in
                    // Another process may have applied it since we looked.
                    let row = try await sql.raw("SELECT COUNT(*) AS n FROM schema_migrations WHERE version = \(bind: migration.version)").first()
                    if try row?.decode(column: "n", as: Int.self) ?? 0 > 0 { return false }
                    for statement in statements { try await sql.raw(SQLQueryString(statement)).run() }
                    try await sql.raw(
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: self.now.microseconds))"
                    ).run()
                    return true
                }
                if didApply { applied.append(migration.version) }
            } catch {
                throw StoreError(.database, "migration \(migration.version) (\(migration.name)) failed: \(Store.describe(error))")
            }
        }
        return applied
    }
}

extension Migrations {
    /// Version 7 (issue 13): a tenant's orders, the input of seed 000's geo holdout step, and the
    /// designs the step made.
    ///
    /// Orders are keyed by (tenant, order id), which makes re-imports idempotent; the table is
    /// clustered on that key where the engine can (SQLite `WITHOUT ROWID`), so it holds no
    /// second copy of the key in a unique index. Revenue per geo and the daily panel read a
    /// tenant's range of the key. `created_at` is microseconds since the Unix epoch, UTC.
    /// A design keeps its whole JSON document (seed 000's file) beside the columns the API lists.
    static func version7(_ d: any StoreDialect) -> [String] {
        let double = d.doubleType
        return [
            """
            CREATE TABLE orders (
                tenant TEXT NOT NULL,
                order_id TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                geo TEXT NOT NULL,
                revenue \(double) NOT NULL,
                PRIMARY KEY (tenant, order_id),
                CHECK (revenue >= 0)
            )\(d.clusteredTableOptions)
            """,
            """
            CREATE TABLE geo_holdout_designs (
                id \(d.autoIncrementPrimaryKey),
                tenant TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                method TEXT NOT NULL,
                geo_count INTEGER NOT NULL,
                holdout_count INTEGER NOT NULL,
                control_share \(double) NOT NULL,
                assignment_path TEXT,
                design TEXT NOT NULL
            )
            """,
            "CREATE INDEX geo_holdout_designs_tenant ON geo_holdout_designs (tenant, id)",
        ]
    }
}

extension Migrations {
    /// Version 8 (issue 12): an outcome names its metric, and a unit can carry a vector of
    /// pre-experiment features stored packed.
    ///
    /// - `experiment_outcomes.metric`: `''` is the experiment's default metric (every outcome
    ///   recorded before this version, and the events named by its `conversion_key`); other names
    ///   (`visit`, `conversion` in a Criteo import) are further metrics of the same units,
    ///   analysed one at a time. Adding a column with a constant default rewrites no rows on
    ///   either engine.
    /// - `unit_features`: one row per unit with its features as little-endian float64s, in the
    ///   order of `experiment_feature_names`. Twelve features of 14 million units as
    ///   `unit_covariates` rows would be 168 million rows (the import alone took minutes); packed,
    ///   they are one row per unit, read in key order by the analysis.
    /// - `analysis_stages`: the stages of `holdout analyze` (one row per experiment, run — metric
    ///   and mode — and stage) with status, the fingerprint of their inputs and their output as
    ///   JSON, so a rerun skips what did not change.
    static func version8(_ d: any StoreDialect) -> [String] {
        [
            "ALTER TABLE experiment_outcomes ADD COLUMN metric TEXT NOT NULL DEFAULT ''",
            """
            CREATE TABLE experiment_feature_names (
                experiment_id BIGINT NOT NULL REFERENCES experiments (id),
                position INTEGER NOT NULL,
                name TEXT NOT NULL,
                PRIMARY KEY (experiment_id, position),
                UNIQUE (experiment_id, name)
            )
            """,
            """
            CREATE TABLE unit_features (
                experiment_id BIGINT NOT NULL,
                profile_id TEXT NOT NULL,
                features \(d.bytesType) NOT NULL,
                PRIMARY KEY (experiment_id, profile_id)
            )\(d.clusteredTableOptions)
            """,
            """
            CREATE TABLE analysis_stages (
                experiment_id BIGINT NOT NULL REFERENCES experiments (id),
                run_key TEXT NOT NULL,
                stage TEXT NOT NULL,
                status TEXT NOT NULL,
                reason TEXT,
                fingerprint TEXT NOT NULL,
                duration_s \(d.doubleType) NOT NULL,
                output TEXT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (experiment_id, run_key, stage),
                CHECK (status IN ('ok', 'skipped', 'halted', 'failed'))
            )
            """,
        ]
    }
}

extension Migrations {
    /// Version 9 (issue 14): seed 003's semantic views (``SemanticContract``, `SemanticViews`) and
    /// the table that maps a PostgreSQL reader login role to the one tenant its views show
    /// (`holdout sql reader` fills it; unused on SQLite, where the runner fixes the tenant on its
    /// connection). A later migration that changes a table these views read, or the contract,
    /// drops and recreates the views.
    static func version9(_ d: any StoreDialect) -> [String] {
        [
            """
            CREATE TABLE ai_query_roles (
                role_name TEXT NOT NULL PRIMARY KEY,
                tenant TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """
        ] + SemanticViews.statements(d)
    }
}

extension Migrations {
    /// Version 10 (issue 13): a tenant's order revenue and count per geo (`order_geos`) and per
    /// geo and UTC day (`order_geo_days`, `day` = floor(created_at / 86 400 000 000)), kept by the
    /// orders import in the transaction that inserts the orders, so the geo holdout step reads
    /// 50,000 rows instead of summing 20 million. Filled here from the orders already stored.
    static func version10(_ d: any StoreDialect) -> [String] {
        let double = d.doubleType
        let day = d.floorDivide("created_at", "86400000000")
        return [
            """
            CREATE TABLE order_geos (
                tenant TEXT NOT NULL,
                geo TEXT NOT NULL,
                revenue \(double) NOT NULL,
                orders BIGINT NOT NULL,
                PRIMARY KEY (tenant, geo)
            )\(d.clusteredTableOptions)
            """,
            """
            CREATE TABLE order_geo_days (
                tenant TEXT NOT NULL,
                geo TEXT NOT NULL,
                day BIGINT NOT NULL,
                revenue \(double) NOT NULL,
                orders BIGINT NOT NULL,
                PRIMARY KEY (tenant, geo, day)
            )\(d.clusteredTableOptions)
            """,
            "INSERT INTO order_geos (tenant, geo, revenue, orders) SELECT tenant, geo, SUM(revenue), COUNT(*) FROM orders GROUP BY tenant, geo",
            """
            INSERT INTO order_geo_days (tenant, geo, day, revenue, orders)
            SELECT tenant, geo, \(day), SUM(revenue), COUNT(*) FROM orders GROUP BY tenant, geo, \(day)
            """,
        ]
    }
}
