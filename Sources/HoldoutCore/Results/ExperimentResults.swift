import Foundation
public import HoldoutModel
public import HoldoutStats

/// Seed 001's results object, computed from the store through HoldoutStats, with what the seed
/// lacked: the analysis mode, an SRM check, a revenue comparison, an always-valid (sequential)
/// result and CUPED when covariates exist.
public struct ExperimentResults: Sendable, Encodable {
    /// One arm's summary, seed 001's shape.
    public struct Arm: Sendable, Encodable {
        public var variant: String
        public var n: Int
        public var conversions: Int
        public var conversionRate: Double
        public var totalValue: Double

        enum CodingKeys: String, CodingKey {
            case variant, n, conversions
            case conversionRate = "conversion_rate"
            case totalValue = "total_value"
        }
    }

    public struct SRM: Sendable, Encodable {
        public var chi2: Double
        public var pValue: Double
        public var detected: Bool
        enum CodingKeys: String, CodingKey {
            case chi2
            case pValue = "p_value"
            case detected
        }
    }

    /// What the always-valid interval says to do.
    public enum Decision: String, Sendable, Hashable, Codable {
        /// The interval lies above 0.
        case treatmentBetter = "treatment_better"
        /// The interval lies below 0.
        case controlBetter = "control_better"
        /// The interval contains 0, or there is not enough data.
        case keepRunning = "keep_running"
    }

    /// The always-valid view, safe to check every day.
    public struct Sequential: Sendable, Encodable {
        public var ciLow: Double?
        public var ciHigh: Double?
        public var pValue: Double?
        public var decision: Decision
        enum CodingKeys: String, CodingKey {
            case ciLow = "ci_low"
            case ciHigh = "ci_high"
            case pValue = "p_value"
            case decision
        }
    }

    /// One treatment arm against control.
    public struct ArmComparison: Sendable, Encodable {
        public var variant: String
        public var conversion: Comparison
        public var revenue: Comparison
        public var sequential: Sequential
        public var cuped: RegressionAdjustment.Result?
        public var insufficientData: Bool
        public var reason: String?

        enum CodingKeys: String, CodingKey {
            case variant, conversion, revenue, sequential, cuped, reason
            case insufficientData = "insufficient_data"
        }
    }

    public var experimentID: Int64
    public var experimentKey: String
    public var status: ExperimentStatus
    public var analysisMode: AnalysisMode
    public var control: Arm
    public var treatment: Arm
    /// Every arm, control first.
    public var arms: [Arm]
    /// Every treatment arm against control (the first is the top-level result).
    public var comparisons: [ArmComparison]
    public var srm: SRM?
    public var covariates: [String]
    public var alpha: Double
    /// The experiment's outcome rows this mode did not count, by reason.
    /// Nil in exposure mode above ``exposureExclusionLimit`` units in the cohort.
    public var outcomesNotCounted: OutcomesNotCounted?
    /// Exposure mode: the exposure rows of units left out of the cohort, by reason.
    public var exposuresNotCounted: ExposuresNotCounted?
    /// The outcome metric analysed; nil (not encoded) for the experiment's default.
    public var metric: String? = nil

    /// The largest exposure-mode cohort whose exclusions are counted (the counts read every
    /// exposure and outcome again; above this they are left out, `null`).
    public static let exposureExclusionLimit = 1_000_000

    /// The minimum per arm below which results are flagged `insufficient_data`.
    public static let minimumUnits = 30
    public static let minimumConversions = 5

    enum CodingKeys: String, CodingKey {
        case experimentID = "experiment_id"
        case experimentKey = "experiment_key"
        case status
        case analysisMode = "analysis_mode"
        case treatment, control, arms, comparisons, srm, covariates, alpha
        case upliftAbs = "uplift_abs"
        case upliftRel = "uplift_rel"
        case ciLow = "ci_low"
        case ciHigh = "ci_high"
        case pValue = "p_value"
        case insufficientData = "insufficient_data"
        case reason
        case revenue, sequential, cuped
        case outcomesNotCounted = "outcomes_not_counted"
        case exposuresNotCounted = "exposures_not_counted"
        case metric
    }

