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

/// A store with an application around it and keys for two tenants.
struct APIHarness {
    let store: Store
    let writeKey: String
    let readKey: String
    let otherTenantKey: String

    static func with(_ engine: Engine, _ body: @Sendable (APIHarness, any TestClientProtocol) async throws -> Void) async throws {
        try await TestDatabase.withStore(engine) { store in
            let write = try await APIKeys.create(tenant: "acme", scope: .write, store: store).key
            let read = try await APIKeys.create(tenant: "acme", scope: .read, store: store).key
            let other = try await APIKeys.create(tenant: "globex", scope: .admin, store: store).key
            let harness = APIHarness(store: store, writeKey: write, readKey: read, otherTenantKey: other)
            // As `holdout serve` runs: analytical reads on a pool of other connections to the same database.
            let analytics = try await AnalyticsPool.open(store.location, limits: .init(connections: 2))
            let app = Application(
                router: buildRouter(store: store, analytics: analytics), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            do {
                try await app.test(.router) { client in try await body(harness, client) }
            } catch {
                await analytics.close()
                throw error
            }
            await analytics.close()
        }
    }
}

/// One request: JSON in, status and JSON out.
@discardableResult
func call(
    _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, key: String?, body: String? = nil,
    expect status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation
) async throws -> [String: Any] {
    var headers = HTTPFields()
    if let key { headers[.authorization] = "Bearer \(key)" }
    headers[.contentType] = "application/json"
    return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
        let text = String(buffer: response.body)
        #expect(response.status == status, "\(method) \(uri): \(text)", sourceLocation: sourceLocation)
        if response.status.code >= 400 {
            // Every error has the same JSON shape.
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], sourceLocation: sourceLocation)
            let error = try #require(object["error"] as? [String: Any], "\(text)", sourceLocation: sourceLocation)
            #expect(error["code"] is String && error["message"] is String && error.keys.contains("field"), sourceLocation: sourceLocation)
            return error
        }
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) as? [String: Any] else {
            return ["_array": (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as Any]
        }
        return object
    }
}

