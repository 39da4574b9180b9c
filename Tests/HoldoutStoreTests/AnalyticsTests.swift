import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutSimulation
import HoldoutStore
import HoldoutTestSupport
import SQLKit
import Testing

/// Seeds rows directly (as an import would) for analytics fixtures.
struct Fixture {
    let store: Store
    let experiment: Experiment

    static func make(
        _ store: Store, key: String = "exp_demo_001", start: String? = nil, end: String? = nil, windowDays: Int = 7,
        variants: [Variant] = [Variant(name: "control", weight: 0.5), Variant(name: "treatment", weight: 0.5)]
    ) async throws -> Fixture {
        let experiment = try await store.createExperiment(
            NewExperiment(key: key, name: key, startAt: start.map(ts), endAt: end.map(ts), conversionWindowDays: windowDays, variants: variants))
        return Fixture(store: store, experiment: experiment)
    }

    func assign(_ profile: String, _ variant: String, at time: String) async throws {
        try await store.recordAssignments(experimentID: experiment.id, [AssignmentRecord(profileID: profile, variant: variant, assignedAt: ts(time))])
    }

    func expose(_ profile: String, at time: String, variant: String? = nil) async throws {
        try await importRows(.exposures, "profile_id,exposure_ts,variant\n\(profile),\(time),\(variant ?? "")\n")
    }

    func convert(_ profile: String, at time: String, value: Double? = nil) async throws {
        try await importRows(.outcomes, "profile_id,conversion_ts,value\n\(profile),\(time),\(value.map { "\($0)" } ?? "")\n")
    }

    @discardableResult
    func importRows(_ kind: ImportKind, _ csv: String) async throws -> ImportSummary {
        let directory = try TestDatabase.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("rows.csv")
        try csv.write(to: file, atomically: true, encoding: .utf8)
        return try await Importer(kind: kind, experiment: experiment).run(path: file.path, store: store)
    }
}

