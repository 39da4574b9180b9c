import Foundation
import HoldoutCSV
import HoldoutModel
import SQLKit

/// An orders import: the whole file in one transaction, with the tenant's revenue and order
/// count per geo and per geo and UTC day (`order_geos`, `order_geo_days`) added in the same
/// transaction from exactly the orders it inserted.
///
/// Why one transaction and not one per batch as the other kinds: the totals are a fold of the
/// inserted orders, and a fold committed apart from its orders (a crash between the two) would
/// leave totals that no re-import can repair, since the re-import finds the orders present and
/// adds nothing. In one transaction an interrupted import leaves nothing, and running it again
/// imports the file. Statements inside are the bulk writer's (multi-row inserts on SQLite, COPY
/// on PostgreSQL), one batch of `batchSize` rows at a time, while the next batch is read and
/// parsed (the engine works on its thread, the parsing on this task's: the two cores of the
/// benchmark machine); batches after a failed one are not attempted.
///
/// Idempotent by (tenant, order id): the bulk writer says which rows of a batch were new
/// (``BulkWriter/insertNew(table:columns:conflict:key:rows:)``), and only those are added, so a
/// re-import adds nothing and a partly overlapping file adds only its new orders. An order id
/// twice in one file is a reject (naming the earlier one), as before.
final class OrdersLoad: @unchecked Sendable {  // used by one task at a time: the transaction body runs the whole load
    let importer: Importer
    let reader: any RowReader
    let file: String
    let rejects: RejectsWriter
    var summary: ImportSummary
    var parser: RowParser?
    var seen = Set<ByteKey>()
    var totals = OrderTotals()
    let start = Date()

    init(importer: Importer, reader: any RowReader, file: String, rejectsPath: String?) {
        self.importer = importer
        self.reader = reader
        self.file = file
        rejects = RejectsWriter(path: rejectsPath)
        summary = ImportSummary(
            kind: .orders, file: file, read: 0, inserted: 0, duplicates: 0, rejected: 0, values: nil, batches: 0, seconds: 0, rejectsFile: nil,
            firstRejects: [], ignoredColumns: [])
    }

