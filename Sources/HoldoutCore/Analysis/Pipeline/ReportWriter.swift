import Foundation
import HoldoutModel
import HoldoutStats
import HoldoutUplift

/// Writes the decision report of `holdout analyze`: `decision-report.md` (seed 002's Markdown
/// decision report) in the output directory, atomically (temporary file + rename).
enum ReportWriter {
    /// The files a report run writes.
    static let files = ["decision-report.md"]

    static func write(
        to directory: String, experiment: Experiment, settings: AnalysisPipeline.Settings, stages: [AnalysisPipeline.StageSummary],
        load: AnalysisPipeline.LoadOutput?, srm: AnalysisPipeline.SRMOutput?, abJSON: String?, ab: AnalysisPipeline.ABDigest?,
        cuped: AnalysisPipeline.CUPEDOutput?, uplift: AnalysisPipeline.UpliftOutput?, policy: AnalysisPipeline.PolicyOutput?,
        decision: AnalysisPipeline.DecisionOutput?
    ) throws -> [String] {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw HoldoutError(.invalidInput, "cannot create the report directory '\(directory)': \(error.localizedDescription)", field: "out")
        }
        let markdown = Self.markdown(
            experiment: experiment, settings: settings, stages: stages, load: load, srm: srm, ab: ab, cuped: cuped, uplift: uplift, policy: policy,
            decision: decision)
        let path = URL(fileURLWithPath: directory).appendingPathComponent("decision-report.md").path
        try atomicWrite(Data(markdown.utf8), to: path)
        return [path]
    }

    static func atomicWrite(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: temporary, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw HoldoutError(.invalidInput, "cannot write '\(path)': \(error.localizedDescription)", field: "out")
        }
    }

    /// A Markdown table cell: pipes and newlines escaped.
    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var out = "| " + header.map(cell).joined(separator: " | ") + " |\n"
        out += "|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
        for row in rows { out += "| " + row.map(cell).joined(separator: " | ") + " |\n" }
        return out
    }

    static func number(_ x: Double?) -> String { x.map { AnalysisPipeline.format($0) } ?? "—" }
    static func percent(_ x: Double?) -> String { x.map { AnalysisPipeline.format($0 * 100) + "%" } ?? "—" }

    static func markdown(
        experiment: Experiment, settings: AnalysisPipeline.Settings, stages: [AnalysisPipeline.StageSummary], load: AnalysisPipeline.LoadOutput?,
        srm: AnalysisPipeline.SRMOutput?, ab: AnalysisPipeline.ABDigest?, cuped: AnalysisPipeline.CUPEDOutput?, uplift: AnalysisPipeline.UpliftOutput?,
        policy: AnalysisPipeline.PolicyOutput?, decision: AnalysisPipeline.DecisionOutput?
    ) -> String {
        let metric = settings.metric.isEmpty ? "the default metric" : "`\(cell(settings.metric))`"
        var md = "# Decision report: \(cell(experiment.key))\n\n"
        md += "Metric \(metric), \(settings.mode == .itt ? "intention to treat" : "exposure-based") analysis, α = \(number(settings.alpha)).\n\n"
        if let decision {
            let verdict: String
            switch decision.verdict {
            case .ship: verdict = "Ship"
            case .doNotShip: verdict = "Do not ship"
            case .keepRunning: verdict = "Keep running"
            case .investigate: verdict = "Investigate"
            }
            md += "## Decision: **\(verdict)**\n\nRule `\(decision.rule)`: \(decision.explanation).\n\n"
        }
        md += "## Stages\n\n"
        md += table(
            ["stage", "status", "seconds", "reason"],
            stages.map { [$0.name.rawValue, $0.status.rawValue + ($0.cached ? " (cached)" : ""), number($0.durationSeconds), $0.reason ?? ""] })
        md += "\n## Data quality: sample ratio mismatch\n\n"
        if let srm {
            md += table(
                ["variant", "units", "planned share", "observed share"],
                zip(experiment.variants.map(\.name), zip(srm.observed, srm.plannedShares)).map { name, pair in
                    let total = Double(srm.observed.reduce(0, +))
                    return [name, "\(pair.0)", percent(pair.1), percent(total > 0 ? Double(pair.0) / total : nil)]
                })
            md += "\nχ² = \(number(srm.chi2)), p = \(number(srm.pValue)) (halts below \(number(srm.threshold))): "
            md += srm.srmDetected ? "**mismatch — every result below is withheld.**\n" : "no mismatch.\n"
        } else {
            md += "Not checked.\n"
        }
        if let arm = ab?.comparisons.first {
            let c = arm.conversion
            md += "\n## Average effect (A/B)\n\n"
            md += table(
                ["control rate", "treatment rate", "lift", "interval", "relative lift", "p-value"],
                [
                    [
                        number(c.controlMean), number(c.treatmentMean), number(c.upliftAbs), "[\(number(c.ciLow)), \(number(c.ciHigh))]", percent(c.upliftRel),
                        number(c.pValue),
                    ]
                ])
        }
        if let cuped {
            md += "\n## CUPED\n\n"
            md += "Adjusted by \(cuped.covariates.count) pre-experiment features (\(cuped.covariates.map(cell).joined(separator: ", "))): "
            md += "lift \(number(cuped.upliftAbs)) [\(number(cuped.ciLow)), \(number(cuped.ciHigh))], p = \(number(cuped.pValue)); "
            md += "the variance of the lift is \(percent(cuped.varianceReduction)) lower than without adjustment.\n"
        }
        if let uplift {
            md += "\n## Uplift models\n\n"
            md += "Trained on \(uplift.trainRows) units and evaluated on \(uplift.evaluationRows) others (a seeded sample of \(uplift.sampledUnits)). "
            md += "Qini coefficient and AUUC in scikit-uplift 0.5.1's normalised convention; uplift@\(percent(settings.k)) over the top-ranked units.\n\n"
            md += table(
                ["learner", "qini_auc_score", "uplift_auc_score", "uplift@k (by group)", "corr. with true CATE", "seconds"],
                uplift.learners.sorted { $0.key < $1.key }.map { name, l in
                    [
                        name, number(l.metrics.qiniAUCScore), number(l.metrics.upliftAUCScore), number(l.metrics.upliftAtK.byGroup),
                        number(l.trueCATECorrelation), number(l.seconds),
                    ]
                })
            for (name, learner) in uplift.learners.sorted(by: { $0.key < $1.key }) {
                if let warning = learner.warning { md += "\n`\(cell(name))`: \(cell(warning))\n" }
            }
            for (name, error) in uplift.errors.sorted(by: { $0.key < $1.key }) { md += "\n`\(cell(name))` failed: \(cell(error))\n" }
        }
        if let policy {
            let p = policy.policy
            md += "\n## Targeting policy\n\n"
            md += "Treating the top \(percent(p.fraction)) of \(p.population) units by `\(cell(policy.learner))`'s predicted uplift: "
            md += "\(number(p.incrementalTargeted)) incremental conversions, against \(number(p.incrementalRandom)) for the same number chosen at random "
            md += "(\(number(p.incrementalOverRandom)) more\(p.relativeToRandom.map { ", ×" + number($0) } ?? "")).\n"
        }
        if let load {
            md += "\n## Data\n\n"
            md += table(["input", "rows"], load.counts.sorted { $0.key < $1.key }.map { [$0.key, "\($0.value)"] })
        }
        md += "\n_Generated by `holdout analyze` (fingerprinted stages; rerun with `--force` to recompute)._\n"
        return md
    }
}
