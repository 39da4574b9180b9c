import Foundation
import HoldoutCSV
public import HoldoutModel
import SQLKit

/// What an import did.
public struct ImportSummary: Sendable, Codable, Hashable {
    public var kind: ImportKind
    public var file: String
    /// Data rows read (header excluded), rejected ones included.
    public var read: Int
    /// Rows written. For covariates and properties, values: a row holds one per covariate or
    /// property, and the store counts them one by one (a row can be partly new).
    public var inserted: Int
    /// Valid rows already present (same key); for covariates and properties, values.
    public var duplicates: Int
    /// Rows rejected (each is in the rejects file).
    public var rejected: Int
    /// For covariates and properties: the values the accepted rows hold (`inserted` +
    /// `duplicates`); nil for the other kinds, where a row is one value.
    public var values: Int?
    public var batches: Int
    public var seconds: Double
    /// Where rejected rows were written, when there were any.
    public var rejectsFile: String?
    /// The first rejected rows (all of them are in the rejects file).
    public var firstRejects: [RowError]
    /// Columns of the file that were not used.
    public var ignoredColumns: [String]

    enum CodingKeys: String, CodingKey {
        case kind, file, read, inserted, duplicates, rejected, values, batches, seconds
        case rejectsFile = "rejects_file"
        case firstRejects = "first_rejects"
        case ignoredColumns = "ignored_columns"
    }
}

/// Streams a CSV or JSON-lines file into the store in transactional batches (orders: in one
/// transaction with their totals, see `OrdersLoad`).
///
/// - Memory is bounded by one read chunk plus one batch, whatever the file size.
/// - Each batch is one transaction: after a crash, every committed batch is complete and no
///   batch is partial. Inserts are `ON CONFLICT DO NOTHING` on the natural key (`event_id`, or
///   the unit for assignments), so re-running the same file adds nothing and completes a file
///   that was interrupted.
/// - A bad row never stops the import: it is counted, reported with its line, column and reason,
///   and written to the rejects file (`<file>.rejects.csv`) with the original text.
public struct Importer: Sendable {
    public var kind: ImportKind
    public var experiment: Experiment?
    public var batchSize: Int
    public var format: ImportFormat?
    public var rejectsPath: String?
    /// The tenant of touchpoints (other kinds belong to the experiment's tenant).
    public var tenant = "default"
    /// The column that names an order's geo (orders imports; seed 000's default).
    public var geoColumn = "ship_geohash"
    /// Called after each committed batch with the summary so far.
    public var onBatchCommitted: (@Sendable (ImportSummary) -> Void)?

    public init(
        kind: ImportKind, experiment: Experiment?, batchSize: Int = 10_000, format: ImportFormat? = nil,
        rejectsPath: String? = nil, onBatchCommitted: (@Sendable (ImportSummary) -> Void)? = nil
    ) {
        self.kind = kind
        self.experiment = experiment
        self.batchSize = batchSize
        self.format = format
        self.rejectsPath = rejectsPath
        self.onBatchCommitted = onBatchCommitted
    }

    /// Imports a file.
    /// - Throws: ``ImportError`` when the file cannot be read, a required column is missing from
    ///   the header, or the experiment is missing; ``StoreError`` when the database fails (the
    ///   batch in progress is rolled back; earlier batches stay committed).
    public func run(path: String, store: Store) async throws -> ImportSummary {
        let format = self.format ?? ImportFormat.infer(path: path)
        let source = try RowSource(path: path, format: format)
        let summary = try await run(reader: source, file: path, rejectsPath: rejectsPath ?? path + ".rejects.csv", store: store)
        if format == .csv && source.header.isEmpty {
            throw ImportError("\(path) is empty: expected a header row with \(kind.columns.required.joined(separator: ", "))")
        }
        return summary
    }

    /// Imports typed records (a library, a test or the simulator loading data without a file),
    /// with the same validation, batching, transactions and idempotency as a file. Rejected
    /// records are counted and the first 20 reported by their position (1-based) as `line`;
    /// no rejects file is written unless ``rejectsPath`` is set.
    ///
    /// - Parameter name: what ``ImportSummary/file`` says the rows came from.
    public func run(records: some Sequence<ImportRecord>, name: String = "records", store: Store) async throws -> ImportSummary {
        try await run(reader: RecordSource(records, chunkSize: max(batchSize, 1)), file: name, rejectsPath: rejectsPath, store: store)
    }

