import CHoldoutSQLite3
import Foundation
import HoldoutSQLGuard
import HoldoutStore

/// The second wall on SQLite: a read-only connection of its own on the system libsqlite3 whose
/// authorizer admits only what the semantic views need.
///
/// What the authorizer admits (everything else is denied, so the statement fails to prepare
/// with "not authorized"):
/// - `SQLITE_SELECT`;
/// - `SQLITE_READ` of a column of an allowed view in `main` (from the statement or a CTE in it);
/// - `SQLITE_READ` from inside a view (SQLite names the innermost view) of exactly the columns
///   that view reads, learnt when the connection opens by preparing `SELECT * FROM` each view
///   under a recording authorizer (the views use no CTEs, so their reads carry the view's name);
/// - `SQLITE_READ` of no column (a count or existence scan) of a table the views read, or of a
///   name that is no table (a materialized CTE);
/// - `SQLITE_FUNCTION` of a function on the guard's allowlist or one the views call.
///
/// Known limit, which is why the guard refuses such CTEs: SQLite reports a read inside a CTE
/// under the CTE's name, so a CTE named like a view may read what that view reads (the columns
/// of its tables, without the view's tenant filter).
enum SQLiteWall {
    static func run(path: String, sql: String, tenant: String, maxRows: Int, timeout: Duration) async throws(GuardedQueryError) -> QueryResult {
        let deadline =
            DispatchTime.now().uptimeNanoseconds &+ UInt64(timeout.components.seconds) * 1_000_000_000
            &+ UInt64(timeout.components.attoseconds / 1_000_000_000)
        let context = WallContext(tenant: tenant, deadline: deadline)
        let result: Result<QueryResult, GuardedQueryError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // A thread of its own: the statement blocks it until it ends or is interrupted.
                Thread.detachNewThread {
                    continuation.resume(returning: execute(path: path, sql: sql, maxRows: maxRows, timeout: timeout, context: context))
                }
            }
        } onCancel: {
            context.cancel()
        }
        return try result.get()
    }

    static func execute(path: String, sql: String, maxRows: Int, timeout: Duration, context: WallContext) -> Result<QueryResult, GuardedQueryError> {
        guard FileManager.default.fileExists(atPath: path) else {
            return .failure(GuardedQueryError(.unavailable, "no SQLite database at \(path)"))
        }
        var handle: OpaquePointer?
        let flags = HOLDOUT_SQLITE_OPEN_READONLY | HOLDOUT_SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == HOLDOUT_SQLITE_OK, let db = handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            return .failure(GuardedQueryError(.unavailable, "cannot open \(path) read-only: \(message)"))
        }
        context.attach(db)
        defer {
            context.detach()
            sqlite3_close_v2(db)
        }
        configure(db)
        let contextPointer = Unmanaged.passUnretained(context).toOpaque()
        // The tenant the views show, fixed for this connection.
        sqlite3_create_function_v2(
            db, "holdout_tenant", 0, HOLDOUT_SQLITE_UTF8 | HOLDOUT_SQLITE_DETERMINISTIC | HOLDOUT_SQLITE_INNOCUOUS, contextPointer,
            { sqlContext, _, _ in
                guard let sqlContext, let user = sqlite3_user_data(sqlContext) else { return }
                let context = Unmanaged<WallContext>.fromOpaque(user).takeUnretainedValue()
                let tenant = context.tenant
                tenant.withCString { holdout_sqlite3_result_text(sqlContext, $0, Int32(tenant.utf8.count)) }
            }, nil, nil, nil)
        sqlite3_set_authorizer(db, authorize, contextPointer)
        // Learn what each view reads, and which names are tables.
        context.mode = .recording
        var names: OpaquePointer?
        if sqlite3_prepare_v2(db, "SELECT name FROM main.sqlite_master WHERE type IN ('table', 'view')", -1, &names, nil) == HOLDOUT_SQLITE_OK {
            while sqlite3_step(names) == HOLDOUT_SQLITE_ROW {
                if let name = sqlite3_column_text(names, 0) { context.relations.insert(String(cString: name).lowercased()) }
            }
        }
        sqlite3_finalize(names)
        for view in SQLGuard.holdoutAssets.sorted() {
            var statement: OpaquePointer?
            let code = sqlite3_prepare_v2(db, "SELECT * FROM main.\"\(view)\"", -1, &statement, nil)
            sqlite3_finalize(statement)
            if code != HOLDOUT_SQLITE_OK {
                if context.wasCancelled { return .failure(GuardedQueryError(.timedOut, "the query was cancelled")) }
                return .failure(
                    GuardedQueryError(
                        .unavailable, "the semantic view \(view) is missing or broken (\(String(cString: sqlite3_errmsg(db)))): run `holdout db migrate`"))
            }
        }
        context.mode = .enforcing
        sqlite3_progress_handler(db, 1000, progress, contextPointer)

        var statement: OpaquePointer?
        // One statement: what follows the first must compile to nothing (spaces, comments, `;`).
        var more = false
        let prepared = sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v2(db, text, -1, &statement, &tail)
            if code == HOLDOUT_SQLITE_OK, let tail, tail.pointee != 0 {
                var next: OpaquePointer?
                let nextCode = sqlite3_prepare_v2(db, tail, -1, &next, nil)
                more = nextCode != HOLDOUT_SQLITE_OK || next != nil
                sqlite3_finalize(next)
            }
            return code
        }
        defer { sqlite3_finalize(statement) }
        if prepared != HOLDOUT_SQLITE_OK {
            return .failure(failure(db: db, code: prepared, context: context, timeout: timeout))
        }
        if more {
            return .failure(GuardedQueryError(.notAuthorized, "not authorized: more than one statement"))
        }
        guard let statement else {
            return .failure(GuardedQueryError(.invalidInput, "the query is empty"))
        }
        guard sqlite3_stmt_readonly(statement) != 0 else {
            return .failure(GuardedQueryError(.notAuthorized, "not authorized: the statement would write"))
        }
        let count = Int(sqlite3_column_count(statement))
        let columns = (0..<count).map { String(cString: sqlite3_column_name(statement, Int32($0))) }
        var rows: [[QueryValue]] = []
        var bytes = 0
        while true {
            let step = sqlite3_step(statement)
            if step == HOLDOUT_SQLITE_DONE { break }
            guard step == HOLDOUT_SQLITE_ROW else { return .failure(failure(db: db, code: step, context: context, timeout: timeout)) }
            if rows.count == maxRows { return .success(QueryResult(columns: columns, rows: rows, truncated: true)) }
            var row: [QueryValue] = []
            row.reserveCapacity(count)
            for i in 0..<Int32(count) {
                switch sqlite3_column_type(statement, i) {
                case HOLDOUT_SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(statement, i)))
                case HOLDOUT_SQLITE_FLOAT: row.append(.double(sqlite3_column_double(statement, i)))
                case HOLDOUT_SQLITE_NULL: row.append(.null)
                case HOLDOUT_SQLITE_BLOB:
                    let n = Int(sqlite3_column_bytes(statement, i))
                    let data = sqlite3_column_blob(statement, i).map { Data(bytes: $0, count: n) } ?? Data()
                    bytes += 2 * n
                    row.append(.text(data.map { String(format: "%02x", $0) }.joined()))
                default:
                    let text = sqlite3_column_text(statement, i).map { String(cString: $0) } ?? ""
                    bytes += text.utf8.count
                    row.append(.text(text))
                }
            }
            bytes += 8 * count
            if bytes > GuardedQueryRunner.maximumResultBytes {
                return .failure(
                    GuardedQueryError(.tooLarge, "the result is larger than \(GuardedQueryRunner.maximumResultBytes >> 20) MiB: ask for fewer rows or columns"))
            }
            rows.append(row)
        }
        return .success(QueryResult(columns: columns, rows: rows, truncated: false))
    }

    /// Limits that bound what one statement can build; defensive mode and extension loading off.
    /// (The schema stays trusted: with `trusted_schema` off SQLite refuses `json_extract` in a
    /// view; the authorizer decides which functions run.)
    static func configure(_ db: OpaquePointer) {
        sqlite3_busy_timeout(db, 0)
        sqlite3_extended_result_codes(db, 1)
        _ = holdout_sqlite3_db_config_flag(db, HOLDOUT_SQLITE_DBCONFIG_DEFENSIVE, 1)
        _ = holdout_sqlite3_db_config_flag(db, HOLDOUT_SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0)
        let limits: [(Int32, Int32)] = [
            (HOLDOUT_SQLITE_LIMIT_LENGTH, 1_000_000), (HOLDOUT_SQLITE_LIMIT_SQL_LENGTH, 65_536), (HOLDOUT_SQLITE_LIMIT_COLUMN, 500),
            (HOLDOUT_SQLITE_LIMIT_EXPR_DEPTH, 200), (HOLDOUT_SQLITE_LIMIT_COMPOUND_SELECT, 64), (HOLDOUT_SQLITE_LIMIT_VDBE_OP, 250_000),
            (HOLDOUT_SQLITE_LIMIT_FUNCTION_ARG, 16), (HOLDOUT_SQLITE_LIMIT_ATTACHED, 0), (HOLDOUT_SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 1000),
            (HOLDOUT_SQLITE_LIMIT_VARIABLE_NUMBER, 0), (HOLDOUT_SQLITE_LIMIT_TRIGGER_DEPTH, 1), (HOLDOUT_SQLITE_LIMIT_WORKER_THREADS, 0),
        ]
        for (limit, value) in limits { sqlite3_limit(db, limit, value) }
    }

    static func failure(db: OpaquePointer, code: Int32, context: WallContext, timeout: Duration) -> GuardedQueryError {
        let message = String(cString: sqlite3_errmsg(db))
        if context.wasInterrupted || context.wasCancelled {
            return context.wasCancelled
                ? GuardedQueryError(.timedOut, "the query was cancelled")
                : GuardedQueryError(.timedOut, "the query ran longer than \(timeout) and was interrupted")
        }
        if let denial = context.denial { return GuardedQueryError(.notAuthorized, "not authorized: \(denial)") }
        switch code & 0xff {
        case HOLDOUT_SQLITE_AUTH: return GuardedQueryError(.notAuthorized, "not authorized: \(message)")
        case HOLDOUT_SQLITE_READONLY, HOLDOUT_SQLITE_PERM: return GuardedQueryError(.notAuthorized, "not authorized (read-only): \(message)")
        case HOLDOUT_SQLITE_TOOBIG, HOLDOUT_SQLITE_NOMEM: return GuardedQueryError(.tooLarge, "the query exceeded a limit: \(message)")
        case HOLDOUT_SQLITE_BUSY, HOLDOUT_SQLITE_LOCKED, HOLDOUT_SQLITE_CANTOPEN: return GuardedQueryError(.unavailable, message)
        default: return GuardedQueryError(.failed, message)
        }
    }
}

