import Foundation
import HTTPTypes
import HoldoutCore
import HoldoutModel
import HoldoutServer
import HoldoutStore
import HoldoutTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Geo holdout routes, in process")
struct GeoRoutesTests {
    /// A store with orders for tenant acme (12 geos), keys for acme (read, write) and globex, and
    /// the router with a temporary state directory.
    static func with(_ engine: Engine, _ body: @Sendable (APIHarness, String, any TestClientProtocol) async throws -> Void) async throws {
        try await TestDatabase.withStore(engine) { store in
            let write = try await APIKeys.create(tenant: "acme", scope: .write, store: store).key
            let read = try await APIKeys.create(tenant: "acme", scope: .read, store: store).key
            let other = try await APIKeys.create(tenant: "globex", scope: .admin, store: store).key
            var records: [ImportRecord] = []
            for i in 0..<240 {
                records.append(
                    ImportRecord([
                        "order_id": .text("o\(i)"), "created_at": .text("2026-03-\(String(format: "%02d", 1 + i % 20))T12:00:00Z"),
                        "ship_geohash": .text("geo\(i % 12)"), "net_revenue": .number(Double(5 + i % 13)),
                    ]))
            }
            var importer = Importer(kind: .orders, experiment: nil)
            importer.tenant = "acme"
            #expect(try await importer.run(records: records, store: store).inserted == 240)
            let state = try TestDatabase.temporaryDirectory().appendingPathComponent("state").path
            let app = Application(
                router: buildRouter(store: store, geoState: GeoStateDirectory(root: state)), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            let harness = APIHarness(store: store, writeKey: write, readKey: read, otherTenantKey: other)
            try await app.test(.router) { client in try await body(harness, state, client) }
            try? FileManager.default.removeItem(atPath: (state as NSString).deletingLastPathComponent)
        }
    }

    @Test("POST runs the step for the key's tenant; GET lists and shows it; another tenant sees nothing", arguments: Engine.underTest)
    func createListShow(engine: Engine) async throws {
        try await Self.with(engine) { h, state, client in
            let created = try await call(client, .post, "/api/geo/holdouts", key: h.writeKey, body: #"{"holdout_ratio": 0.25, "seed": 7}"#, expect: .created)
            #expect(created["status"] as? String == "success" && created["tenant_id"] as? String == "acme")
            let design = try #require(created["design"] as? [String: Any])
            #expect(design["geo_count"] as? Int == 12 && design["holdout_count"] as? Int == 4 && design["seed"] as? Int == 7)
            let path = try #require(created["assignment_path"] as? String)
            #expect(path.hasPrefix(state + "/analytics/experiments/geo_holdouts/acme_") && FileManager.default.fileExists(atPath: path))
            let id = try #require(created["design_id"] as? Int)

            let list = try await call(client, .get, "/api/geo/holdouts", key: h.readKey, expect: .ok)
            let items = try #require(list["_array"] as? [[String: Any]])
            #expect(items.count == 1 && items[0]["id"] as? Int == id && items[0]["method"] as? String == "weighted")
            let shown = try await call(client, .get, "/api/geo/holdouts/\(id)", key: h.readKey, expect: .ok)
            #expect((shown["design"] as? [String: Any])?["tenant_id"] as? String == "acme" && shown["geo_count"] as? Int == 12)

            // Tenant isolation: globex has no designs and cannot read acme's.
            let theirs = try await call(client, .get, "/api/geo/holdouts", key: h.otherTenantKey, expect: .ok)
            #expect((theirs["_array"] as? [Any])?.isEmpty == true)
            try await call(client, .get, "/api/geo/holdouts/\(id)", key: h.otherTenantKey, expect: .notFound)
            // globex has no orders: the step skips.
            let skipped = try await call(client, .post, "/api/geo/holdouts", key: h.otherTenantKey, body: "{}", expect: .ok)
            #expect(skipped["status"] as? String == "skip" && skipped["reason"] as? String == "no_orders")
            // A matched-pairs design through the API.
            let pairs = try await call(client, .post, "/api/geo/holdouts", key: h.writeKey, body: #"{"method": "matched-pairs"}"#, expect: .created)
            #expect((pairs["design"] as? [String: Any])?["method"] as? String == "matched-pairs")
        }
    }

    @Test("scopes: GET needs read, POST needs write; no key is 401", arguments: Engine.underTest)
    func scopes(engine: Engine) async throws {
        try await Self.with(engine) { h, _, client in
            try await call(client, .post, "/api/geo/holdouts", key: h.readKey, body: "{}", expect: .forbidden)
            try await call(client, .get, "/api/geo/holdouts", key: nil, expect: .unauthorized)
            try await call(client, .post, "/api/geo/holdouts", key: nil, body: "{}", expect: .unauthorized)
        }
    }

    @Test(
        "every input is validated, naming the field",
        arguments: [
            (#"{"holdout_ratio": 1.5}"#, "holdout_ratio"), (#"{"holdout_ratio": "x"}"#, "holdout_ratio"), (#"{"method": "random"}"#, "method"),
            (#"{"min_holdout_units": 0}"#, "min_holdout_units"), (#"{"min_holdout_units": 2.5}"#, "min_holdout_units"), (#"{"seed": -1}"#, "seed"),
            (#"{"geo_column": ""}"#, "geo_column"), (#"{"colour": 1}"#, "colour"),
        ])
    func validation(body: String, field: String) async throws {
        try await Self.with(.sqlite) { h, _, client in
            let error = try await call(client, .post, "/api/geo/holdouts", key: h.writeKey, body: body, expect: .badRequest)
            #expect(error["field"] as? String == field, "\(error)")
        }
    }

    @Test("bad ids and limits are 400 naming the parameter")
    func badParameters() async throws {
        try await Self.with(.sqlite) { h, _, client in
            #expect(try await call(client, .get, "/api/geo/holdouts/abc", key: h.readKey, expect: .badRequest)["field"] as? String == "id")
            #expect(try await call(client, .get, "/api/geo/holdouts?limit=0", key: h.readKey, expect: .badRequest)["field"] as? String == "limit")
            try await call(client, .get, "/api/geo/holdouts/999", key: h.readKey, expect: .notFound)
        }
    }
}
