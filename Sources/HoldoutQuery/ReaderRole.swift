import Foundation
import HoldoutModel
import HoldoutSQLGuard
public import HoldoutStore
import PostgresKit
import SQLKit

/// PostgreSQL reader login roles: the second wall's identity for one tenant.
///
/// A reader role may log in, SELECT the semantic views and nothing else: no table, no sequence,
/// no role or database creation, no row-security bypass. Migration 8's views show the tenant
/// that `ai_query_roles` maps the role to (`current_user`, which a role cannot change without
/// membership in another role), so each tenant gets a role of its own. Roles are cluster-wide:
/// they are made by ``create(on:tenant:role:password:)`` (`holdout sql reader`), not by a
/// migration, and one role name serves one tenant in one database.
///
/// Role settings cap what a client that is not the runner could do with the role:
/// `default_transaction_read_only`, `statement_timeout` 30 s, `search_path` `public`.
public enum ReaderRole {
    /// `holdout_reader_<tenant>` when the tenant is lower-case letters, digits and `_` (up to
    /// 48), nil otherwise (then a name must be given).
    public static func defaultName(tenant: String) -> String? {
        valid(name: "holdout_reader_" + tenant) ? "holdout_reader_" + tenant : nil
    }

    /// Lower-case ASCII letters, digits and `_`, starting with a letter, at most 63 bytes (the
    /// name is written into SQL unquoted-safe).
    public static func valid(name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count), let first = bytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return bytes.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_")
        }
    }

    /// A password usable in a URL as is: 12–128 of `A–Z a–z 0–9 . _ ~ -`.
    public static func valid(password: String) -> Bool {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-".utf8)
        return (12...128).contains(password.utf8.count) && password.utf8.allSatisfy(allowed.contains)
    }

    /// 32 random hexadecimal digits.
    public static func generatedPassword() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Creates the role (or updates its password and rights), grants it SELECT on the semantic
    /// views only and maps it to `tenant`.
    ///
    /// - Returns: the URL the runner logs in with (`HOLDOUT_SQL_READER_URL`): the store's URL
    ///   with the role and password.
    /// - Throws: ``GuardedQueryError`` `invalidInput` on SQLite, for a bad name or password, or
    ///   `failed` when the server refuses (the store's user needs CREATEROLE).
    public static func create(on store: Store, tenant: String, role: String, password: String) async throws(GuardedQueryError) -> String {
        guard case .postgres(let url) = store.location else {
            throw GuardedQueryError(
                .invalidInput, "reader roles are PostgreSQL's: on SQLite the runner opens the file read-only and fixes the tenant itself")
        }
        guard valid(name: role) else {
            throw GuardedQueryError(.invalidInput, "role: \"\(role)\" must be 1–63 lower-case letters, digits or _, starting with a letter")
        }
        guard valid(password: password) else {
            throw GuardedQueryError(.invalidInput, "password: must be 12–128 characters of A–Z a–z 0–9 . _ ~ -")
        }
        guard !tenant.isEmpty, tenant.utf8.count <= 200 else { throw GuardedQueryError(.invalidInput, "tenant: must be 1–200 bytes") }
        let views = SQLGuard.holdoutAssets.sorted().joined(separator: ", ")
        let now = store.now.microseconds
        do {
            try await store.transaction { sql in
                let exists = try await sql.raw("SELECT 1 AS found FROM pg_roles WHERE rolname = \(bind: role)").first() != nil
                let attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 50 PASSWORD '\(password)'"
                // The name and password are checked above: no quote or other SQL can be in them.
                let statements = [
                    exists ? "ALTER ROLE \(role) WITH \(attributes)" : "CREATE ROLE \(role) \(attributes)",
                    "ALTER ROLE \(role) SET default_transaction_read_only = on",
                    "ALTER ROLE \(role) SET statement_timeout = '30s'",
                    "ALTER ROLE \(role) SET search_path = public",
                    "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM \(role)",
                    "REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM \(role)",
                    "GRANT USAGE ON SCHEMA public TO \(role)",
                    "GRANT SELECT ON \(views) TO \(role)",
                ]
                for statement in statements { try await sql.raw(SQLQueryString(statement)).run() }
                try await sql.raw(
                    """
                    INSERT INTO ai_query_roles (role_name, tenant, created_at) VALUES (\(bind: role), \(bind: tenant), \(bind: now))
                    ON CONFLICT (role_name) DO UPDATE SET tenant = excluded.tenant
                    """
                ).run()
            }
        } catch {
            throw GuardedQueryError(.failed, "cannot create the reader role \(role): \(PostgresWall.describe(error))")
        }
        guard var components = URLComponents(string: url) else { throw GuardedQueryError(.invalidInput, "the store's URL cannot be parsed") }
        components.user = role
        components.password = password
        return components.string ?? url
    }
}