    func run(store: Store) async throws -> ImportSummary {
        do {
            try await store.transaction { _ in
                do {
                    try await self.load(store: store)
                } catch {
                    await self.abandonInFlight()
                    throw error
                }
            }
        } catch let error as ImportError {
            throw error
        } catch let error as RowError {
            throw error
        } catch {
            throw StoreError(
                .database,
                "the orders import failed and was rolled back (nothing from \(file) is stored; run it again): \(Store.describe(error))")
        }
        if summary.inserted > 0 {
            for table in ["orders", "order_geos", "order_geo_days"] {
                let refresh = store.dialect.refreshAfterLoad(table: table)
                try? await store.withConnection { sql in try await sql.raw(SQLQueryString(refresh)).run() }
            }
        }
        try rejects.close()
        summary.rejectsFile = rejects.isOpen || rejects.wroteAny ? rejects.path : nil
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    private func reject(_ error: RowError, raw: String) throws {
        summary.rejected += 1
        if summary.firstRejects.count < 20 { summary.firstRejects.append(error) }
        try rejects.write(error, raw: raw)
    }

    private func makeParser(_ header: [String]?, store: Store) throws {
        parser = try RowParser(
            kind: .orders, experiment: nil, header: header, tenant: importer.tenant, importedAt: store.now, geoColumn: importer.geoColumn)
        summary.ignoredColumns = parser?.ignoredColumns ?? []
    }

    private func load(store: Store) async throws {
        let kind = ImportKind.orders
        var pending: [[DatabaseValue]] = []
        pending.reserveCapacity(importer.batchSize)
        var more = true
        let csv = (reader as? RowSource).flatMap { $0.format == .csv ? $0 : nil }
        var layout: OrdersLayout?
        while more {
            let handle: (SourceItem) throws -> Void = { [self] item in
                if parser == nil { try makeParser(reader.checkedHeader, store: store) }
                summary.read += 1
                switch item {
                case .invalid(let error, let raw): try reject(error, raw: raw)
                case .row(let row):
                    do {
                        guard let parsed = try parser!.parse(row).first else { return }
                        // An order id twice in one input is an error in the input (a re-import of
                        // the same orders is not: the key makes it a no-op).
                        if case .text(let id) = parsed[1], !seen.insert(ByteKey(id)).inserted {
                            throw RowError(
                                line: row.line, column: "order_id",
                                reason: "\(RowParser.quoted(id)) appears earlier in this input; each order id once (the first is kept)")
                        }
                        pending.append(parsed)
                    } catch let error as RowError {
                        try reject(error, raw: row.raw)
                    }
                }
            }
            if let csv {
                more = try csv.readCSVChunk(
                    fast: { record in
                        if layout == nil {
                            if parser == nil { try makeParser(csv.header, store: store) }
                            layout = OrdersLayout(header: csv.header, geoColumn: importer.geoColumn)
                        }
                        guard let row = layout!.parse(record, tenant: parser!.tenant) else { return false }
                        summary.read += 1
                        guard case .text(let id) = row[1], seen.insert(ByteKey(id)).inserted else {
                            summary.read -= 1  // the general path counts it and names the earlier row
                            return false
                        }
                        pending.append(row)
                        return true
                    }, handle)
            } else {
                more = try reader.readChunk(handle)
            }
            if parser == nil, let header = reader.checkedHeader, !header.isEmpty { try makeParser(header, store: store) }
            while pending.count >= importer.batchSize || (!more && !pending.isEmpty) {
                let end = min(importer.batchSize, pending.count)
                // In key order (the engine compares text keys byte by byte): the B-tree is then
                // walked once per batch instead of at a random page per row.
                let batch = pending[..<end].sorted { a, b in
                    guard case .text(let x) = a[1], case .text(let y) = b[1] else { return false }
                    return x.utf8.lexicographicallyPrecedes(y.utf8)
                }
                pending.removeFirst(end)
                try await settle()
                // The insert runs on the engine's thread while this task reads and parses the
                // next batch: one batch in flight at a time, on the transaction's connection.
                let bulk = store.bulk
                inFlight = (
                    Task { try await bulk.insertNew(table: kind.table, columns: kind.tableColumns, conflict: kind.conflictTarget, key: 1, rows: batch[...]) },
                    batch
                )
            }
        }
        try await settle()
        try await totals.fold(tenant: importer.tenant, into: store.bulk)
    }

    /// The batch being inserted, if any, and its rows.
    private var inFlight: (task: Task<[Int]?, any Error>, batch: [[DatabaseValue]])?

    /// Waits for the batch in flight and adds the rows it inserted to the totals.
    private func settle() async throws {
        guard let (task, batch) = inFlight else { return }
        inFlight = nil
        let fresh = try await task.value
        if let fresh {
            for i in fresh { totals.add(batch[i]) }
            summary.inserted += fresh.count
            summary.duplicates += batch.count - fresh.count
        } else {
            for row in batch { totals.add(row) }
            summary.inserted += batch.count
        }
        summary.batches += 1
        summary.seconds = Date().timeIntervalSince(start)
        importer.onBatchCommitted?(summary)
    }

    /// After an error: lets the batch in flight finish (its statement holds the connection the
    /// rollback needs), ignoring its outcome.
    private func abandonInFlight() async {
        guard let (task, _) = inFlight else { return }
        inFlight = nil
        _ = try? await task.value
    }
}

/// Revenue and order count per geo and per (geo, UTC day) of the orders an import inserted.
struct OrderTotals {
    private var geoIndex: [ByteKey: Int32] = [:]
    private(set) var geos: [String] = []
    private var geoRevenue: [Double] = []
    private var geoOrders: [Int64] = []
    private var cellIndex: [Cell: Int] = [:]
    private var cells: [Cell] = []
    private var cellRevenue: [Double] = []
    private var cellOrders: [Int64] = []

    struct Cell: Hashable {
        var geo: Int32
        var day: Int64
    }

    static let microsecondsPerDay: Int64 = 86_400_000_000

    /// Adds an orders table row (tenant, order_id, created_at, geo, revenue).
    mutating func add(_ row: [DatabaseValue]) {
        guard case .integer(let createdAt) = row[2], case .text(let geo) = row[3], case .double(let revenue) = row[4] else { return }
        let key = ByteKey(geo)
        let g: Int32
        if let known = geoIndex[key] {
            g = known
        } else {
            g = Int32(geos.count)
            geoIndex[key] = g
            geos.append(geo)
            geoRevenue.append(0)
            geoOrders.append(0)
        }
        geoRevenue[Int(g)] += revenue
        geoOrders[Int(g)] += 1
        // Floor division: days before 1970 are negative, as the SQL of migration 8.
        let day = createdAt >= 0 ? createdAt / Self.microsecondsPerDay : (createdAt - Self.microsecondsPerDay + 1) / Self.microsecondsPerDay
        let cell = Cell(geo: g, day: day)
        if let c = cellIndex[cell] {
            cellRevenue[c] += revenue
            cellOrders[c] += 1
        } else {
            cellIndex[cell] = cells.count
            cells.append(cell)
            cellRevenue.append(revenue)
            cellOrders.append(1)
        }
    }

    var isEmpty: Bool { geos.isEmpty }

