import Foundation
import HoldoutCore
import HoldoutStats
import HoldoutStore
import Hummingbird
import Metrics
import NIOCore
import Synchronization

/// Seed 001's `/api` endpoints.
struct APIRoutes {
    let store: Store
    /// The connections the long analytical reads run on (results, time series, quality), shared
    /// fairly between tenants and time-limited, so they do not hold up writes or each other.
    let analytics: AnalyticsPool
    /// Assignments from concurrent requests are written together (group commit).
    let writer: AssignmentWriter
    let cache = ExperimentCache()
    /// The most items one batch request may carry.
    static let maximumBatch = 10_000

    func register(on group: RouterGroup<HoldoutRequestContext>) {
        group.post("experiments", use: create)
        group.get("experiments", use: list)
        group.post("experiments/power-analysis", use: power)
        group.get("experiments/:id", use: show)
        group.patch("experiments/:id", use: update)
        group.post("experiments/:id/assign", use: assign)
        group.post("experiments/:id/exposures", use: exposures)
        group.post("experiments/:id/outcomes", use: outcomes)
        group.get("experiments/:id/results", use: results)
        group.get("experiments/:id/time-series", use: timeSeries)
        group.get("experiments/:id/quality", use: quality)
        group.post("experiments/:id/auto-assign", use: autoAssign)
        group.post("touchpoints", use: touchpoints)
        group.get("reports/nightly/latest", use: latestNightly)
    }

    // MARK: Experiments

    struct CreateBody: Decodable {
        var key: String?
        var name: String
        var channel: String?
        var start_at: String?
        var end_at: String?
        var conversion_key: String?
        /// Decoded as a number and checked to be whole here, so `1.5` is refused naming the field
        /// (JSONDecoder reports it without a coding path).
        var conversion_window_days: Double?
        var variants: [Variant]?
        var treatment_rate: Double?
        var salt: String?
        var notes: String?
        static let fields: Set<String> = [
            "key", "name", "channel", "start_at", "end_at", "conversion_key", "conversion_window_days", "variants", "treatment_rate", "salt", "notes",
        ]
    }

