// Writes the design JSON that main wrote at commit 6224db0, before `WeightedDesign` (HoldoutGeo)
// and Core's `GeoHoldoutDesign` were folded into one type: the fixture
// Tests/HoldoutGeoTests/Fixtures/design_json_main.txt (pure weighted design, ready and skipped) and
// the step's file held in Tests/HoldoutCoreTests/DesignJSONTests.swift.
//
// Run once against that commit: a throwaway package whose targets are 6224db0's
// Sources/HoldoutStats and Sources/HoldoutGeo, plus an executable made of this file and a copy of
// 6224db0's Sources/HoldoutCore/Geo/GeoHoldoutDesign.swift with `public struct GeoHoldoutDesign`
// renamed `CoreDesign` and `IncrementalityStep.Method` replaced by the enum at the end of this file.
// Only the key-sorted encodings are compared (an unsorted JSONEncoder's key order is not stable).

import Foundation
import HoldoutGeo

// Old (main 6224db0) JSON of the pure weighted design, for the golden test.
let now = Date(timeIntervalSince1970: 1_761_080_400.125)
let revenue = (0..<15).map { GeoDesign.Revenue(geo: "g\(String(format: "%02d", $0))", revenue: Double(10 + ($0 * 37) % 23) * 1.5) }
let design = try GeoDesign.weighted(revenue: revenue, tenantID: "tenant-1", generatedAt: now)
let skip = try GeoDesign.weighted(revenue: Array(revenue.prefix(5)), tenantID: "tenant-1", generatedAt: now)
for d in [design, skip] {
    for format in [JSONEncoder.OutputFormatting.sortedKeys, [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes], []] {
        let e = JSONEncoder()
        e.outputFormatting = format
        print(String(decoding: try e.encode(d), as: UTF8.self))
        print("----")
    }
}
// The old step's weighted file for InMemoryOrders.sample(tenant: "t", geos: 10) at 2026-03-01T02:03:04.500Z.
let stepNow = Date(timeIntervalSince1970: 1_772_330_584.5)
var totals: [Double] = []
for g in 0..<10 {
    var t = 0.0
    for d in 0..<30 { t += Double(10 + g * 3 + (d * 7 + g) % 11) }
    totals.append(t)
}
let names = (0..<10).map { "g" + String(repeating: "0", count: 3 - String($0).count) + String($0) }
let made = try GeoDesign.weighted(
    revenue: zip(names, totals).map { GeoDesign.Revenue(geo: $0, revenue: $1) }, tenantID: "t", generatedAt: stepNow, geoColumn: "ship_geohash",
    holdoutRatio: 0.2, minHoldoutUnits: 4, seed: 42)
let core = CoreDesign(
    tenantID: "t", generatedAt: stepNow, method: .weighted, geoCount: made.geoCount, holdoutCount: made.holdoutCount, controlShare: made.controlShare,
    geoColumn: "ship_geohash", seed: 42, assignment: made.assignment.map { CoreDesign.Item(geo: $0.geo, group: $0.group, weight: $0.weight) })
let e = JSONEncoder()
e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
print(String(decoding: try e.encode(core), as: UTF8.self))

enum StepMethod: String, Sendable, Hashable, Codable, CaseIterable {
    case weighted
    case stratified
    case matchedPairs = "matched-pairs"
}
