import Crypto
public import Foundation
import HTTPTypes
import HoldoutModel
import HoldoutStore
import Hummingbird

/// Seed 001's webhooks, authenticated by an HMAC-SHA256 signature over the raw body with the
/// tenant's secret (`holdout webhooks set-secret`).
///
/// Headers: `X-Holdout-Tenant: <tenant>` and
/// `X-Holdout-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. A signature
/// older or newer than ``tolerance`` is refused, so a captured request cannot be replayed later.
struct WebhookRoutes {
    let store: Store
    static let tolerance: TimeInterval = 300
    var now: @Sendable () -> Date = { Date() }

    func register(on group: RouterGroup<HoldoutRequestContext>) {
        group.post("message-sent", use: messageSent)
        group.post("conversion", use: conversion)
    }

    /// The largest webhook body accepted: one event (a batch belongs on the API).
    static let maximumBody = 64 << 10

    /// Verifies the request and returns the tenant and the raw body.
    ///
    /// The headers are checked before the body is read, and the body is read only up to
    /// ``maximumBody``, so a client without a valid tenant, timestamp and signature header
    /// cannot make the server hold more than that per connection. An unknown tenant is answered
    /// exactly as a bad signature (after the same work), so a caller cannot learn which tenants
    /// exist.
    func verify(_ request: inout Request, context: HoldoutRequestContext) async throws -> (tenant: String, body: Data) {
        guard let tenant = request.headers[HTTPField.Name("X-Holdout-Tenant")!], !tenant.isEmpty, tenant.utf8.count <= 64 else {
            throw APIError(.unauthorized, code: "unauthorized", "send the tenant (1–64 bytes) in X-Holdout-Tenant", field: "X-Holdout-Tenant")
        }
        guard let header = request.headers[HTTPField.Name("X-Holdout-Signature")!] else {
            throw APIError(
                .unauthorized, code: "unauthorized", "send X-Holdout-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">",
                field: "X-Holdout-Signature")
        }
        var timestamp: Int?
        var signature: String?
        for part in header.split(separator: ",") {
            let pair: [String] = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: CharacterSet.whitespaces) }
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int(pair[1]) }
            if pair[0] == "v1" { signature = pair[1].lowercased() }
        }
        guard let timestamp, let signature, signature.utf8.count == 64, signature.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else {
            throw APIError(.unauthorized, code: "unauthorized", "X-Holdout-Signature must be t=<unix seconds>,v1=<64 hex digits>", field: "X-Holdout-Signature")
        }
        guard abs(now().timeIntervalSince1970 - Double(timestamp)) <= Self.tolerance else {
            throw APIError(
                .unauthorized, code: "stale_signature",
                "the signature timestamp is more than \(Int(Self.tolerance)) s from the server's clock (replay protection)",
                field: "X-Holdout-Signature")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > Self.maximumBody {
            throw APIError(.contentTooLarge, code: "body_too_large", "a webhook body is at most \(Self.maximumBody >> 10) KiB (one event)", field: "body")
        }
        let secret = try await store.webhookSecret(tenant: tenant)
        let body: Data
        do {
            body = Data(try await request.collectBody(upTo: Self.maximumBody).readableBytesView)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, code: "body_too_large", "a webhook body is at most \(Self.maximumBody >> 10) KiB (one event)", field: "body")
        }
        // Without a secret the comparison runs against a random one and fails like a bad signature.
        let key = secret ?? APIKeys.generate()
        let expected = WebhookSigning.signature(body: body, secret: key, timestamp: timestamp)
        // Constant-time comparison of the hex digests.
        let given = Array("t=\(timestamp),v1=\(signature)".utf8)
        let wanted = Array(expected.utf8)
        var difference: UInt8 = given.count == wanted.count && secret != nil ? 0 : 1
        for (a, b) in zip(given, wanted) { difference |= a ^ b }
        guard difference == 0 else {
            throw APIError(
                .unauthorized, code: "bad_signature", "the signature does not match the body (or the tenant has no webhook secret)",
                field: "X-Holdout-Signature")
        }
        return (tenant, body)
    }

    struct Body: Decodable {
        var experiment_id: ExperimentReference
        var profile_id: String
        var sent_at: String?
        var converted_at: String?
        var campaign_id: String?
        var message_id: String?
        var value: Double?
        var event_id: String?
    }

    func experiment(_ id: ExperimentReference, tenant: String) async throws -> Experiment {
        try await store.experiment(idOrKey: id.text, tenant: tenant)
    }

    @Sendable func messageSent(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        var request = request
        let (tenant, data) = try await verify(&request, context: context)
        let body = try decode(Body.self, from: data)
        guard let sent = body.sent_at else { throw APIError.badRequest("sent_at is required", field: "sent_at") }
        let experiment = try await experiment(body.experiment_id, tenant: tenant)
        let item = ImportRecord.exposure(
            profileID: body.profile_id, at: .text(sent), campaignID: body.campaign_id, messageID: body.message_id,
            eventID: body.event_id ?? body.message_id.map { "msg:\($0)" })
        try await ingest(.exposures, item, experiment: experiment, tenant: tenant, names: ["exposure_ts": "sent_at"])
        return try json(["status": "ok"])
    }

    @Sendable func conversion(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        var request = request
        let (tenant, data) = try await verify(&request, context: context)
        let body = try decode(Body.self, from: data)
        guard let converted = body.converted_at else { throw APIError.badRequest("converted_at is required", field: "converted_at") }
        let experiment = try await experiment(body.experiment_id, tenant: tenant)
        let item = ImportRecord.outcome(profileID: body.profile_id, at: .text(converted), value: body.value, eventID: body.event_id)
        try await ingest(.outcomes, item, experiment: experiment, tenant: tenant, names: ["conversion_ts": "converted_at"])
        return try json(["status": "ok"])
    }
}

extension WebhookRoutes {
    /// Records one webhook event; an invalid field is named as the webhook body names it
    /// (`sent_at`, not the import column `exposure_ts`).
    func ingest(_ kind: ImportKind, _ item: ImportRecord, experiment: Experiment, tenant: String, names: [String: String]) async throws {
        do {
            _ = try await store.ingest(kind, [item], experiment: experiment, tenant: tenant, field: "body", source: "webhook")
        } catch let error as StoreError where error.code == .invalidInput {
            let column = error.field.flatMap { $0.split(separator: ".", maxSplits: 1).dropFirst().first.map(String.init) }
            let field = column.map { names[$0] ?? $0 }
            var message = error.message
            if let original = error.field, let field { message = message.replacingOccurrences(of: original, with: field) }
            throw APIError.badRequest(message, field: field)
        }
    }
}

/// How a sender signs a webhook request.
public enum WebhookSigning {
    /// The `X-Holdout-Signature` header for a body: `t=<timestamp>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
    public static func signature(body: Data, secret: String, timestamp: Int) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(timestamp),v1=" + APIKeys.hex(mac)
    }
}
