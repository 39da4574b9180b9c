import Foundation
import HoldoutModel
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
    /// Raw bytes (`BLOB`/`BYTEA`): packed unit features.
    case bytes([UInt8])
    case null

    package init(_ text: String?) { self = text.map(DatabaseValue.text) ?? .null }
    package init(_ number: Double?) { self = number.map(DatabaseValue.double) ?? .null }
}

/// The column types a bulk load declares (for a staging table).
package enum ColumnType: String, Sendable {
    case text = "TEXT"
    case bigint = "BIGINT"
    case double = "DOUBLE PRECISION"
    case bytes = "BYTEA"
}

/// Loads many rows at once, skipping rows whose key exists: the engine-specific fast path of
/// imports (multi-row statements on SQLite, COPY into a staging table on PostgreSQL). Runs inside
/// the caller's transaction.
protocol BulkWriter: Sendable {
    /// The engine's dialect: conflict and `RETURNING` clauses, the bind limit.
    var dialect: any StoreDialect { get }

    /// - Returns: how many rows were new.
    func insert(
        table: String, columns: [(name: String, type: ColumnType)], conflict: [String], rows: ArraySlice<[DatabaseValue]>
    ) async throws -> Int

    /// Rows in the form `insertReturning` takes, encoded by the caller's task: on the request
    /// path each request encodes its own rows in parallel, and the group commit only concatenates.
    func encode(_ rows: [[DatabaseValue]]) -> EncodedRows

    /// One insert for the request path (no staging), skipping rows whose key exists.
    ///
    /// - Returns: nil when every row was new, else the values of column `returning` (text) of the
    ///   new rows.
    func insertReturning(
        table: String, columns: [String], conflict: [String], rows: EncodedRows, returning: String, sql: any SQLDatabase
    ) async throws -> [String]?

    /// How many statements `insertReturning` runs for these rows (more than one needs the
    /// caller's transaction to be atomic).
    func statements(for rows: EncodedRows, columns: Int) -> Int

    /// Inserts rows skipping those whose key exists, inside the caller's transaction, and says
    /// which were new (the orders import adds exactly those to its totals).
    ///
    /// - Parameter key: the position of the text column that identifies a row within `rows`
    ///   (the rows share the other key columns).
    /// - Returns: nil when every row was new, else the positions (0-based, in `rows`) of the new rows.
    func insertNew(
        table: String, columns: [(name: String, type: ColumnType)], conflict: [String], key: Int, rows: ArraySlice<[DatabaseValue]>
    ) async throws -> [Int]?

    /// Adds rows into a table of totals inside the caller's transaction: a row whose key exists
    /// adds its `add` columns to the stored ones (`INSERT … ON CONFLICT (key) DO UPDATE SET c =
    /// table.c + excluded.c`). The rows' keys must be distinct.
    func upsertAdding(table: String, columns: [(name: String, type: ColumnType)], key: [String], add: [String], rows: ArraySlice<[DatabaseValue]>) async throws

    /// Streams the rows of `sql` (one integer bind, in the engine's placeholder syntax) whose
    /// three columns, named `columns`, are text, text and bytes or NULL, with the engine's own row
    /// access: through SQLKit's decoder each row of 14 million cost about 10 µs, most of
    /// `holdout analyze`'s time.
    func forEachTextTextBytesRow(
        _ sql: String, bind: Int64, columns: (String, String, String), _ body: @escaping @Sendable (String, String, ByteBuffer?) -> Void
    ) async throws
}

/// Rows encoded for ``BulkWriter/insertReturning(table:columns:conflict:rows:returning:sql:)``.
package struct EncodedRows: Sendable {
    /// How many rows.
    package private(set) var count = 0
    /// The values, for engines that bind them (PostgreSQL).
    var values: [[DatabaseValue]] = []
    /// The rows as comma-separated JSON arrays without the enclosing brackets (SQLite).
    var json: [UInt8] = []

    init(values: [[DatabaseValue]]) {
        self.count = values.count
        self.values = values
    }

    init(json: [UInt8], count: Int) {
        self.json = json
        self.count = count
    }

    /// Appends another encoding's rows (of the same writer).
    mutating func append(_ other: EncodedRows) {
        values += other.values
        if !other.json.isEmpty {
            if !json.isEmpty { json.append(UInt8(ascii: ",")) }
            json += other.json
        }
        count += other.count
    }
}

