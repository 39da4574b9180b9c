import Foundation
import HoldoutSQLGuard
import Testing

@Suite("SQLGuard rules and verdicts")
struct SQLGuardTests {
    static let sqlite = SQLGuard.holdout(dialect: .sqlite)
    static let postgres = SQLGuard.holdout(dialect: .postgres)

    @Test("A verdict encodes as {allowed, reason, relations, functions} with reason null when allowed")
    func wireShape() throws {
        let verdict = Self.postgres.check("SELECT COUNT(*) FROM fct_experiment_results")
        let json = String(decoding: try JSONEncoder().encode(verdict), as: UTF8.self)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["allowed", "reason", "relations", "functions"])
        #expect(object["allowed"] as? Bool == true)
        #expect(object["reason"] is NSNull)
        #expect(object["relations"] as? [String] == ["fct_experiment_results"])
        #expect(object["functions"] as? [String] == ["count"])
        #expect(try JSONDecoder().decode(Verdict.self, from: Data(json.utf8)) == verdict)

        let refused = Self.postgres.check("SELECT * FROM pg_authid")
        let refusedObject = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(refused)) as? [String: Any])
        #expect(refusedObject["allowed"] as? Bool == false)
        #expect(refusedObject["reason"] as? String == "relation \"pg_authid\" is not an allowed asset")
    }

    @Test("Relations and functions are listed once each, in order, CTEs resolved away")
    func lists() {
        let verdict = Self.sqlite.check(
            """
            WITH a AS (SELECT experiment_id, MAX(n_users) AS n FROM agg_experiment_metric_by_variant GROUP BY experiment_id)
            SELECT r.*, a.n, COUNT(*), max(r.n_users) FROM fct_experiment_results r JOIN a USING (experiment_id)
            WHERE r.experiment_id IN (SELECT experiment_id FROM fct_experiment_results) GROUP BY 1
            """)
        #expect(verdict.isAllowed)
        #expect(verdict.relations == ["agg_experiment_metric_by_variant", "fct_experiment_results"])
        #expect(verdict.functions == ["max", "count"])
    }

    @Test("The first rule broken is the reason, and every relation is still listed")
    func firstReason() {
        let verdict = Self.sqlite.check("SELECT * FROM api_keys, webhook_secrets, fct_experiment_results")
        #expect(verdict.reason == "relation \"api_keys\" is not an allowed asset")
        #expect(verdict.relations == ["api_keys", "webhook_secrets", "fct_experiment_results"])
    }

    @Test("PostgreSQL folds unquoted names to lower case and compares quoted ones exactly")
    func postgresFolding() {
        #expect(Self.postgres.check("SELECT * FROM FCT_Experiment_Results").isAllowed)
        #expect(Self.postgres.check("SELECT * FROM \"fct_experiment_results\"").isAllowed)
        #expect(!Self.postgres.check("SELECT * FROM \"Fct_experiment_results\"").isAllowed)
        #expect(Self.postgres.check("SELECT ABS(-1), \"abs\"(1)").isAllowed)
        #expect(Self.postgres.check("SELECT \"ABS\"(1)").reason == "function \"ABS\" is not on the function allowlist")
        #expect(Self.postgres.check("SELECT * FROM PUBLIC.fct_experiment_results").isAllowed)
    }

    @Test("SQLite folds ASCII case in every identifier, quoted or not, and in strings used as names")
    func sqliteFolding() {
        for query in [
            "\"FCT_EXPERIMENT_RESULTS\"", "[Fct_Experiment_Results]", "`fct_EXPERIMENT_results`", "'FCT_experiment_results'", "Main.fct_experiment_results",
        ] {
            #expect(Self.sqlite.check("SELECT * FROM \(query)").isAllowed, "\(query)")
        }
        #expect(!Self.sqlite.check("SELECT * FROM \"fct_experiment_result\u{15B}\"").isAllowed)
    }

    @Test("A configured PostgreSQL relation keeps its catalog spelling; function names are case-insensitive when configured")
    func configuration() {
        let custom = SQLGuard(dialect: .postgres, allowedRelations: ["Results"], knownRelations: ["secrets"], allowedFunctions: ["LOWER"])
        #expect(custom.check("SELECT lower(x) FROM \"Results\"").isAllowed)
        #expect(!custom.check("SELECT * FROM Results").isAllowed)
        #expect(custom.check("SELECT abs(1) FROM \"Results\"").reason == "function \"abs\" is not on the function allowlist")
        #expect(custom.check("WITH secrets AS (SELECT 1) SELECT * FROM \"Results\"").reason == "CTE \"secrets\" reuses the name of a database relation")
        #expect(custom.check("WITH \"Results\" AS (SELECT 1) SELECT 1").reason?.contains("reuses the name") == true)
        var short = SQLGuard.holdout(dialect: .sqlite)
        short.maximumQueryLength = 10
        #expect(short.check("SELECT 1, 2, 3").reason == "the query is longer than 10 bytes")
    }

    @Test("A CTE is visible to later siblings and nested queries, never to earlier siblings, itself or outer queries")
    func scopes() {
        for guardian in [Self.sqlite, Self.postgres] {
            #expect(guardian.check("WITH a AS (SELECT 1 AS v), b AS (SELECT v FROM a) SELECT (SELECT v FROM b) AS v FROM a").isAllowed)
            #expect(guardian.check("WITH a AS (SELECT 1 AS v) SELECT * FROM (SELECT * FROM (SELECT * FROM a) x) y").isAllowed)
            #expect(
                guardian.check("SELECT * FROM (WITH a AS (SELECT 1 AS v) SELECT * FROM a) x JOIN a ON true").reason == "relation \"a\" is not an allowed asset")
            #expect(guardian.check("WITH a AS (SELECT * FROM a) SELECT * FROM a").reason == "relation \"a\" is not an allowed asset")
            #expect(guardian.check("WITH a AS (SELECT 1 AS v) SELECT * FROM main.a").reason?.contains("main.a") == true)
        }
    }

    @Test("Types in casts and typed literals must be allowlisted")
    func types() {
        #expect(Self.postgres.check("SELECT CAST(1 AS double precision), '1'::int4, 2::numeric(10, 2), DATE '2026-01-01', '{1}'::int[]").isAllowed)
        #expect(Self.postgres.check("SELECT now()::timestamp with time zone, INTERVAL '1 day'").isAllowed)
        #expect(Self.postgres.check("SELECT 'pg_authid'::regclass").reason == "type \"regclass\" is not on the type allowlist")
        #expect(Self.postgres.check("SELECT regrole 'postgres'").reason == "type \"regrole\" is not on the type allowlist")
        #expect(Self.postgres.check("SELECT 1::pg_catalog.int4").reason?.contains("schema-qualified type") == true)
        #expect(Self.sqlite.check("SELECT CAST(x AS VARCHAR(10)), CAST(1 AS double precision)").isAllowed)
    }

    @Test("Grammar the guard does not know is refused, never skipped")
    func failClosed() {
        let refused = [
            "SELECT * FROM fct_experiment_results WHERE metric_id SIMILAR",
            "SELECT POSITION('a' IN metric_id) FROM fct_experiment_results",
            "SELECT * FROM fct_experiment_results r WHERE r.metric_id = 'x' GROUP BY",
            "SELECT",
            "SELECT 1 FROM",
            "SELECT (1",
            "SELECT f(a => 1)",
            "SELECT * FROM fct_experiment_results ORDER BY 1 USING <",
        ]
        for query in refused {
            #expect(!Self.postgres.check(query).isAllowed, "\(query)")
            #expect(!Self.sqlite.check(query).isAllowed, "\(query)")
        }
    }

    @Test("A 2 KB analytical query is allowed on both engines")
    func largeQuery() {
        let query = Self.twoKilobyteQuery
        #expect(query.utf8.count >= 2000)
        #expect(Self.sqlite.check(query).isAllowed, "\(Self.sqlite.check(query).reason ?? "")")
        #expect(Self.postgres.check(query).isAllowed, "\(Self.postgres.check(query).reason ?? "")")
    }

    /// `Fixtures/analytics_2kb.sql`: joins, two CTEs, windows, subqueries in several clauses (the benchmark's query).
    static let twoKilobyteQuery: String = {
        guard let url = Bundle.module.url(forResource: "analytics_2kb", withExtension: "sql", subdirectory: "Fixtures"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "" }
        return text
    }()
}
