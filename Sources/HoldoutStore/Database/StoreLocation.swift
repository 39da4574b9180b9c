import Foundation
public import HoldoutModel

/// Where the data lives: an embedded SQLite file (the default) or a PostgreSQL server.
///
/// Parsed from `--database` or `HOLDOUT_DATABASE_URL`: `postgres://user[:password]@host[:port]/db`
/// (or `postgresql://`) selects PostgreSQL; anything else is a SQLite file path, optionally
/// written `sqlite:PATH` or `sqlite://PATH`.
public enum StoreLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    /// The default embedded database, `./holdout.sqlite`.
    public static let defaultPath = "holdout.sqlite"

    /// Parses a `--database` value; `nil` means the environment or the default.
    public init(_ value: String?, environment: [String: String]? = nil) throws(StoreError) {
        let environment = environment ?? ProcessInfo.processInfo.environment
        let raw = value ?? environment["HOLDOUT_DATABASE_URL"] ?? Self.defaultPath
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw StoreError(.invalidInput, "--database is empty: give a SQLite path or a postgres:// URL", field: "database")
        }
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            self = .postgres(url: trimmed)
        } else if trimmed.hasPrefix("sqlite://") {
            self = .sqlite(path: String(trimmed.dropFirst("sqlite://".count)))
        } else if trimmed.hasPrefix("sqlite:") {
            self = .sqlite(path: String(trimmed.dropFirst("sqlite:".count)))
        } else if trimmed.contains("://") {
            throw StoreError(
                .invalidInput, "unsupported database URL '\(trimmed)': use postgres://… or a SQLite file path", field: "database")
        } else {
            self = .sqlite(path: trimmed)
        }
    }

    /// The location with any password hidden.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let url):
            guard var components = URLComponents(string: url) else { return "postgres://…" }
            if components.password != nil { components.password = "***" }
            return components.string ?? "postgres://…"
        }
    }
}
