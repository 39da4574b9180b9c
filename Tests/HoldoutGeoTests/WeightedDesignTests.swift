import Foundation
import Testing

@testable import HoldoutGeo

@Suite("Seed 000's weighted design")
struct WeightedDesignTests {
    static let now = Date(timeIntervalSince1970: 1_761_080_400.125)

    static func revenue(_ n: Int) -> [GeoDesign.Revenue] {
        (0..<n).map { GeoDesign.Revenue(geo: "g\($0)", revenue: Double(($0 * 37) % 11 + 1) * 100) }
    }

    @Test("the generator is xoshiro256** seeded by SplitMix64 (spec/random-vectors.json)")
    func generator() {
        var g42 = GeoRandom(seed: 42)
        #expect([g42.next(), g42.next(), g42.next()] == [1_546_998_764_402_558_742, 6_990_951_692_964_543_102, 12_544_586_762_248_559_009])
        var g0 = GeoRandom(seed: 0)
        #expect([g0.next(), g0.next(), g0.next()] == [11_091_344_671_253_066_420, 13_793_997_310_169_335_082, 1_900_383_378_846_508_768])
    }

    @Test(
        "count = max(min, round(ratio·G)), never more control than treatment",
        arguments: [(15, 0.2, 4, 4), (40, 0.2, 4, 8), (8, 0.2, 4, 4), (9, 0.5, 1, 4), (50, 0.25, 2, 12), (50, 0.3, 2, 15)])
    func count(geos: Int, ratio: Double, minimum: Int, expected: Int) throws {
        let design = try GeoDesign.weighted(revenue: Self.revenue(geos), tenantID: "t", generatedAt: Self.now, holdoutRatio: ratio, minHoldoutUnits: minimum)
        #expect(design.status == .ready)
        #expect(design.holdoutCount == expected)
        #expect(design.assignment.filter { $0.group == .control }.count == expected)
        #expect(design.geoCount == geos)
    }

    @Test("skips: no_orders without rows, insufficient_geo below max(2·min, 4) geos")
    func skips() throws {
        let none = try GeoDesign.weighted(revenue: [], tenantID: "t", generatedAt: Self.now)
        #expect(none.status == .skip && none.reason == .noOrders && none.assignment.isEmpty)
        let few = try GeoDesign.weighted(revenue: Self.revenue(7), tenantID: "t", generatedAt: Self.now)
        #expect(few.status == .skip && few.reason == .insufficientGeo && few.geoCount == 7)
        let three = try GeoDesign.weighted(revenue: Self.revenue(3), tenantID: "t", generatedAt: Self.now, minHoldoutUnits: 1)
        #expect(three.reason == .insufficientGeo)
        let four = try GeoDesign.weighted(revenue: Self.revenue(4), tenantID: "t", generatedAt: Self.now, minHoldoutUnits: 1)
        #expect(four.status == .ready && four.holdoutCount == 1)
    }

    @Test("same inputs and seed give the same assignment, in any row order; another seed differs")
    func reproducible() throws {
        let rows = Self.revenue(60)
        let a = try GeoDesign.weighted(revenue: rows, tenantID: "t", generatedAt: Self.now)
        let b = try GeoDesign.weighted(revenue: rows.reversed(), tenantID: "t", generatedAt: Self.now)
        #expect(a.assignment == b.assignment)
        let c = try GeoDesign.weighted(revenue: rows, tenantID: "t", generatedAt: Self.now, seed: 7)
        #expect(a.assignment != c.assignment)
    }

    @Test("weights are revenue shares, rows for a geo are summed, control_share is control's share")
    func weights() throws {
        var rows = Self.revenue(20)
        rows.append(GeoDesign.Revenue(geo: "g0", revenue: 50))
        let design = try GeoDesign.weighted(revenue: rows, tenantID: "t", generatedAt: Self.now)
        let total = rows.reduce(0) { $0 + $1.revenue }
        let g0 = try #require(design.assignment.first { $0.geo == "g0" })
        #expect(abs(g0.weight - 150 / total) < 1e-15)
        #expect(abs(design.assignment.reduce(0) { $0 + $1.weight } - 1) < 1e-12)
        let control = design.assignment.filter { $0.group == .control }.reduce(0) { $0 + $1.weight }
        #expect(abs(design.controlShare - control) < 1e-12)
    }

