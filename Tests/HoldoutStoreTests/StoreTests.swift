import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutStore
import HoldoutTestSupport
import Testing

@Suite("Store: schema, experiments, assignment")
struct StoreTests {
    @Test("migrations create the schema once and are idempotent", arguments: Engine.underTest)
    func migrations(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            #expect(try await store.schemaVersion() >= 1)
            let again = try await store.migrate()
            #expect(again.isEmpty)
            #expect(try await store.experiments().isEmpty)
        }
    }

    @Test("the store dates its own records by the clock it is given", arguments: Engine.underTest)
    func clock(engine: Engine) async throws {
        try await TestDatabase.withStore(engine, clock: { ts("2030-06-01T12:00:00Z") }) { store in
            let experiment = try await store.createExperiment(NewExperiment(key: "clocked", name: "x"))
            #expect(experiment.createdAt == ts("2030-06-01T12:00:00Z") && experiment.updatedAt == experiment.createdAt)
            let file = try TestDatabase.temporaryDirectory().appendingPathComponent("a.csv")
            try "profile_id,group\np1,control\n".write(to: file, atomically: true, encoding: .utf8)
            _ = try await Importer(kind: .assignments, experiment: experiment).run(path: file.path, store: store)
            let stored = try await store.validation(experimentID: experiment.id)
            #expect(stored.first?.assignedAt == ts("2030-06-01T12:00:00Z"))
        }
    }

    @Test("a fresh SQLite file is migrated on first use")
    func automaticMigration() async throws {
        let directory = try TestDatabase.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await Store.open(.sqlite(path: directory.appendingPathComponent("new.sqlite").path))
        #expect(try await store.schemaVersion() >= 1)
        try await store.close()
    }

    @Test("an unreachable PostgreSQL server is an error that says so")
    func unreachable() async throws {
        do {
            _ = try await Store.open(.postgres(url: "postgres://nobody@127.0.0.1:1/none"))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("cannot connect to PostgreSQL"))
        }
    }

    @Test("experiments: create, key defaults to id, list, lifecycle", arguments: Engine.underTest)
    func experiments(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let seed = try await store.createExperiment(
                NewExperiment(
                    name: "Email holdout Q1 2026", channel: "email", startAt: ts("2026-03-01T00:00:00Z"),
                    endAt: ts("2026-03-31T23:59:59Z"), conversionKey: "purchase",
                    variants: [Variant(name: "control", weight: 0.2), Variant(name: "treatment", weight: 0.8)]))
            #expect(seed.key == String(seed.id))
            #expect(seed.status == .draft)
            #expect(seed.startAt == ts("2026-03-01T00:00:00Z"))
            #expect(seed.variants.map(\.name) == ["control", "treatment"])
            let keyed = try await store.createExperiment(NewExperiment(key: "push-q2", name: "Push"))
            #expect(try await store.experiments().map(\.key) == ["push-q2", seed.key])
            do {
                _ = try await store.createExperiment(NewExperiment(key: "push-q2", name: "again"))
                Issue.record("expected a conflict")
            } catch let error as StoreError {
                #expect(error.code == .conflict)
            }
            try await store.setStatus(key: keyed.key, to: .running)
            #expect(try await store.experiments(status: .running).map(\.key) == ["push-q2"])
            do {
                try await store.setStatus(key: keyed.key, to: .draft)
                Issue.record("expected an invalid transition")
            } catch let error as StoreError {
                #expect(error.code == .invalidTransition)
                #expect(error.message.contains("allowed: completed, paused"))
            }
            try await store.setStatus(key: keyed.key, to: .completed)
            try await store.setStatus(key: keyed.key, to: .archived)
            await #expect(throws: StoreError.self) { try await store.setStatus(key: keyed.key, to: .running) }
        }
    }
}

@Suite("Deterministic assignment")
struct AssignmentTests {
    @Test("assigning twice never changes a group and records it once", arguments: Engine.underTest)
    func idempotent(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let experiment = try await store.createExperiment(
                NewExperiment(name: "x", variants: [Variant(name: "control", weight: 0.2), Variant(name: "treatment", weight: 0.8)]))
            let profiles = (0..<500).map { "user_\($0)" }
            let first = try await AssignmentService.assign(profileIDs: profiles, experiment: experiment, store: store)
            #expect(first.assigned == 500 && first.newlyAssigned == 500)
            #expect(first.counts.values.reduce(0, +) == 500)
            let treatment = first.counts["treatment"] ?? 0
            #expect(treatment > 350 && treatment < 450)  // 80% ± 5 sd
            let second = try await AssignmentService.assign(profileIDs: profiles + ["user_1", "new_1"], experiment: experiment, store: store)
            #expect(second.assigned == 501 && second.newlyAssigned == 1)
            let stored = try await store.assignments(experimentID: experiment.id, profileIDs: profiles)
            let assignment = DeterministicAssignment(experiment)
            for profile in profiles { #expect(stored[OpaqueID(profile)] == assignment.variant(for: profile)) }
            #expect(try await store.assignmentCounts(experimentID: experiment.id).values.reduce(0, +) == 501)
        }
    }

