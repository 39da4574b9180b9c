import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutStore
import HoldoutTestSupport
import Testing

@Suite("Segments and per-segment SRM")
struct SegmentTests {
    @Test("statistics by a unit property, with SRM flagged in the broken segment", arguments: Engine.underTest)
    func segments(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let f = try await Fixture.make(store, key: "segments")
            var assignments = "profile_id,group,assigned_at\n"
            var properties = "profile_id,country,plan\n"
            var outcomes = "profile_id,conversion_ts,value\n"
            var expected: [String: [String: (n: Int, c: Int)]] = [:]
            for i in 0..<2_000 {
                let country = ["de", "fr", "us"][i % 3]
                // In "us" the treatment arm lost a third of its units: a broken integration.
                var variant = i % 2 == 0 ? "control" : "treatment"
                if country == "us" && variant == "treatment" && i % 4 == 3 { variant = "control" }
                assignments += "u\(i),\(variant),2026-03-01T00:00:00Z\n"
                if i % 5 != 4 { properties += "u\(i),\(country),free\n" }
                let segment = i % 5 != 4 ? country : "(none)"
                let converts = i % 13 == 0
                if converts { outcomes += "u\(i),2026-03-02T00:00:00Z,1\n" }
                var e = expected[segment, default: [:]][variant] ?? (0, 0)
                e.n += 1
                e.c += converts ? 1 : 0
                expected[segment, default: [:]][variant] = e
            }
            try await f.importRows(.assignments, assignments)
            try await f.importRows(.outcomes, outcomes)
            let directory = try TestDatabase.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("properties.csv")
            try properties.write(to: file, atomically: true, encoding: .utf8)
            let imported = try await Importer(kind: .properties, experiment: nil).run(path: file.path, store: store)
            #expect(imported.inserted == 2 * 1_600)

            let stats = try await store.variantStatistics(experimentID: f.experiment.id, mode: .itt, segmentBy: "country")
            #expect(Set(stats.compactMap(\.segment)) == ["de", "fr", "us", "(none)"])
            for s in stats {
                let e = try #require(expected[s.segment ?? ""]?[s.variant])
                #expect(s.units == e.n && s.converters == e.c, "\(s.segment ?? "") \(s.variant)")
            }
            let segments = try await ResultsService.segments(experiment: f.experiment, source: store, mode: .itt, segmentBy: "country")
            let us = try #require(segments.first { $0.segment == "us" })
            #expect(us.srm?.detected == true)
            for other in segments where other.segment == "de" || other.segment == "fr" { #expect(other.srm?.detected == false, "\(other.segment)") }
            #expect(segments.allSatisfy { $0.comparisons.allSatisfy { $0.pValueHolm != nil } })
        }
    }
}
