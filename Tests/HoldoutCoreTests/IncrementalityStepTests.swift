import Foundation
import HoldoutCore
import HoldoutGeo
import HoldoutModel
import Testing

/// Orders and designs held in memory: the step runs on them with no database.
final class InMemoryOrders: OrdersSource, GeoHoldoutRepository, @unchecked Sendable {
    // @unchecked: every mutable property is read and written under `lock`.
    private let lock = NSLock()
    /// (tenant, day, geo, revenue) per order.
    private let orders: [(tenant: String, day: Int, geo: String, revenue: Double)]
    private var saved: [GeoHoldoutRecord] = []
    /// When set, reading orders fails with this message.
    var failure: String?

    init(_ orders: [(tenant: String, day: Int, geo: String, revenue: Double)]) { self.orders = orders }

    var designs: [GeoHoldoutRecord] { lock.withLock { saved } }

    func revenueByGeo(tenant: String) async throws(HoldoutError) -> [GeoRevenue] {
        if let failure { throw HoldoutError(.database, failure) }
        var totals: [String: (Double, Int)] = [:]
        for o in orders where o.tenant == tenant {
            let t = totals[o.geo] ?? (0, 0)
            totals[o.geo] = (t.0 + o.revenue, t.1 + 1)
        }
        return totals.keys.sorted().map { GeoRevenue(geo: $0, revenue: totals[$0]!.0, orders: totals[$0]!.1) }
    }

    func dailyRevenue(tenant: String) async throws(HoldoutError) -> [DailyGeoRevenue] {
        var cells: [String: Double] = [:]
        for o in orders where o.tenant == tenant { cells["\(o.day)|\(o.geo)", default: 0] += o.revenue }
        return cells.map { key, revenue in
            let parts = key.split(separator: "|", maxSplits: 1)
            return DailyGeoRevenue(day: Int(parts[0])!, geo: String(parts[1]), revenue: revenue)
        }
    }

    func saveGeoHoldout(_ record: GeoHoldoutRecord) async throws(HoldoutError) -> GeoHoldoutRecord {
        lock.withLock {
            var r = record
            r.id = Int64(saved.count + 1)
            saved.append(r)
            return r
        }
    }

    func geoHoldouts(tenant: String, limit: Int) async throws(HoldoutError) -> [GeoHoldoutRecord] {
        lock.withLock { Array(saved.filter { $0.tenant == tenant }.reversed().prefix(limit)) }
    }

    func geoHoldout(id: Int64, tenant: String) async throws(HoldoutError) -> GeoHoldoutRecord? {
        lock.withLock { saved.first { $0.id == id && $0.tenant == tenant } }
    }

    /// `geos` geos over `days` days, revenue varying by geo and day (deterministic).
    static func sample(tenant: String = "tenant-1", geos: Int, days: Int = 30) -> InMemoryOrders {
        var rows: [(tenant: String, day: Int, geo: String, revenue: Double)] = []
        for g in 0..<geos {
            for d in 0..<days { rows.append((tenant, 20_000 + d, "g\(String(g).leftPad(3))", Double(10 + g * 3 + (d * 7 + g) % 11))) }
        }
        return InMemoryOrders(rows)
    }
}