extension BulkWriter {
    func encode(_ rows: [[DatabaseValue]]) -> EncodedRows { EncodedRows(values: rows) }

    /// Rows per statement through binds.
    func rowsPerStatement(columns: Int) -> Int { max(1, dialect.maximumBindsPerStatement / max(1, columns)) }

    func statements(for rows: EncodedRows, columns: Int) -> Int {
        (rows.values.count + rowsPerStatement(columns: columns) - 1) / rowsPerStatement(columns: columns)
    }

    /// `INSERT … ON CONFLICT DO NOTHING RETURNING key` through SQLKit's binds (PostgreSQL), as
    /// many statements as the bind limit asks.
    func insertReturning(
        table: String, columns: [String], conflict: [String], rows: EncodedRows, returning: String, sql: any SQLDatabase
    ) async throws -> [String]? {
        let perStatement = rowsPerStatement(columns: columns.count)
        let tail = " " + dialect.ignoreConflicts(on: conflict) + " " + dialect.returning([returning])
        var keys: [String] = []
        var start = 0
        while start < rows.values.count {
            let chunk = rows.values[start..<min(start + perStatement, rows.values.count)]
            start += perStatement
            var query = SQLQueryString("INSERT INTO \(unsafeRaw: table) (\(unsafeRaw: columns.joined(separator: ", "))) VALUES ")
            for (i, row) in chunk.enumerated() {
                query.appendLiteral(i == 0 ? "(" : ", (")
                for (j, value) in row.enumerated() {
                    if j > 0 { query.appendLiteral(", ") }
                    switch value {
                    case .text(let text): query.appendInterpolation(bind: text)
                    case .integer(let n): query.appendInterpolation(bind: n)
                    case .double(let d): query.appendInterpolation(bind: d)
                    case .bytes(let b): query.appendInterpolation(bind: ByteBuffer(bytes: b))
                    case .null: query.appendLiteral("NULL")
                    }
                }
                query.appendLiteral(")")
            }
            query.appendLiteral(tail)
            keys += try await sql.raw(query).all().map { try $0.decode(column: returning, as: String.self) }
        }
        return keys.count == rows.count ? nil : keys
    }
}

/// SQLite: multi-row `INSERT … ON CONFLICT DO NOTHING` with native binds, then `changes()`.
struct SQLiteBulkWriter: BulkWriter {
    let connection: SQLiteConnection
    let dialect: any StoreDialect

    func forEachTextTextBytesRow(
        _ sql: String, bind: Int64, columns: (String, String, String), _ body: @escaping @Sendable (String, String, ByteBuffer?) -> Void
    ) async throws {
        let failure = Mutex<String?>(nil)
        try await connection.query(sql, [.integer(Int(bind))]) { row in
            guard case .text(let first)? = row.column(columns.0), case .text(let second)? = row.column(columns.1) else {
                failure.withLock { $0 = $0 ?? "a row's first two columns are not text" }
                return
            }
            switch row.column(columns.2) {
            case .blob(let bytes)?: body(first, second, bytes)
            case .null?: body(first, second, nil)
            default: failure.withLock { $0 = $0 ?? "a row's third column is not bytes" }
            }
        }
        if let message = failure.withLock({ $0 }) { throw StoreError(.database, message) }
    }

