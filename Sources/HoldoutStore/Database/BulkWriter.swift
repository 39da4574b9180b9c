import Foundation
import Logging
import NIOCore
import PostgresKit
import SQLKit
import SQLiteKit
import Synchronization

/// A value for bulk loading, typed once so no per-value encoding machinery runs.
package enum DatabaseValue: Sendable, Hashable {
    case text(String)
    case integer(Int64)
    case double(Double)
    case null

    package init(_ text: String?) { self = text.map(DatabaseValue.text) ?? .null }
    package init(_ number: Double?) { self = number.map(DatabaseValue.double) ?? .null }
}

/// The column types a bulk load declares (for a staging table).
package enum ColumnType: String, Sendable {
    case text = "TEXT"
    case bigint = "BIGINT"
    case double = "DOUBLE PRECISION"
}

/// Loads many rows at once, skipping rows whose key exists: the engine-specific fast path of
/// imports (multi-row statements on SQLite, COPY into a staging table on PostgreSQL). Runs inside
/// the caller's transaction.
protocol BulkWriter: Sendable {
    /// - Returns: how many rows were new.
    func insert(
        table: String, columns: [(name: String, type: ColumnType)], conflict: [String], rows: ArraySlice<[DatabaseValue]>
    ) async throws -> Int

    /// One `INSERT … ON CONFLICT DO NOTHING RETURNING key` of a few thousand rows at most, for the
    /// request path (no staging): the values of column `returning` (text) of the new rows.
    func insertReturning(
        table: String, columns: [String], conflict: [String], rows: ArraySlice<[DatabaseValue]>, returning: String, sql: any SQLDatabase
    ) async throws -> [String]
}

extension BulkWriter {
    /// Through SQLKit's binds (PostgreSQL).
    func insertReturning(
        table: String, columns: [String], conflict: [String], rows: ArraySlice<[DatabaseValue]>, returning: String, sql: any SQLDatabase
    ) async throws -> [String] {
        var query = SQLQueryString("INSERT INTO \(unsafeRaw: table) (\(unsafeRaw: columns.joined(separator: ", "))) VALUES ")
        for (i, row) in rows.enumerated() {
            query.appendLiteral(i == 0 ? "(" : ", (")
            for (j, value) in row.enumerated() {
                if j > 0 { query.appendLiteral(", ") }
                switch value {
                case .text(let text): query.appendInterpolation(bind: text)
                case .integer(let n): query.appendInterpolation(bind: n)
                case .double(let d): query.appendInterpolation(bind: d)
                case .null: query.appendLiteral("NULL")
                }
            }
            query.appendLiteral(")")
        }
        query.appendLiteral(" ON CONFLICT (\(conflict.joined(separator: ", "))) DO NOTHING RETURNING \(returning)")
        return try await sql.raw(query).all().map { try $0.decode(column: returning, as: String.self) }
    }
}

/// SQLite: multi-row `INSERT … ON CONFLICT DO NOTHING` with native binds, then `changes()`.
struct SQLiteBulkWriter: BulkWriter {
    let connection: SQLiteConnection

    func insert(
        table: String, columns: [(name: String, type: ColumnType)], conflict: [String], rows: ArraySlice<[DatabaseValue]>
    ) async throws -> Int {
        let perStatement = max(1, 32_000 / columns.count)
        var inserted = 0
        var start = rows.startIndex
        let placeholders = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        let head = "INSERT INTO \(table) (\(columns.map(\.name).joined(separator: ", "))) VALUES "
        let tail = " ON CONFLICT (\(conflict.joined(separator: ", "))) DO NOTHING"
        while start < rows.endIndex {
            let end = min(start + perStatement, rows.endIndex)
            let count = end - start
            var sql = head
            sql.reserveCapacity(head.count + count * (placeholders.count + 1) + tail.count)
            for i in 0..<count {
                if i > 0 { sql += "," }
                sql += placeholders
            }
            sql += tail
            var binds: [SQLiteData] = []
            binds.reserveCapacity(count * columns.count)
            for row in rows[start..<end] {
                for value in row {
                    switch value {
                    case .text(let s): binds.append(.text(s))
                    case .integer(let i): binds.append(.integer(Int(i)))
                    case .double(let d): binds.append(.float(d))
                    case .null: binds.append(.null)
                    }
                }
            }
            try await connection.query(sql, binds) { _ in }
            let changes = Changes()
            try await connection.query("SELECT changes() AS n", []) { row in changes.set(row.column("n")?.integer ?? 0) }
            inserted += changes.value
            start = end
        }
        return inserted
    }