    /// Adds the totals to `order_geos` and `order_geo_days`, in key order (geo bytes, then day).
    func fold(tenant: String, into bulk: any BulkWriter) async throws {
        guard !isEmpty else { return }
        let geoOrder = geos.indices.sorted { geos[$0].utf8.lexicographicallyPrecedes(geos[$1].utf8) }
        let geoRows = geoOrder.map { g in [DatabaseValue.text(tenant), .text(geos[g]), .double(geoRevenue[g]), .integer(geoOrders[g])] }
        try await bulk.upsertAdding(
            table: "order_geos", columns: [("tenant", .text), ("geo", .text), ("revenue", .double), ("orders", .bigint)], key: ["tenant", "geo"],
            add: ["revenue", "orders"], rows: geoRows[...])
        var rank = [Int32](repeating: 0, count: geos.count)
        for (r, g) in geoOrder.enumerated() { rank[g] = Int32(r) }
        let cellOrder = cells.indices.sorted {
            let (a, b) = (cells[$0], cells[$1])
            return rank[Int(a.geo)] != rank[Int(b.geo)] ? rank[Int(a.geo)] < rank[Int(b.geo)] : a.day < b.day
        }
        let columns: [(name: String, type: ColumnType)] = [("tenant", .text), ("geo", .text), ("day", .bigint), ("revenue", .double), ("orders", .bigint)]
        // In slices, so the rows built at once stay bounded.
        var start = 0
        while start < cellOrder.count {
            let end = min(start + 200_000, cellOrder.count)
            let rows = cellOrder[start..<end].map { c in
                [DatabaseValue.text(tenant), .text(geos[Int(cells[c].geo)]), .integer(cells[c].day), .double(cellRevenue[c]), .integer(cellOrders[c])]
            }
            try await bulk.upsertAdding(table: "order_geo_days", columns: columns, key: ["tenant", "geo", "day"], add: ["revenue", "orders"], rows: rows[...])
            start = end
        }
    }
}

/// The orders CSV layout, resolved once from the header: where `order_id`, `created_at`, the geo
/// and the revenue columns are. ``parse(_:tenant:)`` turns a record that is plainly valid into an
/// orders row with no row dictionary; anything it is not sure of (a missing or oversized value, a
/// time it cannot read, revenue that is not a plain non-negative decimal, a field count other than
/// the header's) returns nil, and the general path (`RowParser`) takes the record and, when it is
/// bad, rejects it with its usual message. So the two paths accept the same rows with the same
/// values, and only the general one ever writes a reject.
struct OrdersLayout {
    let fields: Int
    let orderID: Int
    let createdAt: Int
    let geo: Int
    let netRevenue: Int?
    let subtotal: Int?
    let discounts: Int?

    init?(header: [String], geoColumn: String) {
        guard let orderID = header.firstIndex(of: "order_id"), let createdAt = header.firstIndex(of: "created_at"),
            let geo = header.firstIndex(of: geoColumn)
        else { return nil }
        fields = header.count
        self.orderID = orderID
        self.createdAt = createdAt
        self.geo = geo
        netRevenue = header.firstIndex(of: "net_revenue")
        subtotal = header.firstIndex(of: "subtotal")
        discounts = header.firstIndex(of: "discounts")
        guard netRevenue != nil || subtotal != nil else { return nil }
    }

    func parse(_ record: CSVScanner.Record, tenant: String) -> [DatabaseValue]? {
        guard record.count == fields else { return nil }
        guard let id = record.validatedTrimmedString(orderID), !id.isEmpty, id.utf8.count <= RowParser.maximumIdentifierBytes,
            let geoName = record.validatedTrimmedString(geo), !geoName.isEmpty, geoName.utf8.count <= RowParser.maximumIdentifierBytes,
            let time = record.validatedTrimmedString(createdAt), let ts = Timestamp(parsing: time), ts.isInAcceptedRange
        else { return nil }
        func isEmpty(_ index: Int) -> Bool {
            let bytes = record.bytes(index)
            return bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 }
        }
        func number(_ index: Int) -> Double? {
            guard let value = record.double(index), abs(value) <= RowParser.maximumMagnitude else { return nil }
            return value
        }
        let revenue: Double
        if let net = netRevenue, !isEmpty(net) {
            guard let value = number(net) else { return nil }
            revenue = value
        } else if let subtotal, !isEmpty(subtotal) {
            guard let value = number(subtotal) else { return nil }
            if let discounts, !isEmpty(discounts) {
                guard let off = number(discounts) else { return nil }
                revenue = value - off
            } else {
                revenue = value
            }
        } else {
            return nil
        }
        guard revenue >= 0, revenue.isFinite else { return nil }
        // The general path rejects a row with invalid UTF-8 in any field, used or not.
        for index in 0..<record.count where index != orderID && index != geo && index != createdAt {
            let bytes = record.bytes(index)
            if bytes.contains(where: { $0 >= 0x80 }) && String(validating: bytes, as: UTF8.self) == nil { return nil }
        }
        return [.text(tenant), .text(id), .integer(ts.microseconds), .text(geoName), .double(revenue)]
    }
}
