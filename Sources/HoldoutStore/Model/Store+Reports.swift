import Foundation
public import HoldoutModel
import SQLKit

extension Store {
    // MARK: Reports

    /// Stores a report's JSON.
    public func saveReport(kind: String, asOf: Timestamp, body: String) async throws(StoreError) {
        try await failing("store the report") {
            try await withConnection { sql in
                try await sql.raw(
                    "INSERT INTO reports (kind, as_of, created_at, body) VALUES (\(bind: kind), \(bind: asOf.microseconds), \(bind: self.now.microseconds), \(bind: body))"
                ).run()
            }
        }
    }

    /// The latest report of a kind (its JSON).
    public func latestReport(kind: String) async throws(StoreError) -> String? {
        return try await failing("read the report") {
            try await withConnection { sql in
                try await sql.raw("SELECT body FROM reports WHERE kind = \(bind: kind) ORDER BY id DESC LIMIT 1").first()?.decode(
                    column: "body", as: String.self)
            }
        }
    }
}
