import Foundation
import HoldoutSQLGuard
import Testing

/// One query of the committed corpus with the verdict expected on each engine.
struct CorpusEntry: Decodable, Sendable, CustomTestStringConvertible {
    enum Expectation: String, Decodable, Sendable {
        case allowed, refused
    }

    var id: String
    var category: String
    var query: String
    var sqlite: Expectation
    var postgres: Expectation
    var reasonContains: String?

    enum CodingKeys: String, CodingKey {
        case id, category, query, sqlite, postgres
        case reasonContains = "reason_contains"
    }

    var testDescription: String { id }

    func expectation(for dialect: SQLDialect) -> Expectation { dialect == .sqlite ? sqlite : postgres }

    /// `Fixtures/corpus.json`, decoded once.
    static let all: [CorpusEntry] = {
        guard let url = Bundle.module.url(forResource: "corpus", withExtension: "json", subdirectory: "Fixtures"),
            let data = try? Data(contentsOf: url),
            let entries = try? JSONDecoder().decode([CorpusEntry].self, from: data)
        else { return [] }
        return entries
    }()
}

@Suite("The committed corpus")
struct CorpusTests {
    static let guards: [SQLDialect: SQLGuard] = [.sqlite: .holdout(dialect: .sqlite), .postgres: .holdout(dialect: .postgres)]

    @Test("The corpus loads, has at least 150 entries, unique ids, and covers every category")
    func corpusShape() {
        let entries = CorpusEntry.all
        #expect(entries.count >= 150)
        #expect(Set(entries.map(\.id)).count == entries.count)
        let categories = Set(entries.map(\.category))
        for category in [
            "legitimate", "comments", "quoting", "cte", "subqueries", "table_functions", "catalogs", "dynamic_sql_files_network", "writes",
            "multiple_statements", "into_locking_recursive", "settings_sleep_amplifiers", "parameters_and_syntax",
        ] {
            #expect(categories.contains(category), "no entry in category \(category)")
        }
        #expect(entries.contains { $0.sqlite == .allowed && $0.postgres == .refused })
        #expect(entries.contains { $0.sqlite == .refused && $0.postgres == .allowed })
    }

    @Test("Every corpus query gets its expected verdict on both engines", arguments: CorpusEntry.all)
    func verdict(_ entry: CorpusEntry) throws {
        for dialect in SQLDialect.allCases {
            let verdict = try #require(Self.guards[dialect]).check(entry.query)
            let expected = entry.expectation(for: dialect)
            #expect(verdict.isAllowed == (expected == .allowed), "\(dialect): \(verdict.reason ?? "allowed")")
            #expect(verdict.isAllowed == (verdict.reason == nil))
            if !verdict.isAllowed, let fragment = entry.reasonContains {
                #expect(verdict.reason?.contains(fragment) == true, "\(dialect): reason \(verdict.reason ?? "") lacks \(fragment)")
            }
        }
    }
}
