import Foundation
import HoldoutCore
import HoldoutGeo
import HoldoutModel
import HoldoutStore
import HoldoutTestSupport
import SQLKit
import Testing

/// The totals the orders import keeps (`order_geos`, `order_geo_days`, migration 8) against a
/// `GROUP BY` over the stored orders themselves, on every engine: after re-imports, partly
/// overlapping files, rejects, and batches small enough that one batch mixes new and known ids.
@Suite("Order totals: kept by the import, equal to the stored orders' sums")
struct OrderTotalsTests {
    static func file(_ text: String, name: String = "orders.csv") throws -> URL {
        let url = try TestDatabase.temporaryDirectory().appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static func importer(tenant: String, batchSize: Int = 10_000) -> Importer {
        var importer = Importer(kind: .orders, experiment: nil, batchSize: batchSize)
        importer.tenant = tenant
        return importer
    }

    /// The reference: sums over the orders table (what the step read before migration 8).
    static func fromOrders(_ store: Store, tenant: String) async throws -> (geos: [GeoRevenue], days: [DailyGeoRevenue]) {
        try await store.withConnection { sql in
            let geos = try await sql.raw(
                "SELECT geo, SUM(revenue) AS revenue, COUNT(*) AS n FROM orders WHERE tenant = \(bind: tenant) GROUP BY geo ORDER BY geo"
            ).all().map {
                GeoRevenue(
                    geo: try $0.decode(column: "geo", as: String.self), revenue: try $0.decode(column: "revenue", as: Double.self),
                    orders: try $0.decode(column: "n", as: Int.self))
            }
            let rows = try await sql.raw("SELECT created_at, geo, revenue FROM orders WHERE tenant = \(bind: tenant)").all()
            var cells: [String: Double] = [:]
            for row in rows {
                let micros = try row.decode(column: "created_at", as: Int64.self)
                let day = Int(micros >= 0 ? micros / 86_400_000_000 : (micros - 86_400_000_000 + 1) / 86_400_000_000)
                cells["\(day)\t\(try row.decode(column: "geo", as: String.self))", default: 0] += try row.decode(column: "revenue", as: Double.self)
            }
            let days = cells.map { key, revenue in
                let parts = key.split(separator: "\t", maxSplits: 1)
                return DailyGeoRevenue(day: Int(parts[0])!, geo: String(parts[1]), revenue: revenue)
            }.sorted { ($0.day, $0.geo) < ($1.day, $1.geo) }
            return (geos, days)
        }
    }

    /// Revenue in quarters (exact in binary), so the sums are exact whatever their order.
    static func csv(_ ids: some Sequence<Int>, revenueOffset: Double = 0) -> String {
        var text = "order_id,created_at,ship_geohash,net_revenue\n"
        for i in ids {
            let day = 1 + i % 9
            text += "o\(i),2026-03-0\(day)T\(String(format: "%02d", i % 24)):00:00Z,g\(i % 7),\(Double(i % 13) * 0.25 + 1 + revenueOffset)\n"
        }
        return text
    }

    @Test("a re-import adds nothing; a partly overlapping file adds only its new orders (batches mixing new and known ids)", arguments: Engine.underTest)
    func overlap(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let first = try Self.file(Self.csv(0..<40), name: "a.csv")
            #expect(try await Self.importer(tenant: "acme", batchSize: 3).run(path: first.path, store: store).inserted == 40)
            let again = try await Self.importer(tenant: "acme", batchSize: 3).run(path: first.path, store: store)
            #expect(again.inserted == 0 && again.duplicates == 40, "\(again)")
            // o25…o69: 15 known (with other revenue: the stored order stays, and counts once), 30 new.
            let second = try Self.file(Self.csv(25..<70, revenueOffset: 100), name: "b.csv")
            let overlap = try await Self.importer(tenant: "acme", batchSize: 4).run(path: second.path, store: store)
            #expect(overlap.inserted == 30 && overlap.duplicates == 15, "\(overlap)")
            // Another tenant's orders with the same ids are apart.
            #expect(try await Self.importer(tenant: "globex").run(path: second.path, store: store).inserted == 45)
            for tenant in ["acme", "globex"] {
                let reference = try await Self.fromOrders(store, tenant: tenant)
                #expect(try await store.revenueByGeo(tenant: tenant) == reference.geos, "\(tenant)")
                #expect(try await store.dailyRevenue(tenant: tenant) == reference.days, "\(tenant)")
            }
            // By hand: o0…o69 once each for acme, o25…o39 at their first revenue.
            let acme = try await store.revenueByGeo(tenant: "acme")
            #expect(acme.reduce(0) { $0 + $1.orders } == 70)
            var expected = 0.0
            for i in 0..<70 {
                let offset: Double = i >= 40 ? 100 : 0
                expected += Double(i % 13) * 0.25 + 1 + offset
            }
            #expect(acme.reduce(0) { $0 + $1.revenue } == expected)
        }
    }