    /// Seed 001's fields at the top level (for the first treatment arm), then the rest.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(experimentID, forKey: .experimentID)
        try c.encode(experimentKey, forKey: .experimentKey)
        try c.encode(status, forKey: .status)
        try c.encode(analysisMode, forKey: .analysisMode)
        try c.encodeIfPresent(metric, forKey: .metric)
        try c.encode(treatment, forKey: .treatment)
        try c.encode(control, forKey: .control)
        let first = comparisons.first
        try c.encode(first?.conversion.upliftAbs, forKey: .upliftAbs)
        try c.encode(first?.conversion.upliftRel, forKey: .upliftRel)
        try c.encode(first?.conversion.ciLow, forKey: .ciLow)
        try c.encode(first?.conversion.ciHigh, forKey: .ciHigh)
        try c.encode(first?.conversion.pValue, forKey: .pValue)
        try c.encode(first?.insufficientData ?? true, forKey: .insufficientData)
        try c.encode(first?.reason, forKey: .reason)
        try c.encode(srm, forKey: .srm)
        try c.encode(first?.revenue, forKey: .revenue)
        try c.encode(first?.sequential, forKey: .sequential)
        if let cuped = first?.cuped { try c.encode(cuped, forKey: .cuped) }
        try c.encode(arms, forKey: .arms)
        try c.encode(comparisons, forKey: .comparisons)
        try c.encode(covariates, forKey: .covariates)
        try c.encode(alpha, forKey: .alpha)
        try c.encode(outcomesNotCounted, forKey: .outcomesNotCounted)
        if let exposuresNotCounted { try c.encode(exposuresNotCounted, forKey: .exposuresNotCounted) }
    }

    /// Why no conversion was counted although outcomes exist, in words ("200 outcomes were
    /// recorded before their profiles were assigned"); nil when something was counted or
    /// nothing was excluded.
    public static func explanation(_ excluded: OutcomesNotCounted, counted: Int, mode: AnalysisMode) -> String? {
        guard counted == 0, excluded.total > 0 else { return nil }
        var parts: [String] = []
        func add(_ n: Int, _ text: String) {
            if n > 0 { parts.append("\(n) outcome\(n == 1 ? " was" : "s were") \(text)") }
        }
        add(excluded.beforeAssignment, mode == .itt ? "recorded before their profiles were assigned" : "recorded before their profiles' first valid exposure")
        add(excluded.afterWindow, "recorded after their profiles' conversion window")
        add(excluded.outsideExperimentDates, "outside the experiment's dates")
        add(excluded.unassignedProfile, "for profiles not assigned to the experiment")
        add(excluded.notValidlyExposed, "for assigned profiles without a valid exposure")
        return parts.joined(separator: "; ")
    }
}

