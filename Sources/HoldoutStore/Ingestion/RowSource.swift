import Foundation
import HoldoutCSV
import HoldoutModel

/// The format of an import file.
public enum ImportFormat: String, Sendable, CaseIterable, Codable {
    case csv, jsonl

    /// Guesses the format from the file name: `.jsonl`/`.ndjson`/`.json` are JSON lines.
    public static func infer(path: String) -> ImportFormat {
        let lower = path.lowercased()
        return lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") || lower.hasSuffix(".json") ? .jsonl : .csv
    }
}

/// One input row: its line number and its values by column name (an empty value is absent).
struct SourceRow {
    var line: Int
    var values: [String: FieldValue]
    /// For CSV, the header, to rebuild the row for the rejects file; nil for JSON lines.
    var header: [String]? = nil
    var json: String? = nil

    /// The row as read (CSV fields in header order, or the JSON line), for the rejects file.
    var raw: String {
        if let json { return json }
        if header == nil { return values.sorted { $0.key < $1.key }.map { "\($0.key)=\(CSVField.escape($0.value.text))" }.joined(separator: ",") }
        return (header ?? []).map { CSVField.escape(values[$0]?.text ?? "") }.joined(separator: ",")
    }
}

/// A row read from the file, or why it could not be read.
enum SourceItem {
    case row(SourceRow)
    case invalid(RowError, raw: String)
}

/// What the importer reads rows from, a chunk at a time: a file (``RowSource``) or typed
/// records (``RecordSource``).
protocol RowReader: AnyObject {
    /// The header to check for required columns (CSV); nil when each row is checked alone.
    var checkedHeader: [String]? { get }
    /// Calls `body` for the rows of the next chunk; returns false when the input is done.
    func readChunk(_ body: (SourceItem) throws -> Void) throws -> Bool
}

/// Typed records as import rows, `chunkSize` at a time (the position, 1-based, as the line).
final class RecordSource<Records: Sequence<ImportRecord>>: RowReader {
    private var iterator: Records.Iterator
    private let chunkSize: Int
    private var position = 0

    init(_ records: Records, chunkSize: Int) {
        iterator = records.makeIterator()
        self.chunkSize = chunkSize
    }

    var checkedHeader: [String]? { nil }

    func readChunk(_ body: (SourceItem) throws -> Void) throws -> Bool {
        for _ in 0..<chunkSize {
            guard let record = iterator.next() else { return false }
            position += 1
            try body(.row(SourceRow(line: position, values: record.fields)))
        }
        return true
    }
}

/// Reads CSV (header row + records) or JSON lines one chunk at a time, in bounded memory.
final class RowSource: RowReader {
    let format: ImportFormat
    private let csv: CSVScanner.Reader?
    private let lines: LineReader
    private let decoder = JSONDecoder()
    private(set) var header: [String] = []
    private var sawHeader = false

    init(path: String, format: ImportFormat) throws {
        self.format = format
        do {
            csv = format == .csv ? try CSVScanner.Reader(path: path) : nil
        } catch {
            throw ImportError("\(error)")
        }
        lines = try LineReader(path: format == .jsonl ? path : "/dev/null")
    }

    /// Bytes read so far.
    var bytesRead: Int { csv?.bytesRead ?? lines.bytesRead }

    var checkedHeader: [String]? { format == .csv ? header : nil }

    /// Calls `body` for the rows of the next chunk; returns false when the file is done.
    /// - Throws: ``ImportError`` for a file that cannot be read or a malformed header.
    func readChunk(_ body: (SourceItem) throws -> Void) throws -> Bool {
        switch format {
        case .csv: return try readCSV(body)
        case .jsonl: return try readJSONLines(body)
        }
    }

    /// As ``readChunk(_:)`` for CSV, with `fast` offered each data record first (after the
    /// header): when it returns true the record is handled; otherwise it goes to `body` as a row
    /// or a reject as usual. A reader for a fixed layout (orders) skips building a row dictionary
    /// for the records it can take as they are, and leaves every other record, and every error
    /// message, to the general path.
    func readCSVChunk(fast: (CSVScanner.Record) throws -> Bool, _ body: (SourceItem) throws -> Void) throws -> Bool {
        try withoutActuallyEscaping(fast) { fast in try readCSV(body, fast: fast) }
    }

