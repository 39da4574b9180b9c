import HoldoutSQLGuard
import Testing

@Suite("Limits: long chains and deep nesting")
struct LimitsTests {
    static let sqlite = SQLGuard.holdout(dialect: .sqlite)
    static let postgres = SQLGuard.holdout(dialect: .postgres)

    /// Queries near the 64 KiB limit made of one long chain each: the tree stays flat, so neither
    /// the parser, the analyzer nor freeing the tree recurses once per link.
    static let chains: [(String, String)] = [
        ("AND", "SELECT 1 FROM fct_experiment_results WHERE " + Array(repeating: "n_users = 1", count: 4_000).joined(separator: " AND ")),
        ("OR", "SELECT 1 WHERE " + Array(repeating: "1 = 1", count: 6_000).joined(separator: " OR ")),
        ("+", "SELECT " + Array(repeating: "1", count: 20_000).joined(separator: "+")),
        ("UNION", Array(repeating: "SELECT 1", count: 3_000).joined(separator: " UNION ALL ")),
        ("JOIN", "SELECT 1 FROM fct_experiment_results" + String(repeating: " JOIN fct_experiment_cohort ON true", count: 1_500)),
        ("IS NULL", "SELECT 1" + String(repeating: " IS NULL", count: 7_000)),
        ("CASE", "SELECT CASE" + String(repeating: " WHEN 1 THEN 2", count: 4_000) + " END"),
    ]

    @Test("Long chains are checked without deep recursion", arguments: ["AND", "OR", "+", "UNION", "JOIN", "IS NULL", "CASE"])
    func longChains(_ name: String) throws {
        let query = try #require(Self.chains.first { $0.0 == name }?.1)
        #expect(query.utf8.count < 65_536)
        for sqlGuard in [Self.sqlite, Self.postgres] {
            let verdict = sqlGuard.check(query)
            #expect(verdict.isAllowed, "\(verdict.reason ?? "")")
        }
        #expect(Self.postgres.check("SELECT 1" + String(repeating: "::int", count: 10_000)).isAllowed)
    }

    @Test("Nesting is bounded: parentheses, NOT, unary minus, subqueries and function calls")
    func nesting() {
        let deep = [
            "SELECT " + String(repeating: "(", count: 1_000) + "1" + String(repeating: ")", count: 1_000),
            "SELECT " + String(repeating: "NOT ", count: 1_000) + "1",
            "SELECT " + String(repeating: "- ", count: 1_000) + "1",
            "SELECT " + String(repeating: "abs(", count: 1_000) + "1" + String(repeating: ")", count: 1_000),
            String(repeating: "SELECT * FROM (", count: 500) + "SELECT 1" + String(repeating: ") AS t", count: 500),
        ]
        for query in deep {
            #expect(Self.sqlite.check(query).reason?.contains("nests deeper than") == true)
        }
    }
}
