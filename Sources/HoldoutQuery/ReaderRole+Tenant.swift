import Foundation
public import HoldoutStore
import SQLKit

extension ReaderRole {
    /// The tenant whose views the reader role of `url` sees (`ai_query_roles`, read on the
    /// store's own connection), nil when the role is not mapped.
    ///
    /// A server that answers several tenants with one configured reader URL checks this before it
    /// runs a tenant's query: the role, not the caller, decides which tenant's rows the views show.
    ///
    /// - Throws: ``GuardedQueryError`` `invalidInput` when the URL names no valid role, `unavailable`
    ///   when the mapping cannot be read.
    public static func tenant(ofReaderURL url: String, on store: Store) async throws(GuardedQueryError) -> String? {
        guard let role = URLComponents(string: url)?.user, valid(name: role) else {
            throw GuardedQueryError(.invalidInput, "the reader URL names no reader role (a user made by `holdout sql reader`)")
        }
        do {
            return try await store.withConnection { sql in
                try await sql.raw("SELECT tenant FROM ai_query_roles WHERE role_name = \(bind: role)").first()?.decode(column: "tenant", as: String.self)
            }
        } catch {
            throw GuardedQueryError(.unavailable, "cannot read the reader roles' tenants: \(PostgresWall.describe(error))")
        }
    }
}