@Suite("HTTP API (seed 001), in process")
struct APITests {
    @Test("seed 001's walkthrough: create, assign, exposures, outcomes, results equal HoldoutStats", arguments: Engine.underTest)
    func walkthrough(engine: Engine) async throws {
        try await APIHarness.with(engine) { h, client in
            let created = try await call(
                client, .post, "/api/experiments", key: h.writeKey,
                body:
                    #"{"name": "Email holdout Q1 2026", "channel": "email", "start_at": "2026-03-01T00:00:00Z", "end_at": "2026-03-31T23:59:59Z", "conversion_key": "purchase", "notes": "Q1"}"#,
                expect: .created)
            #expect(created["status"] as? String == "draft" && created["name"] as? String == "Email holdout Q1 2026")
            let id = try #require(created["id"] as? Int)
            #expect(created["key"] as? String == String(id))
            try await call(client, .patch, "/api/experiments/\(id)", key: h.writeKey, body: #"{"status": "running"}"#, expect: .ok)

            // 400 profiles at 80% treatment; assignment is seed 001's SHA-256 rule.
            let profiles = (0..<400).map { "user_\($0)" }
            let body = try String(decoding: JSONSerialization.data(withJSONObject: ["profile_ids": profiles, "treatment_rate": 0.8]), as: UTF8.self)
            let assigned = try await call(client, .post, "/api/experiments/\(id)/assign", key: h.writeKey, body: body, expect: .ok)
            let expectedTreatment = profiles.filter {
                DeterministicAssignment.unitInterval(profileID: $0, experimentKey: String(id), salt: "") < 0.8
            }.count
            #expect(assigned["assigned"] as? Int == 400)
            #expect(assigned["treatment"] as? Int == expectedTreatment && assigned["control"] as? Int == 400 - expectedTreatment)
            // Repeating the call changes nothing.
            let again = try await call(client, .post, "/api/experiments/\(id)/assign", key: h.writeKey, body: body, expect: .ok)
            #expect(again["treatment"] as? Int == expectedTreatment)
            // The rate is fixed once profiles are assigned.
            try await call(
                client, .post, "/api/experiments/\(id)/assign", key: h.writeKey, body: #"{"profile_ids": ["x"], "treatment_rate": 0.5}"#, expect: .conflict)

            // Outcomes one hour after assignment for every 7th profile, value 10 + i % 13.
            let assignedAt = Date()
            let iso = ISO8601DateFormatter()
            var outcomes: [[String: Any]] = []
            for (i, profile) in profiles.enumerated() where i % 7 == 0 {
                outcomes.append([
                    "profile_id": profile, "conversion_ts": iso.string(from: assignedAt.addingTimeInterval(3600)), "value": Double(10 + i % 13),
                    "event_id": "o\(i)",
                ])
            }
            let outcomesBody = try String(decoding: JSONSerialization.data(withJSONObject: ["outcomes": outcomes]), as: UTF8.self)
            let inserted = try await call(client, .post, "/api/experiments/\(id)/outcomes", key: h.writeKey, body: outcomesBody, expect: .ok)
            #expect(inserted["inserted"] as? Int == outcomes.count)
            let replay = try await call(client, .post, "/api/experiments/\(id)/outcomes", key: h.writeKey, body: outcomesBody, expect: .ok)
            #expect(replay["inserted"] as? Int == 0)
            let exposures = try await call(
                client, .post, "/api/experiments/\(id)/exposures", key: h.writeKey,
                body:
                    #"{"exposures": [{"profile_id": "user_1", "exposure_ts": "\#(iso.string(from: assignedAt.addingTimeInterval(60)))", "campaign_id": "email_q1_2026", "message_id": "msg_12345"}]}"#,
                expect: .ok)
            #expect(exposures["recorded"] as? Int == 1)

            // Results: the numbers HoldoutStats gives on the same counts.
            let results = try await call(client, .get, "/api/experiments/\(id)/results", key: h.readKey, expect: .ok)
            #expect(results["analysis_mode"] as? String == "itt")
            let treatment = try #require(results["treatment"] as? [String: Any])
            let control = try #require(results["control"] as? [String: Any])
            let assignments = try await h.store.assignments(experimentID: Int64(id), profileIDs: profiles)
            let converters = Set(outcomes.compactMap { $0["profile_id"] as? String })
            let tn = assignments.values.filter { $0 == "treatment" }.count
            let tc = converters.filter { assignments[OpaqueID($0)] == "treatment" }.count
            let cc = converters.filter { assignments[OpaqueID($0)] == "control" }.count
            #expect(treatment["n"] as? Int == tn && treatment["conversions"] as? Int == tc)
            #expect(control["n"] as? Int == 400 - tn && control["conversions"] as? Int == cc)
            let reference = try ProportionTest.compare(
                control: ProportionStatistic(n: 400 - tn, conversions: cc), treatment: ProportionStatistic(n: tn, conversions: tc))
            let pValue = try #require(results["p_value"] as? Double)
            #expect(abs(pValue - (reference.pValue ?? -1)) < 1e-12)
            #expect(abs((results["uplift_abs"] as? Double ?? 0) - (reference.upliftAbs ?? 1)) < 1e-12)
            #expect(results["srm"] is [String: Any] && results["sequential"] is [String: Any])
            #expect(try await h.store.resultCount(experimentID: Int64(id)) == 1)

            let exposureResults = try await call(client, .get, "/api/experiments/\(id)/results?mode=exposure", key: h.readKey, expect: .ok)
            #expect(exposureResults["analysis_mode"] as? String == "exposure")

            // Time series: cumulative, ending at the totals.
            let series = try await call(client, .get, "/api/experiments/\(id)/time-series?freq=D", key: h.readKey, expect: .ok)
            let rows = try #require(series["data"] as? [[String: Any]])
            #expect(rows.last?["treatment_n"] as? Int == tn && rows.last?["treatment_conversions"] as? Int == tc)
            #expect(rows.last?["control_conversions"] as? Int == cc)

            let quality = try await call(client, .get, "/api/experiments/\(id)/quality", key: h.readKey, expect: .ok)
            #expect((quality["days"] as? [[String: Any]])?.first?["exposed"] as? Int == 1)
        }
    }

    @Test("power analysis gives the same numbers as HoldoutStats (and the CLI)", arguments: Engine.underTest)
    func power(engine: Engine) async throws {
        try await APIHarness.with(engine) { h, client in
            let plan = try PowerAnalysis.proportionSampleSize(baseline: 0.05, mde: 0.01)
            let body = #"{"baseline_rate": 0.05, "mde": 0.01, "alpha": 0.05, "power": 0.8, "treatment_rate": 0.5}"#
            let response = try await call(client, .post, "/api/experiments/power-analysis", key: h.readKey, body: body, expect: .ok)
            #expect(response["total_sample_size"] as? Int == plan.totalSampleSize && plan.totalSampleSize == 16316)
            let bad = try await call(
                client, .post, "/api/experiments/power-analysis", key: h.readKey, body: #"{"baseline_rate": 0.05, "mde": 0.01, "treatment_rate": 1.5}"#,
                expect: .badRequest)
            #expect(bad["field"] as? String == "treatment_rate")
        }
    }

    @Test("auth: no key 401, read key cannot write, other tenants see 404", arguments: Engine.underTest)
    func auth(engine: Engine) async throws {
        try await APIHarness.with(engine) { h, client in
            try await call(client, .get, "/api/experiments", key: nil, expect: .unauthorized)
            try await call(client, .get, "/api/experiments", key: "hk_not_a_key", expect: .unauthorized)
            try await call(client, .post, "/api/experiments", key: h.readKey, body: #"{"name": "x"}"#, expect: .forbidden)
            let created = try await call(client, .post, "/api/experiments", key: h.writeKey, body: #"{"name": "mine", "key": "mine"}"#, expect: .created)
            let id = try #require(created["id"] as? Int)
            try await call(client, .get, "/api/experiments/\(id)", key: h.readKey, expect: .ok)
            try await call(client, .get, "/api/experiments/mine", key: h.readKey, expect: .ok)
            try await call(client, .get, "/api/experiments/\(id)", key: h.otherTenantKey, expect: .notFound)
            try await call(client, .get, "/api/experiments/\(id)/results", key: h.otherTenantKey, expect: .notFound)
            let listed = try await call(client, .get, "/api/experiments", key: h.otherTenantKey, expect: .ok)
            #expect((listed["_array"] as? [Any])?.isEmpty == true)
            // Revoked keys stop working.
            let keys = try await h.store.apiKeys(tenant: "acme")
            let readID = try #require(keys.first { $0.scope == .read }?.id)
            #expect(try await h.store.revokeAPIKey(id: readID))
            // Keys are cached for a short while; after that the revocation holds.
            try await Task.sleep(for: .milliseconds(Int(KeyCacheTTL.seconds * 1000) + 100))
            try await call(client, .get, "/api/experiments", key: h.readKey, expect: .unauthorized)
        }
    }

    @Test("bad input is a 4xx with the JSON error shape, never a 500", arguments: Engine.underTest)
    func badInput(engine: Engine) async throws {
        try await APIHarness.with(engine) { h, client in
            let k = h.writeKey
            var e = try await call(client, .post, "/api/experiments", key: k, body: "{not json", expect: .badRequest)
            e = try await call(client, .post, "/api/experiments", key: k, body: #"{"name": 5}"#, expect: .badRequest)
            #expect(e["field"] as? String == "name")
            e = try await call(client, .post, "/api/experiments", key: k, body: #"{"nmae": "x", "name": "y"}"#, expect: .badRequest)
            #expect(e["field"] as? String == "nmae")
            e = try await call(client, .post, "/api/experiments", key: k, body: #"{"name": "y", "treatment_rate": 1.0}"#, expect: .badRequest)
            #expect(e["field"] as? String == "treatment_rate")
            e = try await call(client, .post, "/api/experiments", key: k, body: #"{"name": "y", "start_at": "yesterday"}"#, expect: .badRequest)
            #expect(e["field"] as? String == "start_at")
            try await call(client, .post, "/api/experiments", key: k, body: #"{"name": "dup", "key": "dup"}"#, expect: .created)
            e = try await call(client, .post, "/api/experiments", key: k, body: #"{"name": "dup", "key": "dup"}"#, expect: .conflict)
            try await call(client, .get, "/api/experiments/404404", key: k, expect: .notFound)
            e = try await call(client, .get, "/api/experiments?status=sleeping", key: k, expect: .badRequest)
            #expect(e["field"] as? String == "status")
            // Invalid transition: draft → completed.
            e = try await call(client, .patch, "/api/experiments/dup", key: k, body: #"{"status": "completed"}"#, expect: .conflict)
            #expect(e["code"] as? String == "invalid_transition")
            e = try await call(client, .post, "/api/experiments/dup/assign", key: k, body: #"{"profile_ids": ["a"], "treatment_rate": 0}"#, expect: .badRequest)
            #expect(e["field"] as? String == "treatment_rate")
            e = try await call(client, .post, "/api/experiments/dup/assign", key: k, body: #"{"profile_ids": "a"}"#, expect: .badRequest)
            #expect(e["field"] as? String == "profile_ids")
            e = try await call(
                client, .post, "/api/experiments/dup/outcomes", key: k,
                body: #"{"outcomes": [{"profile_id": "a", "conversion_ts": "2026-03-01"}, {"profile_id": "b"}]}"#,
                expect: .badRequest)
            #expect(e["field"] as? String == "outcomes[1].conversion_ts")
            // Nothing of the rejected batch was written.
            let ok = try await call(
                client, .post, "/api/experiments/dup/outcomes", key: k, body: #"{"outcomes": [{"profile_id": "a", "conversion_ts": "2026-03-01"}]}"#,
                expect: .ok)
            #expect(ok["inserted"] as? Int == 1)
            e = try await call(
                client, .post, "/api/experiments/dup/outcomes", key: k,
                body: #"{"outcomes": [{"profile_id": "a", "conversion_ts": "2026-03-01", "value": 1e999}]}"#, expect: .badRequest)
            e = try await call(
                client, .post, "/api/experiments/dup/exposures", key: k,
                body: #"{"exposures": [{"profile_id": "a", "exposure_ts": "2026-03-01", "variant": "purple"}]}"#, expect: .badRequest)
            #expect(e["field"] as? String == "exposures[0].variant")
            e = try await call(
                client, .post, "/api/experiments/dup/outcomes", key: k,
                body: #"{"outcomes": [{"profile_id": "a", "conversion_ts": "2026-03-01", "value": 1.7e308}]}"#, expect: .badRequest)
            #expect(e["field"] as? String == "outcomes[0].value")
            // A PATCH refused for one field changes no other.
            try await call(client, .patch, "/api/experiments/dup", key: k, body: #"{"name": "renamed", "status": "bogus"}"#, expect: .badRequest)
            try await call(client, .patch, "/api/experiments/dup", key: k, body: #"{"name": "renamed", "status": "completed"}"#, expect: .conflict)
            #expect(try await h.store.experiment(key: "dup")?.name == "dup")
            // Sample sizes too large to be an integer are a 400, not a crash (schemathesis found these).
            for body in [#"{"baseline_rate": 0.05, "mde": 0.01, "treatment_rate": 0.9999999999999999}"#, #"{"baseline_rate": 0.5, "mde": 1e-10}"#] {
                e = try await call(client, .post, "/api/experiments/power-analysis", key: k, body: body, expect: .badRequest)
                #expect(e["field"] as? String == "mde")
            }
            e = try await call(client, .get, "/api/experiments/dup/results?mode=both", key: k, expect: .badRequest)
            #expect(e["field"] as? String == "mode")
            e = try await call(client, .get, "/api/experiments/dup/time-series?freq=M", key: k, expect: .badRequest)
            #expect(e["field"] as? String == "freq")
            let big = "{\"profile_ids\": [\"" + String(repeating: "a", count: HoldoutRequestContext.maximumBody) + "\"]}"
            e = try await call(client, .post, "/api/experiments/dup/assign", key: k, body: big, expect: .contentTooLarge)
            let many = try String(decoding: JSONSerialization.data(withJSONObject: ["profile_ids": (0...APIRoutesLimit.batch).map { "p\($0)" }]), as: UTF8.self)
            e = try await call(client, .post, "/api/experiments/dup/assign", key: k, body: many, expect: .badRequest)
            #expect(e["field"] as? String == "profile_ids")
        }
    }

    @Test("auto-assign assigns every profile with a touchpoint in the channel and window", arguments: Engine.underTest)
    func autoAssign(engine: Engine) async throws {
        try await APIHarness.with(engine) { h, client in
            try await call(client, .post, "/api/experiments", key: h.writeKey, body: #"{"name": "auto", "key": "auto"}"#, expect: .created)
            let touchpoints = #"""
                {"touchpoints": [
                  {"profile_id": "p1", "channel": "email", "ts": "2026-03-02T00:00:00Z", "campaign_id": "c"},
                  {"profile_id": "p2", "channel": "email", "ts": "2026-03-30T00:00:00Z"},
                  {"profile_id": "p2", "channel": "email", "ts": "2026-03-31T00:00:00Z"},
                  {"profile_id": "p3", "channel": "sms", "ts": "2026-03-02T00:00:00Z"},
                  {"profile_id": "p4", "channel": "email", "ts": "2026-04-02T00:00:00Z"}]}
                """#
            let inserted = try await call(client, .post, "/api/touchpoints", key: h.writeKey, body: touchpoints, expect: .ok)
            #expect(inserted["inserted"] as? Int == 5)
            // Another tenant's touchpoints (even identical ones) never reach this tenant's experiments.
            let foreign = try await call(
                client, .post, "/api/touchpoints", key: h.otherTenantKey,
                body:
                    #"{"touchpoints": [{"profile_id": "p1", "channel": "email", "ts": "2026-03-02T00:00:00Z", "campaign_id": "c"}, {"profile_id": "x9", "channel": "email", "ts": "2026-03-03T00:00:00Z"}]}"#,
                expect: .ok)
            #expect(foreign["inserted"] as? Int == 2)
            let result = try await call(
                client, .post, "/api/experiments/auto/auto-assign", key: h.writeKey,
                body: #"{"channel": "email", "start_date": "2026-03-01T00:00:00Z", "end_date": "2026-03-31T23:59:59Z", "treatment_rate": 0.5}"#, expect: .ok)
            #expect(result["assigned"] as? Int == 2)
            let stored = try await h.store.assignments(
                experimentID: try #require(await h.store.experiment(key: "auto")).id, profileIDs: ["p1", "p2", "p3", "p4"])
            #expect(Set(stored.keys) == ["p1", "p2"])
        }
    }

    @Test("webhooks: HMAC signature with the tenant's secret, stale and forged requests refused", arguments: Engine.underTest)
    func webhooks(engine: Engine) async throws {
        try await APIHarness.with(engine) { h, client in
            try await h.store.setWebhookSecret(tenant: "acme", secret: "s3cret-s3cret-s3cret")
            try await call(client, .post, "/api/experiments", key: h.writeKey, body: #"{"name": "hooks", "key": "hooks"}"#, expect: .created)
            func send(
                _ path: String, _ body: String, secret: String = "s3cret-s3cret-s3cret", at time: Date = Date(), tenant: String = "acme"
            ) async throws -> HTTPResponse.Status {
                var headers = HTTPFields()
                headers[HTTPField.Name("X-Holdout-Tenant")!] = tenant
                headers[HTTPField.Name("X-Holdout-Signature")!] = webhookSignature(body: body, secret: secret, timestamp: Int(time.timeIntervalSince1970))
                return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body)) { $0.status }
            }
            let sent = #"{"experiment_id": "hooks", "profile_id": "u1", "sent_at": "2026-03-05T10:30:00Z", "campaign_id": "c", "message_id": "m1"}"#
            #expect(try await send("/webhooks/message-sent", sent) == .ok)
            #expect(try await send("/webhooks/message-sent", sent) == .ok)  // a retry records nothing new
            #expect(try await send("/webhooks/message-sent", sent, secret: "wrong-wrong-wrong-wrong") == .unauthorized)
            #expect(try await send("/webhooks/message-sent", sent, at: Date().addingTimeInterval(-3600)) == .unauthorized)
            #expect(try await send("/webhooks/message-sent", sent, tenant: "globex") == .unauthorized)
            let conversion = #"{"experiment_id": "hooks", "profile_id": "u1", "converted_at": "2026-03-07T14:22:00Z", "value": 120.5}"#
            #expect(try await send("/webhooks/conversion", conversion) == .ok)
            let experiment = try #require(await h.store.experiment(key: "hooks"))
            #expect(try await h.store.rowCount("experiment_exposures") == 1)
            #expect(try await h.store.rowCount("experiment_outcomes") == 1)
            try await h.store.recordAssignments(
                experimentID: experiment.id, [AssignmentRecord(profileID: "u1", variant: "control", assignedAt: ts("2026-03-01T00:00:00Z"))])
            let results = try await ResultsService.compute(experiment: experiment, source: h.store, mode: .itt)
            #expect(results.control.totalValue == 120.5 && results.control.conversions == 1)
        }
    }

    @Test("nightly report: alerts by severity, one failure does not stop the others", arguments: Engine.underTest)
    func nightly(engine: Engine) async throws {
        try await APIHarness.with(engine) { h, client in
            try await call(client, .get, "/api/reports/nightly/latest", key: h.readKey, expect: .notFound)
            // A: big positive effect; B: too few units; C: SRM (everyone in treatment).
            let store = h.store
            let a = try await store.createExperiment(NewExperiment(key: "a", name: "A", tenant: "acme"))
            let b = try await store.createExperiment(NewExperiment(key: "b", name: "B", tenant: "acme"))
            let c = try await store.createExperiment(NewExperiment(key: "c", name: "C", tenant: "globex"))
            for e in [a, b, c] { try await store.setStatus(key: e.key, to: .running) }
            let t0 = ts("2026-03-01T00:00:00Z")
            var records: [AssignmentRecord] = []
            var outcomes: [ImportRecord] = []
            for i in 0..<4000 {
                let variant = i % 2 == 0 ? "control" : "treatment"
                records.append(AssignmentRecord(profileID: "u\(i)", variant: variant, assignedAt: t0))
                if (variant == "control" && i % 20 == 0) || (variant == "treatment" && i % 4 == 1) {
                    outcomes.append(.outcome(profileID: "u\(i)", at: .text("2026-03-02T00:00:00Z")))
                }
            }
            try await store.recordAssignments(experimentID: a.id, records)
            _ = try await store.record(kind: .outcomes, experiment: a, items: outcomes, field: "outcomes")
            try await store.recordAssignments(experimentID: b.id, Array(records.prefix(10)))
            try await store.recordAssignments(
                experimentID: c.id, (0..<2000).map { AssignmentRecord(profileID: "v\($0)", variant: "treatment", assignedAt: t0) })
            let report = try await NightlyReportService.run(repository: store, source: store, asOf: ts("2026-03-15T02:00:00Z"))
            try await NightlyReportService.save(report, to: store, asOf: ts("2026-03-15T02:00:00Z"))
            #expect(report.experiments.count == 3)
            #expect(report.alerts.contains { $0.experimentID == a.id && $0.severity == .success && $0.kind == .significantPositive })
            #expect(report.alerts.contains { $0.experimentID == b.id && $0.severity == .info })
            #expect(report.alerts.contains { $0.experimentID == c.id && $0.kind == .sampleRatioMismatch && $0.severity == .warning })
            let latest = try await call(client, .get, "/api/reports/nightly/latest", key: h.readKey, expect: .ok)
            // Tenant acme sees only its experiments.
            #expect((latest["experiments"] as? [[String: Any]])?.count == 2)
            #expect(latest["as_of_date"] as? String == "2026-03-15T02:00:00Z")
        }
    }

    @Test("health, metrics and the OpenAPI document are served without a key")
    func operational() async throws {
        try await APIHarness.with(.sqlite) { h, client in
            try await call(client, .get, "/healthz", key: nil, expect: .ok)
            try await call(client, .get, "/api/experiments", key: h.readKey, expect: .ok)
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("hb_requests") || metrics.contains("hb_request"))
            let spec = try await client.execute(uri: "/openapi.yaml", method: .get) { String(buffer: $0.body) }
            #expect(spec.contains("openapi:"))
        }
    }
}

/// Mirrors the server's documented batch limit.
enum APIRoutesLimit {
    static let batch = 10_000
}

func webhookSignature(body: String, secret: String, timestamp: Int) -> String {
    WebhookSigning.signature(body: Data(body.utf8), secret: secret, timestamp: timestamp)
}

enum KeyCacheTTL {
    static let seconds = 2.0
}
