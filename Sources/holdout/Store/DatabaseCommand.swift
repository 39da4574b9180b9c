import ArgumentParser
import HoldoutModel
import HoldoutStore

struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Database maintenance.", subcommands: [Migrate.self])

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or upgrade the schema (a new SQLite file is migrated automatically on first use).",
            discussion: """
                Examples:
                  holdout db migrate
                  holdout db migrate --database postgres://postgres@127.0.0.1:5432/holdout
                """)

        @OptionGroup var db: DatabaseOptions
        @Flag(help: "Print one JSON object.") var json = false

        struct Report: Encodable {
            var database: String
            var applied: [Int]
            var version: Int
        }

        func run() async throws {
            let out = try await db.with(schema: .unchecked) { store in
                let applied = try await store.migrate()
                return Report(database: store.location.description, applied: applied, version: try await store.schemaVersion())
            }
            if json { return try Output.json(out) }
            print(
                out.applied.isEmpty
                    ? "\(out.database) is up to date (schema version \(out.version))"
                    : "\(out.database): applied migration\(out.applied.count == 1 ? "" : "s") \(out.applied.map(String.init).joined(separator: ", ")); schema version \(out.version)"
            )
        }
    }
}
