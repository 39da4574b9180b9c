import Foundation
import HoldoutModel
import HoldoutQuery
import HoldoutStore
import HoldoutTestSupport
import SQLKit
import Testing

/// A store with two experiments of tenant `default` (one with a second outcome metric), one of
/// tenant `other`, and secrets no tool may return: every planted value contains ``sentinel``.
/// On PostgreSQL, a reader role per tenant (dropped afterwards).
enum MCPFixture {
    static let sentinel = "SENTINEL"

    struct Plan {
        var key: String
        var tenant: String
        var units: Int
        /// Units `i` with `i % converting[arm] == 0` convert.
        var converting: [Int]
    }

    static let plans = [
        Plan(key: "email-q1", tenant: "default", units: 600, converting: [9, 5]),
        Plan(key: "push-q2", tenant: "default", units: 200, converting: [4, 4]),
        Plan(key: "SENTINEL_other", tenant: "other", units: 100, converting: [2, 2]),
    ]

    static func populate(_ store: Store) async throws -> [String: Experiment] {
        var experiments: [String: Experiment] = [:]
        let start = ts("2026-03-01T00:00:00Z").microseconds
        let hour: Int64 = 3_600_000_000
        for plan in plans {
            let experiment = try await store.createExperiment(
                NewExperiment(
                    key: plan.key, name: "\(plan.key) name", channel: "email", startAt: Timestamp(microseconds: start), endAt: ts("2026-03-30T00:00:00Z"),
                    conversionWindowDays: 7, tenant: plan.tenant))
            experiments[plan.key] = experiment
            var assignments: [ImportRecord] = []
            var exposures: [ImportRecord] = []
            var outcomes: [ImportRecord] = []
            for i in 0..<plan.units {
                let unit = plan.tenant == "other" ? "SENTINEL_u\(i)" : "u\(i)"
                let arm = i % 2
                let assignedAt = start + Int64(i % 5) * 24 * hour
                assignments.append(.assignment(profileID: unit, variant: arm == 0 ? "control" : "treatment", assignedAt: Timestamp(microseconds: assignedAt)))
                if i % 7 != 0 {
                    exposures.append(
                        .exposure(profileID: unit, at: .time(Timestamp(microseconds: assignedAt + hour)), variant: arm == 0 ? "control" : "treatment"))
                }
                if i % plan.converting[arm] == 0 {
                    outcomes.append(.outcome(profileID: unit, at: .time(Timestamp(microseconds: assignedAt + 5 * hour)), value: Double(10 + i % 7)))
                }
                if plan.key == "email-q1" && i % 3 == 0 {
                    outcomes.append(.outcome(profileID: unit, at: .time(Timestamp(microseconds: assignedAt + 6 * hour)), metric: "visit"))
                }
            }
            for (kind, rows) in [(ImportKind.assignments, assignments), (.exposures, exposures), (.outcomes, outcomes)] {
                let summary = try await Importer(kind: kind, experiment: experiment).run(records: rows, store: store)
                #expect(summary.rejected == 0, "\(plan.key) \(kind): \(summary.firstRejects)")
            }
        }
        try await store.withConnection { sql in
            try await sql.raw(
                "INSERT INTO api_keys (tenant, scope, key_hash, prefix, created_at) VALUES ('default', 'admin', 'SENTINEL_key_hash', 'SENTINEL', 0)"
            ).run()
            try await sql.raw("INSERT INTO webhook_secrets (tenant, secret, created_at) VALUES ('default', 'SENTINEL_webhook_secret', 0)").run()
        }
        return experiments
    }

    /// Runs `body` with a populated store and a runner whose reader URLs (PostgreSQL) are the
    /// tenants' own.
    static func with(
        _ engine: Engine,
        _ body: (_ store: Store, _ runner: GuardedQueryRunner, _ readerURLs: [String: String], _ experiments: [String: Experiment]) async throws -> Void
    ) async throws {
        let (location, cleanUp) = try await TestDatabase.freshLocation(engine)
        let store = try await Store.open(location, schema: .migrate)
        var roles: [String] = []
        do {
            let experiments = try await populate(store)
            var urls: [String: String] = [:]
            if engine == .postgres {
                let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(10)
                for tenant in ["default", "other"] {
                    // `holdout_reader_t…`: the second wall's tests leave such roles (other tests') out of their snapshot.
                    let role = "holdout_reader_tm\(suffix)_\(tenant)"
                    roles.append(role)
                    urls[tenant] = try await ReaderRole.create(on: store, tenant: tenant, role: role, password: ReaderRole.generatedPassword())
                }
            }
            let fixed = urls
            try await body(store, GuardedQueryRunner(location: location, readerURL: { fixed[$0] }), fixed, experiments)
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
