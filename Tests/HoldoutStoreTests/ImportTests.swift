import Foundation
import HoldoutModel
import HoldoutStore
import HoldoutTestSupport
import Testing

@Suite("Import: batches, idempotency, rejects")
struct ImportTests {
    @Test("bad rows are rejected with line, column and reason; good rows land; re-import adds nothing", arguments: Engine.underTest)
    func csv(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let f = try await Fixture.make(store, key: "imports")
            let csv = """
                profile_id,exposure_ts,variant,campaign_id,message_id,event_id,extra
                u1,2026-03-05T10:30:00Z,treatment,email_q1,msg_1,e1,x
                u2,2026-03-05T10:31:00+01:00,,email_q1,msg_2,e2,x
                u3,not-a-time,,,,e3,x
                ,2026-03-05T10:32:00Z,,,,e4,x
                u5,1772706720,bogus,,,e5,x
                u6,2026-03-05 10:33,control,,,,x
                u6,2026-03-05 10:33,control,,,,x

                """
            let directory = try TestDatabase.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("exposures.csv")
            try csv.write(to: file, atomically: true, encoding: .utf8)
            let importer = Importer(kind: .exposures, experiment: f.experiment, batchSize: 2)
            let first = try await importer.run(path: file.path, store: store)
            #expect(first.read == 7)
            #expect(first.inserted == 3)  // e1, e2, u6 (its duplicate line counts as a duplicate)
            #expect(first.duplicates == 1)
            #expect(first.rejected == 3)
            #expect(first.ignoredColumns == ["extra"])
            #expect(first.firstRejects.map(\.line) == [4, 5, 6])
            #expect(first.firstRejects[0].column == "exposure_ts")
            #expect(first.firstRejects[1].column == "profile_id")
            #expect(first.firstRejects[2].column == "variant" && first.firstRejects[2].reason.contains("not a variant"))
            let rejects = try String(contentsOfFile: try #require(first.rejectsFile), encoding: .utf8)
            #expect(rejects.hasPrefix("line,column,reason,row\n4,exposure_ts,"))
            #expect(rejects.split(separator: "\n").count == 4)
            let again = try await importer.run(path: file.path, store: store)
            #expect(again.inserted == 0 && again.duplicates == 4 && again.rejected == 3)
            let exposures = try await store.validation(experimentID: f.experiment.id)
            #expect(exposures.isEmpty)  // nobody is assigned yet
        }
    }

    @Test("JSON lines, epoch seconds and zones", arguments: Engine.underTest)
    func jsonLines(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let f = try await Fixture.make(store, key: "jsonl")
            let lines = """
                {"profile_id": "u1", "conversion_ts": "2026-03-07T14:22:00Z", "value": 120.50}
                {"profile_id": "u2", "conversion_ts": 1772893320, "value": 3}
                {"profile_id": "u3", "conversion_ts": "2026-03-07T16:22:00+02:00", "event_id": "x"}
                {"profile_id": "u4", "value": 1}
                not json
                [1, 2]
                {"profile_id": "u5", "conversion_ts": "2026-03-07T14:22:00Z", "value": "abc"}
                """
            let directory = try TestDatabase.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("outcomes.jsonl")
            try lines.write(to: file, atomically: true, encoding: .utf8)
            let summary = try await Importer(kind: .outcomes, experiment: f.experiment).run(path: file.path, store: store)
            #expect(summary.read == 7 && summary.inserted == 3 && summary.rejected == 4)
            #expect(summary.firstRejects.map(\.line) == [4, 5, 6, 7])
            #expect(summary.firstRejects[0].column == "conversion_ts")
            #expect(summary.firstRejects[3].column == "value")
        }
    }

    @Test("a missing required column stops the import before any row")
    func missingColumn() async throws {
        try await TestDatabase.withStore(.sqlite) { store in
            let f = try await Fixture.make(store, key: "missing")
            do {
                try await f.importRows(.assignments, "profile_id,assigned_at\nu1,2026-03-01\n")
                Issue.record("expected an error")
            } catch let error as ImportError {
                #expect(error.message.contains("column 'group' is missing from the header"))
            }
        }
    }

    @Test("assignments import only accepted variants and keep the first assignment", arguments: Engine.underTest)
    func assignments(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let f = try await Fixture.make(store, key: "assign-import")
            let summary = try await f.importRows(
                .assignments, "profile_id,group,assigned_at\nu1,control,2026-03-01\nu1,treatment,2026-03-02\nu2,holdout,2026-03-01\n")
            #expect(summary.inserted == 1 && summary.duplicates == 1 && summary.rejected == 1)
            #expect(try await store.assignments(experimentID: f.experiment.id, profileIDs: ["u1"]) == ["u1": "control"])
        }
    }

    @Test("timestamps: ISO 8601 with and without zones, dates, epoch seconds")
    func timestamps() {
        #expect(Timestamp(parsing: "2026-03-05T10:30:00Z")?.description == "2026-03-05T10:30:00Z")
        #expect(Timestamp(parsing: "2026-03-05T10:30:00") == Timestamp(parsing: "2026-03-05T10:30:00Z"))
        #expect(Timestamp(parsing: "2026-03-05T11:30:00+01:00") == Timestamp(parsing: "2026-03-05T10:30:00Z"))
        #expect(Timestamp(parsing: "2026-03-05 10:30") == Timestamp(parsing: "2026-03-05T10:30:00Z"))
        #expect(Timestamp(parsing: "2026-03-05T10:30:00.25Z")?.microseconds == Timestamp(parsing: "2026-03-05T10:30:00Z")!.microseconds + 250_000)
        #expect(Timestamp(parsing: "2026-03-05") == Timestamp(parsing: "2026-03-05T00:00:00Z"))
        #expect(Timestamp(parsing: "1772706600") == Timestamp(parsing: "2026-03-05T10:30:00Z"))
        for bad in ["", "2026-13-01", "2026-02-30", "yesterday", "2026-03-05T25:00:00Z", "2026-03-05T10:30:00Q"] {
            #expect(Timestamp(parsing: bad) == nil, "\(bad)")
        }
    }
}
