import ArgumentParser
import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutServer
import HoldoutStats
import HoldoutStore
import Hummingbird
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP API (seed 001's endpoints) on the store.",
        discussion: """
            Every /api route needs an API key (Authorization: Bearer <key>); create one with \
            `holdout keys create`. Webhooks are signed with the tenant's secret (`holdout webhooks set-secret`). \
            The OpenAPI document is served at /openapi.yaml, Prometheus metrics at /metrics, health at /healthz. \
            AI assistants use the Model Context Protocol at POST /mcp with the same keys, for the key's tenant (docs/mcp.md). \
            SIGTERM or SIGINT stops the server within a few seconds: analytical calls still waiting or running are \
            answered (503), other requests in flight finish, then the database closes. Connections idle or too slow \
            to send a request are closed after --idle-timeout; results, time series and quality run on a pool of \
            --analytics-connections, one at a time per tenant, each stopped after --query-timeout.

            Examples:
              holdout serve
              holdout serve --database postgres://postgres@127.0.0.1:5432/holdout --port 9000
            """)

    @OptionGroup var db: DatabaseOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0 picks a free one).") var port = 8080
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "info"
    @Option(help: ArgumentHelp("Run the nightly report in process every day at this UTC time (HH:MM).", valueName: "HH:MM")) var nightlyAt: String?
    @Option(help: ArgumentHelp("Post each nightly alert as JSON (Slack-compatible `text`) to this URL, with retries.", valueName: "url"))
    var alertWebhook: String?
    @Option(help: ArgumentHelp("Close a connection idle, or slower than this to send a request, after this many seconds.", valueName: "seconds"))
    var idleTimeout: Double = 30
    @Option(help: ArgumentHelp("Stop an analytical query (results, time series, quality) after this many seconds.", valueName: "seconds"))
    var queryTimeout: Double = 30
    @Option(help: "Connections for analytical queries, shared fairly between tenants.") var analyticsConnections = 3
    @Option(help: "Where POST /api/geo/holdouts writes designs and telemetry (as --state-dir of holdout geo design).") var stateDir = "state"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0…65535, got \(port)") }
        if let nightlyAt, DailyTime(nightlyAt) == nil { throw ValidationError("--nightly-at must be HH:MM (UTC), got '\(nightlyAt)'") }
        if let alertWebhook { try validateWebhookURL(alertWebhook) }
        if alertWebhook != nil, nightlyAt == nil {
            throw ValidationError("--alert-webhook needs --nightly-at (or use `holdout report nightly --alert-webhook`)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error") }
        guard idleTimeout.isFinite, idleTimeout >= 1, idleTimeout <= 3600 else {
            throw ValidationError("--idle-timeout must be 1…3600 seconds, got \(idleTimeout)")
        }
        guard queryTimeout.isFinite, queryTimeout >= 1, queryTimeout <= 3600 else {
            throw ValidationError("--query-timeout must be 1…3600 seconds, got \(queryTimeout)")
        }
        guard (1...32).contains(analyticsConnections) else { throw ValidationError("--analytics-connections must be 1…32, got \(analyticsConnections)") }
    }

    func run() async throws {
        var logger = Logger(label: "holdout")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        try await db.with(schema: .automatic) { store in
            // Separate connections for the analytical reads (results, time series, quality).
            let analytics = try await AnalyticsPool.open(
                store.location,
                limits: .init(connections: analyticsConnections, timeout: .milliseconds(Int64(queryTimeout * 1000))), logger: logger)
            var configuration = ServerConfiguration(
                host: host, port: port, nightlyAt: nightlyAt.flatMap(DailyTime.init), alertWebhook: alertWebhook,
                idleTimeout: .milliseconds(Int64(idleTimeout * 1000)))
            configuration.geoStateDirectory = stateDir
            let app = buildApplication(store: store, analytics: analytics, configuration: configuration, logger: logger)
            do {
                try await runServer(app, analytics: analytics, configuration: configuration, logger: logger)
            } catch {
                await analytics.close()
                throw error
            }
            // A query still running on SQLite cannot be interrupted: its connection is left to
            // the process's exit rather than waited for.
            await analytics.close()
        }
    }
}

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke API keys.",
        discussion: """
            A key belongs to a tenant and has a scope: read (GET routes), write (also POST/PATCH), admin. \
            The key is printed once; only its SHA-256 is stored.

            Examples:
              holdout keys create --tenant acme --scope write
              holdout keys list --json
              holdout keys revoke 3
            """,
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it (once).")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "The tenant whose experiments the key can see.") var tenant = "default"
        @Option(help: "read, write or admin.") var scope: String
        @Flag(help: "Print {\"key\", \"tenant\", \"scope\"} as JSON.") var json = false

        func validate() throws {
            guard Principal.Scope(rawValue: scope) != nil else { throw ValidationError("--scope must be read, write or admin, got '\(scope)'") }
        }

        func run() async throws {
            let scope = Principal.Scope(rawValue: self.scope) ?? .read
            let (key, id) = try await db.with { store in try await APIKeys.create(tenant: tenant, scope: scope, store: store) }
            if json { return try Output.json(["key": key, "tenant": tenant, "scope": scope.rawValue, "id": String(id)]) }
            print(key)
            Output.error("key \(id) for tenant '\(tenant)' with scope \(scope.rawValue); it is not shown again\n")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (their prefixes, never the keys).")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "Only this tenant's keys.") var tenant: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let keys = try await db.with { store in try await store.apiKeys(tenant: tenant) }
            if json { return try Output.json(keys) }
            print(
                Output.table(
                    header: ["id", "tenant", "scope", "prefix", "created", "revoked"],
                    rows: keys.map { ["\($0.id)", $0.tenant, $0.scope.rawValue, $0.prefix + "…", $0.createdAt.description, $0.revokedAt?.description ?? ""] }))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by id (see `holdout keys list`).")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "The key's id.") var id: Int64
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let revoked = try await db.with { store in try await store.revokeAPIKey(id: id) }
            guard revoked else { throw CLIError("no live key with id \(id) (see `holdout keys list`)") }
            if json { return try Output.json(["revoked": id]) }
            print("revoked key \(id)")
        }
    }
}

struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks",
        abstract: "Manage the per-tenant secret that signs /webhooks requests.",
        discussion: """
            Senders sign each request: X-Holdout-Tenant: <tenant> and \
            X-Holdout-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>. \
            Signatures more than 300 s from the server's clock are refused (replay protection).

            Example:
              holdout webhooks set-secret --tenant acme
            """,
        subcommands: [SetSecret.self])

    struct SetSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-secret", abstract: "Set (or rotate) a tenant's secret and print it.")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "The tenant.") var tenant = "default"
        @Option(help: "The secret (default: 32 random bytes, hex).") var secret: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if let secret, secret.count < 16 { throw ValidationError("--secret must be at least 16 characters") }
        }

        func run() async throws {
            let value = secret ?? String(APIKeys.generate().dropFirst(3))
            try await db.with { store in try await store.setWebhookSecret(tenant: tenant, secret: value) }
            if json { return try Output.json(["tenant": tenant, "secret": value]) }
            print(value)
        }
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports over the store.",
        subcommands: [Nightly.self])

    struct Nightly: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compute results for every running experiment, store and print seed 001's nightly report with alerts.",
            discussion: """
                Severities: info (insufficient data), success (significant positive), warning (significant negative, \
                sample-ratio mismatch, exposure-logging problems, past the end date without a decision), error \
                (computation failure; the other experiments still run). Significance uses the sequential \
                always-valid interval, so running this every night does not inflate false alarms.

                Examples:
                  holdout report nightly
                  holdout report nightly --as-of 2026-03-15 --json
                """)
        @OptionGroup var db: DatabaseOptions
        @Option(help: "The report's date (ISO 8601; default now).") var asOf: String?
        @Option(help: "Significance level.") var alpha = 0.05
        @Option(help: ArgumentHelp("Post each alert as JSON (Slack-compatible `text`) to this URL, with retries.", valueName: "url"))
        var alertWebhook: String?
        @Flag(help: "Print the report as JSON.") var json = false

        func validate() throws {
            if let alertWebhook { try validateWebhookURL(alertWebhook) }
            if let asOf, Timestamp(parsing: asOf) == nil { throw ValidationError("--as-of '\(asOf)' is not a date (use 2026-03-15 or ISO 8601)") }
            guard alpha > 0, alpha < 1 else { throw ValidationError("--alpha must be in (0, 1)") }
        }

        func run() async throws {
            let when = asOf.flatMap { Timestamp(parsing: $0) } ?? .now
            let report = try await db.with { store in
                let report = try await NightlyReportService.run(repository: store, source: store, asOf: when, alpha: alpha)
                try await NightlyReportService.save(report, to: store, asOf: when)
                return report
            }
            if let alertWebhook {
                let delivered = await AlertDelivery(url: alertWebhook, logger: Logger(label: "holdout")).deliver(report.alerts)
                Output.error("delivered \(delivered) of \(report.alerts.count) alert(s) to \(alertWebhook)\n")
            }
            if json { return try Output.json(report) }
            print("Nightly report as of \(report.asOfDate): \(report.experiments.count) running experiment(s)")
            print(
                Output.table(
                    header: ["id", "key", "n", "uplift", "p (fixed)", "sequential"],
                    rows: report.experiments.map { e in
                        let first = e.results?.comparisons.first
                        return [
                            "\(e.id)", e.key, e.results.map { "\($0.arms.reduce(0) { $0 + $1.n })" } ?? "-",
                            Output.percent(first?.conversion.upliftAbs), Output.pValue(first?.conversion.pValue),
                            first?.sequential.decision.rawValue ?? (e.error == nil ? "-" : "error"),
                        ]
                    }))
            for alert in report.alerts { print("[\(alert.severity.rawValue)] \(alert.message)") }
            print(report.method)
        }
    }
}

func validateWebhookURL(_ text: String) throws {
    guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
        throw ValidationError("--alert-webhook must be an http(s) URL, got '\(text)'")
    }
}
