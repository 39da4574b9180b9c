import Foundation
import HTTPTypes
import HoldoutModel
import HoldoutQuery
import HoldoutServer
import HoldoutStore
import HoldoutTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// `POST /mcp` on a real server on 127.0.0.1: API keys, tenants, limits.
struct MCPHarness {
    let store: Store
    let acmeRead: String
    let acmeWrite: String
    let globexAdmin: String
    /// The server's analytics pool: one running and no waiting query per tenant.
    let analytics: AnalyticsPool

    static func with(_ engine: Engine, _ body: @Sendable (MCPHarness, any TestClientProtocol) async throws -> Void) async throws {
        // Roles are dropped after the database (a role with grants in it cannot be dropped).
        var roles: [String] = []
        do {
            try await run(engine, roles: &roles, body)
        } catch {
            await dropRoles(roles)
            throw error
        }
        await dropRoles(roles)
    }

    private static func run(
        _ engine: Engine, roles: inout [String], _ body: @Sendable (MCPHarness, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await TestDatabase.withStore(engine) { store in
            for (key, tenant, units) in [("acme-exp", "acme", 400), ("globex-exp", "globex", 100)] {
                let experiment = try await store.createExperiment(
                    NewExperiment(key: key, name: key, startAt: ts("2026-03-01T00:00:00Z"), endAt: ts("2026-03-30T00:00:00Z"), tenant: tenant))
                let assignments = (0..<units).map {
                    ImportRecord.assignment(
                        profileID: "\(tenant)-u\($0)", variant: $0 % 2 == 0 ? "control" : "treatment", assignedAt: ts("2026-03-02T00:00:00Z"))
                }
                let outcomes = (0..<units).filter { $0 % ($0 % 2 == 0 ? 8 : 5) == 0 }.map {
                    ImportRecord.outcome(profileID: "\(tenant)-u\($0)", at: .time(ts("2026-03-03T00:00:00Z")), value: 20)
                }
                _ = try await Importer(kind: .assignments, experiment: experiment).run(records: assignments, store: store)
                _ = try await Importer(kind: .outcomes, experiment: experiment).run(records: outcomes, store: store)
            }
            var urls: [String: String] = [:]
            if engine == .postgres {
                let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(10)
                for tenant in ["acme", "globex"] {
                    // `holdout_reader_t…`: the second wall's tests leave such roles (other tests') out of their snapshot.
                    let role = "holdout_reader_th\(suffix)_\(tenant)"
                    roles.append(role)
                    urls[tenant] = try await ReaderRole.create(on: store, tenant: tenant, role: role, password: ReaderRole.generatedPassword())
                }
            }
            let analytics = try await AnalyticsPool.open(store.location, limits: .init(connections: 2, runningPerTenant: 1, waitingPerTenant: 0))
            let harness = MCPHarness(
                store: store, acmeRead: try await APIKeys.create(tenant: "acme", scope: .read, store: store).key,
                acmeWrite: try await APIKeys.create(tenant: "acme", scope: .write, store: store).key,
                globexAdmin: try await APIKeys.create(tenant: "globex", scope: .admin, store: store).key, analytics: analytics)
            let fixed = urls
            let router = buildRouter(store: store, analytics: analytics, sqlRunner: GuardedQueryRunner(location: store.location, readerURL: { fixed[$0] }))
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            do {
                try await app.test(.live) { client in try await body(harness, client) }
            } catch {
                await analytics.close()
                throw error
            }
            await analytics.close()
        }
    }

    static func dropRoles(_ roles: [String]) async {
        guard let base = TestDatabase.postgresURL else { return }
        for role in roles { try? await Store.executeOnServer(url: base, "DROP ROLE IF EXISTS \(role)") }
    }
}

/// One POST /mcp; returns the status and the body.
func mcp(
    _ client: any TestClientProtocol, key: String?, _ body: String, accept: String = "application/json, text/event-stream"
) async throws -> (HTTPResponse.Status, String) {
    var headers = HTTPFields()
    if let key { headers[.authorization] = "Bearer \(key)" }
    headers[.contentType] = "application/json"
    headers[.accept] = accept
    return try await client.execute(uri: "/mcp", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
        (response.status, String(buffer: response.body))
    }
}

/// A `tools/call` request.
func toolCall(id: Int = 1, _ name: String, _ arguments: [String: Any]) throws -> String {
    let message: [String: Any] = ["jsonrpc": "2.0", "id": id, "method": "tools/call", "params": ["name": name, "arguments": arguments]]
    return String(decoding: try JSONSerialization.data(withJSONObject: message), as: UTF8.self)
}

/// The tool result of a JSON-RPC answer: its text and whether it is an error.
func toolResult(_ body: String) throws -> (text: String, isError: Bool) {
    let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
    let result = try #require(object["result"] as? [String: Any], "no result: \(body)")
    let content = try #require(result["content"] as? [[String: Any]])
    return (content.compactMap { $0["text"] as? String }.joined(), result["isError"] as? Bool ?? false)
}

// A time limit far above these tests' few seconds: a CI run once stopped for good in the
// tests (every task waiting, no thread busy, session 9); with the limit a hang like that fails
// and names its test instead.
@Suite("POST /mcp (MCP over HTTP, a real server on 127.0.0.1)", .timeLimit(.minutes(5)))
struct MCPRouteTests {
    @Test("a key is required; read scope is enough; results equal the REST API's bytes; tenants see only their own", arguments: Engine.underTest)
    func keysAndTenants(engine: Engine) async throws {
        try await MCPHarness.with(engine) { h, client in
            let initialize =
                #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
            #expect(try await mcp(client, key: nil, initialize).0 == .unauthorized)
            #expect(try await mcp(client, key: "hk_not_a_key", initialize).0 == .unauthorized)

            let (status, body) = try await mcp(client, key: h.acmeRead, initialize)
            #expect(status == .ok, "\(body)")
            let initialized = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(((initialized["result"] as? [String: Any])?["serverInfo"] as? [String: Any])?["name"] as? String == "holdout")
            #expect(try await mcp(client, key: h.acmeRead, #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).0 == .accepted)

            let (_, listed) = try await mcp(client, key: h.acmeRead, #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#)
            let tools = try #require(
                ((try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [String: Any])?["result"] as? [String: Any])?["tools"] as? [[String: Any]])
            #expect(tools.compactMap { $0["name"] as? String } == ["list_experiments", "get_results", "describe_assets", "run_guarded_sql"])
            #expect(tools.allSatisfy { ($0["annotations"] as? [String: Any])?["readOnlyHint"] as? Bool == true })

            // get_results is the REST API's results, byte for byte, in both modes.
            for mode in ["itt", "exposure"] {
                let (_, answer) = try await mcp(client, key: h.acmeRead, try toolCall("get_results", ["experiment": "acme-exp", "mode": mode]))
                let rest = try await client.execute(
                    uri: "/api/experiments/acme-exp/results?mode=\(mode)", method: .get, headers: [.authorization: "Bearer \(h.acmeRead)"]
                ) { String(buffer: $0.body) }
                let result = try toolResult(answer)
                #expect(!result.isError && result.text == rest, "\(mode): \(result.text.prefix(200))")
            }
            // A write key reads the same (it gets no more through MCP).
            let (_, written) = try await mcp(client, key: h.acmeWrite, try toolCall("get_results", ["experiment": "acme-exp", "mode": "itt"]))
            let numbers = try #require(try JSONSerialization.jsonObject(with: Data(try toolResult(written).text.utf8)) as? [String: Any])
            #expect((numbers["treatment"] as? [String: Any])?["conversions"] as? Int == (0..<400).filter { $0 % 2 == 1 && $0 % 5 == 0 }.count)

            // Tenant globex: its own experiment only, whatever it asks.
            let (_, globexList) = try await mcp(client, key: h.globexAdmin, try toolCall("list_experiments", [:]))
            let globexExperiments = try #require(try JSONSerialization.jsonObject(with: Data(try toolResult(globexList).text.utf8)) as? [String: Any])
            #expect((globexExperiments["experiments"] as? [[String: Any]])?.compactMap { $0["key"] as? String } == ["globex-exp"])
            let (_, stolen) = try await mcp(client, key: h.globexAdmin, try toolCall("get_results", ["experiment": "acme-exp", "mode": "itt"]))
            #expect(try toolResult(stolen).isError && (try toolResult(stolen).text.hasPrefix("experiment: no experiment 'acme-exp'")))
            let (_, rows) = try await mcp(
                client, key: h.globexAdmin,
                try toolCall("run_guarded_sql", ["sql": "SELECT experiment_id, COUNT(*) FROM fct_experiment_cohort GROUP BY experiment_id"]))
            let rowsResult = try toolResult(rows)
            #expect(!rowsResult.isError, "\(rowsResult.text)")
            #expect(
                ((try JSONSerialization.jsonObject(with: Data(rowsResult.text.utf8)) as? [String: Any])?["rows"] as? [[Any]])?.map { $0[0] as? String } == [
                    "globex-exp"
                ])
            let (_, refused) = try await mcp(client, key: h.acmeRead, try toolCall("run_guarded_sql", ["sql": "SELECT key_hash, tenant FROM api_keys"]))
            let refusal = try toolResult(refused)
            #expect(refusal.isError && refusal.text == "refused: relation \"api_keys\" is not an allowed asset")

            // Two tenants' calls with the same JSON-RPC id at once: each gets its own answer.
            async let a = mcp(client, key: h.acmeRead, try toolCall(id: 7, "list_experiments", [:]))
            async let b = mcp(client, key: h.globexAdmin, try toolCall(id: 7, "list_experiments", [:]))
            let (acmeAnswer, globexAnswer) = try await (a, b)
            #expect(try toolResult(acmeAnswer.1).text.contains("\"acme-exp\"") && !(try toolResult(acmeAnswer.1).text.contains("globex")))
            #expect(try toolResult(globexAnswer.1).text.contains("\"globex-exp\"") && !(try toolResult(globexAnswer.1).text.contains("acme")))
        }
    }

