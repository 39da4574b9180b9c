import Foundation
public import HoldoutModel
import Logging
import NIOCore
import NIOPosix
import PostgresKit
public import SQLKit
import SQLiteKit
import Synchronization

/// A connection to the experiment database, embedded SQLite or PostgreSQL.
///
/// All work goes through one connection, serialized by an async lock, so a transaction's
/// statements never interleave with another task's. SQLite runs in WAL mode with a busy timeout,
/// so several processes can share a file.
///
/// ```swift
/// let store = try await Store.open(try StoreLocation("holdout.sqlite"))
/// defer { Task { try await store.close() } }
/// let experiments = try await store.experiments()
/// ```
public final class Store: Sendable {
    /// The SQLKit database of the connection.
    package let sql: any SQLDatabase
    public let dialect: any StoreDialect
    public let location: StoreLocation
    let bulk: any BulkWriter
    private let closer: @Sendable () async throws -> Void
    private let lock = AsyncLock()
    /// The clock the store dates its own records with (created_at, updated_at, imported_at,
    /// revoked_at, …); tests pass a fixed one.
    public let clock: @Sendable () -> Timestamp

    private init(
        sql: any SQLDatabase, dialect: any StoreDialect, location: StoreLocation, bulk: any BulkWriter, clock: @escaping @Sendable () -> Timestamp,
        closer: @escaping @Sendable () async throws -> Void
    ) {
        self.sql = sql
        self.dialect = dialect
        self.location = location
        self.bulk = bulk
        self.clock = clock
        self.closer = closer
    }

    /// The weights of experiments this store has written assignments for: final, since only an
    /// experiment without assignments can change its split (see ``recordAssignments(_:)``).
    let finalWeights = Mutex<[Int64: [Double]]>([:])

    /// Now, by the store's clock.
    public var now: Timestamp { clock() }

    /// What opening does about the schema.
    public enum SchemaPolicy: Sendable {
        /// SQLite: migrate (a new file is ready at once). PostgreSQL: require the latest schema,
        /// so a production server is only upgraded on purpose (`holdout db migrate`).
        case automatic
        /// Apply any missing migrations.
        case migrate
        /// Neither check nor migrate.
        case unchecked
    }

    /// Opens the database. A SQLite file is created and migrated on first use; a PostgreSQL
    /// database must be migrated with `holdout db migrate` (or ``migrate()``) first.
    ///
    /// - Throws: ``StoreError`` with code `unavailable` when the database cannot be opened or
    ///   reached, or its schema is behind and `migrate` is false.
    /// - Parameter clock: what "now" is for the records the store dates itself.
    public static func open(
        _ location: StoreLocation, schema: SchemaPolicy = .automatic, clock: @escaping @Sendable () -> Timestamp = { .now }
    ) async throws(StoreError) -> Store {
        let logger = Logger(label: "holdout.store")
        let store: Store
        switch location {
        case .sqlite(let path):
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
                throw StoreError(.unavailable, "cannot create \(path): the directory \(directory) does not exist", field: "database")
            }
            // A thread of its own: SQLite's busy wait blocks the thread, and on a shared pool two
            // waiting connections could starve the one holding the lock.
            let threadPool = NIOThreadPool(numberOfThreads: 1)
            threadPool.start()
            let connection: SQLiteConnection
            do {
                connection = try await SQLiteConnection.open(
                    storage: .file(path: path), threadPool: threadPool, logger: logger,
                    on: MultiThreadedEventLoopGroup.singleton.any()
                ).get()
            } catch {
                try? await threadPool.shutdownGracefully()
                throw StoreError(.unavailable, "cannot open SQLite database \(path): \(String(reflecting: error))", field: "database")
            }
            let sql = connection.sql(queryLogLevel: nil)
            let dialect = SQLiteStoreDialect()
            store = Store(sql: sql, dialect: dialect, location: location, bulk: SQLiteBulkWriter(connection: connection, dialect: dialect), clock: clock) {
                // In a task of its own: NIOThreadPool drops the work of a cancelled task (a
                // server stopping, a task group unwinding), and SQLiteNIO traps on a connection
                // released open — seen as a crash in CI when a cancelled task closed a store.
                try await Task.detached {
                    try await connection.close()
                    try await threadPool.shutdownGracefully()
                }.value
            }
            do {
                for statement in dialect.connectionSettings { try await sql.raw(SQLQueryString(statement)).run() }
            } catch {
                try? await store.close()
                throw StoreError(.unavailable, "cannot open SQLite database \(path): \(String(reflecting: error))", field: "database")
            }
        case .postgres(let url):
            do {
                let configuration = try SQLPostgresConfiguration(url: url)
                let connection = try await PostgresConnection.connect(
                    configuration: configuration.coreConfiguration, id: 1, logger: logger)
                let sql = connection.sql(queryLogLevel: nil)
                let dialect = PostgresStoreDialect()
                store = Store(
                    sql: sql, dialect: dialect, location: location,
                    bulk: PostgresBulkWriter(connection: connection, dialect: dialect, logger: logger), clock: clock
                ) { try await connection.close() }
                for statement in dialect.connectionSettings { try await sql.raw(SQLQueryString(statement)).run() }
            } catch {
                throw StoreError(
                    .unavailable,
                    "cannot connect to PostgreSQL at \(location): \(Self.describe(error)). Check that the server is running and the URL is right.",
                    field: "database")
            }
        }
        let shouldMigrate = schema == .migrate || (schema == .automatic && store.dialect.migratesAutomatically)
        do throws(StoreError) {
            if schema == .unchecked {
                // The caller migrates or inspects.
            } else if shouldMigrate {
                try await store.migrate()
            } else {
                let current = try await store.schemaVersion()
                if current < Migrations.latest {
                    throw StoreError(
                        .unavailable,
                        "the database at \(location) is at schema version \(current), this holdout needs \(Migrations.latest): run `holdout db migrate --database …`",
                        field: "database")
                }
            }
        } catch {
            try? await store.close()
            throw error
        }
        return store
    }

    static func describe(_ error: any Error) -> String {
        let text = String(reflecting: error)
        return text.count > 400 ? String(text.prefix(400)) + "…" : text
    }

    /// Closes the connection. Closing twice does nothing.
    public func close() async throws {
        guard isOpen.exchange(false, ordering: .acquiringAndReleasing) else { return }
        try await closer()
    }

    /// Whether ``close()`` has not run yet.
    private let isOpen = Atomic<Bool>(true)

    /// A store dropped without ``close()`` (a caller that threw between opening and closing)
    /// still closes its connection, in a task of its own: a driver connection released while
    /// open is a resource leak, and SQLiteNIO stops a debug build on it.
    deinit {
        guard isOpen.exchange(false, ordering: .acquiringAndReleasing) else { return }
        let closer = self.closer
        Task { try? await closer() }
    }

    /// Runs `body` alone on the connection.
    public func withConnection<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await lock.withLock { try await body(sql) }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    public func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await lock.withLock {
            try await sql.raw(SQLQueryString(dialect.beginTransaction)).run()
            do {
                let value = try await body(sql)
                try await sql.raw("COMMIT").run()
                return value
            } catch {
                try? await sql.raw("ROLLBACK").run()
                throw error
            }
        }
    }
}

