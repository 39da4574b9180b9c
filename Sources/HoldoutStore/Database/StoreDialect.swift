import HoldoutModel
import PostgresKit
public import SQLKit
import SQLiteKit

/// What differs between engines, as capabilities the SQL builders consult — never
/// `if engine == .postgres` in the pipeline.
///
/// Timestamps are stored as BIGINT microseconds since the Unix epoch (UTC) on every engine, so
/// windows and day buckets are integer arithmetic with identical results everywhere; a new engine
/// (a distributed SQL engine) needs only a new conformance.
public protocol StoreDialect: Sendable {
    /// A short name for messages: `sqlite`, `postgresql`.
    var name: String { get }
    /// The column definition of a surrogate auto-increment primary key.
    var autoIncrementPrimaryKey: String { get }
    /// The type of a double-precision float column.
    var doubleType: String { get }
    /// The type of a column of raw bytes (`BLOB`, `BYTEA`).
    var bytesType: String { get }
    /// The most bind parameters one statement may carry.
    var maximumBindsPerStatement: Int { get }
    /// Appended to `CREATE TABLE … (…)` for a table stored in its primary key's order, where the
    /// engine can (SQLite's `WITHOUT ROWID`: one B-tree instead of a table and a unique index).
    var clusteredTableOptions: String { get }
    /// Statements that make a table's primary key `key` (the constraint named `constraint`) also
    /// carry the columns `include`, so reading rows by key range never visits the table (PostgreSQL
    /// 11+ `INCLUDE`); none where the table is stored in key order already
    /// (`clusteredTableOptions`).
    func coverPrimaryKey(table: String, constraint: String, key: [String], include: [String]) -> [String]
    /// Statements that create an index on `key` that also carries `include`, so reading rows by
    /// key never visits the table (PostgreSQL 11+ `INCLUDE`; elsewhere trailing key columns).
    func createCoveringIndex(name: String, table: String, key: [String], include: [String]) -> [String]
    /// Statements run on an analysis connection before the ordered per-unit plans of the
    /// exposure statistics (planner settings where the engine's own choice is worse).
    var orderedPlanSettings: [String] { get }
    /// How many connections an import writes through at once (SQLite has one writer).
    var concurrentWriters: Int { get }
    /// The statement run after a bulk load of `table` (outside a transaction): fresh planner
    /// statistics, and on PostgreSQL the visibility map, without which index-only scans visit
    /// the table for every row loaded since the last vacuum.
    func refreshAfterLoad(table: String) -> String
    /// A BIGINT expression cast to a double.
    func toDouble(_ expression: String) -> String
    /// The text value of a top-level key of a JSON object stored as TEXT (NULL when absent).
    func jsonText(_ column: String, key: String) -> String
    /// The statement that makes the engine cancel any statement of this connection running
    /// longer than `seconds`; nil when the engine (as reached from here) cannot.
    func statementTimeout(seconds: Double) -> String?
    /// Whether a running statement can be stopped (``statementTimeout(seconds:)`` is not nil).
    var canInterruptStatements: Bool { get }
    /// Whether an error is this engine's refusal of a duplicate key (a conflict, not a failure).
    func isUniqueViolation(_ error: any Error) -> Bool
    /// The clause appended to a `SELECT` in a transaction that locks the rows read until the
    /// transaction ends (shared or exclusive); empty where a write transaction is exclusive
    /// already (SQLite's `BEGIN IMMEDIATE`).
    func rowLock(exclusive: Bool) -> String

    // MARK: Connections, transactions and schema

