import Foundation
import HoldoutCore
import HoldoutMCP
import HoldoutModel
import HoldoutQuery
import HoldoutSQLGuard
import HoldoutStore
import HoldoutTestSupport
import MCP
import Testing

/// A client of the SDK connected in memory to a service's server.
func withClient(_ service: MCPService, _ body: (Client, Initialize.Result) async throws -> Void) async throws {
    let (clientTransport, serverTransport) = await InMemoryTransport.createConnectedPair()
    let server = await service.makeServer()
    try await server.start(transport: serverTransport)
    let client = Client(name: "holdout-tests", version: "1")
    do {
        let initialized = try await client.connect(transport: clientTransport)
        try await body(client, initialized)
    } catch {
        await client.disconnect()
        await server.stop()
        throw error
    }
    await client.disconnect()
    await server.stop()
}

/// The text of a tool result.
func text(_ content: [Tool.Content]) -> String {
    content.compactMap { item -> String? in
        if case .text(let text, _, _) = item { return text }
        return nil
    }.joined()
}

func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text.prefix(300))")
}

@Suite("MCP server (in memory, the SDK's client)")
struct MCPServiceTests {
    @Test("initialize and tools/list: four tools, all read-only, argument schemas closed", arguments: Engine.underTest)
    func toolsList(engine: Engine) async throws {
        try await MCPFixture.with(engine) { store, runner, _, _ in
            try await withClient(MCPService(store: store, tenant: "default", runner: runner)) { client, initialized in
                #expect(initialized.serverInfo.name == "holdout")
                #expect(initialized.capabilities.tools != nil && initialized.capabilities.resources != nil)
                #expect(initialized.instructions?.contains("\"default\"") == true)
                let tools = try await client.listTools().tools
                #expect(tools.map(\.name) == ["list_experiments", "get_results", "describe_assets", "run_guarded_sql"])
                for tool in tools {
                    #expect(tool.annotations.readOnlyHint == true, "\(tool.name)")
                    #expect(tool.annotations.destructiveHint == false && tool.annotations.openWorldHint == false, "\(tool.name)")
                    #expect(tool.inputSchema.objectValue?["additionalProperties"] == .bool(false), "\(tool.name)")
                    #expect(tool.description?.isEmpty == false)
                }
                let required = Dictionary(uniqueKeysWithValues: tools.map { ($0.name, $0.inputSchema.objectValue?["required"]?.arrayValue ?? []) })
                #expect(required["get_results"] == ["experiment", "mode"])
                #expect(required["run_guarded_sql"] == ["sql"])
            }
        }
    }

    @Test("list_experiments, get_results and describe_assets equal what the library returns, byte for byte", arguments: Engine.underTest)
    func readTools(engine: Engine) async throws {
        try await MCPFixture.with(engine) { store, runner, _, experiments in
            try await withClient(MCPService(store: store, tenant: "default", runner: runner)) { client, _ in
                let listed = try await client.callTool(name: "list_experiments")
                #expect(listed.isError != true)
                let list = try jsonObject(text(listed.content))
                let items = try #require(list["experiments"] as? [[String: Any]])
                let expected = try await store.experiments(tenant: "default")
                #expect(items.compactMap { $0["key"] as? String } == expected.map(\.key))
                #expect(list["truncated"] as? Bool == false)
                let first = try #require(items.first { $0["key"] as? String == "email-q1" })
                #expect(first["status"] as? String == "draft" && first["name"] as? String == "email-q1 name" && first["start_at"] as? String != nil)
                #expect((first["variants"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["control", "treatment"])
                #expect(first["salt"] == nil && first["tenant"] == nil)
                #expect(!text(listed.content).contains(MCPFixture.sentinel))
                let running = try await client.callTool(name: "list_experiments", arguments: ["status": "running"])
                #expect((try jsonObject(text(running.content))["experiments"] as? [Any])?.isEmpty == true)

                let experiment = try #require(experiments["email-q1"])
                for mode in AnalysisMode.allCases {
                    let call = try await client.callTool(name: "get_results", arguments: ["experiment": "email-q1", "mode": .string(mode.rawValue)])
                    #expect(call.isError != true, "\(text(call.content))")
                    let reference = try await ResultsService.compute(experiment: experiment, source: store, mode: mode)
                    #expect(text(call.content) == String(decoding: try WireJSON.encode(reference), as: UTF8.self), "\(mode)")
                    // And the numbers are the experiment's: 300 per arm, conversions by the fixture's rule.
                    if mode == .itt {
                        let results = try jsonObject(text(call.content))
                        #expect((results["control"] as? [String: Any])?["n"] as? Int == 300)
                        #expect((results["treatment"] as? [String: Any])?["conversions"] as? Int == (0..<600).filter { $0 % 2 == 1 && $0 % 5 == 0 }.count)
                        #expect((results["control"] as? [String: Any])?["conversions"] as? Int == (0..<600).filter { $0 % 2 == 0 && $0 % 9 == 0 }.count)
                    }
                }
                let visit = try await client.callTool(
                    name: "get_results", arguments: ["experiment": "email-q1", "mode": "itt", "metric": "visit", "alpha": 0.1])
                let visitReference = try await ResultsService.compute(experiment: experiment, source: store, mode: .itt, alpha: 0.1, metric: "visit")
                #expect(text(visit.content) == String(decoding: try WireJSON.encode(visitReference), as: UTF8.self))
                #expect(try jsonObject(text(visit.content))["metric"] as? String == "visit")

                let assets = try await client.callTool(name: "describe_assets", arguments: [:])
                #expect(text(assets.content) == String(decoding: try WireJSON.encode(SemanticContract.document), as: UTF8.self))
                #expect((try jsonObject(text(assets.content))["assets"] as? [Any])?.count == SemanticContract.assets.count)
            }
        }
    }