/// Computes an experiment's results: the store reduces events to per-variant sufficient
/// statistics in SQL, HoldoutStats does the inference.
public enum ResultsService {
    /// - Parameters:
    ///   - source: reduces the experiment's events to per-variant sufficient statistics.
    ///   - mode: ITT or exposure-based; the caller must choose.
    ///   - repository: where to keep the computation (`experiment_results`); nil keeps nothing.
    ///   - metric: the outcome metric (`""`: the experiment's default; see ``StatisticsRequest/metric``).
    public static func compute(
        experiment: Experiment, source: some StatisticsSource, mode: AnalysisMode, alpha: Double = 0.05, cap: ValueCap? = nil,
        metric: String = "", saveTo repository: (any ExperimentRepository)? = nil
    ) async throws(HoldoutError) -> ExperimentResults {
        let covariates = try await source.covariateNames(experimentID: experiment.id)
        // What the mode leaves out is counted beside the statistics in ITT; in exposure mode
        // after them and only up to `exposureExclusionLimit` units, since the exposure counts
        // would double the time of a 10M-unit analysis.
        @Sendable func countExclusions() async -> Result<NotCounted, HoldoutError> {
            do throws(HoldoutError) {
                return .success(try await source.notCounted(experimentID: experiment.id, mode: mode, metric: metric))
            } catch {
                return .failure(error)
            }
        }
        let exclusions = mode == .itt ? Task { await countExclusions() } : nil
        let statistics = try await source.variantStatistics(
            .init(experimentID: experiment.id, mode: mode, covariates: covariates, cap: cap, metric: metric))
        // Keyed by the variant's bytes, never trapping: a row whose variant is not byte-equal to
        // one of the experiment's (a canonically equivalent spelling stored by an older import)
        // is not an arm and is not counted.
        let byName = Dictionary(statistics.map { (OpaqueID($0.variant), $0) }, uniquingKeysWith: { first, _ in first })
        func arm(_ name: String) -> (ExperimentResults.Arm, VariantStatistics?) {
            let s = byName[OpaqueID(name)]
            let n = s?.units ?? 0
            let conversions = s?.converters ?? 0
            return (
                ExperimentResults.Arm(
                    variant: name, n: n, conversions: conversions, conversionRate: n > 0 ? Double(conversions) / Double(n) : 0,
                    totalValue: s?.sumValue ?? 0), s
            )
        }
        let names = experiment.variants.map(\.name)
        let (control, controlStats) = arm(names[0])
        var comparisons: [ExperimentResults.ArmComparison] = []
        for name in names.dropFirst() {
            let (treatment, treatmentStats) = arm(name)
            do {
                let c = Analysis.Arm(ProportionStatistic(n: control.n, conversions: control.conversions))
                let t = Analysis.Arm(ProportionStatistic(n: treatment.n, conversions: treatment.conversions))
                let conversion = try Analysis.compare(control: c, treatments: [t], settings: .init(metric: .proportion, alpha: alpha)).treatments[0].comparison
                let (revenue, cuped) = try revenueAndCUPED(
                    control: control, controlStats, treatment: treatment, treatmentStats, covariates: covariates, alpha: alpha)
                let sequentialComparison = try Analysis.compare(
                    control: c, treatments: [t], settings: .init(metric: .proportion, method: .sequential, alpha: alpha)
                ).treatments[0].comparison
                let decision: ExperimentResults.Decision
                if sequentialComparison.insufficientData || sequentialComparison.ciLow == nil {
                    decision = .keepRunning
                } else if let low = sequentialComparison.ciLow, low > 0 {
                    decision = .treatmentBetter
                } else if let high = sequentialComparison.ciHigh, high < 0 {
                    decision = .controlBetter
                } else {
                    decision = .keepRunning
                }
                var reasons: [String] = []
                for a in [control, treatment] {
                    if a.n < ExperimentResults.minimumUnits {
                        reasons.append("\(a.variant) has \(a.n) units (minimum \(ExperimentResults.minimumUnits))")
                    }
                    if a.conversions < ExperimentResults.minimumConversions {
                        reasons.append("\(a.variant) has \(a.conversions) conversions (minimum \(ExperimentResults.minimumConversions))")
                    }
                }
                if conversion.insufficientData, let reason = conversion.reason { reasons.append(reason) }
                comparisons.append(
                    ExperimentResults.ArmComparison(
                        variant: name, conversion: conversion, revenue: revenue,
                        sequential: .init(
                            ciLow: sequentialComparison.ciLow, ciHigh: sequentialComparison.ciHigh, pValue: sequentialComparison.pValue, decision: decision),
                        cuped: cuped, insufficientData: !reasons.isEmpty, reason: reasons.isEmpty ? nil : reasons.joined(separator: "; ")))
            } catch {
                throw HoldoutError(.invalidInput, "cannot compare \(name) with \(names[0]): \(error.message)")
            }
        }
        let arms = names.map { arm($0).0 }
        var excluded: OutcomesNotCounted?
        var exposuresExcluded: ExposuresNotCounted?
        if let exclusions {
            let counted = try await exclusions.value.get()
            (excluded, exposuresExcluded) = (counted.outcomes, counted.exposures)
        } else if arms.reduce(0, { $0 + $1.n }) <= ExperimentResults.exposureExclusionLimit {
            let counted = try await countExclusions().get()
            (excluded, exposuresExcluded) = (counted.outcomes, counted.exposures)
        }
        var explanations: [String] = []
        if let excluded, let text = ExperimentResults.explanation(excluded, counted: arms.reduce(0) { $0 + $1.conversions }, mode: mode) {
            explanations.append(text)
        }
        if let exposuresExcluded, exposuresExcluded.total > 0, arms.allSatisfy({ $0.n == 0 }) {
            let reasons: [(Int, String)] = [
                (exposuresExcluded.unassignedProfile, "of profiles not assigned"), (exposuresExcluded.multiVariationExposure, "logged with two variants"),
                (exposuresExcluded.variantMismatch, "logged with another variant than assigned"),
                (exposuresExcluded.preAssignmentExposure, "before the assignment"), (exposuresExcluded.exposureOutsideWindow, "outside the experiment's dates"),
            ]
            explanations.append(
                "no unit has a valid exposure: \(exposuresExcluded.total) exposures were left out ("
                    + reasons.filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + ")")
        }
        if !explanations.isEmpty {
            let explanation = explanations.joined(separator: "; ")
            for k in comparisons.indices {
                comparisons[k].reason = explanation + (comparisons[k].reason.map { "; \($0)" } ?? "")
            }
        }
        var srm: ExperimentResults.SRM?
        let observed = arms.map(\.n)
        if observed.reduce(0, +) > 0, mode == .itt {
            if let test = try? SampleRatioMismatch(observed: observed, weights: experiment.variants.map(\.weight)) {
                srm = .init(chi2: test.chi2, pValue: test.pValue, detected: test.isDetected)
            }
        }
        let results = ExperimentResults(
            experimentID: experiment.id, experimentKey: experiment.key, status: experiment.status, analysisMode: mode, control: control,
            treatment: arm(names[1]).0, arms: arms, comparisons: comparisons, srm: srm, covariates: covariates, alpha: alpha,
            outcomesNotCounted: excluded, exposuresNotCounted: exposuresExcluded, metric: metric.isEmpty ? nil : metric)
        if let repository, let first = comparisons.first {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let meta = (try? encoder.encode(results)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            try await repository.saveResult(
                ResultRecord(
                    experimentID: experiment.id, mode: mode, upliftAbs: first.conversion.upliftAbs, upliftRel: first.conversion.upliftRel,
                    ciLow: first.conversion.ciLow, ciHigh: first.conversion.ciHigh, pValue: first.conversion.pValue,
                    treatmentSize: results.treatment.n, controlSize: control.n, metaJSON: meta))
        }
        return results
    }
}

extension ResultsService {
    /// The value per unit compared by Welch's test and, when the experiment has covariates and
    /// both arms have statistics, by CUPED — one analysis with the mean metric. A singular
    /// covariate set (or any CUPED failure) leaves CUPED out rather than failing the results.
    static func revenueAndCUPED(
        control: ExperimentResults.Arm, _ controlStats: VariantStatistics?, treatment: ExperimentResults.Arm,
        _ treatmentStats: VariantStatistics?, covariates: [String], alpha: Double
    ) throws(StatsError) -> (Comparison, RegressionAdjustment.Result?) {
        // An arm without statistics has no units: the empty statistic.
        let c = controlStats?.mean ?? MeanStatistic()
        let t = treatmentStats?.mean ?? MeanStatistic()
        let plain = Analysis.Settings(metric: .mean, alpha: alpha)
        if !covariates.isEmpty, let cs = controlStats, let ts = treatmentStats {
            var adjusted = plain
            adjusted.isCUPED = true
            adjusted.covariateNames = covariates
            if let rc = try? cs.regression(), let rt = try? ts.regression(),
                let result = try? Analysis.compare(
                    control: .init(c, regression: rc), treatments: [.init(t, regression: rt)], settings: adjusted
                ).treatments[0]
            {
                return (result.comparison, result.cuped)
            }
        }
        return (try Analysis.compare(control: .init(c), treatments: [.init(t)], settings: plain).treatments[0].comparison, nil)
    }
}

/// Results for one value of a unit dimension (a segment).
public struct SegmentResult: Sendable, Encodable {
    public var segment: String
    public var arms: [ExperimentResults.Arm]
    /// SRM within the segment: a mismatch in one segment points at a broken integration there.
    public var srm: ExperimentResults.SRM?
    /// Conversion comparisons of each treatment arm with control, with Holm-adjusted p-values
    /// across all segments × arms (many segments mean many chances of a false positive).
    public var comparisons: [SegmentComparison]
}

public struct SegmentComparison: Sendable, Encodable {
    public var variant: String
    public var conversion: Comparison
    public var pValueHolm: Double?