    @Test(
        "a guarded query takes one of its tenant's analytics slots: while acme's slot is held acme's query is refused, globex's runs",
        arguments: Engine.underTest)
    func sqlTakesTheTenantsSlot(engine: Engine) async throws {
        try await MCPHarness.with(engine) { h, client in
            let (started, startedContinuation) = AsyncStream<Void>.makeStream()
            let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await h.analytics.run(tenant: "acme") { _ in
                    startedContinuation.yield()
                    for await _ in release {}
                }
            }
            for await _ in started { break }
            let query = try toolCall("run_guarded_sql", ["sql": "SELECT COUNT(*) AS n FROM fct_experiment_cohort"])
            let busy = try toolResult(try await mcp(client, key: h.acmeRead, query).1)
            #expect(busy.isError && busy.text.contains("too many analytical requests of this tenant"), "\(busy.text)")
            let other = try toolResult(try await mcp(client, key: h.globexAdmin, query).1)
            #expect(!other.isError && other.text.contains("[100]"), "\(other.text)")
            releaseContinuation.finish()
            try await holder.value
            let after = try toolResult(try await mcp(client, key: h.acmeRead, query).1)
            #expect(!after.isError && after.text.contains("[400]"), "\(after.text)")
        }
    }

    @Test("refusals: too large, not JSON-RPC, a batch, ids and params the SDK cannot answer, JSON not accepted, unknown method")
    func refusals() async throws {
        try await MCPHarness.with(.sqlite) { h, client in
            let large = try toolCall("run_guarded_sql", ["sql": String(repeating: "x", count: 1 << 20)])
            let (tooLarge, tooLargeBody) = try await mcp(client, key: h.acmeRead, large)
            #expect(tooLarge == .contentTooLarge && tooLargeBody.contains("larger than 1 MiB"), "\(tooLargeBody)")
            // Stateless: no event stream, no session to end.
            for method in [HTTPRequest.Method.get, .delete] {
                try await client.execute(uri: "/mcp", method: method, headers: [.authorization: "Bearer \(h.acmeRead)"]) { response in
                    #expect(response.status == .methodNotAllowed && response.headers[.allow] == "POST")
                }
                try await client.execute(uri: "/mcp", method: method) { #expect($0.status == .unauthorized) }
            }
            for body in [
                "not json", "[]", #"[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]"#, #"{"id":1,"method":"tools/list"}"#,
                #"{"jsonrpc":"1.0","id":1,"method":"tools/list"}"#, #"{"jsonrpc":"2.0","id":1.5,"method":"tools/list"}"#,
                #"{"jsonrpc":"2.0","id":true,"method":"tools/list"}"#, #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"x"}"#,
                #"{"jsonrpc":"2.0","id":1,"method":7}"#, #"{"jsonrpc":"2.0"}"#,
            ] {
                let (status, answer) = try await mcp(client, key: h.acmeRead, body)
                #expect(status == .badRequest, "\(body): \(answer)")
                #expect(answer.contains("not a JSON-RPC 2.0 message"), "\(body): \(answer)")
            }
            #expect(try await mcp(client, key: h.acmeRead, #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#, accept: "text/html").0 == .notAcceptable)
            let (status, unknown) = try await mcp(client, key: h.acmeRead, #"{"jsonrpc":"2.0","id":"x","method":"resources/subscribe","params":{"uri":"a"}}"#)
            #expect(status == .ok && unknown.contains("-32601"), "\(unknown)")
        }
    }
}
