import Foundation
import HoldoutCore
import HoldoutGeo
import HoldoutModel
import HoldoutStore
import HoldoutTestSupport
import Testing

@Suite("Orders: import, revenue per geo, the daily panel, stored designs and the step after an import")
struct OrdersTests {
    static func file(_ text: String, name: String = "orders.csv") throws -> URL {
        let url = try TestDatabase.temporaryDirectory().appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static func importer(tenant: String, geoColumn: String = "ship_geohash") -> Importer {
        var importer = Importer(kind: .orders, experiment: nil)
        importer.tenant = tenant
        importer.geoColumn = geoColumn
        return importer
    }

    @Test("net_revenue when present, else subtotal − discounts; idempotent by order id; tenants apart", arguments: Engine.underTest)
    func importOrders(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let csv = try Self.file(
                """
                order_id,created_at,ship_geohash,net_revenue,subtotal,discounts
                o1,2026-03-01T10:00:00Z,9q8yy,100,120,20
                o2,2026-03-01T23:59:59Z,9q8yy,,50,5
                o3,2026-03-02T00:00:00Z,9q9zz,,30,
                o4,2026-03-02T08:00:00Z,dr5ru,7.5,,

                """)
            let first = try await Self.importer(tenant: "acme").run(path: csv.path, store: store)
            #expect(first.read == 4 && first.inserted == 4 && first.rejected == 0, "\(first)")
            let again = try await Self.importer(tenant: "acme").run(path: csv.path, store: store)
            #expect(again.inserted == 0 && again.duplicates == 4)
            // The same order ids for another tenant are other orders.
            let other = try await Self.importer(tenant: "globex").run(path: csv.path, store: store)
            #expect(other.inserted == 4)
            let revenue = try await store.revenueByGeo(tenant: "acme")
            #expect(
                revenue == [
                    GeoRevenue(geo: "9q8yy", revenue: 145, orders: 2), GeoRevenue(geo: "9q9zz", revenue: 30, orders: 1),
                    GeoRevenue(geo: "dr5ru", revenue: 7.5, orders: 1),
                ])
            let daily = try await store.dailyRevenue(tenant: "acme")
            let day = 20_513  // 2026-03-01
            #expect(
                daily == [
                    DailyGeoRevenue(day: day, geo: "9q8yy", revenue: 145), DailyGeoRevenue(day: day + 1, geo: "9q9zz", revenue: 30),
                    DailyGeoRevenue(day: day + 1, geo: "dr5ru", revenue: 7.5),
                ])
            #expect(try await store.orderCount(tenant: "acme") == 4)
            #expect(try await store.revenueByGeo(tenant: "nobody").isEmpty)
        }
    }

    @Test("JSON lines and another geo column", arguments: Engine.underTest)
    func jsonLines(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let file = try Self.file(
                """
                {"order_id": "a", "created_at": "2026-03-01T10:00:00Z", "zip": "10001", "net_revenue": 12}
                {"order_id": 17, "created_at": 1772359200, "zip": "10002", "subtotal": 10, "discounts": 2.5}

                """, name: "orders.jsonl")
            let summary = try await Self.importer(tenant: "acme", geoColumn: "zip").run(path: file.path, store: store)
            #expect(summary.inserted == 2 && summary.rejected == 0, "\(summary)")
            #expect(try await store.revenueByGeo(tenant: "acme").map(\.revenue) == [12, 7.5])
        }
    }

    @Test("rejects name the row: negative revenue, a duplicate order id, no revenue, a bad time", arguments: Engine.underTest)
    func rejects(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let csv = try Self.file(
                """
                order_id,created_at,ship_geohash,subtotal,discounts
                o1,2026-03-01T10:00:00Z,9q8yy,10,20
                o2,2026-03-01T10:00:00Z,9q8yy,10,2
                o2,2026-03-01T11:00:00Z,9q9zz,10,2
                o3,2026-03-01T10:00:00Z,9q8yy,,
                o4,yesterday,9q8yy,10,
                o5,2026-03-01T10:00:00Z,,10,

                """)
            let summary = try await Self.importer(tenant: "acme").run(path: csv.path, store: store)
            #expect(summary.inserted == 1 && summary.rejected == 5, "\(summary)")
            let messages = summary.firstRejects.map(\.message)
            #expect(summary.firstRejects.map(\.line) == [2, 4, 5, 6, 7])
            #expect(messages[0].contains("negative revenue -10.0") && messages[0].contains("subtotal"), "\(messages[0])")
            #expect(messages[1].contains("'o2' appears earlier in this input"), "\(messages[1])")
            #expect(messages[2].contains("net_revenue or subtotal"), "\(messages[2])")
            #expect(summary.firstRejects[3].column == "created_at" && summary.firstRejects[4].column == "ship_geohash")
            #expect(FileManager.default.fileExists(atPath: csv.path + ".rejects.csv"))
        }
    }

    @Test("file errors: a missing geo column (with the option to fix it), no revenue column, an unreadable file", arguments: Engine.underTest)
    func fileErrors(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let noGeo = try Self.file("order_id,created_at,zip,net_revenue\no1,2026-03-01T10:00:00Z,10001,5\n")
            let error = try await #require(throws: ImportError.self) { try await Self.importer(tenant: "acme").run(path: noGeo.path, store: store) }
            #expect(error.message.contains("column 'ship_geohash' is missing") && error.message.contains("--geo-column"), "\(error.message)")
            let noRevenue = try Self.file("order_id,created_at,ship_geohash\no1,2026-03-01T10:00:00Z,9q8yy\n")
            let revenueError = try await #require(throws: ImportError.self) { try await Self.importer(tenant: "acme").run(path: noRevenue.path, store: store) }
            #expect(revenueError.message.contains("net_revenue column, or subtotal"), "\(revenueError.message)")
            await #expect(throws: (any Error).self) { try await Self.importer(tenant: "acme").run(path: "/nonexistent/orders.csv", store: store) }
        }
    }

    @Test("designs are stored per tenant: list newest first, another tenant's design is not found", arguments: Engine.underTest)
    func designs(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            func record(_ tenant: String, _ geos: Int) -> GeoHoldoutRecord {
                GeoHoldoutRecord(
                    id: 0, tenant: tenant, createdAt: Timestamp(microseconds: 1_772_330_584_000_000), method: "weighted", geoCount: geos, holdoutCount: 4,
                    controlShare: 0.25, assignmentPath: nil, designJSON: "{\"geo_count\":\(geos)}")
            }
            let a = try await store.saveGeoHoldout(record("acme", 10))
            let b = try await store.saveGeoHoldout(record("acme", 12))
            let c = try await store.saveGeoHoldout(record("globex", 8))
            #expect(a.id != b.id && b.id != c.id)
            #expect(try await store.geoHoldouts(tenant: "acme", limit: 10).map(\.geoCount) == [12, 10])
            #expect(try await store.geoHoldouts(tenant: "acme", limit: 1).map(\.id) == [b.id])
            #expect(try await store.geoHoldout(id: a.id, tenant: "acme") == a)
            #expect(try await store.geoHoldout(id: c.id, tenant: "acme") == nil)
        }
    }

    @Test("pipeline: an orders import, then the step on the stored orders; the design in the database and on disk", arguments: Engine.underTest)
    func pipelineIntegration(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            var csv = "order_id,created_at,ship_geohash,net_revenue\n"
            for i in 0..<600 { csv += "o\(i),2026-03-\(String(format: "%02d", 1 + i % 28))T12:00:00Z,geo\(i % 20),\(Double(10 + i % 37))\n" }
            let file = try Self.file(csv)
            let summary = try await Self.importer(tenant: "acme").run(path: file.path, store: store)
            #expect(summary.inserted == 600)
            let state = GeoStateDirectory(root: file.deletingLastPathComponent().appendingPathComponent("state").path)
            let now = Date(timeIntervalSince1970: 1_772_330_584)
            let result = await IncrementalityStep(state: state).run(tenant: "acme", orders: store, designs: store, at: now)
            #expect(result.status == .success, "\(result)")
            let design = try #require(result.design)
            #expect(design.geoCount == 20 && design.holdoutCount == 4)
            let designID = try #require(result.designID)
            let stored = try #require(try await store.geoHoldout(id: designID, tenant: "acme"))
            let path = try #require(result.assignmentPath)
            #expect(stored.designJSON == (try String(contentsOfFile: path, encoding: .utf8)))
            // Another tenant has no orders: the step skips.
            let none = await IncrementalityStep(state: state).run(tenant: "globex", orders: store, designs: store, at: now)
            #expect(none.status == .skip && none.reason == "no_orders")
            // The matched-pairs design reads the daily panel from the store.
            let pairs = await IncrementalityStep(options: .init(method: .matchedPairs), state: state).run(
                tenant: "acme", orders: store, designs: store, at: now)
            #expect(pairs.status == .success && pairs.design?.assignment.allSatisfy { $0.pair != nil } == true, "\(pairs)")
        }
    }
}
