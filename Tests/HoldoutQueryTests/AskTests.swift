import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutQuery
import HoldoutSQLGuard
import HoldoutStats
import HoldoutStore
import HoldoutTestSupport
import SQLKit
import Testing

/// `holdout ask` with the built-in planner, on the semantic fixture, on both engines: each
/// question family against numbers computed independently (the store's own analytics, raw counts
/// of the assignments table, HoldoutStats' tests).
@Suite("Ask: the built-in planner")
struct AskTests {
    /// Wednesday 2026-03-04, 18:00 UTC: "this week" is 2026-03-02 to 2026-03-04; the fixture
    /// assigns units on 2026-03-01 … 2026-03-04.
    static let wednesday = Date(timeIntervalSince1970: Double(ts("2026-03-04T18:00:00Z").microseconds) / 1_000_000)
    static let defaultKeys = ["exp_1", "exp_three", "exp_four", "exp_empty"]

    static func context(_ runner: GuardedQueryRunner, now: Date = wednesday) -> PlanningContext {
        PlanningContext(dialect: runner.location.guardDialect, now: now, experimentKeys: defaultKeys)
    }

    static func ask(_ runner: GuardedQueryRunner, _ question: String, now: Date = wednesday) async throws -> Ask.Answer {
        let answer = try await Ask(runner: runner).ask(
            question, planner: BuiltinPlanner(), context: context(runner, now: now), tenant: "default", maxRows: 100_000, timeout: .seconds(60))
        #expect(answer.executed && answer.verdict.isAllowed && !answer.truncated, "\(answer.sql)")
        #expect(answer.planner == "builtin")
        return answer
    }

    static func rows(_ answer: Ask.Answer) -> [[String: QueryValue]] {
        answer.rows.map { Dictionary(uniqueKeysWithValues: zip(answer.columns, $0)) }
    }

    /// The days of this week in the fixture, as UTC day numbers.
    static let thisWeek = ts("2026-03-02T00:00:00Z").dayNumber..<ts("2026-03-05T00:00:00Z").dayNumber

    @Test("significant experiments: exactly the variants whose p-value from `holdout results` is below the level", arguments: Engine.underTest)
    func significant(engine: Engine) async throws {
        try await SemanticFixture.withRunner(engine) { store, runner, experiments in
            var everSignificant: Set<[String]> = []
            for (question, alpha) in [("which experiments are significant this week?", 0.05), ("significant experiments at 1% this week", 0.01)] {
                let answer = try await Self.ask(runner, question)
                var expected: Set<[String]> = []
                for (key, experiment) in experiments where experiment.tenant == "default" {
                    // Active this week: a unit assigned or first exposed on 2026-03-02 … 2026-03-04.
                    let units = try await store.validation(experimentID: experiment.id)
                    let active = units.contains {
                        Self.thisWeek.contains($0.assignedAt.dayNumber) || $0.firstExposureAt.map { Self.thisWeek.contains($0.dayNumber) } == true
                    }
                    let computed = try await ResultsService.compute(experiment: experiment, source: store, mode: .itt)
                    for comparison in computed.comparisons {
                        guard let p = comparison.conversion.pValue else { continue }
                        // The view's erfc is good to 1.2e-7 (relative): no p-value may sit that close to the level.
                        #expect(abs(p - alpha) > 1e-5 * alpha, "\(key) \(comparison.variant) p = \(p)")
                        if active && p < alpha { expected.insert([key, comparison.variant]) }
                        if p < 0.05 { everSignificant.insert([key, comparison.variant]) }
                    }
                }
                let got = Set(Self.rows(answer).map { [$0["experiment_id"]?.textValue ?? "", $0["variation_id"]?.textValue ?? ""] })
                #expect(got == expected, "\(question)")
                #expect(!expected.isEmpty)
                let experimentsCount = Set(expected.map { $0[0] }).count
                #expect(answer.answer.hasPrefix(experimentsCount == 1 ? "1 experiment has" : "\(experimentsCount) experiments have"), "\(answer.answer)")
                #expect(answer.sql.contains("p_value_two_sided < \(alpha == 0.05 ? "0.05" : "0.01")"))
            }
            // In April nothing was assigned or exposed: no experiment is active, so none is listed.
            let april = Date(timeIntervalSince1970: Double(ts("2026-04-15T12:00:00Z").microseconds) / 1_000_000)
            let none = try await Self.ask(runner, "which experiments are significant this week?", now: april)
            #expect(none.rows.isEmpty)
            #expect(none.answer.hasPrefix("No experiment has a variant significant at 0.05"), "\(none.answer)")
            // Without a period: every experiment, results to date.
            let all = try await Self.ask(runner, "Which experiments are statistically significant?")
            #expect(!all.sql.contains("fct_experiment_cohort"))
            #expect(Set(Self.rows(all).map { [$0["experiment_id"]?.textValue ?? "", $0["variation_id"]?.textValue ?? ""] }) == everSignificant)
        }
    }

