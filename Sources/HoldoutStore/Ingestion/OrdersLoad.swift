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
        // The ids seen so far live in a local, not a property: the fast path below touches it once
        // per row, and a class property would pay a dynamic exclusivity check each time.
        var seen = ByteStringTable()
        while more {
            // A nested function, not a closure in a variable: a closure value escapes, which would
            // box `seen` and `pending` and check every access to them at run time.
            func handle(_ item: SourceItem) throws {
                if parser == nil { try makeParser(reader.checkedHeader, store: store) }
                summary.read += 1
                switch item {
                case .invalid(let error, let raw): try reject(error, raw: raw)
                case .row(let row):
                    do {
                        guard let parsed = try parser!.parse(row).first else { return }
                        // An order id twice in one input is an error in the input (a re-import of
                        // the same orders is not: the key makes it a no-op).
                        if case .text(let id) = parsed[1], !seen.insert(id).inserted {
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
                var fastRead = 0
                defer { summary.read += fastRead }
                more = try csv.readCSVChunk(
                    fast: { record in
                        if layout == nil {
                            if parser == nil { try makeParser(csv.header, store: store) }
                            layout = OrdersLayout(header: csv.header, geoColumn: importer.geoColumn, tenant: parser!.tenant)
                        }
                        // The general path counts the rows it takes, and names the earlier row of a
                        // repeated id.
                        guard let row = layout!.parse(record), case .text(let id) = row[1], seen.insert(id).inserted else { return false }
                        fastRead += 1
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
                // The insert runs on the engine's thread while this task adds earlier batches to
                // the totals and reads and parses the next ones. Up to two batches wait for the
                // engine, each insert starting when the one before it has ended (one connection,
                // statements in order), so a slow stretch of parsing (a table growing) never
                // leaves the engine idle. A batch's totals wait until a later batch is on its way
                // (at 20 million orders over 50,000 geos they took 23 of 106 s with the engine
                // waiting, when they came first).
                let bulk = store.bulk
                let previous = inFlight.last?.task
                inFlight.append(
                    (
                        Task {
                            _ = try await previous?.value
                            return try await bulk.insertNew(
                                table: kind.table, columns: kind.tableColumns, conflict: kind.conflictTarget, key: 1, rows: batch[...])
                        },
                        batch
                    ))
                if inFlight.count > 2 { try await accountOldest() }
            }
        }
        while !inFlight.isEmpty { try await accountOldest() }
        try await totals.fold(tenant: importer.tenant, into: store.bulk)
    }

    /// The batches being inserted or waiting to be, oldest first, and their rows.
    private var inFlight: [(task: Task<[Int]?, any Error>, batch: [[DatabaseValue]])] = []

    /// Waits for the oldest batch in flight, and adds its new rows (all when the writer says
    /// nil) to the totals and the summary.
    private func accountOldest() async throws {
        let (task, batch) = inFlight.removeFirst()
        let fresh = try await task.value
        totals.add(batch, only: fresh)
        let inserted = fresh?.count ?? batch.count
        summary.inserted += inserted
        summary.duplicates += batch.count - inserted
        summary.batches += 1
        summary.seconds = Date().timeIntervalSince(start)
        importer.onBatchCommitted?(summary)
    }

    /// After an error: lets the batches in flight finish (their statements hold the connection
    /// the rollback needs), ignoring their outcome.
    private func abandonInFlight() async {
        while !inFlight.isEmpty { _ = try? await inFlight.removeFirst().task.value }
    }
}

/// Revenue and order count per geo and per (geo, UTC day) of the orders an import inserted.
///
/// The cells live in a flat open-addressing table keyed by (geo number, day) packed in 64 bits,
/// not a `Dictionary<Cell, Int>` beside three arrays: at 20 million orders over 50,000 geos
/// (4.5 million cells) the dictionary, its growth and the per-row SipHash took 23 s of the import
/// (`holdout bench geo --orders 20000000 --geos 50000`, session 9); the table keeps a cell's key
/// and sums in one slot, probed from a seeded mix of the key.
struct OrderTotals {
    private var geoIndex = ByteStringTable()
    private(set) var geos: [String] = []
    private var geoRevenue: [Double] = []
    private var geoOrders: [Int64] = []
    private var cells = CellTable()

    static let microsecondsPerDay: Int64 = 86_400_000_000

    /// Adds the rows of a batch (orders table rows: tenant, order_id, created_at, geo, revenue),
    /// or only those at `only` when given.
    mutating func add(_ batch: [[DatabaseValue]], only: [Int]?) {
        if let only {
            for i in only { add(batch[i]) }
        } else {
            for row in batch { add(row) }
        }
    }

    /// Adds an orders table row (tenant, order_id, created_at, geo, revenue).
    mutating func add(_ row: [DatabaseValue]) {
        guard case .integer(let createdAt) = row[2], case .text(let geo) = row[3], case .double(let revenue) = row[4] else { return }
        let (number, new) = geoIndex.insert(geo)
        if new {
            geos.append(geo)
            geoRevenue.append(0)
            geoOrders.append(0)
        }
        geoRevenue[number] += revenue
        geoOrders[number] += 1
        let g = Int32(number)
        // Floor division: days before 1970 are negative, as the SQL of migration 8.
        let day = createdAt >= 0 ? createdAt / Self.microsecondsPerDay : (createdAt - Self.microsecondsPerDay + 1) / Self.microsecondsPerDay
        cells.add(geo: g, day: day, revenue: revenue)
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
        var rank = [UInt64](repeating: 0, count: geos.count)
        for (r, g) in geoOrder.enumerated() { rank[g] = UInt64(r) }
        // Sorted by one integer (the geo's rank above, then the day), slots alongside.
        let order = cells.sortedSlots { geo, day in rank[Int(geo)] << 32 | UInt64(UInt32(bitPattern: day) ^ 0x8000_0000) }
        let columns: [(name: String, type: ColumnType)] = [("tenant", .text), ("geo", .text), ("day", .bigint), ("revenue", .double), ("orders", .bigint)]
        // In slices, so the rows built at once stay bounded; each slice is built while the one
        // before it is written.
        func rows(_ range: Range<Int>) -> [[DatabaseValue]] {
            order[range].map { slot in
                let cell = cells.cell(at: slot)
                return [DatabaseValue.text(tenant), .text(geos[Int(cell.geo)]), .integer(Int64(cell.day)), .double(cell.revenue), .integer(cell.orders)]
            }
        }
        let slice = 200_000
        var writing: Task<Void, any Error>?
        var start = 0
        while start < order.count {
            let end = min(start + slice, order.count)
            let next = rows(start..<end)
            try await writing?.value
            writing = Task {
                try await bulk.upsertAdding(
                    table: "order_geo_days", columns: columns, key: ["tenant", "geo", "day"], add: ["revenue", "orders"], rows: next[...])
            }
            start = end
        }
        try await writing?.value
    }
}

/// Open addressing on (geo number, day): each slot holds its key, revenue and order count
/// together (one cache line touched per row), linear probing, at most half full. The probe
/// starts at a mix of the key with a seed drawn per table, so keys chosen by an input cannot be
/// made to collide without knowing the seed.
struct CellTable {
    private struct Slot {
        var key: UInt64
        var revenue: Double
        var orders: Int64
    }
    private static let empty = Slot(key: .max, revenue: 0, orders: 0)
    private var slots = [Slot](repeating: CellTable.empty, count: 1 << 12)
    private(set) var count = 0
    private let seed = UInt64.random(in: 0...UInt64.max)

    /// A day fits in 32 bits signed: accepted timestamps lie in 1970…2200 (days 0…84,000).
    private static func key(geo: Int32, day: Int64) -> UInt64 {
        UInt64(UInt32(bitPattern: geo)) << 32 | UInt64(UInt32(bitPattern: Int32(truncatingIfNeeded: day)))
    }

    /// MurmurHash3's 64-bit finalizer (a bijection) of the seeded key.
    private func start(_ key: UInt64, mask: Int) -> Int {
        var h = key ^ seed
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return Int(truncatingIfNeeded: h) & mask
    }

    mutating func add(geo: Int32, day: Int64, revenue: Double) {
        if (count + 1) * 2 > slots.count { grow() }
        let key = Self.key(geo: geo, day: day)
        let mask = slots.count - 1
        var i = start(key, mask: mask)
        while true {
            let k = slots[i].key
            if k == key {
                slots[i].revenue += revenue
                slots[i].orders += 1
                return
            }
            if k == Self.empty.key {
                slots[i] = Slot(key: key, revenue: revenue, orders: 1)
                count += 1
                return
            }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Self.empty, count: old.count * 2)
        let mask = slots.count - 1
        for slot in old where slot.key != Self.empty.key {
            var i = start(slot.key, mask: mask)
            while slots[i].key != Self.empty.key { i = (i + 1) & mask }
            slots[i] = slot
        }
    }

    /// The cell in a slot.
    func cell(at index: Int) -> (geo: Int32, day: Int32, revenue: Double, orders: Int64) {
        let slot = slots[index]
        return (
            Int32(bitPattern: UInt32(truncatingIfNeeded: slot.key >> 32)), Int32(bitPattern: UInt32(truncatingIfNeeded: slot.key)), slot.revenue,
            slot.orders
        )
    }

    /// The occupied slots in the order of `rank(geo, day)` (distinct per cell).
    func sortedSlots(by rank: (Int32, Int32) -> UInt64) -> [Int] {
        var ranked: [(rank: UInt64, slot: Int)] = []
        ranked.reserveCapacity(count)
        for i in slots.indices where slots[i].key != Self.empty.key {
            let cell = cell(at: i)
            ranked.append((rank(cell.geo, cell.day), i))
        }
        ranked.sort { $0.rank < $1.rank }
        return ranked.map(\.slot)
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
    let tenant: String

    init?(header: [String], geoColumn: String, tenant: String) {
        self.tenant = tenant
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

    func parse(_ record: CSVScanner.Record) -> [DatabaseValue]? {
        guard record.count == fields else { return nil }
        guard let id = record.validatedTrimmedString(orderID), !id.isEmpty, id.utf8.count <= RowParser.maximumIdentifierBytes,
            let geoName = record.validatedTrimmedString(geo), !geoName.isEmpty, geoName.utf8.count <= RowParser.maximumIdentifierBytes,
            let microseconds = Self.epochMicroseconds(record.bytes(createdAt))
                ?? record.validatedTrimmedString(createdAt).flatMap({ Timestamp(parsing: $0) }).flatMap({ $0.isInAcceptedRange ? $0.microseconds : nil })
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
        return [.text(tenant), .text(id), .integer(microseconds), .text(geoName), .double(revenue)]
    }

    /// Whole epoch seconds (ASCII digits, spaces and tabs around them) within the accepted range,
    /// read without building a string: `Timestamp(parsing:)` copies the field into an array and a
    /// string before reading it, which showed in the profile of a 20-million-order import. The same
    /// value: below 9·10⁹ s, seconds × 10⁶ is exact in a double too. Anything else is nil, and
    /// `Timestamp(parsing:)` reads it.
    static func epochMicroseconds(_ field: UnsafeBufferPointer<UInt8>) -> Int64? {
        var start = 0
        var end = field.count
        while start < end && (field[start] == 0x20 || field[start] == 0x09) { start += 1 }
        while end > start && (field[end - 1] == 0x20 || field[end - 1] == 0x09) { end -= 1 }
        guard start < end, end - start <= 10 else { return nil }
        var seconds: Int64 = 0
        for i in start..<end {
            let digit = field[i] &- 0x30
            guard digit < 10 else { return nil }
            seconds = seconds * 10 + Int64(digit)
        }
        let timestamp = Timestamp(microseconds: seconds * 1_000_000)
        return timestamp.isInAcceptedRange ? timestamp.microseconds : nil
    }
}