    @Test("run_guarded_sql: a legitimate query returns the runner's result; attacks are tool errors with the guard's reason", arguments: Engine.underTest)
    func guardedSQL(engine: Engine) async throws {
        try await MCPFixture.with(engine) { store, runner, _, _ in
            try await withClient(MCPService(store: store, tenant: "default", runner: runner)) { client, _ in
                let query =
                    "SELECT variation_id, n_users, n_converted FROM agg_experiment_metric_by_variant WHERE experiment_id = 'email-q1' AND analysis_mode = 'itt' ORDER BY variation_id"
                let call = try await client.callTool(name: "run_guarded_sql", arguments: ["sql": .string(query), "max_rows": 10, "timeout_ms": 10_000])
                #expect(call.isError != true, "\(text(call.content))")
                let reference = try await runner.run(sql: query, tenant: "default", maxRows: 10, timeout: .seconds(10))
                #expect(text(call.content) == String(decoding: try WireJSON.encode(reference), as: UTF8.self))
                let rows = try #require(try jsonObject(text(call.content))["rows"] as? [[Any]])
                #expect(rows.map { $0[1] as? Int } == [300, 300])

                // The tenant is fixed: tenant default sees none of tenant other's units.
                let units = try await client.callTool(
                    name: "run_guarded_sql", arguments: ["sql": "SELECT DISTINCT experiment_id FROM fct_experiment_cohort ORDER BY 1"])
                #expect(try jsonObject(text(units.content))["rows"] as? [[String]] == [["email-q1"], ["push-q2"]])

                let capped = try await client.callTool(name: "run_guarded_sql", arguments: ["sql": "SELECT unit_id FROM fct_experiment_cohort", "max_rows": 7])
                let cappedResult = try jsonObject(text(capped.content))
                #expect((cappedResult["rows"] as? [Any])?.count == 7 && cappedResult["truncated"] as? Bool == true)

                var attacks = [
                    "SELECT * FROM api_keys",
                    "SELECT key_hash FROM api_keys UNION SELECT secret FROM webhook_secrets",
                    "SELECT n_users FROM fct_experiment_results; DELETE FROM experiments",
                    "WITH fct_experiment_results AS (SELECT key_hash AS variation_id FROM api_keys) SELECT * FROM fct_experiment_results",
                ]
                attacks +=
                    engine == .sqlite
                    ? ["SELECT name, sql FROM sqlite_master", "SELECT load_extension('/tmp/evil.so')", "SELECT * FROM pragma_table_info('api_keys')"]
                    : [
                        "SELECT query_to_xml('SELECT * FROM api_keys', true, true, '')", "SELECT pg_read_file('/etc/passwd')",
                        "SELECT * FROM pg_catalog.pg_authid",
                    ]
                for attack in attacks {
                    let refused = try await client.callTool(name: "run_guarded_sql", arguments: ["sql": .string(attack)])
                    #expect(refused.isError == true, "\(attack)")
                    let reason = try #require(runner.check(attack).reason, "the guard allowed \(attack)")
                    #expect(text(refused.content) == "refused: \(reason)", "\(attack)")
                    #expect(!text(refused.content).contains("SENTINEL_"), "\(attack)")
                }
                let specific = try await client.callTool(name: "run_guarded_sql", arguments: ["sql": "SELECT * FROM api_keys"])
                #expect(text(specific.content) == "refused: relation \"api_keys\" is not an allowed asset")

                // An approved query the engine cannot run is a tool error too.
                let broken = try await client.callTool(name: "run_guarded_sql", arguments: ["sql": "SELECT no_such_column FROM fct_experiment_results"])
                #expect(broken.isError == true && text(broken.content).contains("no_such_column"), "\(text(broken.content))")
            }
        }
    }

