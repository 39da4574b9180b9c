import Foundation
public import HoldoutModel
import SQLKit

/// An API key as listed (never the key itself: only its hash is stored).
public struct APIKeyRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var tenant: String
    /// Unknown text in the database reads as `read`, the least the key could do.
    public var scope: KeyScope
    /// The first characters of the key, to recognise it in a list.
    public var prefix: String
    public var createdAt: Timestamp
    public var revokedAt: Timestamp?

    enum CodingKeys: String, CodingKey {
        case id, tenant, scope, prefix
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
    }
}

extension Store {
    // MARK: API keys

    /// Stores a key's hash; returns its id.
    public func createAPIKey(tenant: String, scope: KeyScope, keyHash: String, prefix: String) async throws(StoreError) -> Int64 {
        let returning = dialect.returning(["id"])
        return try await failing("store the key") {
            try await withConnection { sql in
                let row = try await sql.raw(
                    "INSERT INTO api_keys (tenant, scope, key_hash, prefix, created_at) VALUES (\(bind: tenant), \(bind: scope.rawValue), \(bind: keyHash), \(bind: prefix), \(bind: self.now.microseconds)) \(unsafeRaw: returning)"
                ).first()
                return try row?.decode(column: "id", as: Int64.self) ?? 0
            }
        }
    }

    /// The live (not revoked) key with this hash.
    public func apiKey(hash: String) async throws(StoreError) -> APIKeyRecord? {
        try await apiKeys(condition: "key_hash = ", bind: hash, includeRevoked: false).first
    }

    /// Keys, newest first, optionally of one tenant.
    public func apiKeys(tenant: String? = nil) async throws(StoreError) -> [APIKeyRecord] {
        try await apiKeys(condition: tenant == nil ? nil : "tenant = ", bind: tenant, includeRevoked: true)
    }

    private func apiKeys(condition: String?, bind: String?, includeRevoked: Bool) async throws(StoreError) -> [APIKeyRecord] {
        return try await failing("read keys") {
            try await withConnection { sql in
                var query = SQLQueryString("SELECT id, tenant, scope, prefix, created_at, revoked_at FROM api_keys WHERE 1 = 1")
                if let condition, let bind {
                    query.appendLiteral(" AND " + condition)
                    query.appendInterpolation(bind: bind)
                }
                if !includeRevoked { query.appendLiteral(" AND revoked_at IS NULL") }
                query.appendLiteral(" ORDER BY id DESC")
                return try await sql.raw(query).all().map { row in
                    APIKeyRecord(
                        id: try row.decode(column: "id", as: Int64.self), tenant: try row.decode(column: "tenant", as: String.self),
                        scope: KeyScope(rawValue: try row.decode(column: "scope", as: String.self)) ?? .read,
                        prefix: try row.decode(column: "prefix", as: String.self),
                        createdAt: Timestamp(microseconds: try row.decode(column: "created_at", as: Int64.self)),
                        revokedAt: try row.decode(column: "revoked_at", as: Int64?.self).map(Timestamp.init(microseconds:)))
                }
            }
        }
    }

    /// Revokes a key by id; false when no live key has that id.
    public func revokeAPIKey(id: Int64) async throws(StoreError) -> Bool {
        let returning = dialect.returning(["id"])
        return try await failing("revoke key \(id)") {
            try await withConnection { sql in
                try await sql.raw(
                    "UPDATE api_keys SET revoked_at = \(bind: self.now.microseconds) WHERE id = \(bind: id) AND revoked_at IS NULL \(unsafeRaw: returning)"
                ).all().count == 1
            }
        }
    }
}
