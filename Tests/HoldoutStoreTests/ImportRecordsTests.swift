import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutSimulation
import HoldoutStore
import HoldoutTestSupport
import Testing

@Suite("Typed records into the importer, and the simulator loaded without files")
struct ImportRecordsTests {
    @Test("records import like file rows: validated, idempotent, rejects by position", arguments: Engine.underTest)
    func records(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let f = try await Fixture.make(store, key: "typed")
            let t = ts("2026-03-05T10:30:00Z")
            let rows: [ImportRecord] = [
                .outcome(profileID: "u1", at: .time(t), value: 12.5, eventID: "o1"),
                .outcome(profileID: "u2", at: .number(1_772_706_600), value: 3, eventID: "o2"),
                .outcome(profileID: "u3", at: .text("not a time"), eventID: "o3"),
                .outcome(profileID: "u4", at: .time(t), value: .nan, eventID: "o4"),
            ]
            let importer = Importer(kind: .outcomes, experiment: f.experiment, batchSize: 2)
            let first = try await importer.run(records: rows, store: store)
            #expect(first.read == 4 && first.inserted == 2 && first.rejected == 2 && first.rejectsFile == nil)
            #expect(first.firstRejects.map(\.line) == [3, 4] && first.firstRejects.allSatisfy { $0.column == ($0.line == 3 ? "conversion_ts" : "value") })
            let again = try await importer.run(records: rows, store: store)
            #expect(again.inserted == 0 && again.duplicates == 2)
        }
    }

    @Test("the simulator loads through typed records; ITT counts equal the simulated ones", arguments: Engine.underTest)
    func simulation(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            var config = try Scenario.config("email-holdout")
            config.visitors = 70_000  // two chunks
            let report = try await SimulationLoader.load(config, key: "sim", into: store)
            #expect(report.assignments == 70_000 && report.exposures == 70_000 && report.rejected == 0)
            // The same visitors, counted by the simulator itself.
            var perLevel = [Int](repeating: 0, count: config.variantNames.count)
            var conversions = perLevel
            try Simulator(config).run { chunk in
                chunk
            } consume: { chunk in
                for i in 0..<chunk.count {
                    perLevel[chunk.observation.level[i]] += 1
                    if chunk.observation.converted[i] { conversions[chunk.observation.level[i]] += 1 }
                }
            }
            #expect(report.outcomes == conversions.reduce(0, +))
            let experiment = try #require(try await store.experiment(key: "sim"))
            let results = try await ResultsService.compute(experiment: experiment, source: store, mode: .itt)
            #expect(results.arms.map(\.n) == perLevel && results.arms.map(\.conversions) == conversions)
            await #expect(throws: HoldoutError.self) { try await SimulationLoader.load(config, key: "sim", into: store) }
        }
    }
}