    /// SQLKit's dialect of the engine, as its connection writes a query: bind placeholders
    /// (`?1` on SQLite, `$1` on PostgreSQL) and quoting. ``render(_:)`` uses it to show a query
    /// as the engine receives it, without a connection.
    var sqlDialect: any SQLDialect { get }
    /// Statements run in order on every connection the store opens, before anything else.
    var connectionSettings: [String] { get }
    /// The statement that starts a transaction of ``Store/transaction(_:)``.
    var beginTransaction: String { get }
    /// Whether opening with ``Store/SchemaPolicy/automatic`` applies missing migrations (an
    /// embedded file is ready at once) rather than refusing a schema that is behind (a server is
    /// upgraded on purpose, with `holdout db migrate`).
    var migratesAutomatically: Bool { get }
    /// The statement that checks the database's own structures, whose rows' first column reads
    /// "ok" when they are sound; nil where the engine guarantees this itself, and
    /// ``Store/integrityCheck()`` answers "ok".
    var integrityCheck: String? { get }
    /// Whether an error is the engine aborting a transaction to break a deadlock; the
    /// transaction wrote nothing and can run again.
    func isDeadlock(_ error: any Error) -> Bool
    /// The statement that refreshes the planner's statistics of `table` and can run inside a
    /// transaction (a migration; ``refreshAfterLoad(table:)`` may not).
    func analyze(table: String) -> String

    // MARK: Clauses of statements

    /// The clause that ends an `INSERT` and skips each row whose key `conflict` exists (no
    /// leading space): `ON CONFLICT (experiment_id, event_id) DO NOTHING`.
    func ignoreConflicts(on conflict: [String]) -> String
    /// The clause that ends an `INSERT` and, when a row's key `conflict` exists, sets `columns`
    /// of the existing row to the new row's values instead (no leading space):
    /// `ON CONFLICT (tenant) DO UPDATE SET secret = excluded.secret`.
    func updateConflicts(on conflict: [String], set columns: [String]) -> String
    /// The clause that ends an `INSERT` or `UPDATE` and returns `columns` of the rows written
    /// (no leading space): `RETURNING id`.
    ///
    /// The store's writes read new ids and changed rows through it, so an engine without it
    /// cannot hold the store's tables (it can still answer the analysis queries).
    func returning(_ columns: [String]) -> String
    /// The keywords between a common table expression's `AS` and its body that ask the engine
    /// to expand it where it is referenced rather than compute it once (`NOT MATERIALIZED`);
    /// nil where the engine has no such hint.
    var inlineCommonTableExpression: String? { get }
    /// The tenant a semantic view shows (migration 8): an expression that the reader's
    /// connection fixes and its queries cannot change.
    var viewTenant: String { get }
    /// The UTC day `days` (days since the epoch, a BIGINT expression) as the engine's date: a
    /// DATE where there is one, else `YYYY-MM-DD` text (which sorts and compares as dates do).
    func utcDay(_ days: String) -> String
    /// The current time as BIGINT microseconds since the epoch.
    var nowMicroseconds: String { get }
}