    @Test("results of an experiment: `holdout results`' arms and comparisons, in either mode", arguments: Engine.underTest)
    func results(engine: Engine) async throws {
        try await SemanticFixture.withRunner(engine) { store, runner, experiments in
            for (question, key, mode) in [
                ("results of exp_1", "exp_1", AnalysisMode.itt), ("How's 'exp_three' doing in exposure mode?", "exp_three", .exposure),
                ("what is the uplift of experiment exp_four", "exp_four", .itt),
            ] {
                let answer = try await Self.ask(runner, question)
                let rows = Self.rows(answer)
                let computed = try await ResultsService.compute(experiment: try #require(experiments[key]), source: store, mode: mode)
                #expect(rows.count == computed.arms.count, "\(question)")
                for arm in computed.arms {
                    let row = try #require(rows.first { $0["variation_id"]?.textValue == arm.variant })
                    #expect(row["n_users"] == .integer(Int64(arm.n)) && row["n_converted"] == .integer(Int64(arm.conversions)))
                    if let comparison = computed.comparisons.first(where: { $0.variant == arm.variant }), let p = comparison.conversion.pValue {
                        #expect(SemanticViewTests.close(row["p_value_two_sided"]?.doubleValue, p, relative: 1e-6))
                    }
                }
                #expect(answer.answer.hasPrefix("Experiment \(key) (\(mode.rawValue) cohort)"), "\(answer.answer)")
                #expect(answer.answer.contains("[control]"))
            }
            // A key quoted with a quote in it, and one that tries to close the literal: escaped, allowed, no rows.
            for key in ["it's-a-test", "x' OR '1'='1"] {
                let answer = try await Self.ask(runner, "results of \"\(key)\"")
                #expect(answer.sql.contains("experiment_id = '\(key.replacingOccurrences(of: "'", with: "''"))'"))
                #expect(answer.rows.isEmpty)
                #expect(answer.answer == "No results for experiment \(key): it is not an experiment of this tenant, or it has no variants.")
            }
        }
    }

    @Test("sample size so far: the number of assigned units, per variant", arguments: Engine.underTest)
    func sampleSize(engine: Engine) async throws {
        try await SemanticFixture.withRunner(engine) { store, runner, experiments in
            // Raw counts of the assignments table, independent of the views.
            var counts: [String: [String: Int64]] = [:]
            var thisWeek: [String: Int64] = [:]
            for (key, experiment) in experiments where experiment.tenant == "default" {
                let id = experiment.id
                let (perVariant, week) = try await store.withConnection { sql in
                    let rows = try await sql.raw("SELECT variant, COUNT(*) AS n FROM experiment_assignments WHERE experiment_id = \(bind: id) GROUP BY variant")
                        .all()
                    var perVariant: [String: Int64] = [:]
                    for row in rows { perVariant[try row.decode(column: "variant", as: String.self)] = try row.decode(column: "n", as: Int64.self) }
                    let start = ts("2026-03-02T00:00:00Z").microseconds
                    let end = ts("2026-03-05T00:00:00Z").microseconds
                    let week = try await sql.raw(
                        "SELECT COUNT(*) AS n FROM experiment_assignments WHERE experiment_id = \(bind: id) AND assigned_at >= \(bind: start) AND assigned_at < \(bind: end)"
                    ).first()
                    return (perVariant, try week?.decode(column: "n", as: Int64.self) ?? 0)
                }
                if !perVariant.isEmpty { counts[key] = perVariant }
                thisWeek[key] = week
            }
            let one = try await Self.ask(runner, "What is the sample size of exp_three so far?")
            let oneRows = Self.rows(one)
            #expect(
                Dictionary(uniqueKeysWithValues: oneRows.map { ($0["variation_id"]?.textValue ?? "", $0["n_assigned"]?.integerValue ?? -1) })
                    == counts["exp_three"])
            #expect(one.answer.hasPrefix("exp_three: 500 units assigned so far — a "), "\(one.answer)")

            let all = try await Self.ask(runner, "how many users are in each experiment?")
            var got: [String: [String: Int64]] = [:]
            for row in Self.rows(all) {
                got[row["experiment_id"]?.textValue ?? "", default: [:]][row["variation_id"]?.textValue ?? ""] = row["n_assigned"]?.integerValue
            }
            #expect(got == counts.filter { !$0.value.isEmpty })

            let week = try await Self.ask(runner, "sample size this week")
            var weekGot: [String: Int64] = [:]
            for row in Self.rows(week) { weekGot[row["experiment_id"]?.textValue ?? "", default: 0] += row["n_assigned"]?.integerValue ?? 0 }
            #expect(weekGot == thisWeek.filter { $0.value > 0 })
            #expect(weekGot["exp_1"] ?? 0 < counts["exp_1"]?.values.reduce(0, +) ?? 0)
        }
    }

