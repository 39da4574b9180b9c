import Foundation
import HoldoutCSV
public import HoldoutModel
import SQLKit

/// What a Criteo import did.
public struct CriteoImportSummary: Sendable, Codable, Hashable {
    public var file: String
    public var experiment: String
    /// Whether the file was gzip (found by its magic bytes).
    public var gzip: Bool
    /// Data rows read (header excluded), rejected ones included.
    public var read: Int
    public var rejected: Int
    /// Rows of each table written by this import (new rows), and those already present.
    public var assignments: Counts
    public var exposures: Counts
    public var visits: Counts
    public var conversions: Counts
    public var features: Counts
    /// The feature columns, in the order they are stored.
    public var featureNames: [String]
    public var firstRejects: [RowError]
    public var seconds: Double

    public struct Counts: Sendable, Codable, Hashable {
        public var inserted = 0
        public var duplicates = 0
        mutating func add(rows: Int, inserted new: Int) {
            inserted += new
            duplicates += rows - new
        }
    }

    enum CodingKeys: String, CodingKey {
        case file, experiment, gzip, read, rejected, assignments, exposures, visits, conversions, features, seconds
        case featureNames = "feature_names"
        case firstRejects = "first_rejects"
    }
}

/// Streams a file in the Criteo Uplift v2 layout (`f0,…,f11,treatment,conversion,visit,exposure`,
/// plain or gzip) into one two-variant experiment, in constant memory:
///
/// - data row *i* (1-based) is unit `row-` + *i* zero-padded to 9 digits (rows carry no id; the
///   padding keeps the store's key order the file's order), assigned to `control` (treatment
///   0) or `treatment` (1) at ``anchor``;
/// - `exposure` 1 → an exposure at the anchor (event id `exposure-<unit>`);
/// - `visit` 1 and `conversion` 1 → outcomes of the metrics `visit` and `conversion` one hour
///   after the anchor, inside any conversion window (event ids `visit-<unit>`,
///   `conversion-<unit>`);
/// - every other column is a feature: its values go to `unit_features`, packed (one row per
///   unit), their names to `experiment_feature_names` (the same names, in the same order, on
///   every import into the experiment).
///
/// Each batch is one transaction over the five tables; every insert skips existing keys, so
/// importing the same file again adds nothing and completes an interrupted import. A bad row
/// (a flag that is not 0 or 1, a feature that is not a finite decimal, a wrong field count) is
/// rejected by line and column and the import goes on; its unit id stays unused.
public struct CriteoImporter: Sendable {
    /// The outcome columns; the others are features.
    public static let flagColumns = ["treatment", "conversion", "visit", "exposure"]
    /// At most this many feature columns (Criteo has 12).
    public static let maximumFeatures = 64

    public var experiment: Experiment
    /// When every unit is assigned and exposed.
    public var anchor: Timestamp
    /// Rows per transaction.
    public var batchSize: Int
    /// Called after each committed batch with the summary so far.
    public var onBatchCommitted: (@Sendable (CriteoImportSummary) -> Void)?

    public init(experiment: Experiment, anchor: Timestamp, batchSize: Int = 20_000, onBatchCommitted: (@Sendable (CriteoImportSummary) -> Void)? = nil) {
        self.experiment = experiment
        self.anchor = anchor
        self.batchSize = batchSize
        self.onBatchCommitted = onBatchCommitted
    }

    /// The unit id of data row `row` (1-based).
    public static func unitID(row: Int) -> String {
        let digits = String(row)
        return "row-" + String(repeating: "0", count: max(0, 9 - digits.count)) + digits
    }

    /// Packs features as little-endian float64s (the `unit_features` format).
    public static func pack(_ values: [Double]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 8)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    /// Unpacks `unit_features` bytes.
    public static func unpack(_ bytes: [UInt8]) -> [Double] {
        stride(from: 0, to: bytes.count - bytes.count % 8, by: 8).map { offset in
            var bits: UInt64 = 0
            for k in 0..<8 { bits |= UInt64(bytes[offset + k]) << (8 * UInt64(k)) }
            return Double(bitPattern: bits)
        }
    }