@Suite("Exposure validation, quality and sufficient statistics")
struct AnalyticsTests {
    @Test("seed 003's demo: u1 and u2 valid, u3 no_exposure; rates 0.6667, 0.6667, 0", arguments: Engine.underTest)
    func seedDemo(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let f = try await Fixture.make(store)
            try await f.assign("u1", "control", at: "2026-02-01T09:00:00Z")
            try await f.assign("u2", "treatment", at: "2026-02-01T09:00:00Z")
            try await f.assign("u3", "control", at: "2026-02-01T09:00:00Z")
            try await f.expose("u1", at: "2026-02-01 10:02")
            try await f.expose("u2", at: "2026-02-01 10:01")
            let validation = try await store.validation(experimentID: f.experiment.id)
            #expect(validation.map(\.status) == [.valid, .valid, .noExposure])
            #expect(validation[0].firstExposureAt == ts("2026-02-01T10:02:00Z"))
            #expect(validation[2].firstExposureAt == nil)
            let quality = try await store.dailyQuality(experimentID: f.experiment.id)
            #expect(quality.count == 1)
            let day = try #require(quality.first)
            #expect(day.date == "2026-02-01")
            #expect(day.assigned == 3 && day.exposed == 2)
            #expect(String(format: "%.4f", day.exposureRate) == "0.6667")
            #expect(String(format: "%.4f", day.validExposureRate) == "0.6667")
            #expect(String(format: "%.4f", day.mismatchRate) == "0.0000")
            #expect(day.statusCounts["no_exposure"] == 1 && day.statusCounts["valid"] == 2)
        }
    }

    @Test("every status has its fixture", arguments: Engine.underTest)
    func statuses(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let f = try await Fixture.make(store, start: "2026-03-01T00:00:00Z", end: "2026-03-31T23:59:59Z")
            for p in ["valid", "none", "early", "mismatch", "multi", "outside"] {
                try await f.assign(p, p == "mismatch" || p == "multi" ? "control" : "treatment", at: "2026-03-05T00:00:00Z")
            }
            try await f.expose("valid", at: "2026-03-05T01:00:00Z", variant: "treatment")
            try await f.expose("early", at: "2026-03-04T23:00:00Z")
            try await f.expose("mismatch", at: "2026-03-05T02:00:00Z", variant: "treatment")
            try await f.expose("multi", at: "2026-03-05T02:00:00Z", variant: "control")
            try await f.expose("multi", at: "2026-03-05T03:00:00Z", variant: "treatment")
            // Assigned on the 5th but exposed after the end: outside the window.
            try await f.expose("outside", at: "2026-04-02T00:00:00Z")
            let byProfile = Dictionary(uniqueKeysWithValues: try await store.validation(experimentID: f.experiment.id).map { ($0.profileID, $0.status) })
            #expect(byProfile["valid"] == .valid)
            #expect(byProfile["none"] == .noExposure)
            #expect(byProfile["early"] == .preAssignmentExposure)
            #expect(byProfile["mismatch"] == .variantMismatch)
            #expect(byProfile["multi"] == .multiVariationExposure)
            #expect(byProfile["outside"] == .exposureOutsideWindow)
            let day = try #require(try await store.dailyQuality(experimentID: f.experiment.id).first)
            #expect(day.assigned == 6 && day.exposed == 5)
            #expect(day.mismatchRate == 2.0 / 5.0)
        }
    }

    @Test("ITT counts conversions from assignment, exposure mode from first valid exposure, within the window", arguments: Engine.underTest)
    func cohorts(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let f = try await Fixture.make(store, key: "cohorts", windowDays: 7)
            try await f.assign("a", "control", at: "2026-03-01T00:00:00Z")
            try await f.assign("b", "treatment", at: "2026-03-01T00:00:00Z")
            try await f.assign("c", "treatment", at: "2026-03-01T00:00:00Z")
            try await f.expose("b", at: "2026-03-03T00:00:00Z")
            // a: converts on day 2 (ITT yes; not exposed, so not in the exposure cohort)
            try await f.convert("a", at: "2026-03-02T00:00:00Z", value: 10)
            // b: converts on day 9: 8 days after assignment (outside ITT window), 6 after exposure (inside)
            try await f.convert("b", at: "2026-03-09T00:00:00Z", value: 4)
            // c: converts twice inside the window, never exposed
            try await f.convert("c", at: "2026-03-02T00:00:00Z", value: 1.5)
            try await f.convert("c", at: "2026-03-03T00:00:00Z", value: 2.5)
            let itt = Dictionary(uniqueKeysWithValues: try await store.variantStatistics(experimentID: f.experiment.id, mode: .itt).map { ($0.variant, $0) })
            #expect(itt["control"]?.units == 1 && itt["control"]?.converters == 1 && itt["control"]?.sumValue == 10)
            #expect(itt["treatment"]?.units == 2 && itt["treatment"]?.converters == 1)
            #expect(itt["treatment"]?.sumValue == 4 && itt["treatment"]?.sumValueSquares == 16)
            let exposed = try await store.variantStatistics(experimentID: f.experiment.id, mode: .exposure)
            #expect(exposed.count == 1)
            #expect(exposed.first?.variant == "treatment" && exposed.first?.units == 1 && exposed.first?.converters == 1)
            #expect(exposed.first?.sumValue == 4)
            // Winsorizing at 3 caps c's 4 and a's 10.
            let capped = Dictionary(
                uniqueKeysWithValues: try await store.variantStatistics(experimentID: f.experiment.id, mode: .itt, cap: .absolute(3)).map { ($0.variant, $0) })
            #expect(capped["control"]?.sumValue == 3 && capped["treatment"]?.sumValue == 3)
            // The 50th percentile of per-unit values {0, 4, 10} is 4 (nearest rank ⌈1.5⌉ = 2).
            let median = Dictionary(
                uniqueKeysWithValues: try await store.variantStatistics(experimentID: f.experiment.id, mode: .itt, cap: .percentile(0.5)).map {
                    ($0.variant, $0)
                })
            #expect(median["control"]?.sumValue == 4 && median["treatment"]?.sumValue == 4)
        }
    }

    @Test("randomized: SQL statuses and statistics equal a direct Swift computation, on every engine", arguments: Engine.underTest)
    func randomized(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            var rng = Xoshiro256StarStar(seed: 20_261_122)
            let f = try await Fixture.make(store, key: "random", start: "2026-03-01T00:00:00Z", end: "2026-03-20T00:00:00Z", windowDays: 5)
            let base = ts("2026-03-01T00:00:00Z").microseconds
            let hour: Int64 = 3_600_000_000
            var assignments: [String: (String, Int64)] = [:]
            var exposures: [(String, Int64, String?)] = []
            var outcomes: [(String, Int64, Double)] = []
            var covariates: [String: (Double, Double)] = [:]
            var assignmentCSV = "profile_id,group,assigned_at\n"
            var exposureCSV = "profile_id,exposure_ts,variant\n"
            var outcomeCSV = "profile_id,conversion_ts,value\n"
            var covariateCSV = "profile_id,pre_revenue,visits\n"
            for i in 0..<600 {
                let profile = "r\(i)"
                let variant = rng.next() % 2 == 0 ? "control" : "treatment"
                let assignedAt = base + Int64(rng.next() % 400) * hour
                assignments[profile] = (variant, assignedAt)
                assignmentCSV += "\(profile),\(variant),\(Timestamp(microseconds: assignedAt))\n"
                let cov = (Double(rng.next() % 64) / 8, Double(rng.next() % 9))
                covariates[profile] = cov
                covariateCSV += "\(profile),\(cov.0),\(cov.1)\n"
                for _ in 0..<Int(rng.next() % 3) {
                    let t = assignedAt + (Int64(rng.next() % 200) - 20) * hour
                    let logged: String? = rng.next() % 10 == 0 ? (variant == "control" ? "treatment" : "control") : (rng.next() % 2 == 0 ? variant : nil)
                    exposures.append((profile, t, logged))
                    exposureCSV += "\(profile),\(Timestamp(microseconds: t)),\(logged ?? "")\n"
                }
                for _ in 0..<Int(rng.next() % 3) {
                    let t = assignedAt + (Int64(rng.next() % 300) - 30) * hour
                    let value = Double(rng.next() % 800) / 8  // dyadic: sums are exact in any order
                    outcomes.append((profile, t, value))
                    outcomeCSV += "\(profile),\(Timestamp(microseconds: t)),\(value)\n"
                }
            }
            try await f.importRows(.assignments, assignmentCSV)
            let exposureSummary = try await f.importRows(.exposures, exposureCSV)
            #expect(exposureSummary.rejected == 0)
            try await f.importRows(.outcomes, outcomeCSV)
            try await f.importRows(.covariates, covariateCSV)

            // The same logic in Swift.
            let end = ts("2026-03-20T00:00:00Z").microseconds
            var expectedStatus: [String: ValidationStatus] = [:]
            var firstExposure: [String: Int64] = [:]
            for (profile, (variant, assignedAt)) in assignments {
                let mine = exposures.filter { $0.0 == profile }
                guard let first = mine.map(\.1).min() else {
                    expectedStatus[profile] = .noExposure
                    continue
                }
                firstExposure[profile] = first
                let logged = Set(mine.compactMap(\.2))
                if logged.count > 1 {
                    expectedStatus[profile] = .multiVariationExposure
                } else if let l = logged.first, l != variant {
                    expectedStatus[profile] = .variantMismatch
                } else if first < assignedAt {
                    expectedStatus[profile] = .preAssignmentExposure
                } else if first < base || first > end {
                    expectedStatus[profile] = .exposureOutsideWindow
                } else {
                    expectedStatus[profile] = .valid
                }
            }
            let sqlStatus = try await store.validation(experimentID: f.experiment.id)
            #expect(sqlStatus.count == 600)
            for unit in sqlStatus { #expect(unit.status == expectedStatus[unit.profileID], "\(unit.profileID)") }

            let window: Int64 = 5 * 24 * hour
            for mode in AnalysisMode.allCases {
                var expected: [String: (units: Int, conv: Int, sum: Double, sq: Double, sx: Double, sxy: Double, sxx: Double)] = [:]
                for (profile, (variant, assignedAt)) in assignments {
                    let anchor: Int64
                    if mode == .itt {
                        anchor = assignedAt
                    } else {
                        guard expectedStatus[profile] == .valid, let first = firstExposure[profile] else { continue }
                        anchor = first
                    }
                    let inWindow = outcomes.filter { $0.0 == profile && $0.1 >= anchor && $0.1 < anchor + window }
                    let value = inWindow.reduce(0) { $0 + $1.2 }
                    let x = covariates[profile]!.0
                    var e = expected[variant] ?? (0, 0, 0, 0, 0, 0, 0)
                    e.units += 1
                    e.conv += inWindow.isEmpty ? 0 : 1
                    e.sum += value
                    e.sq += value * value
                    e.sx += x
                    e.sxy += x * value
                    e.sxx += x * x
                    expected[variant] = e
                }
                let stats = try await store.variantStatistics(experimentID: f.experiment.id, mode: mode, covariates: ["pre_revenue", "visits"])
                #expect(stats.count == expected.count)
                for s in stats {
                    let e = try #require(expected[s.variant])
                    #expect(s.units == e.units && s.converters == e.conv, "\(mode) \(s.variant) counts")
                    #expect(s.sumValue == e.sum && s.sumValueSquares == e.sq, "\(mode) \(s.variant) sums")
                    #expect(s.sumX[0] == e.sx && s.sumXY[0] == e.sxy && s.sumXX[0][0] == e.sxx, "\(mode) \(s.variant) covariate sums")
                }
                // Without covariates the statistics take the sparse path (cohort sizes plus sums
                // over units with outcomes); it must agree with the per-unit computation.
                let plain = try await store.variantStatistics(experimentID: f.experiment.id, mode: mode)
                #expect(plain.count == expected.count)
                for s in plain {
                    let e = try #require(expected[s.variant])
                    #expect(s.units == e.units && s.converters == e.conv, "\(mode) \(s.variant) sparse counts")
                    #expect(s.sumValue == e.sum && s.sumValueSquares == e.sq, "\(mode) \(s.variant) sparse sums")
                }
                // Exposure-based: the ordered per-unit passes, split into unit ranges on
                // connections of their own, add up to the same numbers however many ranges.
                guard mode == .exposure else { continue }
                for partitions in [1, 2, 5] {
                    let split = try #require(
                        try await store.partitionedExposureStatistics(
                            experimentID: f.experiment.id, variants: ["control", "treatment"], cap: nil, partitions: partitions))
                    #expect(split == plain, "\(partitions) ranges")
                }
            }
        }
    }
}

