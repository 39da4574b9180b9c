import Foundation
public import HoldoutModel
import HoldoutStats

/// Seed 001's nightly report: results for every running experiment, and alerts.
///
/// Significance in alerts comes from the sequential (always-valid) interval, not the
/// fixed-horizon p-value: a report read every night is a test repeated every night, and the
/// fixed-horizon test would then raise false alarms far above its nominal rate (see
/// docs/calibration.md). Beyond the seed's severities it warns about sample-ratio mismatch,
/// exposure-logging problems and experiments past their end date without a decision.
public struct NightlyReport: Sendable, Encodable {
    public struct Entry: Sendable, Encodable {
        public var id: Int64
        public var key: String
        public var name: String
        public var channel: String?
        public var status: String
        public var tenant: String
        public var results: ExperimentResults?
        public var error: String?
    }

    public struct Alert: Sendable, Encodable, Hashable {
        public enum Severity: String, Sendable, Encodable, Hashable { case info, success, warning, error }
        public var experimentID: Int64
        public var tenant: String
        /// What raised it.
        public enum Kind: String, Sendable, Hashable, Codable {
            case insufficientData = "insufficient_data"
            case significantPositive = "significant_positive"
            case significantNegative = "significant_negative"
            case computationFailed = "computation_failed"
            case sampleRatioMismatch = "sample_ratio_mismatch"
            case exposureLogging = "exposure_logging"
            case underpoweredPastEnd = "underpowered_past_end"
        }

        public var kind: Kind
        public var message: String
        public var severity: Severity

        public init(experimentID: Int64, tenant: String, kind: Kind, message: String, severity: Severity) {
            self.experimentID = experimentID
            self.tenant = tenant
            self.kind = kind
            self.message = message
            self.severity = severity
        }

        enum CodingKeys: String, CodingKey {
            case experimentID = "experiment_id"
            case tenant, kind, message, severity
        }
    }

    public var asOfDate: String
    public var experiments: [Entry]
    public var alerts: [Alert]
    public var method: String

    enum CodingKeys: String, CodingKey {
        case asOfDate = "as_of_date"
        case experiments, alerts, method
    }

    /// The same report restricted to one tenant.
    public func only(tenant: String) -> NightlyReport {
        NightlyReport(
            asOfDate: asOfDate, experiments: experiments.filter { $0.tenant == tenant }, alerts: alerts.filter { $0.tenant == tenant }, method: method)
    }

    public var tenants: [String] { Array(Set(experiments.map(\.tenant))).sorted() }
}

public enum NightlyReportService {
    /// Exposure-logging warnings fire above these shares of exposed units.
    public static let mismatchThreshold = 0.01
    public static let preAssignmentThreshold = 0.01

