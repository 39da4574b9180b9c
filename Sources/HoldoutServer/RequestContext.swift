public import HoldoutModel
public import Hummingbird

/// Who is calling: the tenant and scope of the API key presented.
public struct Principal: Sendable, Hashable {
    public typealias Scope = KeyScope

    public var tenant: String
    public var scope: Scope
}

/// The request context: Hummingbird's core storage plus the authenticated principal.
public struct HoldoutRequestContext: RequestContext {
    /// The largest request body accepted (a batch of 10,000 items fits comfortably).
    public static let maximumBody = 8 << 20

    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    public var maxUploadSize: Int { Self.maximumBody }

    /// The principal, or 401.
    func require(_ scope: Principal.Scope) throws -> Principal {
        guard let principal else { throw APIError(.unauthorized, code: "unauthorized", "send an API key as Authorization: Bearer <key>") }
        guard principal.scope >= scope else {
            throw APIError(.forbidden, code: "forbidden", "this key has scope \(principal.scope.rawValue); the call needs \(scope.rawValue)")
        }
        return principal
    }
}