@Suite("Sparse statistics fall back when a unit's variant is not the experiment's")
struct UnknownVariantTests {
    @Test("an assignment to an unlisted variant is still counted", arguments: Engine.underTest)
    func unknownVariant(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let experiment = try await store.createExperiment(NewExperiment(key: "ghost", name: "ghost"))
            let t0 = ts("2026-03-01T00:00:00Z")
            try await store.recordAssignments(
                experimentID: experiment.id,
                [
                    AssignmentRecord(profileID: "a", variant: "control", assignedAt: t0),
                    AssignmentRecord(profileID: "b", variant: "treatment", assignedAt: t0),
                    AssignmentRecord(profileID: "c", variant: "ghost", assignedAt: t0),
                ])
            let stats = try await store.variantStatistics(experimentID: experiment.id, mode: .itt)
            #expect(stats.map(\.variant) == ["control", "ghost", "treatment"])
            #expect(stats.map(\.units) == [1, 1, 1])

            // Exposure mode: "a" logged as its own variant (valid), "b" logged as a variant the
            // experiment does not list (a mismatch), "c" logged as its unlisted assigned variant
            // (valid). Imports refuse unlisted variants, so the rows go in as SQL, as another
            // writer of the tables could. The ordered per-unit path cannot place "c" and hands
            // over to the general query, which counts it.
            let t1 = ts("2026-03-02T00:00:00Z").microseconds
            for (profile, logged) in [("a", "control"), ("b", "phantom"), ("c", "ghost")] {
                try await store.sql.raw(
                    """
                    INSERT INTO experiment_exposures (experiment_id, profile_id, exposure_ts, variant, event_id)
                    VALUES (\(bind: experiment.id), \(bind: profile), \(bind: t1), \(bind: logged), \(bind: "x-" + profile))
                    """
                ).run()
            }
            #expect(
                try await store.partitionedExposureStatistics(experimentID: experiment.id, variants: ["control", "treatment"], cap: nil, partitions: 2)
                    == nil)
            let exposed = try await store.variantStatistics(experimentID: experiment.id, mode: .exposure)
            #expect(exposed.map(\.variant) == ["control", "ghost"])
            #expect(exposed.map(\.units) == [1, 1])
        }
    }
}

