import Crypto
import Foundation
public import HoldoutModel
public import HoldoutStore

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
        let id = try await store.createAPIKey(tenant: tenant, scope: scope, keyHash: hash(key), prefix: prefix(key))
        return (key, id)
    }
}
