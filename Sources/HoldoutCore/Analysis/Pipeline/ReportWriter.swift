import Foundation
import HoldoutCharts
import HoldoutModel
import HoldoutStats
import HoldoutUplift

/// Writes the decision report of `holdout analyze` in the output directory, each file atomically
/// (temporary file + rename): `decision-report.md` (seed 002's Markdown decision report) and
/// `decision-report.html`, one self-contained page (inline CSS and SVG drawn by HoldoutCharts, no
/// scripts, no external assets) with the interval forest, the cumulative lift over time, each
/// learner's Qini curve against random and perfect, and the policy gain curve.
enum ReportWriter {
    /// The files a report run writes.
    static let files = ["decision-report.md", "decision-report.html"]

    static func write(
        to directory: String, experiment: Experiment, settings: AnalysisPipeline.Settings, stages: [AnalysisPipeline.StageSummary],
        load: AnalysisPipeline.LoadOutput?, srm: AnalysisPipeline.SRMOutput?, ab: [String: AnalysisPipeline.ABDigest],
        cuped: [String: AnalysisPipeline.CUPEDOutput], uplift: AnalysisPipeline.UpliftOutput?, policy: AnalysisPipeline.PolicyOutput?,
        decision: AnalysisPipeline.DecisionOutput?, timeSeries: [TimeSeriesPoint]
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
        let path = URL(fileURLWithPath: directory).appendingPathComponent(files[0]).path
        try atomicWrite(Data(markdown.utf8), to: path)
        let html = Self.html(
            experiment: experiment, settings: settings, stages: stages, srm: srm, ab: ab, cuped: cuped, uplift: uplift, policy: policy, decision: decision,
            timeSeries: timeSeries)
        let htmlPath = URL(fileURLWithPath: directory).appendingPathComponent(files[1]).path
        try atomicWrite(Data(html.utf8), to: htmlPath)
        return [path, htmlPath]
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
    /// User text (keys, metric and feature names) made safe in Markdown: HoldoutCharts' escaping.
    static func cell(_ text: String) -> String { MarkdownTable.escape(text) }

    static func table(_ header: [String], _ rows: [[String]]) -> String { MarkdownTable(header: header, rows: rows).render() }

    static func number(_ x: Double?) -> String { x.map { AnalysisPipeline.format($0) } ?? "—" }
    static func percent(_ x: Double?) -> String { x.map { AnalysisPipeline.format($0 * 100) + "%" } ?? "—" }

    static func markdown(
        experiment: Experiment, settings: AnalysisPipeline.Settings, stages: [AnalysisPipeline.StageSummary], load: AnalysisPipeline.LoadOutput?,
        srm: AnalysisPipeline.SRMOutput?, ab: [String: AnalysisPipeline.ABDigest], cuped: [String: AnalysisPipeline.CUPEDOutput],
        uplift: AnalysisPipeline.UpliftOutput?,
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
        let metrics = orderedMetrics(ab: ab, cuped: cuped, settings: settings)
        if !ab.isEmpty {
            md += "\n## Average effect (A/B)\n\n"
            md += table(
                ["metric", "control rate", "treatment rate", "lift", "interval", "relative lift", "p-value"],
                metrics.compactMap { key in
                    guard let c = ab[key]?.comparisons.first?.conversion else { return nil }
                    return [
                        key, number(c.controlMean), number(c.treatmentMean), number(c.upliftAbs), "[\(number(c.ciLow)), \(number(c.ciHigh))]",
                        percent(c.upliftRel),
                        number(c.pValue),
                    ]
                })
        }
        if !cuped.isEmpty {
            md += "\n## CUPED\n\n"
            for key in metrics {
                guard let c = cuped[key] else { continue }
                md += "- `\(cell(key))`, adjusted by \(c.covariates.count) pre-experiment features (\(c.covariates.map(cell).joined(separator: ", "))): "
                md += "lift \(number(c.upliftAbs)) [\(number(c.ciLow)), \(number(c.ciHigh))], p = \(number(c.pValue)); "
                md += "the variance of the lift is \(percent(c.varianceReduction)) lower than without adjustment.\n"
            }
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

extension ReportWriter {
    /// The run's metric first, then the others by name.
    static func orderedMetrics(
        ab: [String: AnalysisPipeline.ABDigest], cuped: [String: AnalysisPipeline.CUPEDOutput], settings: AnalysisPipeline.Settings
    ) -> [String] {
        let primary = AnalysisPipeline.metricKey(settings.metric)
        let others = Set(ab.keys).union(cuped.keys).subtracting([primary]).sorted()
        return (ab[primary] != nil || cuped[primary] != nil ? [primary] : []) + others
    }

    static func verdictText(_ verdict: AnalysisPipeline.DecisionOutput.Verdict) -> String {
        switch verdict {
        case .ship: "Ship"
        case .doNotShip: "Do not ship"
        case .keepRunning: "Keep running"
        case .investigate: "Investigate"
        }
    }

    static func badge(_ status: AnalysisPipeline.Status) -> HTMLReport.Status {
        switch status {
        case .ok: .ok
        case .skipped: .skipped
        case .halted: .halted
        case .failed: .failed
        }
    }

    /// The cumulative lift (treatment rate − control rate) by day with its Wald interval.
    static func cumulativeLift(_ points: [TimeSeriesPoint], z: Double) -> LineChart.Series? {
        var line: [LineChart.Point] = []
        var band: [LineChart.BandPoint] = []
        for point in points {
            guard point.units.count >= 2, let day = Timestamp(parsing: point.date)?.dayNumber else { continue }
            let (nc, nt) = (Double(point.units[0]), Double(point.units[1]))
            guard nc > 0, nt > 0 else { continue }
            let (pc, pt) = (Double(point.conversions[0]) / nc, Double(point.conversions[1]) / nt)
            let se = (pc * (1 - pc) / nc + pt * (1 - pt) / nt).squareRoot()
            line.append(.init(x: Double(day), y: pt - pc))
            band.append(.init(x: Double(day), low: pt - pc - z * se, high: pt - pc + z * se))
        }
        return line.isEmpty ? nil : LineChart.Series(name: "cumulative lift", points: line, band: band)
    }

    static func html(
        experiment: Experiment, settings: AnalysisPipeline.Settings, stages: [AnalysisPipeline.StageSummary], srm: AnalysisPipeline.SRMOutput?,
        ab: [String: AnalysisPipeline.ABDigest], cuped: [String: AnalysisPipeline.CUPEDOutput], uplift: AnalysisPipeline.UpliftOutput?,
        policy: AnalysisPipeline.PolicyOutput?,
        decision: AnalysisPipeline.DecisionOutput?, timeSeries: [TimeSeriesPoint]
    ) -> String {
        let metric = settings.metric.isEmpty ? "conversion" : settings.metric
        let level = "\(AnalysisPipeline.format((1 - settings.alpha) * 100))%"
        var sections: [HTMLReport.Section] = []
        sections.append(
            .init(
                heading: "Stages",
                blocks: [
                    .table(
                        .init(
                            header: ["stage", "status", "seconds", "reason"],
                            rows: stages.map {
                                [
                                    .text($0.name.rawValue), .status(badge($0.status)), .text(number($0.durationSeconds) + ($0.cached ? " (cached)" : "")),
                                    .text($0.reason ?? ""),
                                ]
                            }, numericColumns: [2]))
                ]))
        if let srm {
            sections.append(
                .init(
                    heading: "Sample ratio mismatch",
                    blocks: [
                        .status(
                            srm.srmDetected ? .halted : .ok,
                            "χ² = \(number(srm.chi2)), p = \(number(srm.pValue)) against the planned shares (halts below \(number(srm.threshold)))"),
                        .table(
                            .init(
                                header: ["variant", "units", "planned share", "observed share"],
                                textRows: zip(experiment.variants.map(\.name), zip(srm.observed, srm.plannedShares)).map { name, pair in
                                    let total = Double(srm.observed.reduce(0, +))
                                    return [name, "\(pair.0)", percent(pair.1), percent(total > 0 ? Double(pair.0) / total : nil)]
                                }, numericColumns: [1, 2, 3])),
                    ]))
        }
        var effects: [HTMLReport.Block] = []
        var rows: [ForestChart.Row] = []
        for key in orderedMetrics(ab: ab, cuped: cuped, settings: settings) {
            if let c = ab[key]?.comparisons.first?.conversion {
                rows.append(.init(label: "\(key) (A/B)", estimate: c.upliftAbs, low: c.ciLow, high: c.ciHigh, note: c.ciLow == nil ? c.reason : nil))
            }
            if let c = cuped[key] {
                rows.append(.init(label: "\(key) (CUPED, \(c.covariates.count) features)", estimate: c.upliftAbs, low: c.ciLow, high: c.ciHigh))
            }
        }
        if !rows.isEmpty {
            effects.append(
                .chart(
                    ForestChart(title: "Lift by metric", rows: rows, format: .percent(digits: 2), axisLabel: "treatment − control, \(level) interval"),
                    caption: "Absolute lift in each metric's rate (percentage points) with its \(level) interval; the dashed line is no effect."))
        }
        if let series = cumulativeLift(timeSeries, z: Normal.quantile(1 - settings.alpha / 2)) {
            effects.append(
                .chart(
                    LineChart(
                        title: "Cumulative lift over time", series: [series], xAxis: .init(label: "assignment day", format: .date),
                        yAxis: .init(label: "treatment − control rate", format: .percent(digits: 2))),
                    caption: "Cumulative \(metric) rate difference by assignment day with its \(level) Wald band (a fixed-horizon interval: "
                        + "looking at it every day calls for the always-valid interval of holdout results)."))
        }
        if !effects.isEmpty { sections.append(.init(heading: "Average effect", blocks: effects)) }
        if let uplift {
            var blocks: [HTMLReport.Block] = [
                .paragraph(
                    "Trained on \(uplift.trainRows) units, evaluated on \(uplift.evaluationRows) others (a seeded sample of \(uplift.sampledUnits)). "
                        + "Scores in scikit-uplift 0.5.1's convention."),
                .table(
                    .init(
                        header: ["learner", "qini_auc_score", "uplift_auc_score", "uplift@k by group", "corr. with true CATE", "seconds"],
                        textRows: uplift.learners.sorted { $0.key < $1.key }.map { name, l in
                            [
                                name, number(l.metrics.qiniAUCScore), number(l.metrics.upliftAUCScore), number(l.metrics.upliftAtK.byGroup),
                                number(l.trueCATECorrelation), number(l.seconds),
                            ]
                        }, numericColumns: [1, 2, 3, 4, 5])),
            ]
            var series: [LineChart.Series] = []
            for (name, l) in uplift.learners.sorted(by: { $0.key < $1.key }) { series.append(.init(name: name, x: l.qiniCurve.x, y: l.qiniCurve.y)) }
            if let any = uplift.learners.sorted(by: { $0.key < $1.key }).first?.value, let n = any.qiniCurve.x.last, let end = any.qiniCurve.y.last {
                series.append(.init(name: "random", x: [0, n], y: [0, end], stroke: .dashed))
                if let perfect = any.perfectQiniCurve { series.append(.init(name: "perfect", x: perfect.x, y: perfect.y, stroke: .dotted)) }
            }
            blocks.append(
                .chart(
                    LineChart(
                        title: "Qini curves", series: series, xAxis: .init(label: "evaluation units targeted", format: .number(digits: 0)),
                        yAxis: .init(label: "incremental \(metric)s (Qini)", format: .number(digits: 0))),
                    caption: "Each learner's Qini curve on the evaluation units against random targeting and the perfect ranking."))
            for (name, l) in uplift.learners.sorted(by: { $0.key < $1.key }) { if let w = l.warning { blocks.append(.status(.skipped, "\(name): \(w)")) } }
            for (name, e) in uplift.errors.sorted(by: { $0.key < $1.key }) { blocks.append(.status(.failed, "\(name): \(e)")) }
            sections.append(.init(heading: "Uplift models", blocks: blocks))
        }
        if let policy, let l = uplift?.learners[policy.learner] {
            let p = policy.policy
            let n = l.upliftCurve.x.last ?? 0
            let end = l.upliftCurve.y.last ?? 0
            let share = n > 0 ? l.upliftCurve.x.map { $0 / n } : []
            let chart = LineChart(
                title: "Policy gain",
                series: [.init(name: "by \(policy.learner)", x: share, y: l.upliftCurve.y), .init(name: "random", x: [0, 1], y: [0, end], stroke: .dashed)],
                xAxis: .init(label: "share of evaluation units treated", format: .percent(digits: 0)),
                yAxis: .init(label: "incremental \(metric)s", format: .number(digits: 0)), markers: [.init(x: p.fraction, label: "top \(percent(p.fraction))")])
            sections.append(
                .init(
                    heading: "Targeting policy",
                    blocks: [
                        .paragraph(
                            "Treating the top \(percent(p.fraction)) of \(p.population) units by \(policy.learner)'s predicted uplift: \(number(p.incrementalTargeted)) incremental \(metric)s "
                                + "against \(number(p.incrementalRandom)) for as many chosen at random (\(number(p.incrementalOverRandom)) more)."),
                        .chart(chart, caption: "Incremental \(metric)s on the evaluation units by the share treated, best first, against random targeting."),
                    ]))
        }
        let summary = decision.map { "\(verdictText($0.verdict)) — rule \($0.rule): \($0.explanation)." }
        return HTMLReport(
            title: "Decision report: \(experiment.key)", summary: summary, sections: sections,
            footer: "holdout analyze: metric \(metric), \(settings.mode == .itt ? "intention to treat" : "exposure-based"), α = \(number(settings.alpha))"
        ).render()
    }
}