/// The state the C callbacks see (through their user-data pointer), owned by one run.
final class WallContext: @unchecked Sendable {
    enum Mode { case recording, enforcing }

    struct Read: Hashable {
        var view: String
        var table: String
        var column: String
    }

    let tenant: String
    let deadline: UInt64
    var mode: Mode = .recording
    /// The open connection, for `sqlite3_interrupt` from another thread (under `lock`).
    private var db: OpaquePointer?
    /// What the views read: (innermost view, table, column), and their tables and functions.
    var viewReads: Set<Read> = []
    var viewTables: Set<String> = []
    var viewFunctions: Set<String> = []
    /// Every table and view of `main`.
    var relations: Set<String> = []
    let allowedViews = Set(SQLGuard.holdoutAssets.map { $0.lowercased() })
    let allowedFunctions = SQLDialect.sqlite.defaultAllowedFunctions
    /// The first thing the authorizer denied.
    var denial: String?
    private let lock = NSLock()
    private var cancelled = false
    private(set) var wasInterrupted = false

    init(tenant: String, deadline: UInt64) {
        self.tenant = tenant
        self.deadline = deadline
    }

    var wasCancelled: Bool { lock.withLock { cancelled } }

    func attach(_ connection: OpaquePointer) { lock.withLock { db = connection } }