    /// Computes results for every running experiment (ITT, persisted in `experiment_results`);
    /// one experiment failing becomes an `error` alert and does not stop the others.
    ///
    /// - Parameters:
    ///   - repository: the running experiments, and where each computation is kept.
    ///   - source: the experiments' sufficient statistics and daily exposure quality.
    public static func run(
        repository: some ExperimentRepository, source: some StatisticsSource, asOf: Timestamp, alpha: Double = 0.05
    ) async throws(HoldoutError) -> NightlyReport {
        let running = try await repository.experiments(status: .running, tenant: nil).sorted { $0.id < $1.id }
        var entries: [NightlyReport.Entry] = []
        var alerts: [NightlyReport.Alert] = []
        for experiment in running {
            func alert(_ kind: NightlyReport.Alert.Kind, _ severity: NightlyReport.Alert.Severity, _ message: String) {
                alerts.append(.init(experimentID: experiment.id, tenant: experiment.tenant, kind: kind, message: message, severity: severity))
            }
            var entry = NightlyReport.Entry(
                id: experiment.id, key: experiment.key, name: experiment.name, channel: experiment.channel, status: experiment.status.rawValue,
                tenant: experiment.tenant, results: nil, error: nil)
            do {
                let results = try await ResultsService.compute(experiment: experiment, source: source, mode: .itt, alpha: alpha, saveTo: repository)
                entry.results = results
                let name = experiment.name
                for comparison in results.comparisons {
                    let label = results.comparisons.count > 1 ? " (\(comparison.variant) vs \(experiment.control))" : ""
                    if comparison.insufficientData {
                        alert(
                            .insufficientData, .info,
                            "Experiment '\(name)'\(label) has insufficient data: \(comparison.reason ?? "too few units or conversions")")
                        continue
                    }
                    let interval =
                        "always-valid \(Int((1 - alpha) * 100))% interval [\(format(comparison.sequential.ciLow)), \(format(comparison.sequential.ciHigh))]"
                    switch comparison.sequential.decision {
                    case .treatmentBetter:
                        alert(
                            .significantPositive, .success,
                            "Experiment '\(name)'\(label) shows significant positive uplift (\(interval); fixed-horizon p=\(format(comparison.conversion.pValue)))"
                        )
                    case .controlBetter:
                        alert(
                            .significantNegative, .warning,
                            "Experiment '\(name)'\(label) shows significant negative uplift (\(interval); fixed-horizon p=\(format(comparison.conversion.pValue)))"
                        )
                    case .keepRunning:
                        if let end = experiment.endAt, end < asOf {
                            // Past the end without a decision: how large an effect could this n detect?
                            let mde = try? PowerAnalysis.proportionMDE(
                                baseline: max(1e-6, min(1 - 1e-6, results.control.conversionRate)),
                                totalSampleSize: Double(results.control.n + results.treatment.n),
                                design: .init(alpha: alpha, power: 0.8, treatmentShare: experiment.variants[1].weight))
                            alert(
                                .underpoweredPastEnd, .warning,
                                "Experiment '\(name)'\(label) ended \(end) without a decision; with \(results.control.n + results.treatment.n) units it detects only effects of \(format(mde.map { $0 * 100 })) pp or more at 80% power"
                            )
                        }
                    }
                }
                if let srm = results.srm, srm.detected {
                    alert(
                        .sampleRatioMismatch, .warning,
                        "Experiment '\(name)' has a sample-ratio mismatch (chi2=\(format(srm.chi2)), p=\(format(srm.pValue))): assignment or logging is broken; do not trust its results until fixed"
                    )
                }
                let days = try await source.dailyQuality(experimentID: experiment.id)
                let exposed = days.reduce(0) { $0 + $1.exposed }
                if exposed > 0 {
                    let mismatched = days.reduce(0) {
                        $0 + ($1.statusCounts[ValidationStatus.variantMismatch.rawValue] ?? 0)
                            + ($1.statusCounts[ValidationStatus.multiVariationExposure.rawValue] ?? 0)
                    }
                    let pre = days.reduce(0) { $0 + ($1.statusCounts[ValidationStatus.preAssignmentExposure.rawValue] ?? 0) }
                    let mismatchRate = Double(mismatched) / Double(exposed)
                    let preRate = Double(pre) / Double(exposed)
                    if mismatchRate > mismatchThreshold || preRate > preAssignmentThreshold {
                        alert(
                            .exposureLogging, .warning,
                            "Experiment '\(name)' has exposure-logging problems: \(format(mismatchRate * 100))% of exposed units saw the wrong or several variants, \(format(preRate * 100))% were exposed before assignment (thresholds \(format(mismatchThreshold * 100))%)"
                        )
                    }
                }
            } catch {
                entry.error = error.message
                alert(.computationFailed, .error, "Experiment '\(experiment.name)' could not be computed: \(error.message)")
            }
            entries.append(entry)
        }
        return NightlyReport(
            asOfDate: asOf.description, experiments: entries, alerts: alerts,
            method:
                "Alerts use the sequential always-valid interval (a confidence sequence), so reading this report every night does not inflate false alarms; fixed-horizon p-values are shown for reference only."
        )
    }

    static func format(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "n/a" }
        return String(format: "%.4g", value)
    }

    /// Stores the report: one copy per tenant (what `GET /api/reports/nightly/latest` serves)
    /// and the whole report.
    public static func save(_ report: NightlyReport, to repository: some ExperimentRepository, asOf: Timestamp) async throws(HoldoutError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func text(_ value: NightlyReport) -> String { (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}" }
        try await repository.saveReport(kind: "nightly", asOf: asOf, body: text(report))
        for tenant in report.tenants {
            try await repository.saveReport(kind: "nightly:\(tenant)", asOf: asOf, body: text(report.only(tenant: tenant)))
        }
    }
}