    func insert(
        table: String, columns: [(name: String, type: ColumnType)], conflict: [String], rows: ArraySlice<[DatabaseValue]>
    ) async throws -> Int {
        let perStatement = max(1, dialect.maximumBindsPerStatement / columns.count)
        var inserted = 0
        var start = rows.startIndex
        let placeholders = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        let head = "INSERT INTO \(table) (\(columns.map(\.name).joined(separator: ", "))) VALUES "
        let tail = " " + dialect.ignoreConflicts(on: conflict)
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
            try await connection.query(sql, Self.binds(rows[start..<end], columns: columns.count)) { _ in }
            let changes = Changes()
            try await connection.query("SELECT changes() AS n", []) { row in changes.set(row.column("n")?.integer ?? 0) }
            inserted += changes.value
            start = end
        }
        return inserted
    }

    /// Multi-row plain `INSERT`s: when one succeeds every row of it was new; a key that exists
    /// aborts that statement alone (SQLite undoes the statement, not the transaction), and the
    /// `ON CONFLICT DO NOTHING RETURNING key` form then names its new rows. A first import pays
    /// nothing for knowing which rows are new; a re-import pays one more statement per chunk.
    func insertNew(
        table: String, columns: [(name: String, type: ColumnType)], conflict: [String], key: Int, rows: ArraySlice<[DatabaseValue]>
    ) async throws -> [Int]? {
        let perStatement = max(1, dialect.maximumBindsPerStatement / columns.count)
        let placeholders = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        let head = "INSERT INTO \(table) (\(columns.map(\.name).joined(separator: ", "))) VALUES "
        let tail = " " + dialect.ignoreConflicts(on: conflict) + " " + dialect.returning([columns[key].name])
        var newRows: [Int] = []
        var allNew = true
        var start = rows.startIndex
        while start < rows.endIndex {
            let end = min(start + perStatement, rows.endIndex)
            var sql = head
            sql.reserveCapacity(head.count + (end - start) * (placeholders.count + 1) + tail.count)
            for i in 0..<(end - start) {
                if i > 0 { sql += "," }
                sql += placeholders
            }
            let binds = Self.binds(rows[start..<end], columns: columns.count)
            do {
                try await connection.query(sql, binds) { _ in }
                if !allNew { newRows += (start - rows.startIndex)..<(end - rows.startIndex) }
            } catch let error as SQLiteError where [.constraint, .constraintUniqueFailed, .constraintPrimaryKeyFailed].contains(error.reason) {
                let keys = Keys()
                try await connection.query(sql + tail, binds) { row in
                    if case .text(let key)? = row.column(columns[key].name) { keys.append(key) }
                }
                if allNew {
                    allNew = false
                    newRows = Array(0..<(start - rows.startIndex))
                }
                var fresh = Set<ByteKey>()
                for key in keys.values { fresh.insert(ByteKey(key)) }
                for i in start..<end {
                    if case .text(let id) = rows[i][key], fresh.contains(ByteKey(id)) { newRows.append(i - rows.startIndex) }
                }
            }
            start = end
        }
        return allNew ? nil : newRows
    }

    func upsertAdding(table: String, columns: [(name: String, type: ColumnType)], key: [String], add: [String], rows: ArraySlice<[DatabaseValue]>) async throws
    {
        let perStatement = max(1, dialect.maximumBindsPerStatement / columns.count)
        let placeholders = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        let head = "INSERT INTO \(table) (\(columns.map(\.name).joined(separator: ", "))) VALUES "
        let tail =
            " ON CONFLICT (\(key.joined(separator: ", "))) DO UPDATE SET " + add.map { "\($0) = \(table).\($0) + excluded.\($0)" }.joined(separator: ", ")
        var start = rows.startIndex
        while start < rows.endIndex {
            let end = min(start + perStatement, rows.endIndex)
            var sql = head
            for i in 0..<(end - start) {
                if i > 0 { sql += "," }
                sql += placeholders
            }
            try await connection.query(sql + tail, Self.binds(rows[start..<end], columns: columns.count)) { _ in }
            start = end
        }
    }

    static func binds(_ rows: ArraySlice<[DatabaseValue]>, columns: Int) -> [SQLiteData] {
        var binds: [SQLiteData] = []
        binds.reserveCapacity(rows.count * columns)
        for row in rows {
            for value in row {
                switch value {
                case .text(let s): binds.append(.text(s))
                case .integer(let i): binds.append(.integer(Int(i)))
                case .double(let d): binds.append(.float(d))
                case .bytes(let b): binds.append(.blob(ByteBuffer(bytes: b)))
                case .null: binds.append(.null)
                }
            }
        }
        return binds
    }

    /// The rows travel as one JSON text bound once and unpacked by `json_each` in the engine:
    /// thousands of individual binds (each a copy through the driver) and a statement text that
    /// grows with the rows cost more than SQLite's own insert on the assignment path (profiled
    /// under wrk). A plain `INSERT` runs first: when it succeeds every row was new and nothing is
    /// read back; a key that exists aborts that statement alone (SQLite undoes the statement, not
    /// the transaction), and the `ON CONFLICT DO NOTHING RETURNING` form then names the new rows.
    func insertReturning(
        table: String, columns: [String], conflict: [String], rows: EncodedRows, returning: String, sql: any SQLDatabase
    ) async throws -> [String]? {
        guard rows.count > 0 else { return [] }
        let json = "[" + String(decoding: rows.json, as: UTF8.self) + "]"
        let select = columns.indices.map { "value ->> \($0)" }.joined(separator: ", ")
        let insert = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) SELECT \(select) FROM json_each(?) WHERE true"
        do {
            try await connection.query(insert, [.text(json)]) { _ in }
            return nil
        } catch let error as SQLiteError where [.constraint, .constraintUniqueFailed, .constraintPrimaryKeyFailed].contains(error.reason) {
            let keys = Keys()
            try await connection.query(
                insert + " " + dialect.ignoreConflicts(on: conflict) + " " + dialect.returning([returning]), [.text(json)]
            ) { row in
                if case .text(let key)? = row.column(returning) { keys.append(key) }
            }
            return keys.values
        }
    }

    /// One statement, whatever the number of rows (a single bind).
    func statements(for rows: EncodedRows, columns: Int) -> Int { 1 }

    /// Rows as comma-separated JSON arrays (strings escaped per RFC 8259).
    func encode(_ rows: [[DatabaseValue]]) -> EncodedRows {
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * 64)
        for (i, row) in rows.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "["))
            for (j, value) in row.enumerated() {
                if j > 0 { out.append(UInt8(ascii: ",")) }
                switch value {
                case .null: out.append(contentsOf: "null".utf8)
                case .integer(let n): out.append(contentsOf: String(n).utf8)
                case .double(let d): out.append(contentsOf: (d.isFinite ? "\(d)" : "null").utf8)
                // Bytes never travel the request path (packed features are imported, not
                // posted); a NOT NULL bytes column refuses the null instead of storing text.
                case .bytes: out.append(contentsOf: "null".utf8)
                case .text(let text): Self.appendJSONString(text, to: &out)
                }
            }
            out.append(UInt8(ascii: "]"))
        }
        return EncodedRows(json: out, count: rows.count)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        let hex = hexDigits
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
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

    func forEachTextTextBytesRow(
        _ sql: String, bind: Int64, columns: (String, String, String), _ body: @escaping @Sendable (String, String, ByteBuffer?) -> Void
    ) async throws {
        var bindings = PostgresBindings()
        bindings.append(bind)
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await (first, second, bytes) in rows.decode((String, String, ByteBuffer?).self) { body(first, second, bytes) }
    }
    let dialect: any StoreDialect
    let logger: Logger

    init(connection: PostgresConnection, dialect: any StoreDialect, logger: Logger) {
        self.connection = connection
        self.dialect = dialect
        self.logger = logger
    }

    func insert(
        table: String, columns: [(name: String, type: ColumnType)], conflict: [String], rows: ArraySlice<[DatabaseValue]>
    ) async throws -> Int {
        // Emptied at every commit; each batch is one transaction.
        let stage = try await stage(table: table, columns: columns, rows: rows, emptyFirst: false)
        let names = columns.map(\.name).joined(separator: ", ")
        let rowsResult = try await connection.query(
            PostgresQuery(
                unsafeSQL:
                    "WITH inserted AS (INSERT INTO \(table) (\(names)) SELECT \(names) FROM \(stage) \(dialect.ignoreConflicts(on: conflict)) \(dialect.returning(["1"]))) SELECT COUNT(*) FROM inserted"
            ), logger: logger)
        var count = 0
        for try await row in rowsResult { count = Int(try row.decode(Int64.self)) }
        return count
    }

    /// COPY into a temporary staging table (emptied at commit, and first when `emptyFirst`: the
    /// caller's transaction may span many calls); returns its name.
    private func stage(
        table: String, columns: [(name: String, type: ColumnType)], rows: ArraySlice<[DatabaseValue]>, emptyFirst: Bool = true
    ) async throws -> String {
        let stage = "holdout_stage_\(table)"
        let definitions = columns.map { "\($0.name) \($0.type.rawValue)" }.joined(separator: ", ")
        // Every time, not once per connection: a table created in a transaction that then rolled
        // back is gone (a remembered "created" made the next import fail on a missing table).
        _ = try await connection.query(
            PostgresQuery(unsafeSQL: "CREATE TEMP TABLE IF NOT EXISTS \(stage) (\(definitions)) ON COMMIT DELETE ROWS"), logger: logger)
        if emptyFirst { _ = try await connection.query(PostgresQuery(unsafeSQL: "TRUNCATE \(stage)"), logger: logger) }
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
                    case .bytes(let b): Self.writeHex(b, to: &buffer)
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
        return stage
    }

    /// COPY into the staging table, then one `INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING
    /// key` whose keys come back only when some row was not new.
    func insertNew(
        table: String, columns: [(name: String, type: ColumnType)], conflict: [String], key: Int, rows: ArraySlice<[DatabaseValue]>
    ) async throws -> [Int]? {
        guard !rows.isEmpty else { return nil }
        let stage = try await stage(table: table, columns: columns, rows: rows)
        let names = columns.map(\.name).joined(separator: ", ")
        let keyName = columns[key].name
        let result = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    WITH inserted AS (INSERT INTO \(table) (\(names)) SELECT \(names) FROM \(stage) \(dialect.ignoreConflicts(on: conflict)) \
                    \(dialect.returning([keyName])))
                    SELECT COUNT(*), CASE WHEN COUNT(*) < \(rows.count) THEN array_agg(\(keyName)) END FROM inserted
                    """), logger: logger)
        var count = 0
        var keys: [String]?
        for try await row in result { (count, keys) = try row.decode((Int, [String]?).self) }
        guard count < rows.count else { return nil }
        var fresh = Set<ByteKey>()
        for key in keys ?? [] { fresh.insert(ByteKey(key)) }
        var newRows: [Int] = []
        for (i, row) in rows.enumerated() {
            if case .text(let id) = row[key], fresh.contains(ByteKey(id)) { newRows.append(i) }
        }
        return newRows
    }

    func upsertAdding(table: String, columns: [(name: String, type: ColumnType)], key: [String], add: [String], rows: ArraySlice<[DatabaseValue]>) async throws
    {
        guard !rows.isEmpty else { return }
        let stage = try await stage(table: table, columns: columns, rows: rows)
        let names = columns.map(\.name).joined(separator: ", ")
        let set = add.map { "\($0) = \(table).\($0) + excluded.\($0)" }.joined(separator: ", ")
        // In key order, so two imports adding to the same rows lock them in the same order.
        _ = try await connection.query(
            PostgresQuery(
                unsafeSQL:
                    "INSERT INTO \(table) (\(names)) SELECT \(names) FROM \(stage) ORDER BY \(key.joined(separator: ", ")) ON CONFLICT (\(key.joined(separator: ", "))) DO UPDATE SET \(set)"
            ), logger: logger)
    }

    /// A bytea in COPY text format: `\\x` then two hex digits per byte (the backslash doubled,
    /// as COPY unescapes it once).
    static func writeHex(_ bytes: [UInt8], to buffer: inout ByteBuffer) {
        let digits = Array("0123456789abcdef".utf8)
        buffer.writeString("\\\\x")
        for byte in bytes {
            buffer.writeInteger(digits[Int(byte >> 4)])
            buffer.writeInteger(digits[Int(byte & 0x0F)])
        }
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