    @Sendable func create(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.write)
        var request = request
        let data = try await request.bodyData(context: context)
        try request.rejectUnknownKeys(data, allowed: CreateBody.fields)
        let body = try decode(CreateBody.self, from: data)
        var variants = body.variants ?? [Variant(name: "control", weight: 0.5), Variant(name: "treatment", weight: 0.5)]
        if let rate = body.treatment_rate {
            guard body.variants == nil else { throw APIError.badRequest("give variants or treatment_rate, not both", field: "treatment_rate") }
            // Both weights must be in (0, 1): 1e-320 leaves control a weight of exactly 1.
            guard rate.isFinite, rate > 0, rate < 1, 1 - rate < 1 else {
                throw APIError.badRequest("treatment_rate must be in (0, 1) with 1 − treatment_rate < 1, got \(rate)", field: "treatment_rate")
            }
            variants = [Variant(name: "control", weight: 1 - rate), Variant(name: "treatment", weight: rate)]
        }
        var window = 7
        if let days = body.conversion_window_days {
            guard days.isFinite, days == days.rounded(), days >= 0, days <= 3650 else {
                throw APIError.badRequest("conversion_window_days must be a whole number of days in 0…3650, got \(days)", field: "conversion_window_days")
            }
            window = Int(days)
        }
        let new = NewExperiment(
            key: body.key, name: body.name, channel: body.channel, startAt: try timestamp(body.start_at, field: "start_at"),
            endAt: try timestamp(body.end_at, field: "end_at"), conversionKey: body.conversion_key,
            conversionWindowDays: window, variants: variants, salt: body.salt ?? "", notes: body.notes,
            tenant: principal.tenant)
        let experiment = try await store.createExperiment(new)
        return try json(experiment, status: .created)
    }

    @Sendable func list(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.read)
        var status: ExperimentStatus?
        if let text = request.uri.queryParameters.get("status") {
            guard let parsed = ExperimentStatus(rawValue: text) else {
                throw APIError.badRequest(
                    "status '\(text)' is not one of \(ExperimentStatus.allCases.map(\.rawValue).joined(separator: ", "))", field: "status")
            }
            status = parsed
        }
        return try json(try await store.experiments(status: status, tenant: principal.tenant))
    }

    @Sendable func show(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.read)
        return try json(try await experiment(context, tenant: principal.tenant))
    }

    struct UpdateBody: Decodable {
        var status: String?
        var name: String?
        var notes: String?
        var end_at: String?
        static let fields: Set<String> = ["status", "name", "notes", "end_at"]
    }

    @Sendable func update(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.write)
        var experiment = try await experiment(context, tenant: principal.tenant)
        var request = request
        let data = try await request.bodyData(context: context)
        try request.rejectUnknownKeys(data, allowed: UpdateBody.fields)
        let body = try decode(UpdateBody.self, from: data)
        // Everything is checked before anything is written, so a refused PATCH changes nothing.
        let endAt = try timestamp(body.end_at, field: "end_at")
        if let endAt, let start = experiment.startAt, endAt < start {
            throw APIError.badRequest("end_at (\(endAt)) is before start_at (\(start))", field: "end_at")
        }
        if let name = body.name, name.trimmingCharacters(in: .whitespaces).isEmpty {
            throw APIError.badRequest("name must not be empty", field: "name")
        }
        var next: ExperimentStatus?
        if let text = body.status {
            guard let parsed = ExperimentStatus(rawValue: text) else {
                throw APIError.badRequest(
                    "status '\(text)' is not one of \(ExperimentStatus.allCases.map(\.rawValue).joined(separator: ", "))", field: "status")
            }
            next = parsed
        }
        defer { cache.removeAll() }
        if let next, next != experiment.status {
            experiment = try await store.setStatus(key: experiment.key, to: next, tenant: principal.tenant)
        }
        try await store.updateExperiment(id: experiment.id, name: body.name, notes: body.notes, endAt: endAt)
        return try json(try await store.experiment(id: experiment.id, tenant: principal.tenant))
    }

    // MARK: Assignment

    struct AssignBody: Decodable {
        var profile_ids: [String]
        var treatment_rate: Double?
    }

    @Sendable func assign(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.write)
        let experiment = try await experiment(context, tenant: principal.tenant)
        var request = request
        let body = try decode(AssignBody.self, from: try await request.bodyData(context: context))
        guard body.profile_ids.count <= Self.maximumBatch else {
            throw APIError.badRequest("at most \(Self.maximumBatch) profile_ids per call, got \(body.profile_ids.count)", field: "profile_ids")
        }
        defer { dropCachedIfRateChanges(experiment, body.treatment_rate) }
        let result = try await AssignmentService.assign(
            profileIDs: body.profile_ids, experiment: experiment, store: store, treatmentRate: body.treatment_rate, writer: writer)
        return try json(result)
    }

    /// Cached experiments are dropped when a call may have fixed another treatment rate.
    func dropCachedIfRateChanges(_ experiment: Experiment, _ rate: Double?) {
        guard let rate, experiment.variants.count == 2, abs(experiment.variants[1].weight - rate) > 1e-12 else { return }
        cache.removeAll()
    }

    struct AutoAssignBody: Decodable {
        var channel: String
        var start_date: String
        var end_date: String
        var treatment_rate: Double?
    }

    /// Seed 001's auto-assign, for post-hoc analysis: the tenant's profiles with a touchpoint in
    /// the channel within [start_date, end_date] (a date alone as end_date includes that whole
    /// day) are assigned deterministically, each entering the experiment at its first touchpoint
    /// in the window, so outcomes after it count under the experiment's conversion window.
    @Sendable func autoAssign(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.write)
        var experiment = try await experiment(context, tenant: principal.tenant)
        var request = request
        let body = try decode(AutoAssignBody.self, from: try await request.bodyData(context: context))
        guard !body.channel.isEmpty, body.channel.utf8.count <= 256 else {
            throw APIError.badRequest("channel must be 1–256 bytes", field: "channel")
        }
        guard let from = try timestamp(body.start_date, field: "start_date"), var to = try timestamp(body.end_date, field: "end_date") else {
            throw APIError.badRequest("start_date and end_date are required", field: "start_date")
        }
        if body.end_date.utf8.count == 10 { to = Timestamp(microseconds: to.microseconds + Timestamp.microsecondsPerDay - 1) }
        guard from <= to else { throw APIError.badRequest("end_date is before start_date", field: "end_date") }
        defer { dropCachedIfRateChanges(experiment, body.treatment_rate) }
        let profiles = try await store.touchpointProfiles(tenant: principal.tenant, channel: body.channel, from: from, to: to)
        var total = AssignmentService.Result(assigned: 0, newlyAssigned: 0, counts: Dictionary(experiment.variants.map { ($0.name, 0) }, uniquingKeysWith: +))
        var start = 0
        while start < profiles.count {
            let chunk = profiles[start..<min(start + Self.maximumBatch, profiles.count)].map { (id: $0.id, at: $0.first) }
            // The first chunk fixes the rate (when given); the rest assign with it.
            let result = try await AssignmentService.assign(
                profiles: chunk, experiment: experiment, store: store, treatmentRate: start == 0 ? body.treatment_rate : nil, writer: writer)
            if start == 0, body.treatment_rate != nil, let fresh = try await store.experiment(id: experiment.id) { experiment = fresh }
            total.merge(result)
            start += Self.maximumBatch
        }
        return try json(total)
    }

    // MARK: Exposures, outcomes, touchpoints

    /// A timestamp as ISO 8601 text or epoch seconds.
    struct TimeValue: Decodable {
        var text: String
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let string = try? c.decode(String.self) {
                text = string
            } else {
                let seconds = try c.decode(Double.self)
                text = JSONScalar.number(seconds).text ?? ""
            }
        }
    }

    struct ExposureItem: Decodable {
        var profile_id: String
        var exposure_ts: TimeValue
        var variant: String?
        var campaign_id: String?
        var message_id: String?
        var event_id: String?
        var fields: [String: String] {
            var out = ["profile_id": profile_id, "exposure_ts": exposure_ts.text]
            out["variant"] = variant
            out["campaign_id"] = campaign_id
            out["message_id"] = message_id
            out["event_id"] = event_id
            return out
        }
    }

    struct OutcomeItem: Decodable {
        var profile_id: String
        var conversion_ts: TimeValue
        var value: Double?
        var event_id: String?
        var fields: [String: String] {
            var out = ["profile_id": profile_id, "conversion_ts": conversion_ts.text]
            out["value"] = value.map { JSONScalar.number($0).text ?? "" }
            out["event_id"] = event_id
            return out
        }
    }

    struct TouchpointItem: Decodable {
        var profile_id: String
        var channel: String
        var ts: TimeValue
        var campaign_id: String?
        var fields: [String: String] {
            var out = ["profile_id": profile_id, "channel": channel, "ts": ts.text]
            out["campaign_id"] = campaign_id
            return out
        }
    }

    /// Typed items (decoding loose dictionaries cost two thirds of the time of a batch).
    struct ExposuresBody: Decodable { var exposures: [ExposureItem] }
    struct OutcomesBody: Decodable { var outcomes: [OutcomeItem] }
    struct TouchpointsBody: Decodable { var touchpoints: [TouchpointItem] }

    func checkBatch(_ count: Int, key: String) throws {
        guard count <= Self.maximumBatch else {
            throw APIError.badRequest("at most \(Self.maximumBatch) \(key) per call, got \(count)", field: key)
        }
    }

    @Sendable func exposures(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.write)
        let experiment = try await experiment(context, tenant: principal.tenant)
        var request = request
        let body = try decode(ExposuresBody.self, from: try await request.bodyData(context: context))
        let recorded = try await ingest(.exposures, body.exposures.map(\.fields), experiment: experiment, tenant: principal.tenant)
        return try json(["recorded": recorded])
    }

    @Sendable func outcomes(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.write)
        let experiment = try await experiment(context, tenant: principal.tenant)
        var request = request
        let body = try decode(OutcomesBody.self, from: try await request.bodyData(context: context))
        return try json(["inserted": try await ingest(.outcomes, body.outcomes.map(\.fields), experiment: experiment, tenant: principal.tenant)])
    }

    @Sendable func touchpoints(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.write)
        var request = request
        let body = try decode(TouchpointsBody.self, from: try await request.bodyData(context: context))
        return try json(["inserted": try await ingest(.touchpoints, body.touchpoints.map(\.fields), experiment: nil, tenant: principal.tenant)])
    }

    /// Checks the batch size, records the items in one transaction and counts them for `/metrics`.
    func ingest(_ kind: ImportKind, _ items: [[String: String]], experiment: Experiment?, tenant: String) async throws -> Int {
        try checkBatch(items.count, key: kind.rawValue)
        return try await store.ingest(kind, items, experiment: experiment, tenant: tenant, field: kind.rawValue, source: "api")
    }

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
                try await ResultsService.segments(experiment: experiment, store: store, mode: mode, segmentBy: dimension, alpha: alphaValue)
            }
            return try json(SegmentedResults(experiment_id: experiment.id, analysis_mode: mode.rawValue, dimension: dimension, segments: segments))
        }
        let alphaValue = alpha
        return try json(
            try await analytics.run(tenant: principal.tenant) { store in
                try await ResultsService.compute(experiment: experiment, store: store, mode: mode, alpha: alphaValue)
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
        var points = try await analytics.run(tenant: principal.tenant) { store in try await store.timeSeries(experiment: experiment) }
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
            let band = try? SequentialTest.compare(
                control: ProportionStatistic(n: point.units[0], conversions: point.conversions[0]),
                treatment: ProportionStatistic(n: point.units[1], conversions: point.conversions[1]))
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

    @Sendable func quality(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.read)
        let experiment = try await experiment(context, tenant: principal.tenant)
        let days = try await analytics.run(tenant: principal.tenant) { store in try await store.dailyQuality(experimentID: experiment.id) }
        return try json(["experiment_id": AnyEncodable(experiment.id), "days": AnyEncodable(days)])
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

    // MARK: Reports

    @Sendable func latestNightly(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.read)
        guard let body = try await store.latestReport(kind: "nightly:\(principal.tenant)") else {
            throw APIError.notFound("no nightly report yet (run `holdout report nightly` or start the server with --nightly-at)")
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    // MARK: Helpers

    /// The experiment named by the `{id}` path segment (its numeric id or its key), within the
    /// caller's tenant: another tenant's experiment is 404, so ids do not leak.
    func experiment(_ context: HoldoutRequestContext, tenant: String) async throws -> Experiment {
        let text = try context.parameters.require("id")
        let cacheKey = tenant + "\u{0}" + text
        if let cached = cache.lookup(cacheKey) { return cached }
        let found = try await store.experiment(idOrKey: text, tenant: tenant)
        cache.store(cacheKey, found)
        return found
    }

    func timestamp(_ text: String?, field: String) throws -> Timestamp? {
        guard let text else { return nil }
        guard let ts = Timestamp(parsing: text) else {
            throw APIError.badRequest("\(field) '\(text)' is not a timestamp (ISO 8601 like 2026-03-01T00:00:00Z)", field: field)
        }
        return ts
    }
}

/// Type-erased encodable, for small mixed objects.
struct AnyEncodable: Encodable {
    let encodeValue: (any Encoder) throws -> Void
    init(_ value: some Encodable) { encodeValue = value.encode(to:) }
    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}

/// Decodes JSON, mapping failures to a 400 naming the field.
func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
    guard !data.isEmpty else { throw APIError.badRequest("the request body is empty; send a JSON object") }
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let error as DecodingError {
        throw APIError.describing(error)
    }
}

/// A JSON response.
func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = try encoder.encode(value)
    var headers = HTTPFields()
    headers[.contentType] = "application/json; charset=utf-8"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

extension Request {
    /// The body, up to the context's limit (413 beyond).
    mutating func bodyData(context: HoldoutRequestContext) async throws -> Data {
        let buffer = try await collectBody(upTo: context.maxUploadSize)
        return Data(buffer.readableBytesView)
    }
}

/// Experiments looked up by path (tenant and id or key), for 1 s: the assignment hot path then
/// needs one database round trip. Changes made through this server clear it at once; changes
/// made by another process (the CLI) are seen within 1 s.
typealias ExperimentCache = TTLCache<Experiment>

extension TTLCache where Value == Experiment {
    convenience init() { self.init(ttl: 1) }
}

extension Store {
    /// The experiment named by a numeric id or a key, within a tenant; 404 otherwise (another
    /// tenant's experiment included, so ids do not leak).
    func experiment(idOrKey text: String, tenant: String) async throws -> Experiment {
        if let id = Int64(text), let found = try await experiment(id: id, tenant: tenant) { return found }
        if let found = try await experiment(key: text, tenant: tenant) { return found }
        throw APIError.notFound("no experiment '\(text)'")
    }

    /// Records posted items and counts them in `holdout_ingested_total{kind, source}`.
    func ingest(_ kind: ImportKind, _ items: [[String: String]], experiment: Experiment?, tenant: String, field: String, source: String) async throws -> Int {
        let inserted = try await record(kind: kind, experiment: experiment, items: items, field: field, tenant: tenant)
        Counter(label: "holdout_ingested_total", dimensions: [("kind", kind.rawValue), ("source", source)]).increment(by: inserted)
        return inserted
    }
}
