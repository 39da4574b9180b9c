import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutSimulation
import HoldoutStore
import HoldoutTestSupport
import HoldoutUplift
import Testing

/// `holdout analyze` end to end on a simulated Criteo-like experiment whose true effect is
/// known (seed 004's simulator), on both engines.
@Suite("Analysis pipeline")
struct AnalysisPipelineTests {
    struct Simulated {
        var file: String
        var truth: String
        /// The population effect on `visit`: the mean CATE of the simulated visitors.
        var effect: Double
    }

    /// `visitors` criteo-like visitors in the Criteo layout, and their truth.csv. With
    /// `dropControl`, every control row whose index is a multiple of 5 is left out (an injected
    /// sample ratio mismatch: a fifth of control lost).
    static func simulate(visitors: Int, in directory: URL, name: String, dropControl: Bool = false) throws -> Simulated {
        let config = try Scenario.config("criteo-like")
        let criteo = try CriteoEncoding(config: config)
        let encoding = CSVEncoding(config: config)
        var observed = Array(criteo.header.utf8)
        var truth = Array(encoding.truthHeader.utf8)
        var sums = Truth.Sums(levels: 2, hurdle: false)
        try Simulator(config).run(visitors: visitors, seed: 99, parallelism: 2) { chunk in
            (criteo.bytes(chunk), encoding.truthBytes(chunk), chunk.truth.sums)
        } consume: { piece in
            observed += piece.0
            truth += piece.1
            sums = sums + piece.2
        }
        if dropControl {
            let lines = String(decoding: observed, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
            var kept = [String(lines[0])]
            for (i, line) in lines.dropFirst().enumerated() where !(line.split(separator: ",")[12] == "0" && i % 5 == 0) { kept.append(String(line)) }
            observed = Array((kept.joined(separator: "\n") + "\n").utf8)
        }
        let file = directory.appendingPathComponent("\(name).csv")
        let truthFile = directory.appendingPathComponent("\(name)-truth.csv")
        try Data(observed).write(to: file)
        try Data(truth).write(to: truthFile)
        return Simulated(file: file.path, truth: truthFile.path, effect: sums.effect)
    }

    static func settings(metric: String = "visit") -> AnalysisPipeline.Settings {
        var settings = AnalysisPipeline.Settings()
        settings.metric = metric
        settings.trees = 10
        // Linear learners keep the debug-build test fast; the GBDT learners are checked against
        // scikit-learn in HoldoutUpliftTests.
        settings.learners = [.init(meta: .s, base: .logistic), .init(meta: .t, base: .logistic), .init(meta: .classTransformation, base: .logistic)]
        return settings
    }

    @Test("every stage runs; the ATE's interval covers the truth; learners rank better than random; a rerun reuses every stage", arguments: Engine.underTest)
    func endToEnd(engine: Engine) async throws {
        let directory = try TestDatabase.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sim = try Self.simulate(visitors: 80_000, in: directory, name: "criteo")
        let out = directory.appendingPathComponent("report").path
        try await TestDatabase.withStore(engine) { store in
            _ = try await CriteoImport.run(file: sim.file, experimentKey: "sim", into: store)
            let experiment = try #require(try await store.experiment(key: "sim"))
            let run = try await AnalysisPipeline.run(experiment: experiment, store: store, settings: Self.settings(), outDirectory: out, truthCSV: sim.truth)
            #expect(run.stages.map(\.name) == AnalysisPipeline.Stage.allCases)
            #expect(run.stages.allSatisfy { $0.status == .ok && !$0.cached }, "\(run.stages.map { "\($0.name): \($0.status) \($0.reason ?? "")" })")
            let srm = try #require(run.output(.srm, as: AnalysisPipeline.SRMOutput.self))
            #expect(!srm.srmDetected && abs(srm.plannedShares[1] - 0.85) < 1e-12)
            // The seeded run's 95% intervals (plain and CUPED) cover the simulator's population effect.
            // A/B and CUPED cover every metric present; the run's own (visit) drives the rest.
            let cupedAll = try #require(run.output(.cuped, as: [String: AnalysisPipeline.CUPEDOutput].self))
            #expect(Set(cupedAll.keys) == ["visit", "conversion"])
            let abText = try #require(run.outputs[.ab])
            let abAll = try #require(try JSONSerialization.jsonObject(with: Data(abText.utf8)) as? [String: Any])
            #expect(Set(abAll.keys) == ["visit", "conversion"])
            #expect((abAll["conversion"] as? [String: Any])?["metric"] as? String == "conversion")
            // Conversions are a sixteenth of visits, so their lift is about a sixteenth too.
            let conversionLift = try #require(cupedAll["conversion"]?.upliftAbs)
            #expect(conversionLift > 0 && conversionLift < sim.effect / 4)
            let cuped = try #require(cupedAll["visit"])
            #expect(try #require(cuped.ciLow) < sim.effect && sim.effect < (try #require(cuped.ciHigh)), "truth \(sim.effect)")
            #expect(cuped.covariates == (0..<12).map { "f\($0)" } && cuped.varianceReduction > 0)
            let uplift = try #require(run.output(.uplift, as: AnalysisPipeline.UpliftOutput.self))
            #expect(uplift.learners.count == 3 && uplift.errors.isEmpty)
            #expect(uplift.trainRows + uplift.evaluationRows == 80_000)
            for (name, learner) in uplift.learners {
                #expect(try #require(learner.metrics.qiniAUCScore) > 0, "\(name) ranks no better than random")
                #expect(try #require(learner.trueCATECorrelation) > 0.3, "\(name)")
            }
            let policy = try #require(run.output(.policy, as: AnalysisPipeline.PolicyOutput.self))
            #expect(policy.policy.population == 80_000 && policy.policy.incrementalTargeted > policy.policy.incrementalRandom)
            let decision = try #require(run.output(.decision, as: AnalysisPipeline.DecisionOutput.self))
            #expect(decision.verdict == .ship && decision.rule == "significant_positive")
            let report = try String(contentsOfFile: out + "/decision-report.md", encoding: .utf8)
            #expect(report.contains("## Decision: **Ship**") && report.contains("| s:logistic |"))
            // The HTML page: self-contained, with the forest, the cumulative lift, the Qini curves and the policy gain.
            let html = try String(contentsOfFile: out + "/decision-report.html", encoding: .utf8)
            #expect(html.components(separatedBy: "<svg").count - 1 == 4)
            #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src="))
            for title in ["Lift by metric", "Cumulative lift over time", "Qini curves", "Policy gain"] { #expect(html.contains(title), "\(title)") }
            // The JSON object has the issue's keys.
            let object = try #require(try JSONSerialization.jsonObject(with: run.json()) as? [String: Any])
            #expect(Set(object.keys) == ["experiment", "metric", "mode", "stages", "srm", "ab", "cuped", "uplift", "policy", "decision", "reports"])

            let again = try await AnalysisPipeline.run(experiment: experiment, store: store, settings: Self.settings(), outDirectory: out, truthCSV: sim.truth)
            #expect(again.stages.allSatisfy { $0.cached }, "\(again.stages.map { "\($0.name) cached \($0.cached)" })")
            #expect(again.output(.decision, as: AnalysisPipeline.DecisionOutput.self)?.verdict == .ship)
            // Another metric is another run; --force recomputes.
            var conversion = Self.settings(metric: "conversion")
            conversion.learners = [.init(meta: .t, base: .logistic)]
            let other = try await AnalysisPipeline.run(experiment: experiment, store: store, settings: conversion, outDirectory: out)
            #expect(other.stages.allSatisfy { !$0.cached })
            let forced = try await AnalysisPipeline.run(experiment: experiment, store: store, settings: Self.settings(), force: true, outDirectory: out)
            #expect(forced.stages.allSatisfy { !$0.cached })
            #expect(try await store.analysisStages(experimentID: experiment.id, run: Self.settings().runName).count == 8)
        }
    }

    @Test("an injected sample ratio mismatch halts every stage after the gate, and the decision says investigate", arguments: Engine.underTest)
    func srmHalts(engine: Engine) async throws {
        let directory = try TestDatabase.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sim = try Self.simulate(visitors: 20_000, in: directory, name: "lossy", dropControl: true)
        try await TestDatabase.withStore(engine) { store in
            _ = try await CriteoImport.run(file: sim.file, experimentKey: "lossy", into: store)
            let experiment = try #require(try await store.experiment(key: "lossy"))
            let run = try await AnalysisPipeline.run(
                experiment: experiment, store: store, settings: Self.settings(), outDirectory: directory.appendingPathComponent("r").path)
            let status = Dictionary(uniqueKeysWithValues: run.stages.map { ($0.name, $0.status) })
            #expect(status[.load] == .ok && status[.srm] == .ok)
            for stage in [AnalysisPipeline.Stage.ab, .cuped, .uplift, .policy] { #expect(status[stage] == .halted, "\(stage)") }
            #expect(run.stages.first { $0.name == .ab }?.reason?.contains("SRM gate") == true)
            let srm = try #require(run.output(.srm, as: AnalysisPipeline.SRMOutput.self))
            #expect(srm.srmDetected && srm.pValue < 1e-6)
            let decision = try #require(run.output(.decision, as: AnalysisPipeline.DecisionOutput.self))
            #expect(decision.verdict == .investigate && decision.rule == "srm")
            #expect(run.output(.ab, as: AnalysisPipeline.CUPEDOutput.self) == nil)
        }
    }

    @Test("without packed features CUPED and uplift are skipped with the reason; the A/B stage and the decision still run", arguments: Engine.underTest)
    func withoutFeatures(engine: Engine) async throws {
        let directory = try TestDatabase.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var config = try Scenario.config("email-holdout")
        config.visitors = 5_000
        try await TestDatabase.withStore(engine) { store in
            _ = try await SimulationLoader.load(config, key: "plain", into: store)
            let experiment = try #require(try await store.experiment(key: "plain"))
            var settings = AnalysisPipeline.Settings()
            settings.learners = [.init(meta: .t, base: .logistic)]
            let run = try await AnalysisPipeline.run(experiment: experiment, store: store, settings: settings, outDirectory: directory.path)
            let byName = Dictionary(uniqueKeysWithValues: run.stages.map { ($0.name, $0) })
            #expect(byName[.ab]?.status == .ok && byName[.decision]?.status == .ok && byName[.report]?.status == .ok)
            for stage in [AnalysisPipeline.Stage.cuped, .uplift] {
                #expect(byName[stage]?.status == .skipped && byName[stage]?.reason?.contains("no packed pre-experiment features") == true, "\(stage)")
            }
            #expect(byName[.policy]?.status == .skipped)
            // The store keeps the reason too (what --status prints).
            let recorded = try await store.analysisStages(experimentID: experiment.id, run: settings.runName)
            #expect(recorded.first { $0.stage == "uplift" }?.reason?.contains("no packed pre-experiment features") == true)
            #expect(run.output(.decision, as: AnalysisPipeline.DecisionOutput.self) != nil)
        }
    }
}
