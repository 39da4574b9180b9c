import ArgumentParser
import HoldoutModel
import HoldoutStore

/// `--database`, shared by every command that touches the store.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database"),
        help: ArgumentHelp(
            "A SQLite file (default ./holdout.sqlite) or a postgres://user@host:port/db URL; HOLDOUT_DATABASE_URL also works.",
            valueName: "path-or-url"))
    var database: String?

    /// Opens the store, mapping errors to one line.
    func open(schema: Store.SchemaPolicy = .automatic) async throws -> Store {
        try await Store.open(try StoreLocation(database), schema: schema)
    }

    /// Opens the store, runs `body`, closes it (also on error).
    func with<T>(schema: Store.SchemaPolicy = .automatic, _ body: (Store) async throws -> T) async throws -> T {
        let opened = try await open(schema: schema)
        do {
            let value = try await body(opened)
            try? await opened.close()
            return value
        } catch {
            try? await opened.close()
            throw error
        }
    }
}

/// `--experiment KEY`.
struct ExperimentOption: ParsableArguments {
    @Option(name: .customLong("experiment"), help: ArgumentHelp("The experiment's key.", valueName: "key"))
    var key: String
}