    @Test("exposure health over a period: `holdout quality`'s days in the period", arguments: Engine.underTest)
    func exposureHealth(engine: Engine) async throws {
        try await SemanticFixture.withRunner(engine) { store, runner, experiments in
            let experiment = try #require(experiments["exp_three"])
            let quality = try await store.dailyQuality(experimentID: experiment.id).filter { ("2026-03-02"..."2026-03-04").contains($0.date) }
            #expect(quality.count == 3)
            let answer = try await Self.ask(runner, "exposure health of exp_three this week")
            let rows = Self.rows(answer)
            #expect(rows.map { String(($0["date_day"]?.description ?? "").prefix(10)) } == quality.map(\.date))
            for (row, day) in zip(rows, quality) {
                #expect(row["n_assigned"] == .integer(Int64(day.assigned)) && row["n_exposures"] == .integer(Int64(day.exposed)))
                #expect(SemanticViewTests.close(row["exposure_rate"]?.doubleValue, day.exposureRate, relative: 1e-12))
            }
            let assigned = quality.reduce(0) { $0 + $1.assigned }
            let exposed = quality.reduce(0) { $0 + $1.exposed }
            let rate = String(format: "%.1f%%", Double(exposed) / Double(assigned) * 100)
            #expect(answer.answer.hasPrefix("exp_three, 3 days (2026-03-02 to 2026-03-04): \(assigned) assigned, \(rate) exposed"), "\(answer.answer)")

            // Every experiment, the last 2 days (2026-03-03 and 2026-03-04).
            let recent = try await Self.ask(runner, "Exposure quality in the last 2 days")
            var expected = 0
            for experiment in experiments.values where experiment.tenant == "default" {
                expected += try await store.dailyQuality(experimentID: experiment.id).filter { $0.date >= "2026-03-03" && $0.date <= "2026-03-04" }.count
            }
            #expect(recent.rows.count == expected && expected == 6)
        }
    }

