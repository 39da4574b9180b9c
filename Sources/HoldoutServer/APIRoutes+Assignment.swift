import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutStats
import HoldoutStore
import Hummingbird
import Metrics
import NIOCore
import Synchronization

/// Assignment: assign and auto-assign.
extension APIRoutes {
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
}
