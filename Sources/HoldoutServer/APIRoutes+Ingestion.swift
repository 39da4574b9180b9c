import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutStats
import HoldoutStore
import Hummingbird
import Metrics
import NIOCore
import Synchronization

/// Exposures, outcomes and touchpoints posted in batches.
extension APIRoutes {
    // MARK: Exposures, outcomes, touchpoints

    /// A timestamp as ISO 8601 text or epoch seconds (a JSON number), kept as given for the
    /// row validation.
    struct TimeValue: Decodable {
        var value: FieldValue
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let string = try? c.decode(String.self) {
                value = .text(string)
            } else {
                value = .number(try c.decode(Double.self))
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
        var record: ImportRecord {
            .exposure(
                profileID: profile_id, at: exposure_ts.value, variant: variant, campaignID: campaign_id, messageID: message_id, eventID: event_id)
        }
    }

    struct OutcomeItem: Decodable {
        var profile_id: String
        var conversion_ts: TimeValue
        var value: Double?
        var event_id: String?
        var record: ImportRecord { .outcome(profileID: profile_id, at: conversion_ts.value, value: value, eventID: event_id) }
    }

    struct TouchpointItem: Decodable {
        var profile_id: String
        var channel: String
        var ts: TimeValue
        var campaign_id: String?
        var record: ImportRecord { .touchpoint(profileID: profile_id, channel: channel, at: ts.value, campaignID: campaign_id) }
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
        let recorded = try await ingest(.exposures, body.exposures.map(\.record), experiment: experiment, tenant: principal.tenant)
        return try json(["recorded": recorded])
    }

    @Sendable func outcomes(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.write)
        let experiment = try await experiment(context, tenant: principal.tenant)
        var request = request
        let body = try decode(OutcomesBody.self, from: try await request.bodyData(context: context))
        return try json(["inserted": try await ingest(.outcomes, body.outcomes.map(\.record), experiment: experiment, tenant: principal.tenant)])
    }

    @Sendable func touchpoints(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.write)
        var request = request
        let body = try decode(TouchpointsBody.self, from: try await request.bodyData(context: context))
        return try json(["inserted": try await ingest(.touchpoints, body.touchpoints.map(\.record), experiment: nil, tenant: principal.tenant)])
    }

    /// Checks the batch size, records the items in one transaction and counts them for `/metrics`.
    func ingest(_ kind: ImportKind, _ items: [ImportRecord], experiment: Experiment?, tenant: String) async throws -> Int {
        try checkBatch(items.count, key: kind.rawValue)
        return try await store.ingest(kind, items, experiment: experiment, tenant: tenant, field: kind.rawValue, source: "api")
    }
}