    private func run(reader: some RowReader, file path: String, rejectsPath: String?, store: Store) async throws -> ImportSummary {
        if kind.needsExperiment && experiment == nil {
            throw ImportError("importing \(kind.rawValue) needs --experiment KEY")
        }
        guard batchSize > 0 else { throw ImportError("batch size must be positive") }
        if kind == .orders { return try await OrdersLoad(importer: self, reader: reader, file: path, rejectsPath: rejectsPath).run(store: store) }
        let start = Date()
        var summary = ImportSummary(
            kind: kind, file: path, read: 0, inserted: 0, duplicates: 0, rejected: 0, values: kind.rowsHoldSeveralValues ? 0 : nil,
            batches: 0, seconds: 0, rejectsFile: nil,
            firstRejects: [], ignoredColumns: [])
        let rejects = RejectsWriter(path: rejectsPath)
        var parser: RowParser?
        // Parsed source rows, each as the table rows it becomes (covariates: one per covariate),
        // and the line each came from (to name a failed batch's lines).
        var pending: [[[DatabaseValue]]] = []
        var pendingLines: [Int] = []
        // The batches of one chunk are written (one transaction each; in order on each writer)
        // while the next chunk is parsed; their counts are added as each commits.
        let progress = Progress(summary: summary, start: start, onBatchCommitted: onBatchCommitted)
        // Engines that take concurrent writers (PostgreSQL) get batches on several connections
        // at once, round robin; each batch is still one transaction.
        var writers = [store]
        do {
            for _ in 1..<max(1, store.dialect.concurrentWriters) { writers.append(try await Store.open(store.location, schema: .unchecked)) }
        } catch {
            for extra in writers.dropFirst() { try? await extra.close() }
            throw error
        }
        func closeExtraWriters() async {
            for extra in writers.dropFirst() { try? await extra.close() }
        }
        var inflight: [Task<Void, any Error>?] = Array(repeating: nil, count: writers.count)
        var nextWriter = 0
        func settle(_ slot: Int) async throws {
            guard let task = inflight[slot] else { return }
            inflight[slot] = nil
            try await task.value
        }
        func settleAll() async throws {
            for slot in inflight.indices { try await settle(slot) }
        }
        var more = true
        do {
            while more {
                more = try reader.readChunk { item in
                    if parser == nil {
                        parser = try RowParser(
                            kind: kind, experiment: experiment, header: reader.checkedHeader, tenant: tenant, importedAt: store.now, geoColumn: geoColumn)
                        summary.ignoredColumns = parser?.ignoredColumns ?? []
                    }
                    summary.read += 1
                    switch item {
                    case .invalid(let error, let raw):
                        summary.rejected += 1
                        if summary.firstRejects.count < 20 { summary.firstRejects.append(error) }
                        try rejects.write(error, raw: raw)
                    case .row(let row):
                        do {
                            let parsed = try parser!.parse(row)
                            pending.append(parsed)
                            pendingLines.append(row.line)
                        } catch let error as RowError {
                            summary.rejected += 1
                            if summary.firstRejects.count < 20 { summary.firstRejects.append(error) }
                            try rejects.write(error, raw: row.raw)
                        }
                    }
                }
                if parser == nil, let header = reader.checkedHeader, !header.isEmpty {
                    parser = try RowParser(kind: kind, experiment: experiment, header: header, tenant: tenant, importedAt: store.now, geoColumn: geoColumn)
                    summary.ignoredColumns = parser?.ignoredColumns ?? []
                }
                var batches: [(rows: [[DatabaseValue]], lines: ClosedRange<Int>)] = []
                var taken = 0
                while pending.count - taken >= batchSize || (!more && pending.count > taken) {
                    // Whole source rows per batch, so a source row is never split across transactions.
                    let end = min(taken + batchSize, pending.count)
                    batches.append((pending[taken..<end].flatMap { $0 }, pendingLines[taken]...pendingLines[end - 1]))
                    taken = end
                }
                pending.removeFirst(taken)
                pendingLines.removeFirst(taken)
                let values = summary.values.map { $0 + batches.reduce(0) { $0 + $1.rows.count } }
                summary.values = values
                // The previous chunk's batches finish first: memory stays bounded by the chunk
                // being parsed and the one being written.
                if !batches.isEmpty { try await settleAll() }
                let (read, rejected, firstRejects, ignored) = (summary.read, summary.rejected, summary.firstRejects, summary.ignoredColumns)
                await progress.update {
                    $0.read = read
                    $0.rejected = rejected
                    $0.firstRejects = firstRejects
                    $0.ignoredColumns = ignored
                    $0.values = values
                }
                // The chunk's batches go round robin to the writers, which write at once.
                for slot in writers.indices {
                    let mine = stride(from: (slot + nextWriter) % writers.count, to: batches.count, by: writers.count).map { batches[$0] }
                    guard !mine.isEmpty else { continue }
                    let writer = writers[slot]
                    inflight[slot] = Task {
                        for batch in mine {
                            let inserted = try await insert(batch.rows[...], lines: batch.lines, store: writer)
                            try await progress.committed(rows: batch.rows.count, inserted: inserted)
                        }
                    }
                }
                nextWriter += batches.count
            }
            try await settleAll()
        } catch {
            // Let batches already sent finish (each is a whole transaction either way), then report.
            for task in inflight { _ = try? await task?.value }
            await closeExtraWriters()
            throw error
        }
        await closeExtraWriters()
        summary = await progress.summary
        if summary.inserted > 0 {
            // Fresh statistics for the planner after a load (cheap next to the load itself).
            let refresh = store.dialect.refreshAfterLoad(table: kind.table)
            try? await store.withConnection { sql in try await sql.raw(SQLQueryString(refresh)).run() }
        }
        try rejects.close()
        summary.rejectsFile = rejects.isOpen || rejects.wroteAny ? rejects.path : nil
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    /// Inserts rows in one transaction through the engine's bulk path; returns how many were new.
    private func insert(_ rows: ArraySlice<[DatabaseValue]>, lines: ClosedRange<Int>, store: Store) async throws -> Int {
        let kind = self.kind
        let rows = Array(rows)
        do {
            // Concurrent writers can deadlock on keys that two batches share (PostgreSQL aborts
            // one of them): the aborted batch wrote nothing and is run again.
            var attempt = 1
            while true {
                do {
                    return try await store.transaction { _ in
                        try await store.bulk.insert(table: kind.table, columns: kind.tableColumns, conflict: kind.conflictTarget, rows: rows[...])
                    }
                } catch  where attempt < 5 && store.dialect.isDeadlock(error) {
                    attempt += 1
                }
            }
        } catch {
            throw StoreError(
                .database,
                "a batch of \(kind.rawValue) (lines \(lines.lowerBound)–\(lines.upperBound)) failed and was rolled back: \(Store.describe(error))")
        }
    }
}

/// A string that compares and hashes as its UTF-8 bytes (identifiers are bytes), stored inline
/// when short: a set of 20 million order ids costs about 16 bytes an id.
struct ByteKey: Hashable {
    let text: String