    private func readCSV(_ body: (SourceItem) throws -> Void, fast: ((CSVScanner.Record) throws -> Bool)? = nil) throws -> Bool {
        guard let csv else { return false }
        return try csv.readChunk(
            { record in
                if sawHeader, let fast, try fast(record) { return }
                if !sawHeader {
                    sawHeader = true
                    var names: [String] = []
                    for index in 0..<record.count {
                        guard let name = record.validatedTrimmedString(index) else {
                            throw ImportError("line \(record.line): column \(index + 1) of the header is not valid UTF-8")
                        }
                        names.append(name)
                    }
                    header = names
                    if let duplicate = Dictionary(grouping: header, by: { $0 }).first(where: { $0.value.count > 1 && !$0.key.isEmpty }) {
                        throw ImportError("line 1: column '\(duplicate.key)' appears twice in the header")
                    }
                    return
                }
                if record.count > header.count {
                    let raw = (0..<record.count).map { record.string($0) }.joined(separator: ",")
                    try body(
                        .invalid(RowError(line: record.line, column: nil, reason: "has \(record.count) fields but the header has \(header.count)"), raw: raw))
                    return
                }
                var values: [String: FieldValue] = [:]
                values.reserveCapacity(header.count)
                for index in 0..<record.count {
                    guard let text = record.validatedTrimmedString(index) else {
                        let raw = (0..<record.count).map { record.string($0) }.joined(separator: ",")
                        let reason = "is not valid UTF-8 (byte \(Self.firstInvalidUTF8(record.bytes(index)) + 1) of the field)"
                        try body(.invalid(RowError(line: record.line, column: header[index], reason: reason), raw: raw))
                        return
                    }
                    if !text.isEmpty { values[header[index]] = .text(text) }
                }
                try body(.row(SourceRow(line: record.line, values: values, header: header)))
            },
            malformed: { bad in
                guard sawHeader else { throw ImportError("line \(bad.line) (the header): \(bad.reason)") }
                try body(.invalid(RowError(line: bad.line, column: nil, reason: bad.reason), raw: bad.text))
            })
    }

    private func readJSONLines(_ body: (SourceItem) throws -> Void) throws -> Bool {
        try lines.readChunk { line, chunk in
            let bytes: ArraySlice<UInt8>
            switch chunk {
            case .tooLong(let length, let start):
                let reason = "is longer than \(length) bytes, the longest line accepted"
                try body(.invalid(RowError(line: line, column: nil, reason: reason), raw: String(decoding: start, as: UTF8.self)))
                return
            case .line(let line): bytes = line
            }
            guard let decoded = bytes.withUnsafeBufferPointer({ String(validating: $0, as: UTF8.self) }) else {
                let offset = bytes.withUnsafeBufferPointer { Self.firstInvalidUTF8($0) }
                try body(
                    .invalid(
                        RowError(line: line, column: nil, reason: "is not valid UTF-8 (byte \(offset + 1) of the line)"),
                        raw: String(decoding: bytes, as: UTF8.self)))
                return
            }
            let text = decoded.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { return }
            let value: JSONValue
            do {
                value = try decoder.decode(JSONValue.self, from: Data(text.utf8))
            } catch {
                try body(.invalid(RowError(line: line, column: nil, reason: "is not valid JSON"), raw: text))
                return
            }
            guard case .object(let dictionary) = value else {
                try body(.invalid(RowError(line: line, column: nil, reason: "must be a JSON object"), raw: text))
                return
            }
            var values: [String: FieldValue] = [:]
            for (key, value) in dictionary {
                switch value {
                case .null: continue
                case .string(let string):
                    let t = string.trimmingCharacters(in: .whitespaces)
                    if !t.isEmpty { values[key] = .text(t) }
                case .number(let number):
                    // JSON numbers arrive as doubles: an integer id beyond 2⁵³ has lost digits.
                    if RowParser.identifierColumns.contains(key) && number == number.rounded() && abs(number) >= 9_007_199_254_740_992 {
                        let reason = "is a number too large to be read exactly; write the id as a JSON string"
                        try body(.invalid(RowError(line: line, column: key, reason: reason), raw: text))
                        return
                    }
                    // Integers below 2⁵³ (exact in a double) as their digits, ids included.
                    values[key] = .text(number == number.rounded() && abs(number) < 9_007_199_254_740_992 ? String(Int64(number)) : "\(number)")
                case .bool(let flag):
                    values[key] = .text(flag ? "true" : "false")
                case .array, .object:
                    values[key] = .text(Self.encode(value))
                }
            }
            try body(.row(SourceRow(line: line, values: values, json: text)))
        }
    }