    enum CodingKeys: String, CodingKey {
        case variant, conversion
        case pValueHolm = "p_value_holm"
    }
}

extension ResultsService {
    /// Per-segment conversion results and SRM, broken down by a unit property.
    public static func segments(
        experiment: Experiment, source: some StatisticsSource, mode: AnalysisMode, segmentBy: String, alpha: Double = 0.05
    ) async throws(HoldoutError) -> [SegmentResult] {
        let statistics = try await source.variantStatistics(.init(experimentID: experiment.id, mode: mode, segmentBy: segmentBy))
        let segmentIDs: Set<OpaqueID> = Set(statistics.compactMap { (s: VariantStatistics) -> OpaqueID? in s.segment.map { OpaqueID($0) } })
        let segments: [String] = segmentIDs.sorted().map { $0.string }
        let names = experiment.variants.map(\.name)
        var out: [SegmentResult] = []
        for segment in segments {
            let rows = Dictionary(
                statistics.filter { s in s.segment.map { OpaqueID($0) } == OpaqueID(segment) }.map { (OpaqueID($0.variant), $0) },
                uniquingKeysWith: { first, _ in first })
            let arms = names.map { name -> ExperimentResults.Arm in
                let row = rows[OpaqueID(name)]
                let n = row?.units ?? 0
                let c = row?.converters ?? 0
                return .init(variant: name, n: n, conversions: c, conversionRate: n > 0 ? Double(c) / Double(n) : 0, totalValue: row?.sumValue ?? 0)
            }
            var srm: ExperimentResults.SRM?
            if mode == .itt, let test = try? SampleRatioMismatch(observed: arms.map(\.n), weights: experiment.variants.map(\.weight)) {
                srm = .init(chi2: test.chi2, pValue: test.pValue, detected: test.isDetected)
            }
            var comparisons: [SegmentComparison] = []
            for arm in arms.dropFirst() {
                do {
                    let conversion = try Analysis.compare(
                        control: .init(ProportionStatistic(n: arms[0].n, conversions: arms[0].conversions)),
                        treatments: [.init(ProportionStatistic(n: arm.n, conversions: arm.conversions))],
                        settings: .init(metric: .proportion, alpha: alpha)
                    ).treatments[0].comparison
                    comparisons.append(SegmentComparison(variant: arm.variant, conversion: conversion, pValueHolm: nil))
                } catch {
                    throw HoldoutError(.invalidInput, "segment \(segment): \(error.message)")
                }
            }
            out.append(SegmentResult(segment: segment, arms: arms, srm: srm, comparisons: comparisons))
        }
        // Holm across every segment × arm.
        let indices = out.indices.flatMap { s in out[s].comparisons.indices.map { (s, $0) } }.filter { out[$0.0].comparisons[$0.1].conversion.pValue != nil }
        let adjusted = MultipleTesting.holm(indices.map { out[$0.0].comparisons[$0.1].conversion.pValue ?? 1 })
        for (k, (s, c)) in indices.enumerated() { out[s].comparisons[c].pValueHolm = adjusted[k] }
        return out
    }
}
