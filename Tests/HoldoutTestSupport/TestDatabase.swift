public import Foundation
public import HoldoutModel
public import HoldoutStore
public import Testing

/// Shared by the store, server and CLI test suites.
///
/// A fresh database per test, on every engine under test.
///
/// SQLite always; PostgreSQL when `HOLDOUT_TEST_POSTGRES_URL` is set (e.g.
/// `postgres://postgres@127.0.0.1:5433/postgres`), each test in a database of its own that is
/// dropped afterwards. When the URL is set and the server cannot be reached, the tests fail.
public enum Engine: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    public var testDescription: String { rawValue }

    /// The engines this run covers.
    public static var underTest: [Engine] {
        ProcessInfo.processInfo.environment["HOLDOUT_TEST_POSTGRES_URL"] == nil ? [.sqlite] : [.sqlite, .postgres]
    }
}

public enum TestDatabase {
    public static var postgresURL: String? { ProcessInfo.processInfo.environment["HOLDOUT_TEST_POSTGRES_URL"] }

    public static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("holdout-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// A location for a fresh, empty database and a clean-up closure.
    public static func freshLocation(_ engine: Engine) async throws -> (StoreLocation, @Sendable () async -> Void) {
        switch engine {
        case .sqlite:
            let directory = try temporaryDirectory()
            return (.sqlite(path: directory.appendingPathComponent("test.sqlite").path), { try? FileManager.default.removeItem(at: directory) })
        case .postgres:
            let base = try #require(postgresURL, "HOLDOUT_TEST_POSTGRES_URL is not set")
            let name = "holdout_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
            try await Store.executeOnServer(url: base, "CREATE DATABASE \(name)")
            var components = try #require(URLComponents(string: base))
            components.path = "/" + name
            let url = try #require(components.string)
            return (.postgres(url: url), { try? await Store.executeOnServer(url: base, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") })
        }
    }

    /// Opens `location`, runs `body` and closes the store, also when `body` throws.
    public static func using<T>(_ location: StoreLocation, schema: Store.SchemaPolicy = .automatic, _ body: (Store) async throws -> T) async throws -> T {
        let store = try await Store.open(location, schema: schema)
        do {
            let value = try await body(store)
            try await store.close()
            return value
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// Runs `body` with a migrated store on a fresh database, closing and removing it afterwards.
    public static func withStore(
        _ engine: Engine, clock: @escaping @Sendable () -> Timestamp = { .now }, _ body: (Store) async throws -> Void
    ) async throws {
        let (location, cleanUp) = try await freshLocation(engine)
        let store = try await Store.open(location, schema: .migrate, clock: clock)
        do {
            try await body(store)
        } catch {
            try? await store.close()
            await cleanUp()
            throw error
        }
        try await store.close()
        await cleanUp()
    }
}

/// Microseconds of an ISO 8601 time, for fixtures.
public func ts(_ text: String) -> Timestamp {
    guard let t = Timestamp(parsing: text) else { fatalError("bad fixture timestamp \(text)") }
    return t
}