    /// The offset of the first byte that is not valid UTF-8 (the count when all are valid).
    static func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput, .error: return offset
            }
        }
    }

    /// Compact JSON text of a nested value (for `properties`).
    static func encode(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : "\(n)"
        case .string(let s):
            let data = (try? JSONEncoder().encode(s)) ?? Data("\"\"".utf8)
            return String(decoding: data, as: UTF8.self)
        case .array(let items): return "[" + items.map(encode).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.keys.sorted().map { key in encode(.string(key)) + ":" + encode(members[key] ?? .null) }.joined(separator: ",") + "}"
        }
    }
}

/// Splits a file into lines one chunk at a time, in bounded memory: a leading UTF-8 byte order
/// mark is skipped, and a line longer than the limit is reported by its number and skipped without
/// being buffered whole.
final class LineReader {
    /// A line, or the start (at most 1 KiB) of one that was too long.
    enum Chunk {
        case line(ArraySlice<UInt8>)
        case tooLong(limit: Int, start: ArraySlice<UInt8>)
    }

    private let handle: FileHandle
    private let path: String
    private let chunkSize: Int
    private let maximumLineBytes: Int
    private var buffer: [UInt8] = []
    private var line = 1
    private var atEOF = false
    private var checkedStart = false
    /// Discarding the rest of a line that was too long.
    private var skippingLine = false
    private(set) var bytesRead = 0

    init(path: String, chunkSize: Int = 4 << 20, maximumLineBytes: Int = CSVScanner.maximumRecordBytes) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ImportError("cannot open '\(path)': check the path and permissions")
        }
        self.handle = handle
        self.path = path
        self.chunkSize = chunkSize
        self.maximumLineBytes = maximumLineBytes
    }

    deinit { try? handle.close() }

    /// Calls `body` with each complete line of the next chunk; false once the file is done.
    func readChunk(_ body: (Int, Chunk) throws -> Void) throws -> Bool {
        if atEOF { return false }
        let chunk: Data
        do {
            chunk = try handle.read(upToCount: chunkSize) ?? Data()
        } catch {
            throw ImportError("cannot read '\(path)': \(error.localizedDescription)")
        }
        bytesRead += chunk.count
        if chunk.isEmpty { atEOF = true }
        buffer.append(contentsOf: chunk)
        if !checkedStart {
            guard buffer.count >= 3 || atEOF else { return true }
            checkedStart = true
            if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { buffer.removeFirst(3) }
        }
        var start = 0
        if skippingLine {
            guard let newline = buffer.firstIndex(of: 0x0A) else {
                buffer.removeAll(keepingCapacity: true)
                return !atEOF
            }
            start = newline + 1
            skippingLine = false
        }
        while let newline = buffer[start...].firstIndex(of: 0x0A) {
            var end = newline
            if end > start && buffer[end - 1] == 0x0D { end -= 1 }
            if end - start > maximumLineBytes {
                try body(line, .tooLong(limit: maximumLineBytes, start: buffer[start..<min(end, start + 1024)]))
            } else {
                try body(line, .line(buffer[start..<newline]))
            }
            line += 1
            start = newline + 1
        }
        if buffer.count - start > maximumLineBytes {
            // No line end within the limit: report the line now and drop the rest of it as it comes.
            try body(line, .tooLong(limit: maximumLineBytes, start: buffer[start..<min(buffer.count, start + 1024)]))
            line += 1
            skippingLine = !atEOF
            start = buffer.count
        } else if atEOF && start < buffer.count {
            try body(line, .line(buffer[start...]))
            start = buffer.count
        }
        buffer.removeFirst(start)
        return !atEOF
    }
}

/// A problem with one row: where, and why.
public struct RowError: Error, Sendable, Hashable, Codable {
    public var line: Int
    public var column: String?
    public var reason: String

    public init(line: Int, column: String?, reason: String) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// `line 12, column 'exposure_ts': '2026-13-01' is not a timestamp`.
    public var message: String {
        "line \(line)" + (column.map { ", column '\($0)'" } ?? "") + ": \(reason)"
    }
}

/// A problem with the whole import (unreadable file, missing column, unknown experiment).
public struct ImportError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