    @Test(
        "bad arguments are tool errors naming the argument; an unknown tool is a protocol error",
        arguments: [
            ("get_results", ["mode": "itt"], "experiment: required"),
            ("get_results", ["experiment": "email-q1"], "mode: required"),
            ("get_results", ["experiment": "email-q1", "mode": "per-protocol"], "mode: 'per-protocol' is not itt or exposure"),
            ("get_results", ["experiment": 7, "mode": "itt"], "experiment: must be a string, got an integer"),
            ("get_results", ["experiment": "", "mode": "itt"], "experiment: must not be empty"),
            ("get_results", ["experiment": "email-q1", "mode": "itt", "alpha": 1.5], "alpha: must be a number in (0, 1), got 1.5"),
            ("get_results", ["experiment": "email-q1", "mode": "itt", "alpha": "0.1"], "alpha: must be a finite number, got a string"),
            ("get_results", ["experiment": "email-q1", "mode": "itt", "metric": "revenue"], "metric: experiment 'email-q1' has no outcome metric 'revenue'"),
            (
                "get_results", ["experiment": "email-q1", "mode": "itt", "segment": "country"],
                "segment: unknown argument (it takes experiment, mode, metric, alpha)"
            ),
            ("get_results", ["experiment": "nope", "mode": "itt"], "experiment: no experiment 'nope'"),
            ("get_results", ["experiment": "SENTINEL_other", "mode": "itt"], "experiment: no experiment 'SENTINEL_other'"),
            ("list_experiments", ["status": "live"], "status: 'live' is not one of draft, running, paused, completed, archived"),
            ("list_experiments", ["status": ["running"]], "status: must be a string, got an array"),
            ("describe_assets", ["verbose": true], "verbose: unknown argument (it takes no arguments)"),
            ("run_guarded_sql", [:], "sql: required"),
            ("run_guarded_sql", ["sql": "SELECT 1", "max_rows": 0], "max_rows: must be in 1…100000, got 0"),
            ("run_guarded_sql", ["sql": "SELECT 1", "max_rows": 2.5], "max_rows: must be a whole number in 1…100000, got a number with a fraction"),
            ("run_guarded_sql", ["sql": "SELECT 1", "timeout_ms": 300_001], "timeout_ms: must be in 1…300000, got 300001"),
            ("run_guarded_sql", ["sql": "SELECT 1", "timeout_ms": "5000"], "timeout_ms: must be a whole number in 1…300000, got a string"),
        ] as [(String, [String: Value], String)])
    func badArguments(tool: String, arguments: [String: Value], message: String) async throws {
        try await MCPFixture.with(.sqlite) { store, runner, _, _ in
            try await withClient(MCPService(store: store, tenant: "default", runner: runner)) { client, _ in
                let call = try await client.callTool(name: tool, arguments: arguments)
                #expect(call.isError == true)
                #expect(text(call.content).hasPrefix(message), "\(text(call.content))")
                await #expect(throws: MCPError.self) { _ = try await client.callTool(name: "drop_everything", arguments: [:]) }
            }
        }
    }