    init(_ text: String) { self.text = text }

    static func == (lhs: ByteKey, rhs: ByteKey) -> Bool { lhs.text.utf8.elementsEqual(rhs.text.utf8) }

    func hash(into hasher: inout Hasher) {
        var copy = text
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// The running summary, shared by the parser and the batch writer.
actor Progress {
    var summary: ImportSummary
    let start: Date
    let onBatchCommitted: (@Sendable (ImportSummary) -> Void)?

    init(summary: ImportSummary, start: Date, onBatchCommitted: (@Sendable (ImportSummary) -> Void)?) {
        self.summary = summary
        self.start = start
        self.onBatchCommitted = onBatchCommitted
    }

    func update(_ body: (inout ImportSummary) -> Void) { body(&summary) }

    func committed(rows: Int, inserted: Int) throws {
        summary.inserted += inserted
        summary.duplicates += rows - inserted
        summary.batches += 1
        summary.seconds = Date().timeIntervalSince(start)
        onBatchCommitted?(summary)
    }
}

/// Writes rejected rows as CSV: line, column, reason, and the row as read.
final class RejectsWriter {
    let path: String
    private var handle: FileHandle?
    private var buffer = ""
    private(set) var wroteAny = false

    /// Nil writes no file (typed records have no text to give back); rejects are still counted
    /// and the first ones reported.
    init(path: String?) {
        self.path = path ?? ""
        if let path { try? FileManager.default.removeItem(atPath: path) }  // a stale file from an earlier run
    }

    var isOpen: Bool { handle != nil }

    func write(_ error: RowError, raw: String) throws {
        if path.isEmpty { return }
        if handle == nil {
            guard FileManager.default.createFile(atPath: path, contents: Data("line,column,reason,row\n".utf8)),
                let opened = FileHandle(forWritingAtPath: path)
            else { throw ImportError("cannot write the rejects file \(path)") }
            opened.seekToEndOfFile()
            handle = opened
            wroteAny = true
        }
        buffer += "\(error.line),\(CSVField.escape(error.column ?? "")),\(CSVField.escape(error.reason)),\(CSVField.escape(raw))\n"
        if buffer.utf8.count > 1 << 20 { try flush() }
    }

    func flush() throws {
        guard let handle, !buffer.isEmpty else { return }
        handle.write(Data(buffer.utf8))
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        try handle?.close()
        handle = nil
    }
}
