public import HoldoutModel
import Crypto
import Foundation
public import Hummingbird
public import HoldoutStore
import Logging
import NIOCore
import Synchronization

/// Who is calling: the tenant and scope of the API key presented.
public struct Principal: Sendable, Hashable {
    public enum Scope: String, Sendable, Hashable, Comparable, CaseIterable {
        case read, write, admin
        var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
    }

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

/// API keys: `hk_` and 40 hex characters of randomness; only the SHA-256 is stored.
public enum APIKeys {
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "hk_" + bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Hex SHA-256 (computed on every request, so without `String(format:)`).
    public static func hash(_ key: String) -> String {
        hex(SHA256.hash(data: Array(key.utf8)))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func prefix(_ key: String) -> String { String(key.prefix(10)) }

    /// Creates a key and returns it (the only time it is visible).
    public static func create(tenant: String, scope: Principal.Scope, store: Store) async throws(StoreError) -> (key: String, id: Int64) {
        guard !tenant.isEmpty, tenant.count <= 64 else {
            throw StoreError(.invalidInput, "tenant must be 1–64 characters", field: "tenant")
        }
        let key = generate()
        let id = try await store.createAPIKey(tenant: tenant, scope: scope.rawValue, keyHash: hash(key), prefix: prefix(key))
        return (key, id)
    }
}

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
                Principal.Scope(rawValue: record.scope).map { Principal(tenant: record.tenant, scope: $0) }
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

/// A JSON value that may be a string, a number, a boolean or null (items posted in batches).
enum JSONScalar: Decodable, Sendable {
    case string(String), number(Double), bool(Bool), null

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else {
            throw DecodingError.typeMismatch(String.self, .init(codingPath: decoder.codingPath, debugDescription: "expected a string or a number"))
        }
    }

    /// The value as import text (numbers in their shortest form; timestamps as epoch seconds).
    var text: String? {
        switch self {
        case .string(let s): s
        case .number(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): b ? "true" : "false"
        case .null: nil
        }
    }
}

extension Request {
    /// The body's top-level keys, to refuse unknown fields where a typo would be silently ignored.
    func rejectUnknownKeys(_ data: Data, allowed: Set<String>) throws {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.badRequest("unknown field '\(unknown)' (allowed: \(allowed.sorted().joined(separator: ", ")))", field: unknown)
        }
    }
}

extension APIError {
    static func describing(_ error: DecodingError) -> APIError {
        func path(_ codingPath: [any CodingKey]) -> String {
            var out = ""
            for key in codingPath {
                if let index = key.intValue { out += "[\(index)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
            }
            return out
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return .badRequest("\(field) is required", field: field)
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return .badRequest("\(field.isEmpty ? "the body" : field) has the wrong type (expected \(Self.typeName(type)))", field: field.isEmpty ? nil : field)
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return .badRequest("\(field) must not be null (expected \(Self.typeName(type)))", field: field)
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return .badRequest(
                field.isEmpty ? "the body is not valid JSON\(underlying.map { ": \($0)" } ?? "")" : "\(field): \(context.debugDescription)",
                field: field.isEmpty ? nil : field)
        @unknown default:
            return .badRequest("the body cannot be decoded: \(error)")
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Double.Type, is Int.Type, is Int64.Type: "a number"
        case is Bool.Type: "true or false"
        default: type is [Any].Type ? "an array" : "\(type)".lowercased().contains("array") ? "an array" : "an object"
        }
    }
}

/// Values remembered for `ttl` seconds, bounded (cleared past 10,000 entries, so unknown keys
/// sent by a client cannot grow it forever).
final class TTLCache<Value: Sendable>: Sendable {
    let ttl: TimeInterval
    private let entries = Mutex<[String: (value: Value, expires: Date)]>([:])

    init(ttl: TimeInterval) { self.ttl = ttl }

    func lookup(_ key: String) -> Value? {
        entries.withLock { entries in
            guard let entry = entries[key], entry.expires > Date() else { return nil }
            return entry.value
        }
    }

    func store(_ key: String, _ value: Value) {
        entries.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }
            entries[key] = (value, Date().addingTimeInterval(ttl))
        }
    }

    func removeAll() { entries.withLock { $0.removeAll() } }
}

/// Recently checked keys (and unknown ones, as nil) for 2 s, so a busy client does not cost a key
/// lookup per request. A revoked key stops working within 2 s.
typealias KeyCache = TTLCache<Principal?>

extension TTLCache where Value == Principal? {
    convenience init() { self.init(ttl: 2) }
}