/// SQLite 3.24+ (the embedded default).
public struct SQLiteStoreDialect: StoreDialect {
    public init() {}
    public var name: String { "sqlite" }
    public var autoIncrementPrimaryKey: String { "INTEGER PRIMARY KEY AUTOINCREMENT" }
    public var doubleType: String { "DOUBLE PRECISION" }
    public var bytesType: String { "BLOB" }
    public var maximumBindsPerStatement: Int { 32_000 }
    public var clusteredTableOptions: String { " WITHOUT ROWID" }
    public func coverPrimaryKey(table: String, constraint: String, key: [String], include: [String]) -> [String] { [] }
    public var orderedPlanSettings: [String] { [] }
    public var concurrentWriters: Int { 1 }
    public func refreshAfterLoad(table: String) -> String { "ANALYZE \(table)" }
    public func createCoveringIndex(name: String, table: String, key: [String], include: [String]) -> [String] {
        ["CREATE INDEX \(name) ON \(table) (\((key + include).joined(separator: ", ")))"]
    }
    public func toDouble(_ expression: String) -> String { "CAST(\(expression) AS REAL)" }
    public func jsonText(_ column: String, key: String) -> String {
        "CAST(json_extract(\(column), '$.\(key)') AS TEXT)"
    }
    /// sqlite-nio is built without the progress callback and does not expose
    /// `sqlite3_interrupt`, so a statement runs to its end.
    public func statementTimeout(seconds: Double) -> String? { nil }
    public var canInterruptStatements: Bool { false }
    public func rowLock(exclusive: Bool) -> String { "" }
    public var sqlDialect: any SQLDialect { SQLiteDialect() }
    /// The busy timeout first (switching to WAL may wait for another process's lock), then WAL
    /// (readers beside a writer, from several processes), `synchronous = NORMAL`, foreign keys,
    /// and `ANALYZE` from a sample of about 1,000 rows per index (SQLite's advice for large
    /// tables): without the limit, the `ANALYZE orders` after a 20-million-order import read the
    /// whole table again (2.1 s).
    public var connectionSettings: [String] {
        [
            "PRAGMA busy_timeout = 30000", "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON",
            "PRAGMA analysis_limit = 1000",
        ]
    }
    /// `BEGIN IMMEDIATE`: the write lock at once, so two transactions that read and then write
    /// never deadlock upgrading their locks (the second waits at its start, under the busy
    /// timeout).
    public var beginTransaction: String { "BEGIN IMMEDIATE" }
    /// An embedded file: a new one is ready at once.
    public var migratesAutomatically: Bool { true }
    public var integrityCheck: String? { "PRAGMA integrity_check" }
    /// Never: a write transaction takes the lock at its start (``beginTransaction``).
    public func isDeadlock(_ error: any Error) -> Bool { false }
    public func analyze(table: String) -> String { "ANALYZE \(table)" }
    /// SQLite 3.24+.
    public func ignoreConflicts(on conflict: [String]) -> String { "ON CONFLICT (\(conflict.joined(separator: ", "))) DO NOTHING" }
    /// SQLite 3.24+.
    public func updateConflicts(on conflict: [String], set columns: [String]) -> String {
        "ON CONFLICT (\(conflict.joined(separator: ", "))) DO UPDATE SET \(columns.map { "\($0) = excluded.\($0)" }.joined(separator: ", "))"
    }
    /// SQLite 3.35+.
    public func returning(_ columns: [String]) -> String { "RETURNING \(columns.joined(separator: ", "))" }
    /// SQLite 3.35+.
    public var inlineCommonTableExpression: String? { "NOT MATERIALIZED" }
    /// A function only the guarded query runner registers on its read-only connection (to return
    /// the tenant it was given); elsewhere the views fail with "no such function".
    public var viewTenant: String { "holdout_tenant()" }
    public func utcDay(_ days: String) -> String { "date((\(days)) * 86400, 'unixepoch')" }
    public var nowMicroseconds: String { "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS BIGINT)" }
    public func isUniqueViolation(_ error: any Error) -> Bool {
        guard let error = error as? SQLiteError else { return false }
        switch error.reason {
        case .constraintUniqueFailed, .constraintPrimaryKeyFailed: return true
        case .constraint: return error.message.contains("UNIQUE constraint failed")
        default: return false
        }
    }
}

