public import HoldoutModel
import Foundation
import SQLKit

extension Store {
    // MARK: Webhook secrets

    /// Sets (or replaces) a tenant's webhook secret.
    public func setWebhookSecret(tenant: String, secret: String) async throws(StoreError) {
        let upsert = dialect.updateConflicts(on: ["tenant"], set: ["secret", "created_at"])
        do {
            try await withConnection { sql in
                try await sql.raw(
                    "INSERT INTO webhook_secrets (tenant, secret, created_at) VALUES (\(bind: tenant), \(bind: secret), \(bind: Timestamp.now.microseconds)) \(unsafeRaw: upsert)"
                ).run()
            }
        } catch {
            throw StoreError(.database, "cannot store the webhook secret: \(Store.describe(error))")
        }
    }

    /// A tenant's webhook secret.
    public func webhookSecret(tenant: String) async throws(StoreError) -> String? {
        do {
            return try await withConnection { sql in
                try await sql.raw("SELECT secret FROM webhook_secrets WHERE tenant = \(bind: tenant)").first()?.decode(column: "secret", as: String.self)
            }
        } catch {
            throw StoreError(.database, "cannot read the webhook secret: \(Store.describe(error))")
        }
    }
}
