import Foundation
import HoldoutModel
import HoldoutQuery
import HoldoutStore
import HoldoutTestSupport
import SQLKit
import Testing

/// A store with experiments of tenant `default` (two, three and four variants, exposures and
/// conversions from both the tables and the events stream, every validation status) and one of
/// tenant `other`, plus secrets no query may ever return: every planted value contains
/// ``sentinel``.
enum SemanticFixture {
    static let sentinel = "SENTINEL"

    /// A deterministic generator (SplitMix64), so the fixture is the same on both engines.
    struct Random {
        var state: UInt64
        mutating func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Double(z >> 11) / Double(1 << 53)
        }
    }

    struct Plan {
        var key: String
        var variants: [Variant]
        var units: Int
        var rates: [Double]
        var conversionKey: String?
        var tenant = "default"
    }

    static let plans: [Plan] = [
        Plan(
            key: "exp_1", variants: [Variant(name: "control", weight: 0.5), Variant(name: "treatment", weight: 0.5)], units: 900,
            rates: [0.10, 0.16]),
        Plan(
            key: "exp_three", variants: [Variant(name: "a", weight: 0.2), Variant(name: "b", weight: 0.3), Variant(name: "c", weight: 0.5)],
            units: 500, rates: [0.2, 0.25, 0.3], conversionKey: "purchase"),
        Plan(
            key: "exp_four", variants: (0..<4).map { Variant(name: "v\($0)", weight: 0.25) }, units: 300, rates: [0.05, 0.0, 0.08, 0.3]),
        Plan(key: "exp_empty", variants: [Variant(name: "control", weight: 0.5), Variant(name: "treatment", weight: 0.5)], units: 0, rates: [0, 0]),
        Plan(
            key: "SENTINEL_other_tenant", variants: [Variant(name: "SENTINEL_a", weight: 0.5), Variant(name: "SENTINEL_b", weight: 0.5)], units: 60,
            rates: [0.5, 0.5], tenant: "other"),
    ]

    /// Fills `store`; returns the experiments by key.
    @discardableResult
    static func populate(_ store: Store) async throws -> [String: Experiment] {
        var random = Random(state: 42)
        var experiments: [String: Experiment] = [:]
        let start = ts("2026-03-01T00:00:00Z").microseconds
        let hour: Int64 = 3_600_000_000
        for plan in plans {
            let experiment = try await store.createExperiment(
                NewExperiment(
                    key: plan.key, name: plan.key, startAt: Timestamp(microseconds: start), endAt: ts("2026-03-20T00:00:00Z"),
                    conversionKey: plan.conversionKey, conversionWindowDays: 7, variants: plan.variants, tenant: plan.tenant))
            experiments[plan.key] = experiment
            var assignments: [ImportRecord] = []
            var exposures: [ImportRecord] = []
            var outcomes: [ImportRecord] = []
            var events: [ImportRecord] = []
            let names = plan.variants.map(\.name)
            for i in 0..<plan.units {
                let unit = "\(plan.tenant == "other" ? "SENTINEL_" : "")u\(i)"
                // Skewed on purpose in exp_three (more c), so some days show a sample-ratio mismatch.
                var u = random.next()
                if plan.key == "exp_three" { u = min(0.999, u * 1.4) }
                var cumulative = 0.0
                var arm = names.count - 1
                for (index, variant) in plan.variants.enumerated() {
                    cumulative += variant.weight
                    if u < cumulative {
                        arm = index
                        break
                    }
                }
                let day = Int64(i % 4)
                let assignedAt = start + day * 24 * hour + Int64(i % 13) * hour
                assignments.append(.assignment(profileID: unit, variant: names[arm], assignedAt: Timestamp(microseconds: assignedAt)))
                let kind = random.next()
                var exposedAt: Int64? = assignedAt + hour
                if kind < 0.12 {
                    exposedAt = nil
                } else if kind < 0.15 {
                    // A mismatch (another variant logged), or two variants logged (multi-variation).
                    exposures.append(.exposure(profileID: unit, at: .time(Timestamp(microseconds: assignedAt + hour)), variant: names[(arm + 1) % names.count]))
                    if i % 2 == 0 {
                        exposures.append(.exposure(profileID: unit, at: .time(Timestamp(microseconds: assignedAt + 2 * hour)), variant: names[arm]))
                    }
                } else if kind < 0.17 {
                    exposures.append(.exposure(profileID: unit, at: .time(Timestamp(microseconds: assignedAt - hour)), variant: names[arm]))
                } else if kind < 0.19 {
                    exposures.append(.exposure(profileID: unit, at: .time(ts("2026-03-25T00:00:00Z")), variant: names[arm]))
                } else if kind < 0.40 && plan.conversionKey != nil {
                    // An exposure from the events stream (seed 003's stg_experiment_exposures).
                    events.append(
                        ImportRecord([
                            "event_id": .text("x-\(plan.key)-\(i)"), "event_name": .text(ExposureEvent.name), "profile_id": .text(unit),
                            "ts": .time(Timestamp(microseconds: assignedAt + hour)),
                            "properties": .text("{\"experiment_id\": \"\(plan.key)\", \"variant\": \"\(names[arm])\"}"),
                        ]))
                } else {
                    exposures.append(.exposure(profileID: unit, at: .time(Timestamp(microseconds: assignedAt + hour)), variant: names[arm]))
                }
                // Conversions: in the window from the exposure (or the assignment), some late.
                let anchor = exposedAt ?? assignedAt
                if random.next() < plan.rates[arm] {
                    let late = random.next() < 0.1
                    let at = anchor + (late ? 10 * 24 * hour : Int64(1 + i % 40) * hour)
                    let value = (random.next() * 100).rounded() / 4
                    if plan.conversionKey != nil && i % 2 == 0 {
                        events.append(
                            ImportRecord([
                                "event_id": .text("c-\(plan.key)-\(i)"), "event_name": .text(plan.conversionKey ?? ""), "profile_id": .text(unit),
                                "ts": .time(Timestamp(microseconds: at)), "value": .number(value),
                            ]))
                    } else {
                        outcomes.append(.outcome(profileID: unit, at: .time(Timestamp(microseconds: at)), value: value))
                    }
                }
            }
            for (kind, rows) in [(ImportKind.assignments, assignments), (.exposures, exposures), (.outcomes, outcomes)] where !rows.isEmpty {
                let summary = try await Importer(kind: kind, experiment: experiment).run(records: rows, store: store)
                #expect(summary.rejected == 0, "\(plan.key) \(kind): \(summary.firstRejects)")
            }
            if !events.isEmpty {
                let summary = try await Importer(kind: .events, experiment: nil).run(records: events, store: store)
                #expect(summary.rejected == 0, "\(plan.key) events: \(summary.firstRejects)")
            }
        }
        // Secrets and other tenants' data that no query may return.
        try await store.withConnection { sql in
            try await sql.raw(
                "INSERT INTO api_keys (tenant, scope, key_hash, prefix, created_at) VALUES ('default', 'admin', 'SENTINEL_key_hash', 'SENTINEL', 0)"
            ).run()
            try await sql.raw("INSERT INTO webhook_secrets (tenant, secret, created_at) VALUES ('default', 'SENTINEL_webhook_secret', 0)").run()
            try await sql.raw(
                "INSERT INTO events (event_id, event_name, profile_id, ts, properties) VALUES ('SENTINEL_event', 'SENTINEL_name', 'SENTINEL_profile', 0, '{\"SENTINEL\": 1}')"
            ).run()
            try await sql.raw("INSERT INTO reports (kind, as_of, created_at, body) VALUES ('SENTINEL', 0, 0, 'SENTINEL_report')").run()
        }
        return experiments
    }

    /// Runs `body` with a populated store and a runner for tenant `default` (and `other`); on
    /// PostgreSQL with reader roles of their own, dropped afterwards.
    static func withRunner(_ engine: Engine, _ body: (Store, GuardedQueryRunner, [String: Experiment]) async throws -> Void) async throws {
        let (location, cleanUp) = try await TestDatabase.freshLocation(engine)
        let store = try await Store.open(location, schema: .migrate)
        var roles: [String] = []
        do {
            let experiments = try await populate(store)
            var urls: [String: String] = [:]
            if engine == .postgres {
                let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(10)
                for tenant in ["default", "other"] {
                    let role = "holdout_reader_t\(suffix)_\(tenant)"
                    roles.append(role)
                    urls[tenant] = try await ReaderRole.create(on: store, tenant: tenant, role: role, password: ReaderRole.generatedPassword())
                }
            }
            let fixed = urls
            let runner = GuardedQueryRunner(location: location, readerURL: { fixed[$0] })
            try await body(store, runner, experiments)
        } catch {
            try? await store.close()
            await cleanUp()
            await dropRoles(roles)
            throw error
        }
        try await store.close()
        await cleanUp()
        await dropRoles(roles)
    }

    static func dropRoles(_ roles: [String]) async {
        guard let base = TestDatabase.postgresURL else { return }
        for role in roles { try? await Store.executeOnServer(url: base, "DROP ROLE IF EXISTS \(role)") }
    }
}
