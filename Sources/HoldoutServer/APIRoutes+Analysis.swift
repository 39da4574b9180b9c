import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutStats
import HoldoutStore
import Hummingbird
import Metrics
import NIOCore
import Synchronization

/// Results, time series, quality and power analysis.
extension APIRoutes {
    // MARK: Results

    @Sendable func results(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.read)
        let experiment = try await experiment(context, tenant: principal.tenant)
        let query = request.uri.queryParameters
        let modeText = query.get("mode") ?? "itt"
        guard let mode = AnalysisMode(rawValue: modeText) else {
            throw APIError.badRequest("mode '\(modeText)' is not itt or exposure", field: "mode")
        }
        var alpha = 0.05
        if let text = query.get("alpha") {
            guard let value = Double(text), value.isFinite, value > 0, value < 1 else {
                throw APIError.badRequest("alpha must be a number in (0, 1), got '\(text)'", field: "alpha")
            }
            alpha = value
        }
        if let dimension = query.get("dimension") {
            guard !dimension.isEmpty else { throw APIError.badRequest("dimension must name a unit property", field: "dimension") }
            let alphaValue = alpha
            let segments = try await analytics.run(tenant: principal.tenant) { store in
                try await ResultsService.segments(experiment: experiment, source: store, mode: mode, segmentBy: dimension, alpha: alphaValue)
            }
            return try json(SegmentedResults(experiment_id: experiment.id, analysis_mode: mode.rawValue, dimension: dimension, segments: segments))
        }
        let alphaValue = alpha
        return try json(
            try await analytics.run(tenant: principal.tenant) { store in
                try await ResultsService.compute(experiment: experiment, source: store, mode: mode, alpha: alphaValue, saveTo: store)
            })
    }

    struct SegmentedResults: Encodable {
        var experiment_id: Int64
        var analysis_mode: String
        var dimension: String
        var segments: [SegmentResult]
    }

    struct TimeSeriesRow: Encodable {
        var date: String
        var treatment_n: Int
        var treatment_conversions: Int
        var treatment_rate: Double
        var control_n: Int
        var control_conversions: Int
        var control_rate: Double
        var uplift_abs: Double?
        var uplift_rel: Double?
        /// The always-valid interval (confidence sequence) for uplift_abs on that day's cumulative
        /// counts: the band the nightly alerts rely on.
        var ci_low: Double?
        var ci_high: Double?
        var variants: [String: VariantPoint]
    }

    struct VariantPoint: Encodable {
        var n: Int
        var conversions: Int
        var rate: Double
    }

    @Sendable func timeSeries(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.read)
        let experiment = try await experiment(context, tenant: principal.tenant)
        let freq = request.uri.queryParameters.get("freq") ?? "D"
        guard freq == "D" || freq == "W" else { throw APIError.badRequest("freq must be D (daily) or W (weekly), got '\(freq)'", field: "freq") }
        var points = try await analytics.run(tenant: principal.tenant) { store in
            try await TimeSeries.points(experiment: experiment, source: store, now: store.now)
        }
        if freq == "W" {
            // The cumulative value at the end of each ISO week (Sunday), and the last day.
            points = points.enumerated().filter { index, point in
                index == points.count - 1 || Self.isSunday(point.date)
            }.map(\.element)
        }
        let rows = points.map { point -> TimeSeriesRow in
            func rate(_ k: Int) -> Double { point.units[k] > 0 ? Double(point.conversions[k]) / Double(point.units[k]) : 0 }
            let (c, t) = (rate(0), rate(1))
            let bothPresent = point.units[0] > 0 && point.units[1] > 0
            let band = try? Analysis.compare(
                control: .init(ProportionStatistic(n: point.units[0], conversions: point.conversions[0])),
                treatments: [.init(ProportionStatistic(n: point.units[1], conversions: point.conversions[1]))],
                settings: .init(metric: .proportion, method: .sequential)
            ).treatments[0].comparison
            var variants: [String: VariantPoint] = [:]
            for (k, name) in point.variants.enumerated() {
                variants[name] = VariantPoint(n: point.units[k], conversions: point.conversions[k], rate: rate(k))
            }
            return TimeSeriesRow(
                date: point.date, treatment_n: point.units[1], treatment_conversions: point.conversions[1],
                treatment_rate: t, control_n: point.units[0], control_conversions: point.conversions[0], control_rate: c,
                uplift_abs: bothPresent ? t - c : nil, uplift_rel: bothPresent && c > 0 ? (t - c) / c : nil,
                ci_low: bothPresent ? band?.ciLow : nil, ci_high: bothPresent ? band?.ciHigh : nil, variants: variants)
        }
        return try json(["data": rows])
    }

    static func isSunday(_ date: String) -> Bool {
        guard let ts = Timestamp(parsing: date) else { return false }
        // 1970-01-01 was a Thursday: day 3 (mod 7) is a Sunday.
        let day = Int64((Double(ts.microseconds) / 86_400_000_000).rounded(.down))
        return ((day % 7) + 7) % 7 == 3
    }

    struct QualityResponse: Encodable {
        var experiment_id: Int64
        var days: [QualityDay]
    }

    @Sendable func quality(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.read)
        let experiment = try await experiment(context, tenant: principal.tenant)
        let days = try await analytics.run(tenant: principal.tenant) { store in try await store.dailyQuality(experimentID: experiment.id) }
        return try json(QualityResponse(experiment_id: experiment.id, days: days))
    }

    // MARK: Power

    struct PowerBody: Decodable {
        var baseline_rate: Double
        var mde: Double
        var alpha: Double?
        var power: Double?
        var treatment_rate: Double?
        var relative: Bool?
    }

    struct PowerResponse: Encodable {
        var total_sample_size: Int
        var treatment_size: Int
        var control_size: Int
        var exact_total: Double
        var baseline_rate: Double
        var mde: Double
        var mde_abs: Double
        var alpha: Double
        var power: Double
        var treatment_rate: Double
    }

    @Sendable func power(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        _ = try context.require(.read)
        var request = request
        let body = try decode(PowerBody.self, from: try await request.bodyData(context: context))
        let design = PowerAnalysis.Design(alpha: body.alpha ?? 0.05, power: body.power ?? 0.8, treatmentShare: body.treatment_rate ?? 0.5)
        do {
            let plan = try PowerAnalysis.proportionSampleSize(baseline: body.baseline_rate, mde: body.mde, relative: body.relative ?? false, design: design)
            return try json(
                PowerResponse(
                    total_sample_size: plan.totalSampleSize, treatment_size: plan.treatmentSize, control_size: plan.controlSize,
                    exact_total: plan.exactTotal, baseline_rate: body.baseline_rate, mde: body.mde, mde_abs: plan.mdeAbsolute,
                    alpha: design.alpha, power: design.power, treatment_rate: design.treatmentShare))
        } catch let error as StatsError {
            let field = error.field == "treatment_share" ? "treatment_rate" : error.field
            throw APIError.badRequest(error.message.replacingOccurrences(of: "treatment_share", with: "treatment_rate"), field: field)
        }
    }
}
