import HoldoutModel
import PostgresKit
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
}

/// SQLite 3.24+ (the embedded default).
public struct SQLiteStoreDialect: StoreDialect {
    public init() {}
    public var name: String { "sqlite" }
    public var autoIncrementPrimaryKey: String { "INTEGER PRIMARY KEY AUTOINCREMENT" }
    public var doubleType: String { "DOUBLE PRECISION" }
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