    /// Before the connection closes: no interrupt may reach it afterwards.
    func detach() { lock.withLock { db = nil } }

    /// Called from another task: stops the statement at its next progress check, and at once
    /// through `sqlite3_interrupt`.
    func cancel() {
        lock.withLock {
            cancelled = true
            if let db { sqlite3_interrupt(db) }
        }
    }

    /// True when the statement must stop.
    func shouldInterrupt() -> Bool {
        let stop = lock.withLock { cancelled } || DispatchTime.now().uptimeNanoseconds >= deadline
        if stop { wasInterrupted = true }
        return stop
    }

    func deny(_ reason: String) -> Int32 {
        if denial == nil { denial = reason }
        return HOLDOUT_SQLITE_DENY
    }
}

private func text(_ pointer: UnsafePointer<CChar>?) -> String? {
    pointer.map { String(cString: $0) }
}

private let progress: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { user in
    guard let user else { return 1 }
    return Unmanaged<WallContext>.fromOpaque(user).takeUnretainedValue().shouldInterrupt() ? 1 : 0
}

private let authorize:
    @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32 = {
        user, action, first, second, database, inner in
        guard let user else { return HOLDOUT_SQLITE_DENY }
        let context = Unmanaged<WallContext>.fromOpaque(user).takeUnretainedValue()
        let innerView = text(inner)?.lowercased()
        switch context.mode {
        case .recording:
            if action == HOLDOUT_SQLITE_READ, let innerView, let table = text(first)?.lowercased() {
                context.viewReads.insert(.init(view: innerView, table: table, column: text(second)?.lowercased() ?? ""))
                context.viewTables.insert(table)
            } else if action == HOLDOUT_SQLITE_FUNCTION, innerView != nil, let name = text(second)?.lowercased() {
                context.viewFunctions.insert(name)
            }
            return HOLDOUT_SQLITE_OK
        case .enforcing:
            switch action {
            case HOLDOUT_SQLITE_SELECT:
                return HOLDOUT_SQLITE_OK
            case HOLDOUT_SQLITE_READ:
                let table = text(first)?.lowercased() ?? ""
                let column = text(second)?.lowercased() ?? ""
                // A column of an allowed view, from the statement or from inside a CTE of it (a CTE's
                // own columns are never reported as reads): the view then reads what it reads.
                if text(database) == "main", context.allowedViews.contains(table) { return HOLDOUT_SQLITE_OK }
                if let innerView {
                    if context.viewReads.contains(.init(view: innerView, table: table, column: column)) { return HOLDOUT_SQLITE_OK }
                    return context.deny("reading \(table).\(column) inside \"\(innerView)\" is not something that view reads")
                }
                // No column: a count or existence scan, of a table the views read, or of a
                // materialized CTE (a name that is no relation of the database).
                if column.isEmpty, database == nil,
                    context.viewTables.contains(table) || context.allowedViews.contains(table) || !context.relations.contains(table)
                {
                    return HOLDOUT_SQLITE_OK
                }
                return context.deny("relation \"\(table)\" is not an allowed view")
            case HOLDOUT_SQLITE_FUNCTION:
                let name = text(second)?.lowercased() ?? ""
                if context.allowedFunctions.contains(name) || (innerView != nil && context.viewFunctions.contains(name)) { return HOLDOUT_SQLITE_OK }
                return context.deny("function \"\(name)\" is not allowed")
            default:
                return context.deny("action \(action) (\(text(first) ?? "")) is not a read")
            }
        }
    }
