import Foundation
public import HoldoutSQLGuard
public import HoldoutStore

/// Runs an analyst's or an assistant's query over the semantic views: the guard first, then the
/// second wall, which holds even if the guard let something through.
///
/// - SQLite: a connection of its own on Debian's libsqlite3, opened read-only, whose authorizer
///   lets a statement read only the allowed views and what those views read, call only allowed
///   functions, and nothing else; `sqlite3_limit`s; a progress handler that interrupts the
///   statement at the time limit (or when the task is cancelled). The tenant is fixed on the
///   connection (`holdout_tenant()`, which the views filter on).
/// - PostgreSQL: a connection as a reader login role (``ReaderRole``) that may SELECT the views
///   only and whose views show its own tenant; a READ ONLY transaction with `statement_timeout`,
///   always ended by ROLLBACK.
///
/// Both stop reading at `maxRows` + 1 rows and say the result was truncated.
///
/// ```swift
/// let runner = try GuardedQueryRunner(location: .sqlite(path: "holdout.sqlite"))
/// let result = try await runner.run(sql: "SELECT variation_id, uplift_abs FROM fct_experiment_results", tenant: "default")
/// result.columns  // ["variation_id", "uplift_abs"]
/// ```
public struct GuardedQueryRunner: Sendable {
    /// Where the data is (the store's own location).
    public let location: StoreLocation
    /// PostgreSQL: how to log in as the reader role of a tenant (a `postgres://` URL), nil when
    /// none is configured. Not used on SQLite.
    public let readerURL: @Sendable (_ tenant: String) -> String?
    /// The guard for this engine.
    public let sqlGuard: SQLGuard

    /// The most rows and the longest time a caller may ask for.
    public static let maximumRows = 100_000
    public static let maximumTimeout: Duration = .seconds(300)
    /// The most bytes of text a result may hold before the runner stops with ``GuardedQueryError/Kind/tooLarge``.
    public static let maximumResultBytes = 32 << 20

    /// - Parameter readerURL: PostgreSQL only: the reader role's URL for a tenant (see
    ///   ``ReaderRole``); by default `HOLDOUT_SQL_READER_URL` for every tenant.
    public init(location: StoreLocation, readerURL: (@Sendable (String) -> String?)? = nil) {
        self.location = location
        let fromEnvironment = ProcessInfo.processInfo.environment["HOLDOUT_SQL_READER_URL"]
        self.readerURL = readerURL ?? { _ in fromEnvironment }
        sqlGuard = SQLGuard.holdout(dialect: location.guardDialect)
    }

    /// The guard's verdict alone (what `holdout sql check` prints).
    public func check(_ sql: String) -> Verdict { sqlGuard.check(sql) }

    /// Checks `sql` with the guard and, when it is allowed, runs it on the second wall.
    ///
    /// - Parameters:
    ///   - tenant: whose experiments the views show (SQLite: fixed on the connection;
    ///     PostgreSQL: picks the reader URL, whose role decides).
    ///   - maxRows: rows kept; one more is read to tell whether there were more.
    ///   - timeout: the time limit of the statement.
    /// - Throws: ``GuardedQueryError``: `refused` with the verdict, `notAuthorized`, `timedOut`,
    ///   `tooLarge`, `failed`, `invalidInput` or `unavailable`.
    public func run(sql: String, tenant: String, maxRows: Int = 1000, timeout: Duration = .seconds(5)) async throws(GuardedQueryError) -> QueryResult {
        let verdict = sqlGuard.check(sql)
        guard verdict.isAllowed else {
            throw GuardedQueryError(.refused, "refused: \(verdict.reason ?? "not allowed")", verdict: verdict)
        }
        return try await runOnWall(sql: sql, tenant: tenant, maxRows: maxRows, timeout: timeout)
    }

    /// The second wall alone, without the guard: for the tests that show it holds by itself.
    package func runOnWall(sql: String, tenant: String, maxRows: Int, timeout: Duration) async throws(GuardedQueryError) -> QueryResult {
        guard (1...Self.maximumRows).contains(maxRows) else {
            throw GuardedQueryError(.invalidInput, "max rows must be in 1…\(Self.maximumRows), got \(maxRows)")
        }
        guard timeout > .zero, timeout <= Self.maximumTimeout else {
            throw GuardedQueryError(.invalidInput, "the timeout must be in (0, \(Self.maximumTimeout)], got \(timeout)")
        }
        guard !tenant.isEmpty, tenant.utf8.count <= 200 else {
            throw GuardedQueryError(.invalidInput, "the tenant must be 1–200 bytes")
        }
        switch location {
        case .sqlite(let path):
            return try await SQLiteWall.run(path: path, sql: sql, tenant: tenant, maxRows: maxRows, timeout: timeout)
        case .postgres:
            guard let url = readerURL(tenant) else {
                throw GuardedQueryError(
                    .invalidInput,
                    "no reader role is configured for PostgreSQL: create one with `holdout sql reader --tenant \(tenant)` and set HOLDOUT_SQL_READER_URL to the URL it prints"
                )
            }
            return try await PostgresWall.run(url: url, sql: sql, maxRows: maxRows, timeout: timeout)
        }
    }
}

extension StoreLocation {
    /// The guard's dialect for this engine.
    public var guardDialect: SQLDialect {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }
}
