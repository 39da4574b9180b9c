import ArgumentParser
import Foundation
import HoldoutSQLGuard

struct SQLGuardBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql-guard",
        abstract: "SQL guard verdicts: one 2 KB analytical query, and the whole committed corpus on both engines.",
        discussion: """
            Targets (issue 14): a verdict for the 2 KB query in under 100 µs; the whole corpus checked in under 20 ms.

            Example:
              swift build -c release
              .build/release/holdout bench sql-guard
            """)

    @Option(help: "The corpus of queries (a JSON array of objects with a query field).")
    var corpus = "Tests/HoldoutSQLGuardTests/Fixtures/corpus.json"

    @Option(help: "The 2 KB query.")
    var query = "Tests/HoldoutSQLGuardTests/Fixtures/analytics_2kb.sql"

    @Option(help: "Verdicts per timed pass of the 2 KB query.")
    var iterations = 20_000

    @Option(help: "Timed passes over the corpus.")
    var passes = 200

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Result: Encodable {
        var query_bytes: Int
        var query_microseconds_sqlite: Double
        var query_microseconds_postgres: Double
        var query_best_microseconds_sqlite: Double
        var query_best_microseconds_postgres: Double
        var query_cpu_microseconds_sqlite: Double
        var query_cpu_microseconds_postgres: Double
        var corpus_entries: Int
        var corpus_checks_per_pass: Int
        var corpus_milliseconds_median: Double
        var corpus_milliseconds_max: Double
        var corpus_allowed_per_pass: Int
    }

    func run() throws {
        let text = try String(contentsOfFile: query, encoding: .utf8)
        guard let entries = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: corpus))) as? [[String: Any]] else {
            throw CLIError("\(corpus) is not a JSON array of objects")
        }
        let queries = entries.compactMap { $0["query"] as? String }
        let guards = SQLDialect.allCases.map { SQLGuard.holdout(dialect: $0) }
        let clock = ContinuousClock()

        /// Wall time per verdict: the median and the best of many batches of 100 verdicts (a
        /// short batch is rarely interrupted when other processes share the cores), and this
        /// thread's CPU time per verdict over all of them (which does not count time the
        /// scheduler gave to other processes).
        func perVerdict(_ sqlGuard: SQLGuard) throws -> (median: Double, best: Double, cpu: Double) {
            guard sqlGuard.check(text).isAllowed else { throw CLIError("the 2 KB query is refused: \(sqlGuard.check(text).reason ?? "")") }
            let batch = 100
            var batches: [Double] = []
            let start = threadCPUSeconds()
            for _ in 0..<max(iterations / batch, 1) {
                var allowed = 0
                let elapsed = clock.measure {
                    for _ in 0..<batch where sqlGuard.check(text).isAllowed { allowed += 1 }
                }
                precondition(allowed == batch)
                batches.append(seconds(elapsed) / Double(batch) * 1e6)
            }
            let cpu = (threadCPUSeconds() - start) / Double(batches.count * batch) * 1e6
            batches.sort()
            return (batches[batches.count / 2], batches[0], cpu)
        }
        let sqlite = try perVerdict(guards[0])
        let postgres = try perVerdict(guards[1])

        var times: [Double] = []
        var allowed = 0
        for _ in 0..<passes {
            var passAllowed = 0
            let elapsed = clock.measure {
                for sqlGuard in guards {
                    for query in queries where sqlGuard.check(query).isAllowed { passAllowed += 1 }
                }
            }
            allowed = passAllowed
            times.append(seconds(elapsed) * 1e3)
        }
        times.sort()
        let result = Result(
            query_bytes: text.utf8.count, query_microseconds_sqlite: sqlite.median, query_microseconds_postgres: postgres.median,
            query_best_microseconds_sqlite: sqlite.best, query_best_microseconds_postgres: postgres.best,
            query_cpu_microseconds_sqlite: sqlite.cpu, query_cpu_microseconds_postgres: postgres.cpu,
            corpus_entries: queries.count, corpus_checks_per_pass: queries.count * guards.count,
            corpus_milliseconds_median: times[times.count / 2], corpus_milliseconds_max: times[times.count - 1], corpus_allowed_per_pass: allowed)
        if json { return try Output.json(result) }
        print(
            String(
                format:
                    "2 KB query (%d bytes), µs per verdict, median / best batch / CPU: SQLite %.1f / %.1f / %.1f, PostgreSQL %.1f / %.1f / %.1f; target < 100",
                text.utf8.count, sqlite.median, sqlite.best, sqlite.cpu, postgres.median, postgres.best, postgres.cpu))
        print(
            String(
                format: "corpus: %d queries × 2 engines = %d verdicts in %.2f ms median, %.2f ms worst of %d passes; target < 20 ms",
                queries.count, queries.count * guards.count, times[times.count / 2], times[times.count - 1], passes))
    }

    /// CPU time this thread has used, in seconds.
    private func threadCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }
}
