import ArgumentParser
import HoldoutMCP
import HoldoutQuery
import HoldoutStore
import Logging
import MCP

struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the Model Context Protocol over stdio, for AI assistants: four read-only tools and the semantic views as resources.",
        discussion: """
            Reads JSON-RPC from standard input and answers on standard output, one message a line; logs go to standard error \
            (nothing else is written to standard output, so there is no --json). Tools: list_experiments, get_results (the \
            HTTP API's results JSON), describe_assets (the semantic contract), run_guarded_sql (the guard, then the second \
            wall, as `holdout sql run`; a refusal is a tool error with the reason); resources holdout://assets/<view>. \
            Everything is for one tenant (--tenant); on PostgreSQL run_guarded_sql logs in as that tenant's reader role \
            (`holdout sql reader`; HOLDOUT_SQL_READER_URL or --reader-url). Stops at the end of its input, once every \
            request read has its answer. Client set-up (Claude Desktop and others): docs/mcp.md.

            Examples:
              holdout mcp --database holdout.sqlite
              holdout mcp --database postgres://holdout@127.0.0.1:5432/holdout --tenant acme --reader-url postgres://holdout_reader_acme:…@127.0.0.1:5432/holdout
              printf '%s\\n' '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' | holdout mcp
            """)

    @OptionGroup var db: DatabaseOptions

    @Option(help: "Whose experiments every tool sees.")
    var tenant = "default"

    @Option(help: "PostgreSQL: the reader role's URL for run_guarded_sql (default HOLDOUT_SQL_READER_URL).")
    var readerURL: String?

    @Option(help: "Log level on standard error: trace, debug, info, notice, warning, error.")
    var logLevel = "warning"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error") }
        guard !tenant.isEmpty, tenant.utf8.count <= 200 else { throw ValidationError("--tenant must be 1–200 bytes") }
    }

    func run() async throws {
        // Standard output carries JSON-RPC only: every log line (ours, the SDK's, the database
        // drivers') goes to standard error. swift-log's default handler writes to standard output.
        let level = Logger.Level(rawValue: logLevel) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "holdout.mcp")
        let location = try StoreLocation(db.database)
        let store = try await db.open()
        let runner = GuardedQueryOptions.runner(location, readerURL: readerURL)
        let service = MCPService(store: store, tenant: tenant, runner: runner)
        let server = await service.makeServer()
        let transport = DrainingTransport(StdioTransport(logger: logger), logger: logger)
        do {
            try await server.start(transport: transport)
        } catch {
            try? await store.close()
            throw CLIError("cannot serve MCP on standard input and output: \(error)")
        }
        logger.info("serving MCP over stdio", metadata: ["tenant": "\(tenant)", "database": "\(store.dialect.name)"])
        await server.waitUntilCompleted()
        // The longest a request can take is the SQL time limit; a request still unanswered well
        // after it is given up, so the process always ends.
        await transport.drain(timeout: .milliseconds(Tool.maximumTimeoutMilliseconds) + .seconds(30))
        await server.stop()
        try? await store.close()
    }
}