extension String {
    fileprivate func leftPad(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

@Suite("Geo holdout step (seed 000)")
struct IncrementalityStepTests {
    /// 2026-03-01T02:03:04.500Z (exact in binary, so it survives the milliseconds of the JSON).
    static let now = Date(timeIntervalSince1970: 1_772_330_584.5)

    static func withState(_ body: (GeoStateDirectory, URL) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("holdout-geo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try await body(GeoStateDirectory(root: root.appendingPathComponent("state").path), root)
    }

    static func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    // MARK: Holdout computation

    @Test("a design: status ready, seed 000's fields, every geo assigned")
    func design() async throws {
        try await Self.withState { state, _ in
            let orders = InMemoryOrders.sample(geos: 20)
            let result = await IncrementalityStep(state: state).run(tenant: "tenant-1", orders: orders, designs: orders, at: Self.now)
            #expect(result.status == .success)
            let design = try #require(result.design)
            #expect(design.status == .ready && design.method == .weighted && design.geoColumn == "ship_geohash" && design.seed == 42)
            #expect(design.geoCount == 20)
            #expect(design.holdoutCount == 4)  // max(4, round(0.2 × 20))
            #expect(abs(design.assignment.reduce(0) { $0 + $1.weight } - 1) < 1e-12)
            let controlWeight = design.assignment.filter { $0.group == .control }.reduce(0) { $0 + $1.weight }
            #expect(abs(controlWeight - design.controlShare) < 1e-12)
        }
    }

    @Test("fewer than max(2 × min_holdout_units, 4) geos: skip, insufficient_geo", arguments: [(3, 1), (7, 4), (9, 5)])
    func insufficientGeos(geos: Int, minimum: Int) async throws {
        try await Self.withState { state, _ in
            let orders = InMemoryOrders.sample(geos: geos)
            let step = IncrementalityStep(options: .init(minHoldoutUnits: minimum), state: state)
            let result = await step.run(tenant: "tenant-1", orders: orders, designs: orders, at: Self.now)
            #expect(result.status == .skip && result.reason == "insufficient_geo" && result.geoCount == geos)
            #expect(result.design == nil && result.assignmentPath == nil && orders.designs.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: state.designsDirectory))
        }
        // At the threshold the design is made.
        try await Self.withState { state, _ in
            let orders = InMemoryOrders.sample(geos: max(2 * minimum, 4))
            let result = await IncrementalityStep(options: .init(minHoldoutUnits: minimum), state: state).run(
                tenant: "tenant-1", orders: orders, designs: nil, at: Self.now)
            #expect(result.status == .success)
        }
    }

    @Test("the same orders and seed give the same assignment; another seed another one")
    func seedReproducibility() async throws {
        try await Self.withState { state, _ in
            let orders = InMemoryOrders.sample(geos: 40)
            func control(_ seed: UInt64) async throws -> [String] {
                let result = await IncrementalityStep(options: .init(seed: seed), state: state).run(
                    tenant: "tenant-1", orders: orders, designs: nil, at: Self.now)
                return try #require(result.design).assignment.filter { $0.group == .control }.map(\.geo)
            }
            let first = try await control(42)
            #expect(try await control(42) == first)
            var differs = false
            for seed in UInt64(1)...5 where try await control(seed) != first { differs = true }
            #expect(differs)
        }
    }

    @Test("every geo with orders is in the assignment exactly once", arguments: IncrementalityStep.Method.allCases)
    func geoCoverage(method: IncrementalityStep.Method) async throws {
        try await Self.withState { state, _ in
            let orders = InMemoryOrders.sample(geos: 25)
            let result = await IncrementalityStep(options: .init(holdoutRatio: 0.4, method: method), state: state).run(
                tenant: "tenant-1", orders: orders, designs: nil, at: Self.now)
            let design = try #require(result.design, "\(result)")
            let geos = design.assignment.map(\.geo) + (design.excluded ?? [])
            #expect(geos.count == 25 && Set(geos).count == 25)
            #expect(Set(geos) == Set((0..<25).map { "g" + String($0).leftPad(3) }))
        }
    }

    @Test(
        "control holds max(min, round(ratio × G)) geos, at most half; the rest is treatment",
        arguments: [(10, 0.2, 4), (30, 0.2, 6), (50, 0.3, 15), (12, 0.9, 6)])
    func treatmentControlSplit(geos: Int, ratio: Double, expected: Int) async throws {
        try await Self.withState { state, _ in
            let orders = InMemoryOrders.sample(geos: geos)
            let result = await IncrementalityStep(options: .init(holdoutRatio: ratio), state: state).run(
                tenant: "tenant-1", orders: orders, designs: nil, at: Self.now)
            let design = try #require(result.design)
            let control = design.assignment.filter { $0.group == .control }.count
            let treatment = design.assignment.filter { $0.group == .treatment }.count
            #expect(control == expected && design.holdoutCount == expected)
            #expect(control + treatment == geos && control <= geos / 2)
        }
    }

    // MARK: Persistence

    @Test("the state directories are created when missing")
    func directoryCreation() async throws {
        try await Self.withState { state, _ in
            #expect(!FileManager.default.fileExists(atPath: state.root))
            _ = await IncrementalityStep(state: state).run(tenant: "t", orders: InMemoryOrders.sample(tenant: "t", geos: 8), designs: nil, at: Self.now)
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: state.designsDirectory, isDirectory: &isDirectory) && isDirectory.boolValue)
            #expect(state.designsDirectory.hasSuffix("state/analytics/experiments/geo_holdouts"))
            #expect(state.telemetryFile.hasSuffix("state/telemetry/experiments/geo_holdout_runs.jsonl"))
        }
    }

    @Test("the design file is valid JSON with seed 000's keys, and decodes to the design")
    func validJSON() async throws {
        try await Self.withState { state, _ in
            let result = await IncrementalityStep(state: state).run(
                tenant: "t", orders: InMemoryOrders.sample(tenant: "t", geos: 10), designs: nil, at: Self.now)
            let path = try #require(result.assignmentPath)
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            for key in ["tenant_id", "generated_at", "status", "geo_count", "holdout_count", "control_share", "geo_column", "assignment"] {
                #expect(object[key] != nil, "missing \(key)")
            }
            #expect(object["status"] as? String == "ready" && object["generated_at"] as? String == "2026-03-01T02:03:04.500Z")
            let first = try #require((object["assignment"] as? [[String: Any]])?.first)
            #expect(first["geo"] is String && first["group"] is String && first["weight"] is Double)
            #expect(try JSONDecoder().decode(GeoHoldoutDesign.self, from: data) == result.design)
            // No temporary file is left behind.
            let names = try FileManager.default.contentsOfDirectory(atPath: state.designsDirectory)
            #expect(names == [URL(fileURLWithPath: path).lastPathComponent])
        }
    }

    @Test("tenant ids are percent-encoded in file names, reversibly")
    func tenantEncoding() async throws {
        let cases = ["tenant-1", "acme_eu", "acme/eu", "../../etc", "a b", "café", "x%2Fy", ""]
        for tenant in cases {
            let encoded = GeoStateDirectory.encodeTenant(tenant)
            #expect(
                encoded.utf8.allSatisfy {
                    $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0)
                        || (0x61...0x7A).contains($0)
                })
            #expect(GeoStateDirectory.decodeTenant(encoded) == tenant)
        }
        #expect(GeoStateDirectory.encodeTenant("acme/eu") == "acme%2Feu")
        #expect(GeoStateDirectory.encodeTenant("café") == "caf%C3%A9")
        #expect(GeoStateDirectory.encodeTenant("x%2Fy") == "x%252Fy")
        try await Self.withState { state, _ in
            let result = await IncrementalityStep(state: state).run(
                tenant: "../acme/eu", orders: InMemoryOrders.sample(tenant: "../acme/eu", geos: 8), designs: nil, at: Self.now)
            let path = try #require(result.assignmentPath)
            #expect(path == state.designsDirectory + "/%2E%2E%2Facme%2Feu_20260301_020304.json")
            #expect(FileManager.default.fileExists(atPath: path))
        }
    }

    @Test("two runs in the same second keep both files")
    func sameSecond() async throws {
        try await Self.withState { state, _ in
            let orders = InMemoryOrders.sample(tenant: "t", geos: 8)
            let a = await IncrementalityStep(state: state).run(tenant: "t", orders: orders, designs: nil, at: Self.now)
            let b = await IncrementalityStep(state: state).run(tenant: "t", orders: orders, designs: nil, at: Self.now)
            #expect(a.assignmentPath?.hasSuffix("t_20260301_020304.json") == true)
            #expect(b.assignmentPath?.hasSuffix("t_20260301_020304_2.json") == true)
        }
    }

    // MARK: Telemetry

    @Test("the telemetry file is created with its directories")
    func telemetryFileCreation() async throws {
        try await Self.withState { state, _ in
            #expect(!FileManager.default.fileExists(atPath: state.telemetryFile))
            _ = await IncrementalityStep(state: state).run(tenant: "t", orders: InMemoryOrders([]), designs: nil, at: Self.now)
            #expect(FileManager.default.fileExists(atPath: state.telemetryFile))
            let count = try Self.lines(state.telemetryFile).count
            #expect(count == 1)
        }
    }

    @Test("each run appends one JSON line; earlier lines stay")
    func jsonlAppend() async throws {
        try await Self.withState { state, _ in
            let orders = InMemoryOrders.sample(tenant: "t", geos: 8)
            let step = IncrementalityStep(state: state)
            _ = await step.run(tenant: "t", orders: orders, designs: nil, at: Self.now)
            _ = await step.run(tenant: "t", orders: InMemoryOrders([]), designs: nil, at: Self.now.addingTimeInterval(1))
            _ = await step.run(tenant: "t", orders: orders, designs: nil, at: Self.now.addingTimeInterval(2))
            let lines = try Self.lines(state.telemetryFile)
            #expect(lines.map { $0["event"] as? String } == ["holdout_assigned", "holdout_skipped", "holdout_assigned"])
            #expect(try String(contentsOfFile: state.telemetryFile, encoding: .utf8).hasSuffix("\n"))
        }
    }

    @Test("telemetry lines and file names carry the step's clock, in UTC")
    func timestamps() async throws {
        try await Self.withState { state, _ in
            let result = await IncrementalityStep(state: state).run(
                tenant: "t", orders: InMemoryOrders.sample(tenant: "t", geos: 8), designs: nil, at: Self.now)
            let line = try #require(try Self.lines(state.telemetryFile).first)
            #expect(line["timestamp"] as? String == "2026-03-01T02:03:04.500Z")
            #expect(GeoStateDirectory.fileStamp(Self.now) == "20260301_020304")
            #expect(result.design?.generatedAt == Self.now)
        }
    }

    @Test("concurrent runs never interleave or lose telemetry lines")
    func concurrentAppends() async throws {
        try await Self.withState { state, _ in
            await withTaskGroup(of: Void.self) { group in
                for task in 0..<16 {
                    group.addTask {
                        let orders = InMemoryOrders.sample(tenant: "tenant-\(task)", geos: 8)
                        for i in 0..<25 {
                            _ = await IncrementalityStep(state: state).run(
                                tenant: "tenant-\(task)", orders: i % 2 == 0 ? orders : InMemoryOrders([]), designs: nil, at: Self.now)
                        }
                    }
                }
            }
            let lines = try Self.lines(state.telemetryFile)
            #expect(lines.count == 400)
            for task in 0..<16 { #expect(lines.filter { $0["tenant_id"] as? String == "tenant-\(task)" }.count == 25) }
            // Every success has its own file, even within one second.
            let files = try FileManager.default.contentsOfDirectory(atPath: state.designsDirectory)
            #expect(files.count == lines.filter { $0["event"] as? String == "holdout_assigned" }.count)
        }
    }

    // MARK: The whole step

    @Test("a full run: success, a file, a stored design, a telemetry line")
    func fullStepSuccess() async throws {
        try await Self.withState { state, _ in
            let orders = InMemoryOrders.sample(geos: 16)
            let result = await IncrementalityStep(state: state).run(tenant: "tenant-1", orders: orders, designs: orders, at: Self.now)
            #expect(result.status == .success && result.tenantID == "tenant-1" && result.designID == 1)
            let path = try #require(result.assignmentPath)
            #expect(FileManager.default.fileExists(atPath: path))
        }
    }

    @Test("no orders: skip, no_orders, no file, a holdout_skipped line")
    func noOrders() async throws {
        try await Self.withState { state, _ in
            let orders = InMemoryOrders.sample(tenant: "other", geos: 16)
            let result = await IncrementalityStep(state: state).run(tenant: "tenant-1", orders: orders, designs: orders, at: Self.now)
            #expect(result.status == .skip && result.reason == "no_orders" && result.tenantID == "tenant-1")
            #expect(orders.designs.isEmpty)
            let line = try #require(try Self.lines(state.telemetryFile).first)
            #expect(line["event"] as? String == "holdout_skipped" && line["reason"] as? String == "no_orders")
        }
    }

    @Test("the telemetry line of a design: seed 000's fields")
    func telemetryLogged() async throws {
        try await Self.withState { state, _ in
            let result = await IncrementalityStep(state: state).run(
                tenant: "t", orders: InMemoryOrders.sample(tenant: "t", geos: 12), designs: nil, at: Self.now)
            let line = try #require(try Self.lines(state.telemetryFile).first)
            #expect(line["tenant_id"] as? String == "t" && line["event"] as? String == "holdout_assigned")
            #expect(line["geo_count"] as? Int == 12 && line["holdout_count"] as? Int == result.design?.holdoutCount)
            let share = try #require(line["control_share"] as? Double)
            #expect(abs(share - (result.design?.controlShare ?? -1)) < 1e-15)
            #expect(line["assignment_path"] as? String == result.assignmentPath)
        }
    }

    @Test("the design is stored: the record holds the file's document and path")
    func persistence() async throws {
        try await Self.withState { state, _ in
            let orders = InMemoryOrders.sample(geos: 10)
            let result = await IncrementalityStep(state: state).run(tenant: "tenant-1", orders: orders, designs: orders, at: Self.now)
            let designID = try #require(result.designID)
            let record = try #require(try await orders.geoHoldout(id: designID, tenant: "tenant-1"))
            #expect(record.assignmentPath == result.assignmentPath && record.method == "weighted" && record.geoCount == 10)
            let path = try #require(result.assignmentPath)
            let file = try String(contentsOfFile: path, encoding: .utf8)
            #expect(record.designJSON == file)
            #expect(try await orders.geoHoldout(id: record.id, tenant: "tenant-2") == nil)
        }
    }

    @Test("an error is a result, never a throw: unreadable orders, an unwritable state directory")
    func errors() async throws {
        try await Self.withState { state, root in
            let orders = InMemoryOrders.sample(geos: 10)
            orders.failure = "connection refused"
            let failed = await IncrementalityStep(state: state).run(tenant: "tenant-1", orders: orders, designs: orders, at: Self.now)
            #expect(failed.status == .error && failed.reason == "connection refused")
            #expect(try Self.lines(state.telemetryFile).last?["event"] as? String == "holdout_failed")
            // The state "directory" is a file.
            let blocked = root.appendingPathComponent("blocked")
            try Data("x".utf8).write(to: blocked)
            let unwritable = await IncrementalityStep(state: GeoStateDirectory(root: blocked.path)).run(
                tenant: "tenant-1", orders: InMemoryOrders.sample(geos: 10), designs: nil, at: Self.now)
            #expect(unwritable.status == .error && unwritable.reason?.contains("check --state-dir") == true, "\(unwritable)")
            // Bad settings name the option.
            let bad = await IncrementalityStep(options: .init(holdoutRatio: 1.5), state: state).run(
                tenant: "tenant-1", orders: InMemoryOrders.sample(geos: 10), designs: nil, at: Self.now)
            #expect(bad.status == .error && bad.reason?.contains("holdout_ratio") == true)
        }
    }

    // MARK: Pipeline integration

    @Test("the result payload: success, skip and error as seed 000 returns them")
    func resultPayload() async throws {
        try await Self.withState { state, _ in
            let encoder = JSONEncoder()
            func object(_ r: IncrementalityResult) throws -> [String: Any] {
                try #require(try JSONSerialization.jsonObject(with: encoder.encode(r)) as? [String: Any])
            }
            let success = try object(
                await IncrementalityStep(state: state).run(tenant: "t", orders: InMemoryOrders.sample(tenant: "t", geos: 8), designs: nil, at: Self.now))
            #expect(success["status"] as? String == "success" && success["tenant_id"] as? String == "t")
            #expect(success["design"] is [String: Any] && success["assignment_path"] is String)
            let skip = try object(await IncrementalityStep(state: state).run(tenant: "t", orders: InMemoryOrders([]), designs: nil, at: Self.now))
            #expect(skip["status"] as? String == "skip" && skip["reason"] as? String == "no_orders" && skip["tenant_id"] as? String == "t")
            #expect(skip["design"] == nil)
            let error = try object(IncrementalityResult(status: .error, tenantID: "t", reason: "boom"))
            #expect(error["status"] as? String == "error" && error["reason"] as? String == "boom" && error["tenant_id"] as? String == "t")
        }
    }

    @Test("panel methods read the daily panel and keep pairs")
    func panelMethods() async throws {
        try await Self.withState { state, _ in
            let orders = InMemoryOrders.sample(geos: 11)
            let result = await IncrementalityStep(options: .init(method: .matchedPairs), state: state).run(
                tenant: "tenant-1", orders: orders, designs: nil, at: Self.now)
            let design = try #require(result.design, "\(result)")
            #expect(design.method == .matchedPairs && design.assignment.count == 10 && design.excluded?.count == 1)
            #expect(design.assignment.allSatisfy { $0.pair != nil } && design.diagnostics != nil)
            #expect(design.holdoutCount == 5)
        }
    }

    @Test("the orders panel fills days without orders with 0")
    func ordersPanel() throws {
        let rows = OrdersPanel.rows([
            DailyGeoRevenue(day: 10, geo: "b", revenue: 2), DailyGeoRevenue(day: 12, geo: "a", revenue: 5), DailyGeoRevenue(day: 10, geo: "a", revenue: 1),
        ])
        #expect(rows.map { "\($0.date.dayNumber) \($0.geo) \($0.response)" } == ["10 a 1.0", "10 b 2.0", "11 a 0.0", "11 b 0.0", "12 a 5.0", "12 b 0.0"])
        _ = try GeoPanel(rows: rows)
    }
}
