import ArgumentParser
import Foundation
import HoldoutQuery
import HoldoutStore

/// The options of every command that runs SQL behind the guard (`holdout sql run`, `holdout ask`):
/// whose views, how many rows, how long, and the PostgreSQL reader role.
struct GuardedQueryOptions: ParsableArguments {
    @Option(help: "Whose experiments the views show (SQLite: fixed on the connection; PostgreSQL: the reader role's tenant).")
    var tenant = "default"

    @Option(help: "Rows kept (1–100000); a longer result is cut and marked truncated.")
    var maxRows = 1000

    @Option(help: "The statement's time limit in milliseconds (1–300000).")
    var timeoutMs = 5000

    @Option(help: "PostgreSQL: the reader role's URL (default HOLDOUT_SQL_READER_URL).")
    var readerURL: String?

    func validate() throws {
        guard (1...GuardedQueryRunner.maximumRows).contains(maxRows) else { throw ValidationError("--max-rows must be in 1…\(GuardedQueryRunner.maximumRows)") }
        guard (1...300_000).contains(timeoutMs) else { throw ValidationError("--timeout-ms must be in 1…300000") }
    }

    var timeout: Duration { .milliseconds(timeoutMs) }

    /// The runner on `location`, logging in as `--reader-url` on PostgreSQL when given.
    func runner(_ location: StoreLocation) -> GuardedQueryRunner { Self.runner(location, readerURL: readerURL) }

    /// The runner on `location`; `readerURL`, when given, for every tenant (else `HOLDOUT_SQL_READER_URL`).
    static func runner(_ location: StoreLocation, readerURL: String?) -> GuardedQueryRunner {
        GuardedQueryRunner(location: location, readerURL: readerURL.map { url in { @Sendable _ in url } })
    }

    /// The most bytes a query or question read from standard input may have.
    static let maximumStandardInput = 1 << 20

    /// `argument`, or standard input when it is `-`, read up to ``maximumStandardInput`` bytes
    /// (one more is an error naming `name`, rather than reading without end).
    static func argumentOrStandardInput(_ argument: String, name: String) throws -> String {
        guard argument == "-" else { return argument }
        var data = Data()
        while data.count <= maximumStandardInput, let chunk = try FileHandle.standardInput.read(upToCount: 1 << 16), !chunk.isEmpty {
            data.append(chunk)
        }
        guard data.count <= maximumStandardInput else {
            throw CLIError("the \(name) on standard input is longer than \(maximumStandardInput) bytes")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
