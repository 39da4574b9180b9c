import Foundation
import HoldoutSQLGuard
import Testing

@Suite("Holdout's configuration of the guard")
struct HoldoutConfigurationTests {
    /// Every table HoldoutStore's migrations create, read from the migrations' source.
    static func migratedTables() throws -> Set<String> {
        let testFile = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let root = testFile.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let migrations = try String(contentsOf: root.appendingPathComponent("Sources/HoldoutStore/Database/Migrations.swift"), encoding: .utf8)
        var tables: Set<String> = []
        for line in migrations.split(separator: "\n") {
            guard let range = line.range(of: "CREATE TABLE ") else { continue }
            var rest = line[range.upperBound...]
            if rest.hasPrefix("IF NOT EXISTS ") { rest = rest.dropFirst("IF NOT EXISTS ".count) }
            let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            if !name.isEmpty { tables.insert(String(name)) }
        }
        return tables
    }

    /// Every view migration 8 creates, read from the semantic views' source.
    static func migratedViews() throws -> Set<String> {
        let testFile = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let root = testFile.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let source = try String(contentsOf: root.appendingPathComponent("Sources/HoldoutStore/Semantic/SemanticViews.swift"), encoding: .utf8)
        var views: Set<String> = []
        for line in source.split(separator: "\n") {
            guard let range = line.range(of: "CREATE VIEW ") else { continue }
            let name = line[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            if !name.isEmpty { views.insert(String(name)) }
        }
        return views
    }

    @Test("The known relations are exactly the tables HoldoutStore's migrations create")
    func knownRelationsMatchMigrations() throws {
        let tables = try Self.migratedTables()
        #expect(!tables.isEmpty)
        #expect(tables == SQLGuard.holdoutTables)
    }

    @Test("The allowed assets are exactly the views migration 8 creates")
    func assetsMatchViews() throws {
        // dim_ai_allowed_assets is created from a string built in code, the rest are literal.
        #expect(try Self.migratedViews().union(["dim_ai_allowed_assets"]) == SQLGuard.holdoutAssets)
    }

    @Test("No Holdout table is an allowed asset, and every table is refused on both engines")
    func tablesAreRefused() {
        #expect(SQLGuard.holdoutAssets.isDisjoint(with: SQLGuard.holdoutTables))
        for dialect in SQLDialect.allCases {
            let sqlGuard = SQLGuard.holdout(dialect: dialect)
            for table in SQLGuard.holdoutTables.sorted() {
                #expect(sqlGuard.check("SELECT * FROM \(table)").reason == "relation \"\(table)\" is not an allowed asset")
                #expect(sqlGuard.check("WITH \(table) AS (SELECT 1) SELECT 1").reason?.contains("reuses the name") == true)
            }
            for asset in SQLGuard.holdoutAssets.sorted() {
                #expect(sqlGuard.check("SELECT * FROM \(asset)").isAllowed)
            }
        }
    }
}