    @Test("resources: one per semantic asset, read as its contract JSON; an unknown URI is an error", arguments: Engine.underTest)
    func resources(engine: Engine) async throws {
        try await MCPFixture.with(engine) { store, runner, _, _ in
            try await withClient(MCPService(store: store, tenant: "default", runner: runner)) { client, _ in
                let listed = try await client.listResources().resources
                #expect(listed.map(\.uri) == SemanticContract.assets.map { "holdout://assets/\($0.name)" })
                #expect(listed.allSatisfy { $0.mimeType == "application/json" && $0.description?.isEmpty == false })
                for asset in SemanticContract.assets {
                    let contents = try await client.readResource(uri: "holdout://assets/\(asset.name)")
                    #expect(contents.count == 1)
                    #expect(contents.first?.text == String(decoding: try WireJSON.encode(asset), as: UTF8.self))
                    #expect(contents.first?.uri == "holdout://assets/\(asset.name)")
                }
                await #expect(throws: MCPError.self) { _ = try await client.readResource(uri: "holdout://assets/api_keys") }
                await #expect(throws: MCPError.self) { _ = try await client.readResource(uri: "file:///etc/passwd") }
            }
        }
    }

    @Test("tenant other sees only its own experiment and rows; a reader role of another tenant is refused", arguments: Engine.underTest)
    func tenants(engine: Engine) async throws {
        try await MCPFixture.with(engine) { store, runner, urls, _ in
            let other = MCPService(store: store, tenant: "other", runner: runner)
            let listed = try jsonObject(text(try await other.call("list_experiments", arguments: nil).content))
            #expect((listed["experiments"] as? [[String: Any]])?.compactMap { $0["key"] as? String } == ["SENTINEL_other"])
            let rows = try await other.call("run_guarded_sql", arguments: ["sql": "SELECT DISTINCT experiment_id FROM fct_experiment_cohort"])
            #expect(try jsonObject(text(rows.content))["rows"] as? [[String]] == [["SENTINEL_other"]])
            let theirs = try await other.call("get_results", arguments: ["experiment": "email-q1", "mode": "itt"])
            #expect(theirs.isError == true && text(theirs.content).hasPrefix("experiment: no experiment 'email-q1'"))
            if engine == .postgres {
                // One reader URL configured for every tenant (as a server's HOLDOUT_SQL_READER_URL):
                // only the tenant its role reads may use it.
                let defaultURL = try #require(urls["default"])
                let shared = GuardedQueryRunner(location: store.location, readerURL: { _ in defaultURL })
                let refused = try await MCPService(store: store, tenant: "other", runner: shared).call(
                    "run_guarded_sql", arguments: ["sql": "SELECT experiment_id FROM fct_experiment_cohort"])
                #expect(refused.isError == true)
                #expect(text(refused.content).hasPrefix("no reader role is configured for tenant \"other\": the configured one reads tenant \"default\""))
            }
        }
    }

    @Test("answers are bounded: a SQL result keeps the rows that fit and says truncated; a list keeps the newest")
    func bounds() async throws {
        try await MCPFixture.with(.sqlite) { store, runner, _, _ in
            var service = MCPService(store: store, tenant: "default", runner: runner)
            service.limits.responseBytes = 2000
            let call = try await service.call(
                "run_guarded_sql", arguments: ["sql": "SELECT experiment_id, unit_id, variation_id FROM fct_experiment_cohort ORDER BY unit_id, experiment_id"])
            #expect(call.isError != true)
            let body = text(call.content)
            #expect(body.utf8.count <= 2000)
            let result = try jsonObject(body)
            let rows = try #require(result["rows"] as? [[Any]])
            #expect(result["truncated"] as? Bool == true && rows.count > 10 && rows.count < 800)
            // The rows kept are the first ones of the full result.
            let full = try await runner.run(
                sql: "SELECT experiment_id, unit_id, variation_id FROM fct_experiment_cohort ORDER BY unit_id, experiment_id", tenant: "default")
            #expect(rows.map { $0[1] as? String } == full.rows.prefix(rows.count).map { $0[1].textValue })

            // A query over the guard's length limit is refused before anything runs.
            let long = try await service.call("run_guarded_sql", arguments: ["sql": .string(String(repeating: "x", count: 70_000))])
            #expect(long.isError == true && text(long.content) == "sql: longer than 65536 bytes (70000)")

            service.limits.experiments = 1
            let listed = try jsonObject(text(try await service.call("list_experiments", arguments: [:]).content))
            #expect((listed["experiments"] as? [[String: Any]])?.compactMap { $0["key"] as? String } == ["push-q2"])
            #expect(listed["truncated"] as? Bool == true)

            service.limits.responseBytes = 100
            let tooLarge = try await service.call("describe_assets", arguments: nil)
            #expect(tooLarge.isError == true && text(tooLarge.content).contains("over the 100-byte limit"))
        }
    }
}
