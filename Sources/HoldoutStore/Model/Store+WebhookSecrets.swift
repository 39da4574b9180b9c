import Foundation
public import HoldoutModel
import SQLKit

extension Store {
    // MARK: Webhook secrets

    /// Sets (or replaces) a tenant's webhook secret.
    public func setWebhookSecret(tenant: String, secret: String) async throws(StoreError) {
        let upsert = dialect.updateConflicts(on: ["tenant"], set: ["secret", "created_at"])
        try await failing("store the webhook secret") {
            try await withConnection { sql in
                try await sql.raw(
                    "INSERT INTO webhook_secrets (tenant, secret, created_at) VALUES (\(bind: tenant), \(bind: secret), \(bind: self.now.microseconds)) \(unsafeRaw: upsert)"
                ).run()
            }
        }
    }

    /// A tenant's webhook secret.
    public func webhookSecret(tenant: String) async throws(StoreError) -> String? {
        return try await failing("read the webhook secret") {
            try await withConnection { sql in
                try await sql.raw("SELECT secret FROM webhook_secrets WHERE tenant = \(bind: tenant)").first()?.decode(column: "secret", as: String.self)
            }
        }
    }
}
