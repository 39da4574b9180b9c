import Foundation

/// A streaming RFC 4180 CSV scanner over a file, in constant memory.
///
/// Reads 4 MiB at a time and hands each record to the caller as byte ranges into the current
/// buffer, without allocating per row; a record cut by the chunk boundary is carried over to
/// the next read. Quoted fields (with `""` escapes and embedded separators or newlines) and
/// CRLF line ends are handled. This is hand-written rather than a CSV library because the
/// analysis needs about a million 14-column rows per second; the mirrored CSV packages either
/// load the whole file or build a `String` per field.
package struct CSVScanner {
    /// A file that cannot be read or a malformed record.
    package struct Failure: Error, CustomStringConvertible {
        package var message: String
        package var description: String { message }
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
    /// - Throws: what `body` throws, or ``Failure`` when the file cannot be read or a quote is
    ///   never closed.
    package func forEachRecord(_ body: (Record) throws -> Void) throws {
        let reader = try Reader(path: path, chunkSize: chunkSize)
        while try reader.readChunk(body) {}
    }

    /// Reads a file one chunk at a time, so a caller can do asynchronous work (a database
    /// batch) between chunks while memory stays bounded by the chunk size.
    package final class Reader {
        let path: String
        let chunkSize: Int
        let handle: FileHandle
        var buffer: [UInt8] = []
        var starts = [Int](repeating: 0, count: 64)
        var ends = [Int](repeating: 0, count: 64)
        var quoted = [Bool](repeating: false, count: 64)
        var line = 1
        var atEOF = false
        /// Bytes read so far.
        package private(set) var bytesRead = 0

        package init(path: String, chunkSize: Int = 4 << 20) throws {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw Failure(message: "cannot open '\(path)': check the path and permissions")
            }
            self.path = path
            self.chunkSize = chunkSize
            self.handle = handle
            buffer.reserveCapacity(chunkSize * 2)
        }

        deinit { try? handle.close() }

        /// Parses the complete records of the next chunk; returns false once the file is done.
        package func readChunk(_ body: (Record) throws -> Void) throws -> Bool {
            if atEOF { return false }
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: chunkSize) ?? Data()
            } catch {
                throw Failure(message: "cannot read '\(path)': \(error.localizedDescription)")
            }
            if chunk.isEmpty { atEOF = true }
            bytesRead += chunk.count
            buffer.append(contentsOf: chunk)
            if buffer.isEmpty { return false }
            var consumed = 0
            try buffer.withUnsafeBufferPointer { (buf) throws in
                let base = buf.baseAddress!
                let n = buf.count
                var pos = 0
                records: while pos < n {
                    let recordLine = line
                    var newlines = 0
                    var field = 0
                    while true {
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
                                    throw Failure(message: "line \(recordLine): a quoted field is never closed")
                                }
                                break records
                            }
                            starts[field] = contentStart
                            ends[field] = q
                            quoted[field] = true
                            fieldEnd = q + 1
                            while fieldEnd < n && base[fieldEnd] != 0x2C && base[fieldEnd] != 0x0A { fieldEnd += 1 }
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
                            if !atEOF { break records }  // the record continues in the next chunk
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
                    line = recordLine + newlines
                    consumed = pos
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