    @Test("SRM failures: the days whose chi-squared test of the assignments is below the threshold", arguments: Engine.underTest)
    func srmFailures(engine: Engine) async throws {
        try await SemanticFixture.withRunner(engine) { store, runner, experiments in
            var pValues: [[String]: Double] = [:]
            for (key, experiment) in experiments where experiment.tenant == "default" {
                let units = try await store.validation(experimentID: experiment.id)
                for day in Set(units.map(\.assignedAt.dayNumber)) {
                    let onDay = units.filter { $0.assignedAt.dayNumber == day }
                    let observed = experiment.variants.map { v in onDay.filter { $0.variant == v.name }.count }
                    pValues[[key, Timestamp.dayString(day)]] = try SampleRatioMismatch(observed: observed, weights: experiment.variants.map(\.weight)).pValue
                }
            }
            for (question, threshold) in [("Any SRM failures?", 0.001), ("sample ratio mismatch at 5% since 2026-03-01", 0.05)] {
                let answer = try await Self.ask(runner, question)
                let got = Set(Self.rows(answer).map { [$0["experiment_id"]?.textValue ?? "", String(($0["date_day"]?.description ?? "").prefix(10))] })
                #expect(pValues.values.allSatisfy { abs($0 - threshold) > 1e-5 * threshold })
                let expected = Set(pValues.filter { $0.value < threshold }.keys)
                #expect(got == expected, "\(question)")
                if threshold == 0.05 {
                    #expect(!expected.isEmpty)
                    let count = expected.count == 1 ? "1 day fails" : "\(expected.count) days fail"
                    #expect(
                        answer.answer.hasPrefix("\(count) the sample-ratio test at p < 0.05, since 2026-03-01 (2026-03-01 to 2026-03-04): "), "\(answer.answer)"
                    )
                } else if expected.isEmpty {
                    #expect(answer.answer == "No day fails the sample-ratio test at p < 0.001.")
                }
            }
        }
    }

    @Test("A question the planner does not know is a clear error that names the forms and the LLM planner")
    func notUnderstood() async throws {
        let context = PlanningContext(dialect: .sqlite, now: Self.wednesday, experimentKeys: Self.defaultKeys)
        for question in ["What's the weather like in Paris?", "DROP TABLE experiments"] {
            let error = await #expect(throws: PlanningError.self) { try await BuiltinPlanner().plan(question, context: context) }
            #expect(error?.kind == .notUnderstood)
            #expect(error?.message.contains("significant") == true && error?.message.contains("LLM planner") == true, "\(error?.message ?? "")")
        }
        let noKey = await #expect(throws: PlanningError.self) { try await BuiltinPlanner().plan("show me the results", context: context) }
        #expect(noKey?.message.hasPrefix("which experiment?") == true)
        for (question, fragment) in [
            ("", "empty"), (String(repeating: "a", count: 5000), "longer than 4096"), ("significant at 70%", "at most 50%"),
            ("sample size since 2026-02-30", "not a date"), ("sample size since 2027-01-01", "after today"), ("exposure in the last 0 days", "at least 1"),
        ] {
            let error = await #expect(throws: PlanningError.self) { try await BuiltinPlanner().plan(question, context: context) }
            #expect(error?.kind == .invalidInput && error?.message.contains(fragment) == true, "\(question): \(error?.message ?? "")")
        }
    }

    @Test("Periods are whole UTC days relative to the injected clock; weeks start on Monday")
    func periods() throws {
        let now = Self.wednesday
        func label(_ text: String) throws -> String? { try Period.find(in: text, now: now)?.label }
        #expect(try label("today") == "today (2026-03-04)")
        #expect(try label("yesterday") == "yesterday (2026-03-03)")
        #expect(try label("this week") == "this week (2026-03-02 to 2026-03-04)")
        #expect(try label("last week") == "last week (2026-02-23 to 2026-03-01)")
        #expect(try label("this month") == "this month (2026-03-01 to 2026-03-04)")
        #expect(try label("in the last 7 days") == "the last 7 days (2026-02-26 to 2026-03-04)")
        #expect(try label("past 2 weeks") == "the last 14 days (2026-02-19 to 2026-03-04)")
        #expect(try label("since 2026-02-10") == "since 2026-02-10 (2026-02-10 to 2026-03-04)")
        #expect(try label("results of exp_1") == nil)
        let week = try #require(try Period.find(in: "this week", now: now))
        #expect(week.startMicroseconds == ts("2026-03-02T00:00:00Z").microseconds && week.endMicroseconds == ts("2026-03-05T00:00:00Z").microseconds)
        // A Monday's week is that Monday alone; a Sunday's started six days before.
        let monday = Date(timeIntervalSince1970: Double(ts("2026-03-02T00:00:00Z").microseconds) / 1_000_000)
        #expect(try Period.find(in: "this week", now: monday)?.label == "this week (2026-03-02)")
        let sunday = Date(timeIntervalSince1970: Double(ts("2026-03-08T23:59:59Z").microseconds) / 1_000_000)
        #expect(try Period.find(in: "this week", now: sunday)?.label == "this week (2026-03-02 to 2026-03-08)")
        #expect(throws: PlanningError.self) { try Period.find(in: "last 4000 days", now: now) }
    }

    @Test("Experiment keys: quoted, known words (any case), or the word after \"experiment\"; apostrophes are not quotes")
    func keys() throws {
        let context = PlanningContext(dialect: .sqlite, now: Self.wednesday, experimentKeys: Self.defaultKeys)
        func key(_ question: String) throws -> String? {
            switch try BuiltinPlanner().planSynchronously(question, context: context).intent {
            case .results(let key, _): key
            case .sampleSize(let key, _), .exposureHealth(let key, _), .srmFailures(_, let key, _): key
            default: nil
            }
        }
        #expect(try key("how's 'exp_1' doing?") == "exp_1")
        #expect(try key("How is EXP_THREE doing?") == "exp_three")
        #expect(try key("what's the sample size of exp_four's test so far") == "exp_four")
        #expect(try key("results of experiment checkout-v2") == "checkout-v2")
        #expect(try key("results for “spring sale”") == "spring sale")
        #expect(try key("sample size so far") == nil)
        // A key's words do not choose the family or the period.
        let tricky = PlanningContext(dialect: .sqlite, now: Self.wednesday, experimentKeys: ["srm-significant-today"])
        #expect(
            try BuiltinPlanner().planSynchronously("results of srm-significant-today", context: tricky).intent
                == .results(experiment: "srm-significant-today", mode: "itt"))
        #expect(
            try BuiltinPlanner().planSynchronously("exposure of 'exposed-today'", context: tricky).intent
                == .exposureHealth(experiment: "exposed-today", period: nil))
        #expect(try key("exposure health this week") == nil)
    }
}
