import Foundation
import HoldoutModel
import HoldoutStore
import SQLKit
import Testing

/// The SQL each dialect produces, rendered as text without a server (``StoreDialect/render(_:)``):
/// each capability's output where it belongs, bind counts, and exact text for small queries.
@Suite("Dialect SQL")
struct DialectSQLTests {
    /// The dialects under test, by name (`any StoreDialect` is not a test argument of its own).
    enum Dialect: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgresql
        var testDescription: String { rawValue }
        var dialect: any StoreDialect {
            switch self {
            case .sqlite: SQLiteStoreDialect()
            case .postgresql: PostgresStoreDialect()
            }
        }
        var queries: AnalyticsQueries { AnalyticsQueries(dialect: dialect) }
        func render(_ query: SQLQueryString) -> RenderedSQL { dialect.render(query) }
    }

    // MARK: Capabilities

    @Test("Transactions, schema and connection settings per engine")
    func sessionCapabilities() {
        let sqlite = SQLiteStoreDialect()
        #expect(sqlite.beginTransaction == "BEGIN IMMEDIATE")
        #expect(sqlite.migratesAutomatically)
        #expect(sqlite.integrityCheck == "PRAGMA integrity_check")
        #expect(
            sqlite.connectionSettings == [
                "PRAGMA busy_timeout = 30000", "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON",
                "PRAGMA analysis_limit = 1000",
            ])
        #expect(sqlite.analyze(table: "experiment_assignments") == "ANALYZE experiment_assignments")
        #expect(!sqlite.isDeadlock(StoreError(.database, "not an engine error")))

        let postgres = PostgresStoreDialect()
        #expect(postgres.beginTransaction == "BEGIN")
        #expect(!postgres.migratesAutomatically)
        #expect(postgres.integrityCheck == nil)
        #expect(postgres.connectionSettings == ["SET client_min_messages = WARNING", "SET jit = off"])
        #expect(postgres.analyze(table: "experiment_exposures") == "ANALYZE experiment_exposures")
        #expect(!postgres.isDeadlock(StoreError(.database, "not an engine error")))
    }

    @Test("Conflict, RETURNING and CTE clauses", arguments: Dialect.allCases)
    func clauses(_ engine: Dialect) {
        let d = engine.dialect
        #expect(d.ignoreConflicts(on: ["experiment_id", "event_id"]) == "ON CONFLICT (experiment_id, event_id) DO NOTHING")
        #expect(
            d.updateConflicts(on: ["tenant"], set: ["secret", "created_at"])
                == "ON CONFLICT (tenant) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at")
        #expect(d.returning(["id"]) == "RETURNING id")
        #expect(d.returning(["profile_id", "variant"]) == "RETURNING profile_id, variant")
        #expect(d.inlineCommonTableExpression == "NOT MATERIALIZED")
    }

    @Test("Bind placeholders are the engine's")
    func placeholders() {
        let query: SQLQueryString = "SELECT name FROM experiments WHERE id = \(bind: 7) AND tenant = \(bind: "t")"
        #expect(SQLiteStoreDialect().render(query).sql == "SELECT name FROM experiments WHERE id = ?1 AND tenant = ?2")
        #expect(PostgresStoreDialect().render(query).sql == "SELECT name FROM experiments WHERE id = $1 AND tenant = $2")
        #expect(PostgresStoreDialect().render(query).binds.count == 2)
    }

    // MARK: Exact text

    @Test("Exposures from events: exact text per engine")
    func exactEventProbe() {
        let sqlite = Dialect.sqlite.render(Dialect.sqlite.queries.derivedFromEvents(experimentID: 7, exposures: true))
        #expect(
            sqlite.sql == """
                SELECT 1 AS found FROM experiments x CROSS JOIN events ev
                WHERE x.id = ?1 AND ev.event_name = ?2 AND CAST(json_extract(ev.properties, '$.experiment_id') AS TEXT) = x.key LIMIT 1
                """)
        #expect(sqlite.binds.count == 2)
        let postgres = Dialect.postgresql.render(Dialect.postgresql.queries.derivedFromEvents(experimentID: 7, exposures: true))
        #expect(
            postgres.sql == """
                SELECT 1 AS found FROM experiments x CROSS JOIN events ev
                WHERE x.id = $1 AND ev.event_name = $2 AND ((ev.properties)::jsonb ->> 'experiment_id') = x.key LIMIT 1
                """)
        #expect(postgres.binds.count == 2)
    }

    @Test("ITT cohort: exact text per engine")
    func exactCohort() {
        func expected(_ p: (Int) -> String) -> String {
            """
            WITH x AS (SELECT id, key, conversion_key, start_at, end_at, CAST(conversion_window_days AS BIGINT) * 86400000000 AS window_us FROM experiments WHERE id = \(p(1)))
            , all_outcomes AS (
                SELECT profile_id, conversion_ts, value FROM experiment_outcomes WHERE experiment_id = \(p(2)) AND metric = \(p(3))
                UNION ALL
                SELECT ev.profile_id, ev.ts, ev.value FROM x CROSS JOIN events ev
                WHERE x.conversion_key IS NOT NULL AND ev.event_name = x.conversion_key
            )
            , cohort AS NOT MATERIALIZED (SELECT profile_id, variant, assigned_at AS anchor FROM experiment_assignments WHERE experiment_id = \(p(4)))

            """
        }
        #expect(Dialect.sqlite.render(Dialect.sqlite.queries.cohortCTEs(experimentID: 7, mode: .itt)).sql == expected { "?\($0)" })
        #expect(Dialect.postgresql.render(Dialect.postgresql.queries.cohortCTEs(experimentID: 7, mode: .itt)).sql == expected { "$\($0)" })
    }

    @Test("A named metric reads its outcomes only, without the conversion-key events", arguments: Dialect.allCases)
    func namedMetric(_ engine: Dialect) {
        let queries = AnalyticsQueries(dialect: engine.queries.dialect, metric: "visit")
        let rendered = engine.render(queries.cohortCTEs(experimentID: 7, mode: .itt))
        let (two, three) = engine == .sqlite ? ("?2", "?3") : ("$2", "$3")
        #expect(rendered.sql.contains("FROM experiment_outcomes WHERE experiment_id = \(two) AND metric = \(three)\n)"))
        #expect(!rendered.sql.contains("conversion_key IS NOT NULL"))
        for query in [
            queries.outcomesNotCounted(experimentID: 7, mode: .itt), queries.conversionsByDay(experimentID: 7, window: 0),
            queries.exposurePartition(experimentID: 7, variants: ["control", "treatment"], cap: nil, range: (nil, nil), outcomes: true),
        ] {
            let text = engine.render(query)
            #expect(text.sql.contains("metric = ") && !text.sql.contains("conversion_key IS NOT NULL"))
            #expect(text.binds.contains { "\($0)".contains("visit") })
        }
    }

    // MARK: Capabilities in the analysis queries

    @Test("The ITT cohort asks to be inlined; the exposure cohort does not", arguments: Dialect.allCases)
    func materializationHint(_ engine: Dialect) {
        let itt = engine.render(engine.queries.cohortCTEs(experimentID: 7, mode: .itt)).sql
        #expect(itt.contains(", cohort AS NOT MATERIALIZED (SELECT profile_id, variant, assigned_at AS anchor"))
        let exposure = engine.render(engine.queries.cohortCTEs(experimentID: 7, mode: .exposure)).sql
        #expect(exposure.contains(", cohort AS (SELECT profile_id, variant, first_exposure_at AS anchor"))
        #expect(!exposure.contains("MATERIALIZED"))
        // Every query over the ITT cohort carries the hint.
        for query in [
            engine.queries.sparseVariantStatistics(experimentID: 7, mode: .itt, cap: nil, variants: ["control", "treatment"]),
            engine.queries.variantStatistics(experimentID: 7, mode: .itt, covariates: ["pre"], cap: nil, segmentBy: nil),
            engine.queries.cohortSize(experimentID: 7, mode: .itt),
        ] {
            #expect(engine.render(query).sql.contains("cohort AS NOT MATERIALIZED ("))
        }
    }

    @Test("A dialect without the hint gets plain CTEs")
    func withoutHint() {
        let queries = AnalyticsQueries(dialect: HintlessDialect())
        let sql = queries.dialect.render(queries.sparseVariantStatistics(experimentID: 7, mode: .itt, cap: nil, variants: nil)).sql
        #expect(sql.contains(", cohort AS (SELECT profile_id, variant, assigned_at AS anchor"))
        #expect(!sql.contains("MATERIALIZED"))
    }

    @Test("JSON access and floor division come from the dialect", arguments: Dialect.allCases)
    func expressions(_ engine: Dialect) {
        let validation = engine.render(engine.queries.validation(experimentID: 7)).sql
        let json = engine.dialect.jsonText("ev.properties", key: "experiment_id")
        #expect(validation.contains("AND \(json) = x.key"))
        #expect(validation.contains(engine.dialect.jsonText("ev.properties", key: "variant")))
        let quality = engine.render(engine.queries.dailyQuality(experimentID: 7)).sql
        #expect(quality.contains("SELECT \(engine.dialect.floorDivide("assigned_at", "86400000000")) AS day"))
        switch engine {
        case .sqlite:
            #expect(validation.contains("json_extract(ev.properties, '$.variant')"))
            #expect(!validation.contains("::jsonb"))
        case .postgresql:
            #expect(validation.contains("((ev.properties)::jsonb ->> 'variant')"))
            #expect(!validation.contains("json_extract"))
        }
    }

    @Test("Apart from placeholders, the engines run the same statistics text where no JSON is read")
    func sameTextAcrossEngines() {
        func both(_ build: (AnalyticsQueries) -> SQLQueryString) -> (String, String) {
            let sqlite = Dialect.sqlite.render(build(Dialect.sqlite.queries)).sql
            let postgres = Dialect.postgresql.render(build(Dialect.postgresql.queries)).sql
            return (sqlite.replacingOccurrences(of: "?", with: "$"), postgres)
        }
        let queries: [(AnalyticsQueries) -> SQLQueryString] = [
            { $0.sparseVariantStatistics(experimentID: 7, mode: .itt, cap: 100, variants: ["control", "treatment"]) },
            { $0.variantStatistics(experimentID: 7, mode: .itt, covariates: ["pre", "visits"], cap: nil, segmentBy: "country") },
            { $0.exposurePartition(experimentID: 7, variants: ["control", "treatment"], cap: 50, range: ("a", "m"), outcomes: true) },
            { $0.assignmentsByDay(experimentID: 7) },
            { $0.conversionsByDay(experimentID: 7, window: 86_400_000_000) },
        ]
        for build in queries {
            let (sqlite, postgres) = both(build)
            #expect(sqlite == postgres)
        }
    }

    // MARK: Binds

    @Test("Bind counts of the analysis queries", arguments: Dialect.allCases)
    func bindCounts(_ engine: Dialect) {
        let q = engine.queries
        let variants = ["control", "treatment"]
        let cases: [(String, SQLQueryString, Int)] = [
            // x, exposures, assignments.
            ("validation", q.validation(experimentID: 7), 3),
            ("daily quality", q.dailyQuality(experimentID: 7), 3),
            ("contract status count", q.validationStatusCount(experimentID: 7, statuses: ["variant_mismatch", "multi_variation_exposure"]), 5),
            // x, outcomes and their metric, cohort; a conditional sum and a row per variant.
            ("sparse ITT", q.sparseVariantStatistics(experimentID: 7, mode: .itt, cap: nil, variants: variants), 4 + 2 * 2),
            ("sparse ITT grouped", q.sparseVariantStatistics(experimentID: 7, mode: .itt, cap: nil, variants: nil), 4),
            // x, exposures, assignments, outcomes and their metric.
            ("sparse exposure", q.sparseVariantStatistics(experimentID: 7, mode: .exposure, cap: 10, variants: variants), 5 + 2 * 2),
            // x, outcomes, metric, cohort, one name per covariate, the covariates' experiment, the segment.
            ("general", q.variantStatistics(experimentID: 7, mode: .itt, covariates: ["pre", "visits"], cap: nil, segmentBy: "country"), 4 + 2 + 1 + 1),
            ("cohort size", q.cohortSize(experimentID: 7, mode: .exposure), 5),
            ("unit value", q.unitValue(experimentID: 7, mode: .itt, rank: 10), 4),
            // x, outcomes, metric; in exposure mode also the exposures.
            ("not counted ITT", q.outcomesNotCounted(experimentID: 7, mode: .itt), 4),
            ("not counted exposure", q.outcomesNotCounted(experimentID: 7, mode: .exposure), 5),
            ("time series conversions", q.conversionsByDay(experimentID: 7, window: 0), 5),
        ]
        for (name, query, binds) in cases {
            let rendered = engine.render(query)
            #expect(rendered.binds.count == binds, "\(name)")
            // Every bind has its placeholder, numbered in order.
            #expect(rendered.sql.contains(engine == .sqlite ? "?\(binds)" : "$\(binds)"), "\(name)")
            #expect(!rendered.sql.contains(engine == .sqlite ? "?\(binds + 1)" : "$\(binds + 1)"), "\(name)")
        }
    }

    @Test("A cap is a literal, not a bind", arguments: Dialect.allCases)
    func capLiteral(_ engine: Dialect) {
        let capped = engine.render(engine.queries.sparseVariantStatistics(experimentID: 7, mode: .itt, cap: 2.5, variants: nil))
        let plain = engine.render(engine.queries.sparseVariantStatistics(experimentID: 7, mode: .itt, cap: nil, variants: nil))
        #expect(capped.sql.contains("(CASE WHEN t.value > 2.5 THEN 2.5 ELSE t.value END)"))
        #expect(!plain.sql.contains("CASE WHEN t.value >"))
        #expect(capped.binds.count == plain.binds.count)
    }
}