    @Test("a batch the engine refuses, with later batches already queued, leaves nothing; the import then runs again", arguments: Engine.underTest)
    func failingBatchRollsBack(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            // The engine refuses order o150 (of 300, in batches of 7: several batches wait
            // behind the one that fails).
            let refuse: [String] =
                engine == .sqlite
                ? ["CREATE TRIGGER refuse BEFORE INSERT ON orders WHEN NEW.order_id = 'o150' BEGIN SELECT RAISE(ABORT, 'refused'); END"]
                : [
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF NEW.order_id = 'o150' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
                    "CREATE TRIGGER refuse BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION refuse()",
                ]
            try await store.withConnection { sql in
                for statement in refuse { try await sql.raw(SQLQueryString(statement)).run() }
            }
            let file = try Self.file(Self.csv(0..<300))
            await #expect(throws: StoreError.self) { try await Self.importer(tenant: "acme", batchSize: 7).run(path: file.path, store: store) }
            for table in ["orders", "order_geos", "order_geo_days"] { #expect(try await store.rowCount(table) == 0, "\(table)") }
            try await store.withConnection { sql in
                try await sql.raw(SQLQueryString(engine == .sqlite ? "DROP TRIGGER refuse" : "DROP TRIGGER refuse ON orders")).run()
            }
            #expect(try await Self.importer(tenant: "acme", batchSize: 7).run(path: file.path, store: store).inserted == 300)
            let reference = try await Self.fromOrders(store, tenant: "acme")
            #expect(try await store.revenueByGeo(tenant: "acme") == reference.geos)
            #expect(try await store.dailyRevenue(tenant: "acme") == reference.days)
        }
    }

