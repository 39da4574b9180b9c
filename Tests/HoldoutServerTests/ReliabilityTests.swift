import Foundation
import HTTPTypes
import HoldoutCore
import HoldoutModel
import HoldoutServer
import HoldoutStats
import HoldoutStore
import HoldoutTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Issue 10: what an outside probe found — requests that crashed the server, exhausted memory,
/// stalled other tenants, counted nothing, or merged distinct input.
// A time limit far above these tests' few seconds: a CI run once stopped for good in the
// tests (every task waiting, no thread busy, session 9); with the limit a hang like that fails
// and names its test instead.
@Suite("Reliability under hostile or careless input", .timeLimit(.minutes(5)))
struct ReliabilityTests {
    static func json(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test("post-hoc analysis (seed 001 auto-assign): profiles enter at their first touchpoint, so March's outcomes count", arguments: Engine.underTest)
    func postHoc(engine: Engine) async throws {
        try await APIHarness.with(engine) { h, client in
            let created = try await call(
                client, .post, "/api/experiments", key: h.writeKey,
                body: #"{"key": "posthoc", "name": "Post-hoc", "start_at": "2026-03-01T00:00:00Z", "end_at": "2026-03-31T23:59:59Z"}"#, expect: .created)
            let id = try #require(created["id"] as? Int)
            try await call(client, .patch, "/api/experiments/\(id)", key: h.writeKey, body: #"{"status": "running"}"#, expect: .ok)
            let touchpoints = (0..<2000).map { ["profile_id": "p\($0)", "channel": "email", "ts": "2026-03-02T09:00:00Z"] }
            try await call(client, .post, "/api/touchpoints", key: h.writeKey, body: try Self.json(["touchpoints": touchpoints]), expect: .ok)
            let assigned = try await call(
                client, .post, "/api/experiments/\(id)/auto-assign", key: h.writeKey,
                body: #"{"channel": "email", "start_date": "2026-03-01", "end_date": "2026-03-31", "treatment_rate": 0.5}"#, expect: .ok)
            #expect(assigned["assigned"] as? Int == 2000)
            #expect(assigned["warnings"] == nil)
            let outcomes = (0..<200).map { ["profile_id": "p\($0 * 10)", "conversion_ts": "2026-03-05T12:00:00Z", "event_id": "o\($0)"] }
            try await call(client, .post, "/api/experiments/\(id)/outcomes", key: h.writeKey, body: try Self.json(["outcomes": outcomes]), expect: .ok)
            let results = try await call(client, .get, "/api/experiments/\(id)/results", key: h.readKey, expect: .ok)
            let arms = try #require(results["arms"] as? [[String: Any]])
            #expect(arms.reduce(0) { $0 + ($1["conversions"] as? Int ?? 0) } == 200)
            #expect(arms.reduce(0) { $0 + ($1["n"] as? Int ?? 0) } == 2000)
            let excluded = try #require(results["outcomes_not_counted"] as? [String: Int])
            #expect(excluded == ["before_assignment": 0, "after_window": 0, "unassigned_profile": 0, "outside_experiment_dates": 0, "not_validly_exposed": 0])
        }
    }

    @Test("results name what they did not count, and say it in words when nothing counted", arguments: Engine.underTest)
    func outcomesNotCounted(engine: Engine) async throws {
        try await APIHarness.with(engine) { h, client in
            let created = try await call(
                client, .post, "/api/experiments", key: h.writeKey,
                body: #"{"key": "late", "name": "Late", "start_at": "2026-03-01T00:00:00Z", "end_at": "2026-03-31T23:59:59Z", "conversion_window_days": 7}"#,
                expect: .created)
            let id = try #require(created["id"] as? Int)
            // Assigned "today", after the experiment's end, as the README's workflow did.
            let assigned = try await call(
                client, .post, "/api/experiments/\(id)/assign", key: h.writeKey, body: try Self.json(["profile_ids": (0..<100).map { "u\($0)" }]), expect: .ok)
            let warnings = try #require(assigned["warnings"] as? [String])
            #expect(warnings.contains { $0.contains("after the experiment's end_at") })
            // 72 outcomes in March (before assignment), 3 for profiles never assigned.
            var outcomes = (0..<72).map { ["profile_id": "u\($0)", "conversion_ts": "2026-03-05T12:00:00Z", "event_id": "a\($0)"] }
            outcomes += (0..<3).map { ["profile_id": "stranger\($0)", "conversion_ts": "2026-03-05T12:00:00Z", "event_id": "s\($0)"] }
            try await call(client, .post, "/api/experiments/\(id)/outcomes", key: h.writeKey, body: try Self.json(["outcomes": outcomes]), expect: .ok)
            let results = try await call(client, .get, "/api/experiments/\(id)/results", key: h.readKey, expect: .ok)
            let excluded = try #require(results["outcomes_not_counted"] as? [String: Int])
            #expect(excluded["before_assignment"] == 72 && excluded["unassigned_profile"] == 3 && excluded["after_window"] == 0)
            let reason = try #require(results["reason"] as? String)
            #expect(reason.hasPrefix("72 outcomes were recorded before their profiles were assigned; 3 outcomes were for profiles not assigned"))

            // Backfilled with the time each profile entered: a 7-day window from March 1 counts
            // the March 5 outcomes; one 10 days later is after the window.
            try await h.store.recordAssignments(
                experimentID: Int64(id), [AssignmentRecord(profileID: "early", variant: "control", assignedAt: ts("2026-03-01T00:00:00Z"))])
            let more = [
                ["profile_id": "early", "conversion_ts": "2026-03-05T00:00:00Z", "event_id": "e1"],
                ["profile_id": "early", "conversion_ts": "2026-03-11T00:00:00Z", "event_id": "e2"],
                ["profile_id": "early", "conversion_ts": "2026-02-01T00:00:00Z", "event_id": "e3"],
            ]
            try await call(client, .post, "/api/experiments/\(id)/outcomes", key: h.writeKey, body: try Self.json(["outcomes": more]), expect: .ok)
            let again = try await call(client, .get, "/api/experiments/\(id)/results", key: h.readKey, expect: .ok)
            let excludedAgain = try #require(again["outcomes_not_counted"] as? [String: Int])
            #expect(excludedAgain["after_window"] == 1 && excludedAgain["outside_experiment_dates"] == 1 && excludedAgain["before_assignment"] == 72)
            #expect((again["arms"] as? [[String: Any]])?.reduce(0) { $0 + ($1["conversions"] as? Int ?? 0) } == 1)
        }
    }

    @Test("exposure mode names the exposures it left out, by the unit's status", arguments: Engine.underTest)
    func exposuresNotCounted(engine: Engine) async throws {
        try await APIHarness.with(engine) { h, client in
            let created = try await call(
                client, .post, "/api/experiments", key: h.writeKey,
                body: #"{"key": "exp", "name": "Exposures", "start_at": "2026-03-01T00:00:00Z", "end_at": "2026-03-31T23:59:59Z"}"#, expect: .created)
            let id = try #require(created["id"] as? Int)
            try await h.store.recordAssignments(
                experimentID: Int64(id),
                [
                    AssignmentRecord(profileID: "a", variant: "control", assignedAt: ts("2026-03-02T00:00:00Z")),
                    AssignmentRecord(profileID: "b", variant: "treatment", assignedAt: ts("2026-03-02T00:00:00Z")),
                    AssignmentRecord(profileID: "c", variant: "control", assignedAt: ts("2026-03-02T00:00:00Z")),
                ])
            let exposures: [[String: String]] = [
                ["profile_id": "a", "exposure_ts": "2026-03-03T00:00:00Z", "variant": "treatment"],  // mismatch
                ["profile_id": "a", "exposure_ts": "2026-03-04T00:00:00Z", "variant": "treatment"],  // mismatch
                ["profile_id": "b", "exposure_ts": "2026-03-01T00:00:00Z"],  // before assignment
                ["profile_id": "c", "exposure_ts": "2026-03-03T00:00:00Z", "variant": "control"],  // valid
                ["profile_id": "z", "exposure_ts": "2026-03-03T00:00:00Z"],  // never assigned
            ]
            try await call(client, .post, "/api/experiments/\(id)/exposures", key: h.writeKey, body: try Self.json(["exposures": exposures]), expect: .ok)
            let results = try await call(client, .get, "/api/experiments/\(id)/results?mode=exposure", key: h.readKey, expect: .ok)
            let excluded = try #require(results["exposures_not_counted"] as? [String: Int])
            #expect(
                excluded == [
                    "unassigned_profile": 1, "multi_variation_exposure": 0, "variant_mismatch": 2, "pre_assignment_exposure": 1, "exposure_outside_window": 0,
                ])
            let itt = try await call(client, .get, "/api/experiments/\(id)/results", key: h.readKey, expect: .ok)
            #expect(itt["exposures_not_counted"] == nil)
        }
    }

    @Test(
        "identifiers are bytes: canonically equivalent profile ids are two profiles, and a stored NFD variant does not crash results",
        arguments: Engine.underTest)
    func opaqueIdentifiers(engine: Engine) async throws {
        try await APIHarness.with(engine) { h, client in
            let created = try await call(
                client, .post, "/api/experiments", key: h.writeKey,
                body: #"{"key": "cafe", "name": "Café", "variants": [{"name": "ctl", "weight": 0.5}, {"name": "caf\u00e9", "weight": 0.5}]}"#,
                expect: .created)
            let id = try #require(created["id"] as? Int)
            let assigned = try await call(
                client, .post, "/api/experiments/\(id)/assign", key: h.writeKey, body: #"{"profile_ids": ["caf\u00e9", "cafe\u0301"]}"#, expect: .ok)
            #expect(assigned["assigned"] as? Int == 2 && assigned["new"] as? Int == 2)
            // A row whose variant is the NFD spelling (as an older import could store it).
            try await h.store.recordAssignments(
                experimentID: Int64(id), [AssignmentRecord(profileID: "legacy", variant: "cafe\u{301}", assignedAt: ts("2026-03-01T00:00:00Z"))])
            let results = try await call(client, .get, "/api/experiments/\(id)/results", key: h.readKey, expect: .ok)
            let arms = try #require(results["arms"] as? [[String: Any]])
            #expect(arms.reduce(0) { $0 + ($1["n"] as? Int ?? 0) } == 2)
            try await call(client, .get, "/api/experiments/\(id)/time-series", key: h.readKey, expect: .ok)
            // Variant names equal as Unicode text are one name.
            try await call(
                client, .post, "/api/experiments", key: h.writeKey,
                body: #"{"name": "x", "variants": [{"name": "caf\u00e9", "weight": 0.5}, {"name": "cafe\u0301", "weight": 0.5}]}"#, expect: .badRequest)
        }
    }

    @Test("limits: 50 variants, no numeric keys, whole window days, both weights inside (0, 1)", arguments: Engine.underTest)
    func limits(engine: Engine) async throws {
        try await APIHarness.with(engine) { h, client in
            let variants = (0..<51).map { ["name": "v\($0)", "weight": 1.0 / 51] }
            let tooMany = try await call(
                client, .post, "/api/experiments", key: h.writeKey, body: try Self.json(["name": "x", "variants": variants]), expect: .badRequest)
            #expect(tooMany["field"] as? String == "variants")
            // Squatting the next ids as keys is refused, so keyless creates keep working.
            for key in ["45", "46", "1"] {
                let error = try await call(
                    client, .post, "/api/experiments", key: h.otherTenantKey, body: #"{"key": "\#(key)", "name": "squat"}"#, expect: .badRequest)
                #expect(error["field"] as? String == "key")
            }
            let keyless = try await call(client, .post, "/api/experiments", key: h.writeKey, body: #"{"name": "keyless"}"#, expect: .created)
            #expect(keyless["key"] as? String == String(try #require(keyless["id"] as? Int)))
            let window = try await call(
                client, .post, "/api/experiments", key: h.writeKey, body: #"{"name": "w", "conversion_window_days": 1.5}"#, expect: .badRequest)
            #expect(window["field"] as? String == "conversion_window_days")
            let tiny = try await call(
                client, .post, "/api/experiments", key: h.writeKey, body: #"{"name": "t", "treatment_rate": 1e-320}"#, expect: .badRequest)
            #expect(tiny["field"] as? String == "treatment_rate")
            // A duplicate key is a conflict, never a 500.
            try await call(client, .post, "/api/experiments", key: h.writeKey, body: #"{"key": "dup", "name": "a"}"#, expect: .created)
            try await call(client, .post, "/api/experiments", key: h.writeKey, body: #"{"key": "dup", "name": "b"}"#, expect: .conflict)
        }
    }

    @Test("concurrent first assigns with different rates: every stored assignment agrees with the stored rate", arguments: Engine.underTest)
    func firstAssignRace(engine: Engine) async throws {
        try await APIHarness.with(engine) { h, client in
            let created = try await call(client, .post, "/api/experiments", key: h.writeKey, body: #"{"key": "race", "name": "Race"}"#, expect: .created)
            let id = try #require(created["id"] as? Int)
            let rates = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (k, rate) in rates.enumerated() {
                    let body = try Self.json(["profile_ids": (0..<375).map { "r\(k)_\($0)" }, "treatment_rate": rate])
                    group.addTask {
                        var headers = HTTPFields()
                        headers[.authorization] = "Bearer \(h.writeKey)"
                        headers[.contentType] = "application/json"
                        try await client.execute(uri: "/api/experiments/\(id)/assign", method: .post, headers: headers, body: ByteBuffer(string: body)) {
                            response in
                            #expect(response.status == .ok || response.status == .conflict, "\(String(buffer: response.body))")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let experiment = try #require(try await h.store.experiment(id: Int64(id)))
            let rule = DeterministicAssignment(experiment)
            let all = rates.indices.flatMap { k in (0..<375).map { "r\(k)_\($0)" } }
            let stored = try await h.store.assignments(experimentID: Int64(id), profileIDs: all)
            #expect(!stored.isEmpty)
            let disagreeing = stored.filter { rule.variant(for: $0.key.string) != $0.value }.count
            #expect(disagreeing == 0)
        }
    }

    @Test("webhooks: the headers are checked before the body, bodies are bounded, an unknown tenant answers like a bad signature")
    func webhookBodies() async throws {
        try await APIHarness.with(.sqlite) { h, client in
            try await h.store.setWebhookSecret(tenant: "acme", secret: "s3cret")
            let now = Int(Date().timeIntervalSince1970)
            func post(tenant: String, body: String, contentLength: Int? = nil) async throws -> (HTTPResponse.Status, [String: Any]) {
                var headers = HTTPFields()
                headers[HTTPField.Name("X-Holdout-Tenant")!] = tenant
                headers[HTTPField.Name("X-Holdout-Signature")!] = "t=\(now),v1=" + String(repeating: "ab", count: 32)
                if let contentLength { headers[.contentLength] = String(contentLength) }
                return try await client.execute(uri: "/webhooks/conversion", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                    let object = (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))) as? [String: Any] ?? [:]
                    return (response.status, object["error"] as? [String: Any] ?? [:])
                }
            }
            let (badStatus, bad) = try await post(tenant: "acme", body: "{}")
            let (unknownStatus, unknown) = try await post(tenant: "nobody", body: "{}")
            #expect(badStatus == .unauthorized && unknownStatus == .unauthorized)
            #expect(bad["code"] as? String == unknown["code"] as? String && bad["message"] as? String == unknown["message"] as? String)
            let (largeStatus, _) = try await post(tenant: "acme", body: String(repeating: "x", count: 70_000))
            #expect(largeStatus == .contentTooLarge)
        }
    }

    @Test("the time series is bounded by the experiment's dates and today, and carries the always-valid band", arguments: Engine.underTest)
    func timeSeriesBounds(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let experiment = try await store.createExperiment(
                NewExperiment(key: "ts", name: "ts", startAt: ts("2026-03-01T00:00:00Z"), endAt: ts("2026-03-10T00:00:00Z"), conversionWindowDays: 0))
            try await store.recordAssignments(
                experimentID: experiment.id,
                (0..<40).map { AssignmentRecord(profileID: "u\($0)", variant: $0 % 2 == 0 ? "control" : "treatment", assignedAt: ts("2026-02-20T00:00:00Z")) })
            _ = try await store.record(
                kind: .outcomes, experiment: experiment,
                items: [.outcome(profileID: "u1", at: .text("2026-03-03T00:00:00Z")), .outcome(profileID: "u3", at: .text("2199-12-31T00:00:00Z"))],
                field: "outcomes")
            let points = try await TimeSeries.points(experiment: experiment, source: store, now: ts("2026-03-06T12:00:00Z"))
            // From start_at (the February assignments fold into it) to today, not to 2199.
            #expect(points.first?.date == "2026-03-01" && points.last?.date == "2026-03-06" && points.count == 6)
            #expect(points.first?.units == [20, 20] && points.last?.conversions == [0, 1])
            let later = try await TimeSeries.points(experiment: experiment, source: store, now: ts("2030-01-01T00:00:00Z"))
            #expect(later.last?.date == "2026-03-10")
        }
    }

    @Test("without dates the time series keeps the latest 3,660 days, with earlier counts folded into the first", arguments: Engine.underTest)
    func timeSeriesCap(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let experiment = try await store.createExperiment(NewExperiment(key: "long", name: "long", conversionWindowDays: 0))
            try await store.recordAssignments(
                experimentID: experiment.id,
                [
                    AssignmentRecord(profileID: "a", variant: "control", assignedAt: ts("1970-01-02T00:00:00Z")),
                    AssignmentRecord(profileID: "b", variant: "treatment", assignedAt: ts("2000-01-01T00:00:00Z")),
                ])
            _ = try await store.record(
                kind: .outcomes, experiment: experiment, items: [.outcome(profileID: "b", at: .time(ts("2199-12-31T00:00:00Z")))], field: "outcomes")
            let points = try await TimeSeries.points(experiment: experiment, source: store, now: ts("2199-12-31T12:00:00Z"))
            #expect(points.count == TimeSeries.maximumPoints && TimeSeries.maximumPoints == 3_660)
            #expect(points.last?.date == "2199-12-31" && points.last?.conversions == [0, 1])
            // Both assignments precede the window shown: they fold into its first day.
            #expect(points.first?.units == [1, 1])
        }
    }

    @Test("the analytics pool: one tenant's slow queries do not hold up another's; past the limit a call is refused, past the timeout it is answered")
    func analyticsPool() async throws {
        try await TestDatabase.withStore(.sqlite) { store in
            let pool = try await AnalyticsPool.open(
                store.location, limits: .init(connections: 2, timeout: .seconds(60), runningPerTenant: 1, waitingPerTenant: 1))
            // Tenant a: one call running (held open until released), one waiting; a third is
            // refused at once.
            let (gate, open) = AsyncStream.makeStream(of: Void.self)
            let slow = Task {
                try await pool.run(tenant: "a") { _ in
                    for await _ in gate { break }
                    return 1
                }
            }
            try await Task.sleep(for: .milliseconds(50))
            let waiting = Task { try await pool.run(tenant: "a") { _ in 2 } }
            try await Task.sleep(for: .milliseconds(50))
            await #expect(throws: AnalyticsPool.Refusal.self) { try await pool.run(tenant: "a") { _ in 3 } }
            // Tenant b runs on the other connection while a's call is still held open.
            #expect(try await pool.run(tenant: "b") { store in try await store.experiments().count } == 0)
            open.yield()
            open.finish()
            let (first, second) = (try await slow.value, try await waiting.value)
            #expect(first == 1 && second == 2)
            // A query past the timeout is answered with a refusal; the pool keeps serving (on
            // SQLite a new connection replaces the one still running).
            let short = try await AnalyticsPool.open(store.location, limits: .init(connections: 1, timeout: .milliseconds(200)))
            await #expect(throws: AnalyticsPool.Refusal.self) {
                try await short.run(tenant: "c") { _ in
                    try await Task.sleep(for: .seconds(2)); return 0
                }
            }
            #expect(try await short.run(tenant: "b") { _ in 5 } == 5)
            await short.close()
            pool.beginShutdown()
            await #expect(throws: AnalyticsPool.Refusal.self) { try await pool.run(tenant: "b") { _ in 6 } }
            await pool.close()
        }
    }
}