/// SQLite's dialect without the CTE hint: what a dialect for an engine without
/// `NOT MATERIALIZED` gets from the analysis queries.
private struct HintlessDialect: StoreDialect {
    let base = SQLiteStoreDialect()
    var name: String { "hintless" }
    var autoIncrementPrimaryKey: String { base.autoIncrementPrimaryKey }
    var doubleType: String { base.doubleType }
    var bytesType: String { base.bytesType }
    var maximumBindsPerStatement: Int { base.maximumBindsPerStatement }
    var clusteredTableOptions: String { base.clusteredTableOptions }
    func coverPrimaryKey(table: String, constraint: String, key: [String], include: [String]) -> [String] {
        base.coverPrimaryKey(table: table, constraint: constraint, key: key, include: include)
    }
    func createCoveringIndex(name: String, table: String, key: [String], include: [String]) -> [String] {
        base.createCoveringIndex(name: name, table: table, key: key, include: include)
    }
    var orderedPlanSettings: [String] { base.orderedPlanSettings }
    var concurrentWriters: Int { base.concurrentWriters }
    func refreshAfterLoad(table: String) -> String { base.refreshAfterLoad(table: table) }
    func toDouble(_ expression: String) -> String { base.toDouble(expression) }
    func jsonText(_ column: String, key: String) -> String { base.jsonText(column, key: key) }
    func statementTimeout(seconds: Double) -> String? { base.statementTimeout(seconds: seconds) }
    var canInterruptStatements: Bool { base.canInterruptStatements }
    func isUniqueViolation(_ error: any Error) -> Bool { base.isUniqueViolation(error) }
    func rowLock(exclusive: Bool) -> String { base.rowLock(exclusive: exclusive) }
    var sqlDialect: any SQLDialect { base.sqlDialect }
    var connectionSettings: [String] { base.connectionSettings }
    var beginTransaction: String { base.beginTransaction }
    var migratesAutomatically: Bool { base.migratesAutomatically }
    var integrityCheck: String? { base.integrityCheck }
    func isDeadlock(_ error: any Error) -> Bool { base.isDeadlock(error) }
    func analyze(table: String) -> String { base.analyze(table: table) }
    func ignoreConflicts(on conflict: [String]) -> String { base.ignoreConflicts(on: conflict) }
    func updateConflicts(on conflict: [String], set columns: [String]) -> String { base.updateConflicts(on: conflict, set: columns) }
    func returning(_ columns: [String]) -> String { base.returning(columns) }
    var inlineCommonTableExpression: String? { nil }
    var viewTenant: String { base.viewTenant }
    func utcDay(_ days: String) -> String { base.utcDay(days) }
    var nowMicroseconds: String { base.nowMicroseconds }
}
