import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutQuery
import HoldoutSQLGuard
import HoldoutStats
import HoldoutStore
import HoldoutTestSupport
import Testing

/// The semantic views against the store's own analytics (`holdout results`, `holdout quality`)
/// on the same data, on both engines, read through the guarded runner as tenant `default`.
@Suite("Semantic views")
struct SemanticViewTests {
    /// |a − b| ≤ tolerance · max(|b|, floor).
    static func close(_ a: Double?, _ b: Double?, relative: Double, floor: Double = 1e-300) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return abs(a - b) <= relative * max(abs(b), floor)
    }

    static func rows(_ runner: GuardedQueryRunner, _ sql: String, tenant: String = "default") async throws -> [[String: QueryValue]] {
        let result = try await runner.run(sql: sql, tenant: tenant, maxRows: 100_000, timeout: .seconds(60))
        #expect(!result.truncated)
        return result.rows.map { Dictionary(uniqueKeysWithValues: zip(result.columns, $0)) }
    }

    @Test("Every view has exactly the contract's columns, and the guard lists every view and table", arguments: Engine.underTest)
    func columnsMatchContract(engine: Engine) async throws {
        #expect(Set(SemanticContract.assets.map(\.name)) == SQLGuard.holdoutAssets)
        try await SemanticFixture.withRunner(engine) { _, runner, _ in
            for asset in SemanticContract.assets {
                let result = try await runner.run(sql: "SELECT * FROM \(asset.name) LIMIT 1", tenant: "default")
                #expect(result.columns == asset.columns.map(\.name), "\(asset.name)")
            }
        }
    }

    @Test("dim_ai_allowed_assets is the contract", arguments: Engine.underTest)
    func contractView(engine: Engine) async throws {
        try await SemanticFixture.withRunner(engine) { _, runner, _ in
            let rows = try await Self.rows(runner, "SELECT * FROM dim_ai_allowed_assets")
            #expect(rows.count == SemanticContract.assets.count)
            for asset in SemanticContract.assets {
                let row = try #require(rows.first { $0["asset_name"]?.textValue == asset.name })
                #expect(row["grain"]?.textValue == asset.grain)
                #expect(row["primary_keys"]?.textValue == asset.primaryKeys.joined(separator: ", "))
                #expect(row["description"]?.textValue == asset.description)
                let columns = try JSONDecoder().decode([SemanticContract.Column].self, from: Data((row["columns"]?.textValue ?? "").utf8))
                #expect(columns == asset.columns)
            }
        }
    }

    @Test("int_experiment_exposure_validation and fct_experiment_cohort equal the store's validation", arguments: Engine.underTest)
    func validation(engine: Engine) async throws {
        try await SemanticFixture.withRunner(engine) { store, runner, experiments in
            let view = try await Self.rows(runner, "SELECT * FROM int_experiment_exposure_validation ORDER BY experiment_id, unit_id")
            let cohort = try await Self.rows(runner, "SELECT * FROM fct_experiment_cohort ORDER BY experiment_id, unit_id")
            var expected: [[String: QueryValue]] = []
            var statuses: Set<String> = []
            for key in experiments.keys.sorted() where experiments[key]?.tenant == "default" {
                let units = try await store.validation(experimentID: try #require(experiments[key]).id).sorted { $0.profileID < $1.profileID }
                for u in units {
                    statuses.insert(u.status.rawValue)
                    expected.append([
                        "experiment_id": .text(key), "unit_id": .text(u.profileID), "assigned_variant_id": .text(u.variant),
                        "assigned_at": .integer(u.assignedAt.microseconds), "first_exposure_at": u.firstExposureAt.map { .integer($0.microseconds) } ?? .null,
                        "validation_status": .text(u.status.rawValue),
                    ])
                }
            }
            #expect(statuses == Set(ValidationStatus.allCases.map(\.rawValue)))
            #expect(view.count == expected.count && view.count > 1000)
            // Sorted the same way (byte order of ASCII keys) on both sides.
            let sortedView = view.sorted {
                ($0["experiment_id"]!.description, $0["unit_id"]!.description) < ($1["experiment_id"]!.description, $1["unit_id"]!.description)
            }
            #expect(sortedView == expected)
            #expect(cohort.count == view.count)
            for (c, v) in zip(
                cohort.sorted {
                    ($0["experiment_id"]!.description, $0["unit_id"]!.description) < ($1["experiment_id"]!.description, $1["unit_id"]!.description)
                }, sortedView)
            {
                #expect(c["variation_id"] == v["assigned_variant_id"] && c["validation_status"] == v["validation_status"])
                #expect(c["is_exposed"] == .integer(v["first_exposure_at"] == .null ? 0 : 1))
            }
        }
    }

    @Test("agg_experiment_metric_by_variant and fct_experiment_results equal `holdout results` in both modes", arguments: Engine.underTest)
    func results(engine: Engine) async throws {
        try await SemanticFixture.withRunner(engine) { store, runner, experiments in
            let aggregate = try await Self.rows(runner, "SELECT * FROM agg_experiment_metric_by_variant")
            let results = try await Self.rows(runner, "SELECT * FROM fct_experiment_results")
            var compared = 0
            var pValues = 0
            for (key, experiment) in experiments where experiment.tenant == "default" {
                for mode in [AnalysisMode.itt, .exposure] {
                    let computed = try await ResultsService.compute(experiment: experiment, source: store, mode: mode)
                    for arm in computed.arms {
                        let match = { (row: [String: QueryValue]) in
                            row["experiment_id"]?.textValue == key && row["analysis_mode"]?.textValue == mode.rawValue
                                && row["variation_id"]?.textValue == arm.variant
                        }
                        let a = try #require(aggregate.first(where: match), "\(key) \(mode) \(arm.variant)")
                        #expect(a["n_users"] == .integer(Int64(arm.n)) && a["n_converted"] == .integer(Int64(arm.conversions)), "\(key) \(mode) \(arm.variant)")
                        #expect(Self.close(a["conversion_rate"]?.doubleValue, arm.conversionRate, relative: 1e-12, floor: 1e-12))
                        #expect(Self.close(a["total_value"]?.doubleValue, arm.totalValue, relative: 1e-9, floor: 1e-9), "\(key) \(mode) \(arm.variant)")
                        let r = try #require(results.first(where: match))
                        #expect(r["metric_id"]?.textValue == "conversion")
                        #expect(r["n_users"] == a["n_users"])
                        guard let comparison = computed.comparisons.first(where: { $0.variant == arm.variant }) else {
                            #expect(r["is_control"] == .integer(1) && r["uplift_abs"] == .null && r["p_value_two_sided"] == .null)
                            continue
                        }
                        compared += 1
                        let c = comparison.conversion
                        #expect(r["is_control"] == .integer(0))
                        #expect(Self.close(r["uplift_abs"]?.doubleValue, c.upliftAbs, relative: 1e-12, floor: 1e-12), "\(key) \(mode) \(arm.variant)")
                        #expect(Self.close(r["uplift_rel"]?.doubleValue, c.upliftRel, relative: 1e-12, floor: 1e-12), "\(key) \(mode) \(arm.variant)")
                        // The SQL erfc (Numerical Recipes' erfcc): fractional error < 1.2e-7.
                        #expect(Self.close(r["p_value_two_sided"]?.doubleValue, c.pValue, relative: 1e-6), "\(key) \(mode) \(arm.variant) p")
                        #expect(Self.close(r["ci_low"]?.doubleValue, c.ciLow, relative: 1e-12, floor: 1e-12), "\(key) \(mode) \(arm.variant)")
                        #expect(Self.close(r["ci_high"]?.doubleValue, c.ciHigh, relative: 1e-12, floor: 1e-12), "\(key) \(mode) \(arm.variant)")
                        if c.pValue != nil { pValues += 1 }
                        let now = Timestamp.now.microseconds
                        #expect(abs((r["computed_at"]?.integerValue ?? 0) - now) < 120_000_000)
                    }
                }
            }
            // exp_1: 1, exp_three: 2, exp_four: 3, exp_empty: 1 comparison, in each of two modes.
            #expect(compared == 14)
            #expect(pValues >= 8)
            #expect(!results.contains { $0["experiment_id"]?.textValue?.contains(SemanticFixture.sentinel) == true })
        }
    }

    @Test("fct_experiment_exposure_quality_daily equals `holdout quality`, with the day's SRM p-value", arguments: Engine.underTest)
    func qualityDaily(engine: Engine) async throws {
        try await SemanticFixture.withRunner(engine) { store, runner, experiments in
            let view = try await Self.rows(runner, "SELECT * FROM fct_experiment_exposure_quality_daily")
            var days = 0
            var smallP = 0
            for (key, experiment) in experiments where experiment.tenant == "default" {
                let quality = try await store.dailyQuality(experimentID: experiment.id)
                let units = try await store.validation(experimentID: experiment.id)
                for day in quality {
                    let row = try #require(
                        view.first { $0["experiment_id"]?.textValue == key && String(($0["date_day"]?.description ?? "").prefix(10)) == day.date })
                    days += 1
                    #expect(row["n_assigned"] == .integer(Int64(day.assigned)) && row["n_exposures"] == .integer(Int64(day.exposed)))
                    #expect(row["n_invalid"] == .integer(Int64(day.exposed - (day.statusCounts["valid"] ?? 0))))
                    #expect(Self.close(row["exposure_rate"]?.doubleValue, day.exposureRate, relative: 1e-12, floor: 1e-12))
                    #expect(Self.close(row["valid_exposure_rate"]?.doubleValue, day.validExposureRate, relative: 1e-12, floor: 1e-12))
                    #expect(Self.close(row["mismatch_rate"]?.doubleValue, day.mismatchRate, relative: 1e-12, floor: 1e-12))
                    // HoldoutStats' chi-squared test of the day's assignments per variant.
                    let onDay = units.filter { Timestamp.dayString(Int64(floor(Double($0.assignedAt.microseconds) / 86_400_000_000))) == day.date }
                    let observed = experiment.variants.map { v in onDay.filter { $0.variant == v.name }.count }
                    let srm = try SampleRatioMismatch(observed: observed, weights: experiment.variants.map(\.weight))
                    #expect(Self.close(row["srm_p_value"]?.doubleValue, srm.pValue, relative: 1e-6), "\(key) \(day.date) srm \(observed)")
                    if srm.pValue < 0.05 { smallP += 1 }
                }
            }
            #expect(days == view.count && days == 12)
            #expect(smallP >= 1)
        }
    }

    @Test("Each tenant sees its own experiments only", arguments: Engine.underTest)
    func tenants(engine: Engine) async throws {
        try await SemanticFixture.withRunner(engine) { _, runner, _ in
            for view in SQLGuard.holdoutAssets.sorted() where view != "dim_ai_allowed_assets" {
                let mine = try await runner.run(sql: "SELECT * FROM \(view)", tenant: "default", maxRows: 100_000)
                #expect(!mine.rows.isEmpty, "\(view)")
                #expect(!mine.rows.joined().contains { $0.description.contains(SemanticFixture.sentinel) }, "\(view)")
                let theirs = try await runner.run(sql: "SELECT DISTINCT experiment_id FROM \(view)", tenant: "other")
                #expect(theirs.rows == [[.text("SENTINEL_other_tenant")]], "\(view)")
            }
            // A tenant with no experiments sees nothing (SQLite: any tenant name; PostgreSQL: no reader role, no URL).
            if case .sqlite = runner.location {
                let none = try await runner.run(sql: "SELECT COUNT(*) FROM fct_experiment_cohort", tenant: "nobody")
                #expect(none.rows == [[.integer(0)]])
            } else {
                await #expect(throws: GuardedQueryError.self) { try await runner.run(sql: "SELECT 1", tenant: "nobody") }
            }
        }
    }
}