    @Test("control is drawn proportionally to revenue: a geo with 10× revenue is held out far more often")
    func proportional() throws {
        // 10 geos: one with revenue 10, nine with revenue 1; draw 1 control (ratio 0.1, min 1).
        // First-draw probability of the big geo = 10/19.
        let rows = [GeoDesign.Revenue(geo: "big", revenue: 10)] + (0..<9).map { GeoDesign.Revenue(geo: "s\($0)", revenue: 1) }
        var hits = 0
        let trials = 4000
        for seed in 0..<UInt64(trials) {
            let design = try GeoDesign.weighted(revenue: rows, tenantID: "t", generatedAt: Self.now, holdoutRatio: 0.1, minHoldoutUnits: 1, seed: seed)
            if design.assignment.first(where: { $0.geo == "big" })?.group == .control { hits += 1 }
        }
        let p = 10.0 / 19
        let sd = (p * (1 - p) / Double(trials)).squareRoot()
        #expect(abs(Double(hits) / Double(trials) - p) < 5 * sd, "big held out \(hits)/\(trials), expected \(p)")
    }

    @Test("zero-revenue geos are drawn only after every geo with revenue")
    func zeroRevenue() throws {
        let rows = (0..<3).map { GeoDesign.Revenue(geo: "p\($0)", revenue: 5) } + (0..<7).map { GeoDesign.Revenue(geo: "z\($0)", revenue: 0) }
        let design = try GeoDesign.weighted(revenue: rows, tenantID: "t", generatedAt: Self.now, holdoutRatio: 0.4, minHoldoutUnits: 2)
        #expect(design.holdoutCount == 4)
        #expect(design.assignment.filter { $0.geo.hasPrefix("p") }.allSatisfy { $0.group == .control })
        #expect(design.controlShare == 1)
    }

    @Test("negative revenue names the row")
    func negative() {
        do {
            _ = try GeoDesign.weighted(revenue: [.init(geo: "a", revenue: 1), .init(geo: "b", revenue: -2)], tenantID: "t", generatedAt: Self.now)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .negativeValue && error.row == 1 && error.geo == "b")
        }
    }

    @Test("JSON has seed 000's keys and round-trips")
    func json() throws {
        let design = try GeoDesign.weighted(revenue: Self.revenue(15), tenantID: "tenant-1", generatedAt: Self.now)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(design)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["tenant_id", "generated_at", "status", "geo_count", "holdout_count", "control_share", "geo_column", "assignment"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["status"] as? String == "ready")
        #expect(object["geo_column"] as? String == "ship_geohash")
        #expect(object["generated_at"] as? String == "2025-10-21T21:00:00.125Z")
        let item = try #require((object["assignment"] as? [[String: Any]])?.first)
        #expect(Set(item.keys) == ["geo", "group", "weight"])
        let back = try JSONDecoder().decode(GeoHoldoutDesign.self, from: data)
        #expect(back.assignment == design.assignment && back.holdoutCount == design.holdoutCount)
        #expect(abs(back.generatedAt.timeIntervalSince(design.generatedAt)) < 0.001)
    }

    @Test("the JSON is byte for byte what main wrote before WeightedDesign and Core's design became one type (6224db0)")
    func jsonAsMain() throws {
        let text = try String(contentsOf: Fixture.url("design_json_main", "txt"), encoding: .utf8)
        let parts = text.components(separatedBy: "\n----\n").map { $0.trimmingCharacters(in: .newlines) }
        try #require(parts.count == 3)
        let revenue = (0..<15).map { GeoDesign.Revenue(geo: "g\(String(format: "%02d", $0))", revenue: Double(10 + ($0 * 37) % 23) * 1.5) }
        let ready = try GeoDesign.weighted(revenue: revenue, tenantID: "tenant-1", generatedAt: Self.now)
        let skip = try GeoDesign.weighted(revenue: Array(revenue.prefix(5)), tenantID: "tenant-1", generatedAt: Self.now)
        #expect(ready.method == nil && ready.power == nil)
        func encode(_ design: GeoHoldoutDesign, _ format: JSONEncoder.OutputFormatting) throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = format
            return String(decoding: try encoder.encode(design), as: UTF8.self)
        }
        #expect(try encode(ready, .sortedKeys) == parts[0])
        #expect(try encode(ready, [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]) == parts[1])
        #expect(try encode(skip, .sortedKeys) == parts[2])
        // And main's documents decode to the same design.
        let decoded = try JSONDecoder().decode(GeoHoldoutDesign.self, from: Data(parts[0].utf8))
        #expect(decoded.assignment == ready.assignment && decoded.controlShare == ready.controlShare && decoded.method == nil)
    }
}