    /// Native binds and rows: SQLKit's generic encoding and row decoding cost more than SQLite's
    /// own insert on the assignment path (profiled under wrk).
    func insertReturning(
        table: String, columns: [String], conflict: [String], rows: ArraySlice<[DatabaseValue]>, returning: String, sql: any SQLDatabase
    ) async throws -> [String] {
        var text = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
        let placeholders = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        var binds: [SQLiteData] = []
        binds.reserveCapacity(rows.count * columns.count)
        for (i, row) in rows.enumerated() {
            if i > 0 { text += "," }
            text += placeholders
            for value in row {
                switch value {
                case .text(let s): binds.append(.text(s))
                case .integer(let n): binds.append(.integer(Int(n)))
                case .double(let d): binds.append(.float(d))
                case .null: binds.append(.null)
                }
            }
        }
        text += " ON CONFLICT (\(conflict.joined(separator: ", "))) DO NOTHING RETURNING \(returning)"
        let keys = Keys()
        try await connection.query(text, binds) { row in
            if case .text(let key)? = row.column(returning) { keys.append(key) }
        }
        return keys.values
    }

    /// Values read in a `@Sendable` row callback (called on the connection's thread, read after
    /// the await).
    final class Keys: @unchecked Sendable {
        var values: [String] = []
        func append(_ value: String) { values.append(value) }
    }

    /// A box for a value read in a `@Sendable` row callback.
    final class Changes: @unchecked Sendable {  // written once on the connection's thread, read after the await
        var value = 0
        func set(_ n: Int) { value = n }
    }
}

/// PostgreSQL: `COPY` into a temporary staging table, then `INSERT … SELECT … ON CONFLICT DO NOTHING`.
final class PostgresBulkWriter: BulkWriter, Sendable {
    let connection: PostgresConnection
    let logger: Logger
    /// Staging tables already created on this connection (temporary tables live per session).
    private let createdTables = Mutex<Set<String>>([])
    private var created: Set<String> {
        get { createdTables.withLock { $0 } }
        set { createdTables.withLock { $0 = newValue } }
    }

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    func insert(
        table: String, columns: [(name: String, type: ColumnType)], conflict: [String], rows: ArraySlice<[DatabaseValue]>
    ) async throws -> Int {
        let stage = "holdout_stage_\(table)"
        let names = columns.map(\.name).joined(separator: ", ")
        let definitions = columns.map { "\($0.name) \($0.type.rawValue)" }.joined(separator: ", ")
        // Emptied at every commit; each batch is one transaction.
        if !created.contains(stage) {
            _ = try await connection.query(
                PostgresQuery(unsafeSQL: "CREATE TEMP TABLE IF NOT EXISTS \(stage) (\(definitions)) ON COMMIT DELETE ROWS"), logger: logger)
            created.insert(stage)
        }
        try await connection.copyFrom(table: stage, columns: columns.map(\.name), logger: logger) { writer in
            var buffer = ByteBuffer()
            buffer.reserveCapacity(1 << 20)
            for row in rows {
                for (i, value) in row.enumerated() {
                    if i > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
                    switch value {
                    case .null: buffer.writeString("\\N")
                    case .integer(let n): buffer.writeString(String(n))
                    case .double(let d): buffer.writeString("\(d)")
                    case .text(let s): Self.writeEscaped(s, to: &buffer)
                    }
                }
                buffer.writeInteger(UInt8(ascii: "\n"))
                if buffer.readableBytes > 1 << 20 {
                    try await writer.write(buffer)
                    buffer.clear()
                }
            }
            if buffer.readableBytes > 0 { try await writer.write(buffer) }
        }
        let rowsResult = try await connection.query(
            PostgresQuery(
                unsafeSQL:
                    "WITH inserted AS (INSERT INTO \(table) (\(names)) SELECT \(names) FROM \(stage) ON CONFLICT (\(conflict.joined(separator: ", "))) DO NOTHING RETURNING 1) SELECT COUNT(*) FROM inserted"
            ), logger: logger)
        var count = 0
        for try await row in rowsResult { count = Int(try row.decode(Int64.self)) }
        return count
    }

    /// COPY text format: backslash, tab, newline and carriage return escaped.
    static func writeEscaped(_ text: String, to buffer: inout ByteBuffer) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeString("\\t")
            case UInt8(ascii: "\n"): buffer.writeString("\\n")
            case UInt8(ascii: "\r"): buffer.writeString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
    }
}
