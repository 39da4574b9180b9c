import Foundation

/// A streaming RFC 4180 CSV scanner over a file, in constant memory.
///
/// Reads 4 MiB at a time and hands each record to the caller as byte ranges into the current
/// buffer, without allocating per row; a record cut by the chunk boundary is carried over to
/// the next read. Quoted fields (with `""` escapes and embedded separators or newlines) and
/// CRLF line ends are handled; a leading UTF-8 byte order mark is skipped. This is hand-written rather than a CSV library because the
/// analysis needs about a million 14-column rows per second; the mirrored CSV packages either
/// load the whole file or build a `String` per field.
///
/// Malformed records — one longer than ``maximumRecordBytes``, a quoted field never closed, text
/// after a closing quote — are reported by the line where they start and skipped; reading resumes
/// at the next line (after the record when it was complete), so one bad line loses nothing else.
/// In RFC 4180 terms an unclosed quote swallows the rest of the file; here a quoted field may not
/// run past the record limit or the end of the file, and the lines it swallowed are read again.
package struct CSVScanner {
    /// The largest record, in bytes (line end excluded): 1 MiB. A longer one is reported and
    /// skipped without being buffered whole, so memory stays bounded by a chunk plus this.
    package static let maximumRecordBytes = 1 << 20
    /// A file that cannot be read or a malformed record.
    package struct Failure: Error, CustomStringConvertible {
        package var message: String
        package var description: String { message }
        package init(message: String) { self.message = message }
    }

    /// A record that was skipped: where it starts, why, and the start of its first line (at most
    /// 1 KiB, for a rejects file).
    package struct Malformed {
        package let line: Int
        package let reason: String
        package let text: String
    }

    /// One record: field byte ranges into a buffer that is valid only during the callback.
    package struct Record {
        package let base: UnsafePointer<UInt8>
        package let starts: UnsafeBufferPointer<Int>
        package let ends: UnsafeBufferPointer<Int>
        package let quoted: UnsafeBufferPointer<Bool>
        /// The number of fields.
        package let count: Int
        /// The 1-based line on which the record starts.
        package let line: Int

        /// The field's text without surrounding ASCII spaces and tabs, with `""` unescaped;
        /// `nil` when its bytes are not valid UTF-8.
        package func validatedTrimmedString(_ index: Int) -> String? {
            var start = starts[index]
            var end = ends[index]
            while start < end && (base[start] == 0x20 || base[start] == 0x09) { start += 1 }
            while end > start && (base[end - 1] == 0x20 || base[end - 1] == 0x09) { end -= 1 }
            let field = UnsafeBufferPointer(start: base + start, count: end - start)
            guard quoted[index], field.contains(0x22) else { return String(validating: field, as: UTF8.self) }
            // `""` → `"`, byte by byte (a string search would treat a quote followed by a
            // combining mark as one character).
            var bytes: [UInt8] = []
            bytes.reserveCapacity(field.count)
            var k = 0
            while k < field.count {
                bytes.append(field[k])
                k += field[k] == 0x22 && k + 1 < field.count && field[k + 1] == 0x22 ? 2 : 1
            }
            return String(validating: bytes, as: UTF8.self)
        }

        /// The field's text, with quotes removed and `""` unescaped.
        package func string(_ index: Int) -> String {
            let raw = String(
                decoding: UnsafeBufferPointer(start: base + starts[index], count: ends[index] - starts[index]),
                as: UTF8.self)
            return quoted[index] ? raw.replacingOccurrences(of: "\"\"", with: "\"") : raw
        }

        /// The field's text without surrounding ASCII spaces and tabs (no Foundation involved).
        package func trimmedString(_ index: Int) -> String {
            var start = starts[index]
            var end = ends[index]
            while start < end && (base[start] == 0x20 || base[start] == 0x09) { start += 1 }
            while end > start && (base[end - 1] == 0x20 || base[end - 1] == 0x09) { end -= 1 }
            let raw = String(decoding: UnsafeBufferPointer(start: base + start, count: end - start), as: UTF8.self)
            return quoted[index] && raw.contains("\"") ? raw.replacingOccurrences(of: "\"\"", with: "\"") : raw
        }

        /// The field's bytes.
        @inline(__always)
        package func bytes(_ index: Int) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(start: base + starts[index], count: ends[index] - starts[index])
        }

        /// The field as a finite number, or `nil`.
        @inline(__always)
        package func double(_ index: Int) -> Double? {
            FastDouble.parse(base, starts[index], ends[index])
        }
    }

    package let path: String
    package let chunkSize: Int

    package init(path: String, chunkSize: Int = 4 << 20) {
        self.path = path
        self.chunkSize = chunkSize
    }

    /// Calls `body` for every record, header included, in order.
    /// - Throws: what `body` throws, or ``Failure`` when the file cannot be read or a record is
    ///   malformed (too long, a quote never closed, text after a closing quote).
    package func forEachRecord(_ body: (Record) throws -> Void) throws {
        let reader = try Reader(path: path, chunkSize: chunkSize)
        while try reader.readChunk(body) {}
    }

    /// Reads a file one chunk at a time, so a caller can do asynchronous work (a database
    /// batch) between chunks while memory stays bounded by the chunk size.
    package final class Reader {
        let path: String
        let chunkSize: Int
        let maximumRecordBytes: Int
        let source: any ByteSource
        var buffer: [UInt8] = []
        var starts = [Int](repeating: 0, count: 64)
        var ends = [Int](repeating: 0, count: 64)
        var quoted = [Bool](repeating: false, count: 64)
        var line = 1
        var atEOF = false
        /// Whether the start of the file (a byte order mark) was looked at.
        var checkedStart = false
        /// Discarding the rest of an over-long line up to its line end.
        var skippingLine = false
        /// Bytes read so far.
        package private(set) var bytesRead = 0

        package convenience init(path: String, chunkSize: Int = 4 << 20, maximumRecordBytes: Int = CSVScanner.maximumRecordBytes) throws {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw Failure(message: "cannot open '\(path)': check the path and permissions")
            }
            self.init(source: FileSource(handle), name: path, chunkSize: chunkSize, maximumRecordBytes: maximumRecordBytes)
        }

        /// Reads records from any byte stream (a decompressor, a socket), `name` naming it in
        /// messages.
        package init(source: any ByteSource, name: String, chunkSize: Int = 4 << 20, maximumRecordBytes: Int = CSVScanner.maximumRecordBytes) {
            self.path = name
            self.chunkSize = chunkSize
            self.maximumRecordBytes = maximumRecordBytes
            self.source = source
            buffer.reserveCapacity(chunkSize * 2)
        }

        /// Parses the complete records of the next chunk; returns false once the file is done.
        /// - Throws: ``Failure`` for a malformed record (see ``readChunk(_:malformed:)``).
        package func readChunk(_ body: (Record) throws -> Void) throws -> Bool {
            try readChunk(body) { bad in throw Failure(message: "line \(bad.line): \(bad.reason)") }
        }

        /// Parses the complete records of the next chunk, reporting malformed ones to
        /// `malformed` and going on after them; returns false once the file is done.
        package func readChunk(_ body: (Record) throws -> Void, malformed: (Malformed) throws -> Void) throws -> Bool {
            if atEOF { return false }
            let chunk: [UInt8]
            do {
                chunk = try source.read(upToCount: chunkSize)
            } catch let failure as Failure {
                throw failure
            } catch {
                throw Failure(message: "cannot read '\(path)': \(error.localizedDescription)")
            }
            if chunk.isEmpty { atEOF = true }
            bytesRead += chunk.count
            buffer.append(contentsOf: chunk)
            if !checkedStart {
                guard buffer.count >= 3 || atEOF else { return true }
                checkedStart = true
                if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { buffer.removeFirst(3) }
            }
            if skippingLine {
                guard let newline = buffer.firstIndex(of: 0x0A) else {
                    buffer.removeAll(keepingCapacity: true)
                    return !atEOF
                }
                buffer.removeFirst(newline + 1)
                skippingLine = false
            }
            if buffer.isEmpty { return !atEOF }
            let limit = maximumRecordBytes
            var consumed = 0
            try buffer.withUnsafeBufferPointer { (buf) throws in
                let base = buf.baseAddress!
                let n = buf.count
                var pos = 0
                /// The start of a malformed record's first line, for the report.
                func firstLine(from start: Int) -> String {
                    var end = start
                    let cap = min(n, start + 1024)
                    while end < cap && base[end] != 0x0A { end += 1 }
                    if end > start && base[end - 1] == 0x0D { end -= 1 }
                    return String(decoding: UnsafeBufferPointer(start: base + start, count: end - start), as: UTF8.self)
                }
                /// Skips a malformed record: reading resumes at the line after the one where it
                /// starts (or, when that line end is not in the buffer, once it is read).
                /// Returns false when the rest of the buffer is skipped.
                func resync(after recordStart: Int, recordLine: Int) -> Bool {
                    line = recordLine + 1
                    var q = recordStart
                    while q < n && base[q] != 0x0A { q += 1 }
                    if q < n {
                        pos = q + 1
                        consumed = pos
                        return true
                    }
                    consumed = n
                    if !atEOF { skippingLine = true }
                    return false
                }
                records: while pos < n {
                    let recordLine = line
                    let recordStart = pos
                    var newlines = 0
                    var field = 0
                    var problem: String?
                    fields: while true {
                        if field == starts.count {
                            starts.append(contentsOf: repeatElement(0, count: starts.count))
                            ends.append(contentsOf: repeatElement(0, count: ends.count))
                            quoted.append(contentsOf: repeatElement(false, count: quoted.count))
                        }
                        var fieldEnd: Int
                        if pos < n && base[pos] == 0x22 {
                            // Quoted field.
                            let contentStart = pos + 1
                            var q = contentStart
                            var closed = false
                            while q < n {
                                let byte = base[q]
                                if byte == 0x22 {
                                    if q + 1 < n && base[q + 1] == 0x22 {
                                        q += 2
                                        continue
                                    }
                                    if q + 1 == n && !atEOF { break }  // may be an escape split by the chunk
                                    closed = true
                                    break
                                }
                                if byte == 0x0A { newlines += 1 }
                                q += 1
                            }
                            if !closed {
                                if atEOF {
                                    problem = "a quoted field (field \(field + 1)) is never closed"
                                    break fields
                                }
                                if n - recordStart > limit {
                                    problem = "a quoted field (field \(field + 1)) is not closed within \(limit) bytes, the longest record accepted"
                                    break fields
                                }
                                break records  // the record continues in the next chunk
                            }
                            starts[field] = contentStart
                            ends[field] = q
                            quoted[field] = true
                            fieldEnd = q + 1
                            // Only spaces, tabs and a CR may follow the closing quote.
                            while fieldEnd < n && (base[fieldEnd] == 0x20 || base[fieldEnd] == 0x09 || base[fieldEnd] == 0x0D) { fieldEnd += 1 }
                            if fieldEnd < n && base[fieldEnd] != 0x2C && base[fieldEnd] != 0x0A {
                                problem = "text after the closing quote of field \(field + 1)"
                                break fields
                            }
                        } else {
                            var q = pos
                            while q < n {
                                let byte = base[q]
                                if byte == 0x2C || byte == 0x0A { break }
                                q += 1
                            }
                            starts[field] = pos
                            var e = q
                            if e > pos && base[e - 1] == 0x0D { e -= 1 }
                            ends[field] = e
                            quoted[field] = false
                            fieldEnd = q
                        }
                        field += 1
                        if fieldEnd >= n {
                            if !atEOF {
                                if n - recordStart > limit {
                                    problem = "is longer than \(limit) bytes, the longest record accepted"
                                    break fields
                                }
                                break records  // the record continues in the next chunk
                            }
                            pos = n
                            break
                        }
                        if base[fieldEnd] == 0x2C {
                            pos = fieldEnd + 1
                            continue
                        }
                        // Newline: the record ends.
                        pos = fieldEnd + 1
                        newlines += 1
                        break
                    }
                    if let problem {
                        try malformed(Malformed(line: recordLine, reason: problem, text: firstLine(from: recordStart)))
                        if resync(after: recordStart, recordLine: recordLine) { continue records }
                        break records
                    }
                    line = recordLine + newlines
                    consumed = pos
                    if pos - recordStart > limit {
                        // Complete, but perhaps too long (line end excluded): then skipped whole.
                        var length = pos - recordStart
                        if base[pos - 1] == 0x0A { length -= 1 }
                        if length > 0 && base[recordStart + length - 1] == 0x0D { length -= 1 }
                        if length > limit {
                            try malformed(
                                Malformed(
                                    line: recordLine, reason: "is \(length) bytes long; records are at most \(limit) bytes",
                                    text: firstLine(from: recordStart)))
                            continue
                        }
                    }
                    // Skip blank lines (a single empty field).
                    if field == 1 && starts[0] == ends[0] && !quoted[0] {
                        continue
                    }
                    try starts.withUnsafeBufferPointer { s throws in
                        try ends.withUnsafeBufferPointer { e throws in
                            try quoted.withUnsafeBufferPointer { qd throws in
                                try body(Record(base: base, starts: s, ends: e, quoted: qd, count: field, line: recordLine))
                            }
                        }
                    }
                }
            }
            buffer.removeFirst(consumed)
            return !atEOF
        }
    }
}

/// Bytes read a chunk at a time, for ``CSVScanner/Reader``: a file, or a decompressor over one.
package protocol ByteSource: AnyObject {
    /// Up to `count` bytes; empty once the stream is done.
    func read(upToCount count: Int) throws -> [UInt8]
}

/// A file's bytes (closed when released).
package final class FileSource: ByteSource {
    let handle: FileHandle

    init(_ handle: FileHandle) { self.handle = handle }

    /// - Throws: ``CSVScanner/Failure`` when the file cannot be opened.
    package init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CSVScanner.Failure(message: "cannot open '\(path)': check the path and permissions")
        }
        self.handle = handle
    }

    deinit { try? handle.close() }

    package func read(upToCount count: Int) throws -> [UInt8] {
        guard let data = try handle.read(upToCount: count) else { return [] }
        return [UInt8](data)
    }
}
