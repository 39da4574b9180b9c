import Foundation
import Logging
import PostgresKit

/// The second wall on PostgreSQL: a connection as a reader login role (``ReaderRole``), never a
/// privileged session with `SET ROLE` (which `set_config('role', …)` escapes).
///
/// Before the query the runner checks that the role is a reader (not a superuser, cannot
/// create roles or bypass row security, cannot read Holdout's tables) and refuses to run
/// otherwise; then `BEGIN READ ONLY`, `SET LOCAL statement_timeout`, the query on the extended
/// protocol (one statement only), at most `maxRows` + 1 rows read, and `ROLLBACK` whatever
/// happened, so nothing the statement changed in the session (`set_config(…, false)` included)
/// outlives it. The connection is closed after each query.
enum PostgresWall {
    static func run(url: String, sql: String, maxRows: Int, timeout: Duration) async throws(GuardedQueryError) -> QueryResult {
        let logger = Logger(label: "holdout.query")
        let connection: PostgresConnection
        do {
            let configuration = try SQLPostgresConfiguration(url: url)
            connection = try await PostgresConnection.connect(configuration: configuration.coreConfiguration, id: 1, logger: logger)
        } catch {
            throw GuardedQueryError(.unavailable, "cannot connect as the reader role: \(describe(error))")
        }
        // The statement timeout is the limit; this closes the connection if the server does not
        // answer well after it (a network stall), so the caller never hangs.
        let fired = Flag()
        let watchdog = Task {
            try await Task.sleep(for: timeout + .seconds(5))
            fired.set()
            try await connection.close()
        }
        defer { watchdog.cancel() }
        do {
            let result = try await execute(connection: connection, sql: sql, maxRows: maxRows, timeout: timeout, logger: logger)
            try? await connection.close()
            return try result.get()
        } catch {
            try? await connection.close()
            if let error = error as? GuardedQueryError { throw error }
            if fired.isSet {
                throw GuardedQueryError(.timedOut, "the server did not answer within \(timeout + .seconds(5)); the connection was closed")
            }
            throw classify(error, timeout: timeout)
        }
    }

    static func execute(
        connection: PostgresConnection, sql: String, maxRows: Int, timeout: Duration, logger: Logger
    ) async throws -> Result<QueryResult, GuardedQueryError> {
        let check = try await connection.query(
            """
            SELECT current_user::text AS role, rolsuper OR rolcreaterole OR rolbypassrls OR rolreplication AS privileged,
                has_table_privilege(current_user, 'public.api_keys', 'SELECT') OR has_table_privilege(current_user, 'public.experiments', 'SELECT')
                    OR has_table_privilege(current_user, 'public.ai_query_roles', 'SELECT') AS reads_tables
            FROM pg_roles WHERE rolname = current_user
            """, logger: logger)
        for try await (role, privileged, readsTables) in check.decode((String, Bool, Bool).self) where privileged || readsTables {
            return .failure(
                GuardedQueryError(
                    .invalidInput,
                    "the reader URL logs in as \(role), which \(privileged ? "is a privileged role" : "can read Holdout's tables"): "
                        + "the runner needs a reader role made by `holdout sql reader`"))
        }
        let milliseconds = max(1, Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        _ = try await connection.query("BEGIN READ ONLY", logger: logger)
        var outcome: Result<QueryResult, GuardedQueryError>
        do {
            _ = try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL statement_timeout = \(milliseconds)"), logger: logger)
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            let columns = rows.columns.map(\.name)
            var kept: [[QueryValue]] = []
            var truncated = false
            var bytes = 0
            outcome = .success(QueryResult(columns: columns, rows: [], truncated: false))
            rowLoop: for try await row in rows {
                if kept.count == maxRows {
                    truncated = true
                    break
                }
                var values: [QueryValue] = []
                for cell in row {
                    let value = decode(cell)
                    bytes += 8 + (value.textValue?.utf8.count ?? 0)
                    values.append(value)
                }
                if bytes > GuardedQueryRunner.maximumResultBytes {
                    outcome = .failure(
                        GuardedQueryError(
                            .tooLarge, "the result is larger than \(GuardedQueryRunner.maximumResultBytes >> 20) MiB: ask for fewer rows or columns"))
                    break rowLoop
                }
                kept.append(values)
            }
            if case .success = outcome { outcome = .success(QueryResult(columns: columns, rows: kept, truncated: truncated)) }
        } catch {
            outcome = .failure(classify(error, timeout: timeout))
        }
        // Always ROLLBACK (a failed statement leaves the transaction aborted; ROLLBACK ends it).
        _ = try await connection.query("ROLLBACK", logger: logger)
        return outcome
    }

    static func decode(_ cell: PostgresCell) -> QueryValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8:
            return (try? cell.decode(Int64.self)).map(QueryValue.integer) ?? .null
        case .float4, .float8:
            return (try? cell.decode(Double.self)).map(QueryValue.double) ?? .null
        case .numeric:
            if let decimal = try? cell.decode(Decimal.self) { return .double(NSDecimalNumber(decimal: decimal).doubleValue) }
            return .null
        case .bool:
            return (try? cell.decode(Bool.self)).map { .integer($0 ? 1 : 0) } ?? .null
        case .timestamp, .timestamptz, .date:
            if let date = try? cell.decode(Date.self) { return .text(ISO8601DateFormatter().string(from: date)) }
            return .text("(\(cell.dataType))")
        default:
            if let text = try? cell.decode(String.self) { return .text(text) }
            return .text("(a value of type \(cell.dataType))")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError, let message = error.serverInfo?[.message] { return message }
        let text = String(reflecting: error)
        return text.count > 400 ? String(text.prefix(400)) + "…" : text
    }

    static func classify(_ error: any Error, timeout: Duration) -> GuardedQueryError {
        let message = describe(error)
        switch (error as? PSQLError)?.serverInfo?[.sqlState] {
        case "42501": return GuardedQueryError(.notAuthorized, "not authorized: \(message)")
        case "25006": return GuardedQueryError(.notAuthorized, "not authorized (read-only transaction): \(message)")
        case "57014": return GuardedQueryError(.timedOut, "the query ran longer than \(timeout) and was cancelled by statement_timeout")
        case "53200", "54000", "54001": return GuardedQueryError(.tooLarge, "the query exceeded a limit: \(message)")
        default: return GuardedQueryError(.failed, message)
        }
    }
}

/// A flag set once, read from another task.
final class Flag: Sendable {
    private let lock = NSLock()
    nonisolated(unsafe) private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