    /// - Throws: ``ImportError`` when the file cannot be read or decompressed, the header lacks
    ///   a column, or the experiment is not a control/treatment experiment; ``StoreError`` when
    ///   a batch fails (it is rolled back; earlier batches stay committed).
    public func run(path: String, store: Store) async throws -> CriteoImportSummary {
        guard batchSize > 0 else { throw ImportError("the batch size must be positive") }
        let names = experiment.variants.map(\.name)
        guard names == ["control", "treatment"] else {
            throw ImportError(
                "experiment '\(experiment.key)' has variants \(names.joined(separator: ", ")); a Criteo import needs exactly control and treatment (in that order)"
            )
        }
        let start = Date()
        let source: DecompressingSource
        do { source = try DecompressingSource(path: path) } catch { throw ImportError("\(error)") }
        let reader = CSVScanner.Reader(source: source, name: path)
        var summary = CriteoImportSummary(
            file: path, experiment: experiment.key, gzip: source.isGzip, read: 0, rejected: 0, assignments: .init(), exposures: .init(),
            visits: .init(), conversions: .init(), features: .init(), featureNames: [], firstRejects: [], seconds: 0)
        var header: [String]?
        var flagIndex: [Int] = []
        var featureIndex: [Int] = []
        var batch = Batch()
        let experimentID = DatabaseValue.integer(experiment.id)
        let assignedAt = DatabaseValue.integer(anchor.microseconds)
        let convertedAt = DatabaseValue.integer(anchor.microseconds + 3_600_000_000)
        func reject(_ error: RowError) {
            summary.rejected += 1
            if summary.firstRejects.count < 20 { summary.firstRejects.append(error) }
        }
        var more = true
        while more {
            do {
                more = try reader.readChunk(
                    { record in
                        guard let columns = header else {
                            var names: [String] = []
                            for index in 0..<record.count {
                                guard let name = record.validatedTrimmedString(index) else {
                                    throw ImportError("line \(record.line): column \(index + 1) of the header is not valid UTF-8")
                                }
                                names.append(name)
                            }
                            header = names
                            (flagIndex, featureIndex, summary.featureNames) = try Self.layout(header: names, path: path)
                            return
                        }
                        summary.read += 1
                        let row = summary.read
                        guard record.count == columns.count else {
                            reject(RowError(line: record.line, column: nil, reason: "expected \(columns.count) fields, found \(record.count)"))
                            return
                        }
                        var flags = [false, false, false, false]
                        for (k, index) in flagIndex.enumerated() {
                            let field = record.bytes(index)
                            guard field.count == 1, field[0] == UInt8(ascii: "0") || field[0] == UInt8(ascii: "1") else {
                                let text = String(decoding: field.prefix(40), as: UTF8.self)
                                reject(RowError(line: record.line, column: columns[index], reason: "'\(text)' is not 0 or 1"))
                                return
                            }
                            flags[k] = field[0] == UInt8(ascii: "1")
                        }
                        var features = [Double]()
                        features.reserveCapacity(featureIndex.count)
                        for index in featureIndex {
                            guard let value = record.double(index) else {
                                let text = String(decoding: record.bytes(index).prefix(40), as: UTF8.self)
                                reject(RowError(line: record.line, column: columns[index], reason: "'\(text)' is not a finite decimal number"))
                                return
                            }
                            features.append(value)
                        }
                        let unit = Self.unitID(row: row)
                        let profile = DatabaseValue.text(unit)
                        let variant = DatabaseValue.text(flags[0] ? "treatment" : "control")
                        batch.assignments.append([experimentID, profile, variant, assignedAt])
                        if flags[3] {
                            batch.exposures.append([experimentID, profile, assignedAt, variant, .null, .null, .text("exposure-" + unit)])
                        }
                        if flags[2] { batch.visits.append([experimentID, profile, convertedAt, .null, .text("visit-" + unit), .text("visit")]) }
                        if flags[1] {
                            batch.conversions.append([experimentID, profile, convertedAt, .null, .text("conversion-" + unit), .text("conversion")])
                        }
                        batch.features.append([experimentID, profile, .bytes(Self.pack(features))])
                    },
                    malformed: { bad in
                        if header == nil { throw ImportError("line \(bad.line): the header is malformed: \(bad.reason)") }
                        summary.read += 1
                        reject(RowError(line: bad.line, column: nil, reason: bad.reason))
                    })
            } catch let error as CSVScanner.Failure {
                throw ImportError(error.message)
            }
            if batch.assignments.count >= batchSize || (!more && !batch.assignments.isEmpty) {
                if summary.assignments.inserted + summary.assignments.duplicates == 0 {
                    try await recordFeatureNames(summary.featureNames, store: store)
                }
                try await write(batch, store: store, summary: &summary)
                batch = Batch()
                summary.seconds = Date().timeIntervalSince(start)
                onBatchCommitted?(summary)
            }
        }
        guard header != nil else {
            throw ImportError("\(path) is empty: expected a header row with f0,…,f11,\(Self.flagColumns.joined(separator: ","))")
        }
        let refresh = store.dialect.refreshAfterLoad(table: "experiment_assignments")
        try? await store.withConnection { sql in try await sql.raw(SQLQueryString(refresh)).run() }
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    /// The positions of the four flags and of the features; the feature names.
    static func layout(header: [String], path: String) throws -> (flags: [Int], features: [Int], names: [String]) {
        var seen = Set<String>()
        for name in header where !seen.insert(name).inserted {
            throw ImportError("line 1: column '\(name)' appears twice in the header of \(path)")
        }
        var flags: [Int] = []
        for name in flagColumns {
            guard let index = header.firstIndex(of: name) else {
                throw ImportError(
                    "\(path) has no '\(name)' column: the Criteo Uplift layout is f0,…,f11,\(flagColumns.joined(separator: ",")) (found: \(header.joined(separator: ",")))"
                )
            }
            flags.append(index)
        }
        let features = header.indices.filter { !flagColumns.contains(header[$0]) }
        guard !features.isEmpty else { throw ImportError("\(path) has no feature columns (expected f0,…,f11 beside the flags)") }
        guard features.count <= maximumFeatures else {
            throw ImportError("\(path) has \(features.count) feature columns; at most \(maximumFeatures) are imported")
        }
        for index in features where header[index].isEmpty || header[index].utf8.count > OpaqueID.maximumBytes {
            throw ImportError("line 1: column \(index + 1) of \(path) has an empty or over-long name")
        }
        return (flags, features, features.map { header[$0] })
    }

    /// The rows of one batch, per table.
    struct Batch {
        var assignments: [[DatabaseValue]] = []
        var exposures: [[DatabaseValue]] = []
        var visits: [[DatabaseValue]] = []
        var conversions: [[DatabaseValue]] = []
        var features: [[DatabaseValue]] = []
    }

    /// Records the feature names the first time; afterwards they must be the same.
    func recordFeatureNames(_ names: [String], store: Store) async throws {
        let experimentID = experiment.id
        let existing = try await store.failing("read the experiment's feature names") {
            try await store.withConnection { sql in
                try await sql.raw("SELECT name FROM experiment_feature_names WHERE experiment_id = \(bind: experimentID) ORDER BY position").all()
                    .map { try $0.decode(column: "name", as: String.self) }
            }
        }
        if existing.isEmpty {
            try await store.failing("record the experiment's feature names") {
                try await store.transaction { sql in
                    for (position, name) in names.enumerated() {
                        try await sql.raw(
                            "INSERT INTO experiment_feature_names (experiment_id, position, name) VALUES (\(bind: experimentID), \(bind: position), \(bind: name))"
                        ).run()
                    }
                }
            }
        } else if !existing.elementsEqual(names, by: { $0.utf8.elementsEqual($1.utf8) }) {
            throw ImportError(
                "experiment '\(experiment.key)' has features \(existing.joined(separator: ",")) from an earlier import; this file has \(names.joined(separator: ",")) — import it into a new experiment"
            )
        }
    }

    private static let assignmentColumns: [(name: String, type: ColumnType)] = [
        ("experiment_id", .bigint), ("profile_id", .text), ("variant", .text), ("assigned_at", .bigint),
    ]
    private static let featureColumns: [(name: String, type: ColumnType)] = [("experiment_id", .bigint), ("profile_id", .text), ("features", .bytes)]

    /// One transaction over the five tables.
    private func write(_ batch: Batch, store: Store, summary: inout CriteoImportSummary) async throws {
        let counts: [Int]
        do {
            counts = try await store.transaction { _ in
                let bulk = store.bulk
                var counts: [Int] = []
                counts.append(
                    try await bulk.insert(
                        table: "experiment_assignments", columns: Self.assignmentColumns, conflict: ["experiment_id", "profile_id"],
                        rows: batch.assignments[...]))
                for rows in [batch.exposures] {
                    counts.append(
                        rows.isEmpty
                            ? 0
                            : try await bulk.insert(
                                table: ImportKind.exposures.table, columns: ImportKind.exposures.tableColumns, conflict: ImportKind.exposures.conflictTarget,
                                rows: rows[...]))
                }
                for rows in [batch.visits, batch.conversions] {
                    counts.append(
                        rows.isEmpty
                            ? 0
                            : try await bulk.insert(
                                table: ImportKind.outcomes.table, columns: ImportKind.outcomes.tableColumns, conflict: ImportKind.outcomes.conflictTarget,
                                rows: rows[...]))
                }
                counts.append(
                    try await bulk.insert(
                        table: "unit_features", columns: Self.featureColumns, conflict: ["experiment_id", "profile_id"], rows: batch.features[...]))
                return counts
            }
        } catch {
            throw StoreError(
                .database, "a batch of the Criteo import (rows up to \(summary.read)) failed and was rolled back: \(Store.describe(error))")
        }
        summary.assignments.add(rows: batch.assignments.count, inserted: counts[0])
        summary.exposures.add(rows: batch.exposures.count, inserted: counts[1])
        summary.visits.add(rows: batch.visits.count, inserted: counts[2])
        summary.conversions.add(rows: batch.conversions.count, inserted: counts[3])
        summary.features.add(rows: batch.features.count, inserted: counts[4])
    }
}