    @Test("group commit: concurrent requests through one writer; each new profile is new for exactly one request", arguments: Engine.underTest)
    func groupCommit(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let a = try await store.createExperiment(NewExperiment(key: "gc-a", name: "a"))
            let b = try await store.createExperiment(
                NewExperiment(key: "gc-b", name: "b", variants: [.init(name: "x", weight: 0.3), .init(name: "y", weight: 0.7)]))
            try await store.recordAssignments(
                experimentID: a.id, [AssignmentRecord(profileID: "p7", variant: "control", assignedAt: ts("2026-03-01T00:00:00Z"))])
            let writer = AssignmentWriter(store: store, maximumRows: 120)
            // 24 requests, overlapping ids, two experiments, concurrently.
            let results = try await withThrowingTaskGroup(of: (Int64, AssignmentService.Result).self) { group in
                for r in 0..<24 {
                    let experiment = r % 3 == 0 ? b : a
                    let profiles = (0..<50).map { "p\(($0 * (r % 5 + 1) + r) % 90)" }
                    group.addTask {
                        (experiment.id, try await AssignmentService.assign(profileIDs: profiles, experiment: experiment, store: store, writer: writer))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for experiment in [a, b] {
                let all = (0..<90).map { "p\($0)" }
                let stored = try await store.assignments(experimentID: experiment.id, profileIDs: all)
                let newCount = results.filter { $0.0 == experiment.id }.reduce(0) { $0 + $1.1.newlyAssigned }
                // Every stored profile was reported new by exactly one request (p7 in a was there before).
                #expect(newCount == stored.count - (experiment.id == a.id ? 1 : 0))
                let assignment = DeterministicAssignment(experiment)
                for (profile, variant) in stored where !(experiment.id == a.id && profile == "p7") {
                    #expect(variant == assignment.variant(for: profile.string))
                }
                for (_, result) in results.filter({ $0.0 == experiment.id }) {
                    #expect(result.counts.values.reduce(0, +) == result.assigned)
                }
            }
            #expect(try await store.assignments(experimentID: a.id, profileIDs: ["p7"])["p7"] == "control")
        }
    }

    @Test("profile ids survive the write path byte for byte; a batch with existing profiles names exactly the new ones", arguments: Engine.underTest)
    func writePathText(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let experiment = try await store.createExperiment(NewExperiment(key: "text", name: "x"))
            // SQLite receives a batch as one JSON text: quotes, backslashes, control characters
            // and non-ASCII must come back unchanged.
            let odd = ["a\"b", "c\\d", "e\nf\tg", "h\u{1}i", "ü", "日本", "😀", "x/y", "[1,2]", "null", " lead", "trail "]
            let at = ts("2026-03-01T00:00:00Z")
            let first = odd.map { AssignmentRecord(profileID: $0, variant: "control", assignedAt: at) }
            #expect(try await store.recordAssignments(experimentID: experiment.id, first) == odd.count)
            let stored = try await store.assignments(experimentID: experiment.id, profileIDs: odd)
            #expect(Set(stored.keys) == Set(odd.map { OpaqueID($0) }))
            // Half old, half new, and one repeated within the batch: only the new ones, once.
            let second = ["a\"b", "ü", "n1", "n2", "n1"].map { AssignmentRecord(profileID: $0, variant: "treatment", assignedAt: at) }
            let result = try await store.recordAssignments([store.assignmentBatch(experimentID: experiment.id, second)]).inserted
            #expect(result[experiment.id] == .only([OpaqueID("n1"), OpaqueID("n2")]))
            #expect(try await store.assignments(experimentID: experiment.id, profileIDs: ["a\"b"])[OpaqueID("a\"b")] == "control")
            let fresh = ["m1", "m2"].map { AssignmentRecord(profileID: $0, variant: "treatment", assignedAt: at) }
            #expect(try await store.recordAssignments([store.assignmentBatch(experimentID: experiment.id, fresh)]).inserted[experiment.id] == .all)
        }
    }

    @Test("concurrent writers assigning overlapping profiles leave one row per profile", arguments: Engine.underTest)
    func concurrentWriters(engine: Engine) async throws {
        let (location, cleanUp) = try await TestDatabase.freshLocation(engine)
        defer { Task { await cleanUp() } }
        let experiment = try await TestDatabase.using(location, schema: .migrate) { store in
            try await store.createExperiment(NewExperiment(key: "concurrent", name: "x"))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    // Separate connections, as separate processes would have.
                    try await TestDatabase.using(location) { store in
                        let profiles = (0..<300).map { "p\(($0 * (writer + 1)) % 400)" }
                        for chunk in stride(from: 0, to: profiles.count, by: 50) {
                            _ = try await AssignmentService.assign(
                                profileIDs: Array(profiles[chunk..<min(chunk + 50, profiles.count)]), experiment: experiment, store: store)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        try await TestDatabase.using(location) { check in
            let counts = try await check.assignmentCounts(experimentID: experiment.id)
            let all = (0..<400).map { "p\($0)" }
            let stored = try await check.assignments(experimentID: experiment.id, profileIDs: all)
            let expectedProfiles = Set((0..<4).flatMap { w in (0..<300).map { "p\(($0 * (w + 1)) % 400)" } })
            #expect(counts.values.reduce(0, +) == expectedProfiles.count)
            #expect(stored.count == expectedProfiles.count)
            let assignment = DeterministicAssignment(experiment)
            for (profile, variant) in stored { #expect(variant == assignment.variant(for: profile.string)) }
        }
    }
}
