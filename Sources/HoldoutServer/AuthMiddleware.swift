import Foundation
import HoldoutStore
import Hummingbird
import Logging

/// Authenticates `/api` requests by bearer key. A missing or unknown key is 401; the scope is
/// checked by each route.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = HoldoutRequestContext
    let store: Store
    let cache: KeyCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw APIError(.unauthorized, code: "unauthorized", "send an API key as Authorization: Bearer <key> (create one with `holdout keys create`)")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError(.unauthorized, code: "unauthorized", "the Authorization header must be 'Bearer <key>'")
        }
        let hash = APIKeys.hash(String(parts[1]).trimmingCharacters(in: .whitespaces))
        let principal: Principal?
        if let cached = cache.lookup(hash) {
            principal = cached
        } else {
            principal = try await store.apiKey(hash: hash).flatMap { record in
                Principal(tenant: record.tenant, scope: record.scope)
            }
            cache.store(hash, principal)
        }
        guard let principal else {
            throw APIError(.unauthorized, code: "unauthorized", "the API key is unknown or revoked")
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "tenant"] = .string(principal.tenant)
        return try await next(request, context)
    }
}

/// Recently checked keys (and unknown ones, as nil) for 2 s, so a busy client does not cost a key
/// lookup per request. A revoked key stops working within 2 s.
typealias KeyCache = TTLCache<Principal?>

extension TTLCache where Value == Principal? {
    convenience init() { self.init(ttl: 2) }
}