@Suite("Exposures and conversions derived from the events stream")
struct EventDerivationTests {
    @Test("experiment_exposure events and conversion_key events count like recorded rows", arguments: Engine.underTest)
    func fromEvents(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let experiment = try await store.createExperiment(
                NewExperiment(key: "ev-exp", name: "events", conversionKey: "purchase", conversionWindowDays: 7))
            let f = Fixture(store: store, experiment: experiment)
            try await f.assign("a", "control", at: "2026-03-01T00:00:00Z")
            try await f.assign("b", "treatment", at: "2026-03-01T00:00:00Z")
            try await f.assign("c", "treatment", at: "2026-03-01T00:00:00Z")
            let events = """
                event_id,event_name,profile_id,ts,value,properties
                x1,experiment_exposure,a,2026-03-01T01:00:00Z,,"{""experiment_id"": ""ev-exp"", ""variant"": ""control""}"
                x2,experiment_exposure,b,2026-03-01T02:00:00Z,,"{""experiment_id"": ""ev-exp"", ""variant"": ""control""}"
                x3,experiment_exposure,c,2026-03-01T02:00:00Z,,"{""experiment_id"": ""other""}"
                p1,purchase,a,2026-03-02T00:00:00Z,12.5,
                p2,purchase,b,2026-03-03T00:00:00Z,20,
                p3,page_view,c,2026-03-03T00:00:00Z,,

                """
            let directory = try TestDatabase.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("events.csv")
            try events.write(to: file, atomically: true, encoding: .utf8)
            let summary = try await Importer(kind: .events, experiment: nil).run(path: file.path, store: store)
            #expect(summary.inserted == 6 && summary.rejected == 0)
            let statuses = Dictionary(uniqueKeysWithValues: try await store.validation(experimentID: experiment.id).map { ($0.profileID, $0.status) })
            #expect(statuses == ["a": .valid, "b": .variantMismatch, "c": .noExposure])
            let stats = Dictionary(uniqueKeysWithValues: try await store.variantStatistics(experimentID: experiment.id, mode: .itt).map { ($0.variant, $0) })
            #expect(stats["control"]?.converters == 1 && stats["control"]?.sumValue == 12.5)
            #expect(stats["treatment"]?.converters == 1 && stats["treatment"]?.sumValue == 20)
        }
    }
}