    @Test("rejected rows add nothing; the first of a duplicated id counts once", arguments: Engine.underTest)
    func rejects(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let csv = try Self.file(
                """
                order_id,created_at,ship_geohash,net_revenue
                o1,2026-03-01T10:00:00Z,a,10
                o2,2026-03-01T10:00:00Z,a,-5
                o1,2026-03-02T10:00:00Z,b,99
                o3,not a time,b,7
                o4,2026-03-02T10:00:00Z,b,2.5

                """)
            let summary = try await Self.importer(tenant: "acme", batchSize: 1).run(path: csv.path, store: store)
            #expect(summary.inserted == 2 && summary.rejected == 3, "\(summary)")
            #expect(summary.firstRejects.map(\.line) == [3, 4, 5])
            #expect(
                try await store.revenueByGeo(tenant: "acme") == [GeoRevenue(geo: "a", revenue: 10, orders: 1), GeoRevenue(geo: "b", revenue: 2.5, orders: 1)])
            let reference = try await Self.fromOrders(store, tenant: "acme")
            #expect(try await store.dailyRevenue(tenant: "acme") == reference.days)
        }
    }

    @Test("daily totals over some geos (more geos than one statement binds) and over all", arguments: Engine.underTest)
    func dailyTotals(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let csv = try Self.file(Self.csv(0..<200))
            _ = try await Self.importer(tenant: "acme").run(path: csv.path, store: store)
            let reference = try await Self.fromOrders(store, tenant: "acme")
            func sums(_ geos: Set<String>?) -> [DailyRevenue] {
                var byDay: [Int: Double] = [:]
                for cell in reference.days where geos?.contains(cell.geo) ?? true { byDay[cell.day, default: 0] += cell.revenue }
                return byDay.keys.sorted().map { DailyRevenue(day: $0, revenue: byDay[$0]!) }
            }
            #expect(try await store.dailyTotals(tenant: "acme", geos: nil) == sums(nil))
            #expect(try await store.dailyTotals(tenant: "acme", geos: ["g1", "g3"]) == sums(["g1", "g3"]))
            // 70,000 names (beyond either engine's bind limit per statement), 2 of them real.
            let many = (0..<70_000).map { "x\($0)" } + ["g2", "g5"]
            #expect(try await store.dailyTotals(tenant: "acme", geos: many) == sums(["g2", "g5"]))
            #expect(try await store.dailyTotals(tenant: "nobody", geos: nil).isEmpty)
        }
    }

    @Test("every design of the step carries its minimum detectable lift; a short history says why it has none", arguments: Engine.underTest)
    func designPower(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            // 120 days of orders over 12 geos: one pre + test window of 28 + 28 fits.
            var text = "order_id,created_at,ship_geohash,net_revenue\n"
            let start = 1_767_225_600  // 2026-01-01T00:00:00Z
            var n = 0
            for day in 0..<120 {
                for geo in 0..<12 {
                    for k in 0..<(2 + (geo + day * 7) % 3) {
                        text += "o\(n),\(start + day * 86_400 + k * 3_600),g\(geo),\(Double(10 + geo * 3 + (day * 13 + k) % 5))\n"
                        n += 1
                    }
                }
            }
            let file = try Self.file(text)
            _ = try await Self.importer(tenant: "acme").run(path: file.path, store: store)
            let state = GeoStateDirectory(root: file.deletingLastPathComponent().appendingPathComponent("state").path)
            let now = Date(timeIntervalSince1970: 1_772_330_584)
            for method in IncrementalityStep.Method.allCases {
                let result = await IncrementalityStep(options: .init(method: method), state: state).run(tenant: "acme", orders: store, designs: store, at: now)
                let design = try #require(result.design, "\(method): \(result)")
                let power = try #require(design.power, "\(method)")
                #expect(power.method == "tbr_placebo" && power.testDays == 28 && power.preDays == 28 && power.historyDays == 120)
                #expect(power.windows == 120 - 56 + 1, "\(method)")
                #expect(power.minimumDetectableLift != nil || power.reason != nil, "\(method)")
                // The stored JSON says the same.
                let designID = try #require(result.designID)
                let stored = try #require(try await store.geoHoldout(id: designID, tenant: "acme"))
                let object = try #require(try JSONSerialization.jsonObject(with: Data(stored.designJSON.utf8)) as? [String: Any])
                let powerObject = try #require(object["power"] as? [String: Any])
                #expect(powerObject.keys.contains("minimum_detectable_lift") && powerObject["test_days"] as? Int == 28)
                if method != .weighted { #expect(design.diagnostics?.minimumDetectableLift == power.minimumDetectableLift) }
            }
            // 120 days cannot hold a 100 + 28 day window: no MDE, a reason, and the design still stands.
            let long = await IncrementalityStep(options: .init(powerTestDays: 28, powerPreDays: 100), state: state).run(
                tenant: "acme", orders: store, designs: store, at: now)
            #expect(long.status == .success)
            let power = try #require(long.design?.power)
            #expect(power.minimumDetectableLift == nil && power.reason?.contains("fewer than one window") == true, "\(power)")
        }
    }
}