/// A FIFO async mutex: one holder at a time, waiters resume in order.
final class AsyncLock: Sendable {
    private struct State {
        var isLocked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func withLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.isLocked {
                    state.waiters.append(continuation)
                    return false
                }
                state.isLocked = true
                return true
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.isLocked = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}

extension Store {
    /// Runs one statement on a PostgreSQL server outside any Holdout schema (creating or dropping
    /// a database, for tests and set-up).
    package static func executeOnServer(url: String, _ statement: String) async throws {
        let configuration = try SQLPostgresConfiguration(url: url)
        let connection = try await PostgresConnection.connect(
            configuration: configuration.coreConfiguration, id: 2, logger: Logger(label: "holdout.store.admin"))
        do {
            try await connection.sql(queryLogLevel: nil).raw(SQLQueryString(statement)).run()
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}

extension Store {
    /// The engine's check of its own structures (``StoreDialect/integrityCheck``: SQLite's
    /// `PRAGMA integrity_check`), "ok" when they are sound; an engine that guarantees this
    /// itself (PostgreSQL) answers "ok".
    public func integrityCheck() async throws(StoreError) -> String {
        guard let check = dialect.integrityCheck else { return "ok" }
        return try await failing("ty check failed to run") {
            try await withConnection { sql in
                try await sql.raw(SQLQueryString(check)).all().map { row in try row.decode(column: row.allColumns.first ?? "", as: String.self) }
                    .joined(separator: "; ")
            }
        }
    }

    /// Makes the engine cancel any statement of this connection that runs longer than
    /// `seconds`, where it can (``StoreDialect/statementTimeout(seconds:)``).
    public func limitStatementTime(seconds: Double) async throws(StoreError) {
        guard let statement = dialect.statementTimeout(seconds: seconds) else { return }
        try await failing("set the statement time limit") {
            try await withConnection { sql in try await sql.raw(SQLQueryString(statement)).run() }
        }
    }

    /// Rows in one of the store's tables (for tests and diagnostics).
    package func rowCount(_ table: String) async throws -> Int {
        precondition(table.allSatisfy { $0.isLetter || $0 == "_" }, "table names are identifiers")
        return try await withConnection { sql in
            try await sql.raw(SQLQueryString("SELECT COUNT(*) AS n FROM " + table)).first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }
}

extension Store {
    /// Runs database work, turning an engine's failure into a ``StoreError`` `database_error`
    /// that says what was being done and keeps the engine's error as its cause; a
    /// ``StoreError`` thrown inside passes unchanged. The one place the store maps errors.
    func failing<T>(_ doing: String, _ body: () async throws -> T) async throws(StoreError) -> T {
        do {
            return try await body()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.database, "cannot \(doing): \(Store.describe(error))", cause: error)
        }
    }
}