/// PostgreSQL 13+.
public struct PostgresStoreDialect: StoreDialect {
    public init() {}
    public var name: String { "postgresql" }
    public var autoIncrementPrimaryKey: String { "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" }
    public var doubleType: String { "DOUBLE PRECISION" }
    public var bytesType: String { "BYTEA" }
    public var maximumBindsPerStatement: Int { 65_000 }
    public var clusteredTableOptions: String { "" }
    /// The exposure statistics read indexes in unit order: merge joins and sorted group
    /// aggregates keep them streaming, where the planner's hash plans spill 5M-unit hash tables
    /// (6.7 s against ~2 s per pass and range at 10M units); one worker per range, since the
    /// ranges already run in parallel.
    public var orderedPlanSettings: [String] {
        [
            "SET LOCAL enable_hashjoin = off", "SET LOCAL enable_hashagg = off", "SET LOCAL enable_nestloop = off",
            "SET LOCAL max_parallel_workers_per_gather = 0", "SET LOCAL work_mem = '64MB'",
        ]
    }
    /// Two: while one connection's batch is in the server, the other's is parsed and sent (one
    /// importer: 127k exposures/s with the unit index; two: 182k, on 2 cores).
    public var concurrentWriters: Int { 2 }
    public func refreshAfterLoad(table: String) -> String { "VACUUM (ANALYZE) \(table)" }
    public func createCoveringIndex(name: String, table: String, key: [String], include: [String]) -> [String] {
        ["CREATE INDEX \(name) ON \(table) (\(key.joined(separator: ", "))) INCLUDE (\(include.joined(separator: ", ")))"]
    }
    public func coverPrimaryKey(table: String, constraint: String, key: [String], include: [String]) -> [String] {
        [
            "ALTER TABLE \(table) DROP CONSTRAINT \(constraint), ADD CONSTRAINT \(constraint) PRIMARY KEY (\(key.joined(separator: ", "))) INCLUDE (\(include.joined(separator: ", ")))"
        ]
    }
    public func toDouble(_ expression: String) -> String { "CAST(\(expression) AS DOUBLE PRECISION)" }
    public func jsonText(_ column: String, key: String) -> String {
        "((\(column))::jsonb ->> '\(key)')"
    }
    public func statementTimeout(seconds: Double) -> String? { "SET statement_timeout = \(max(1, Int((seconds * 1000).rounded())))" }
    public var canInterruptStatements: Bool { true }
    public func rowLock(exclusive: Bool) -> String { exclusive ? " FOR UPDATE" : " FOR SHARE" }
    public var sqlDialect: any SQLDialect { PostgresDialect() }
    /// Warnings and errors only, and no JIT compilation: the
    /// analysis queries are a few large scans and joins, where it cost 2–3 s per query and saved
    /// nothing (EXPLAIN ANALYZE, 10M units).
    public var connectionSettings: [String] { ["SET client_min_messages = WARNING", "SET jit = off"] }
    public var beginTransaction: String { "BEGIN" }
    /// A server is upgraded on purpose (`holdout db migrate`), never by whichever process opens
    /// it first.
    public var migratesAutomatically: Bool { false }
    /// None: the server guarantees its structures itself.
    public var integrityCheck: String? { nil }
    /// SQLSTATE 40P01.
    public func isDeadlock(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "40P01"
    }
    public func analyze(table: String) -> String { "ANALYZE \(table)" }
    public func ignoreConflicts(on conflict: [String]) -> String { "ON CONFLICT (\(conflict.joined(separator: ", "))) DO NOTHING" }
    public func updateConflicts(on conflict: [String], set columns: [String]) -> String {
        "ON CONFLICT (\(conflict.joined(separator: ", "))) DO UPDATE SET \(columns.map { "\($0) = excluded.\($0)" }.joined(separator: ", "))"
    }
    public func returning(_ columns: [String]) -> String { "RETURNING \(columns.joined(separator: ", "))" }
    /// PostgreSQL 12+.
    public var inlineCommonTableExpression: String? { "NOT MATERIALIZED" }
    /// The tenant of the login role running the query (`holdout sql reader` records it): a role
    /// cannot change `current_user` without membership in another role, so a reader sees its
    /// tenant only; any other role (the owner included) sees no rows.
    public var viewTenant: String { "(SELECT r.tenant FROM ai_query_roles r WHERE r.role_name = CURRENT_USER)" }
    public func utcDay(_ days: String) -> String { "(DATE '1970-01-01' + CAST(\(days) AS INTEGER))" }
    public var nowMicroseconds: String { "CAST(EXTRACT(EPOCH FROM now()) * 1000000 AS BIGINT)" }
    public func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }
}

extension StoreDialect {
    /// Integer division of BIGINT expressions rounding toward negative infinity (both engines
    /// truncate toward zero, so negative numerators are corrected).
    public func floorDivide(_ numerator: String, _ denominator: String) -> String {
        "(CASE WHEN (\(numerator)) >= 0 THEN (\(numerator)) / (\(denominator)) "
            + "ELSE ((\(numerator)) - (\(denominator)) + 1) / (\(denominator)) END)"
    }
}
