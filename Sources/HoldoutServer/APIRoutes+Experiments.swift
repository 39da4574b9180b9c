import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutStats
import HoldoutStore
import Hummingbird
import Metrics
import NIOCore
import Synchronization

/// Experiments: create, list, show, update (seed 001).
extension APIRoutes {
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
}
