import Foundation
import HoldoutModel
import HoldoutQuery
import HoldoutSQLGuard
import HoldoutStore
import HoldoutTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Synchronization
import Testing

/// A fake OpenAI-compatible chat-completions endpoint on 127.0.0.1 (an ephemeral port) that
/// records what it receives and answers what the test says.
enum FakeLLM {
    struct Received: Sendable {
        var authorization: String?
        var body: String

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var messages: [[String: Any]] { json["messages"] as? [[String: Any]] ?? [] }
    }

    /// What the server received, shared with its route.
    final class Recorder: Sendable {
        let received = Mutex<[Received]>([])
        let count = Mutex(0)

        var all: [Received] { received.withLock { $0 } }

        /// 0, 1, 2, … on successive calls.
        func next() -> Int {
            count.withLock { value in
                defer { value += 1 }
                return value
            }
        }
    }

    /// A chat completion whose one choice says `content`.
    static func completion(_ content: String) -> String {
        let object: [String: Any] = [
            "id": "chatcmpl-test", "object": "chat.completion", "model": "test-model",
            "choices": [["index": 0, "finish_reason": "stop", "message": ["role": "assistant", "content": content]]],
        ]
        return String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data(), as: UTF8.self)
    }

    /// Serves `respond` (given 0, 1, 2, … for successive requests) at POST /v1/chat/completions while `body` runs with the base URL
    /// (`http://127.0.0.1:PORT/v1`) and what the server received.
    static func serve(
        _ respond: @escaping @Sendable (_ call: Int) async -> (HTTPResponse.Status, String), _ body: @escaping @Sendable (String, Recorder) async throws -> Void
    ) async throws {
        let recorder = Recorder()
        let router = Router()
        router.post("v1/chat/completions") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 4 << 20)
            let authorization = request.headers[.authorization]
            recorder.received.withLock { $0.append(Received(authorization: authorization, body: String(buffer: bytes))) }
            let (status, text) = await respond(recorder.next())
            return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body("http://127.0.0.1:\(port)/v1", recorder)
        }
    }
}

@Suite("Ask: the LLM planner against a fake endpoint on 127.0.0.1")
struct LLMPlannerTests {
    static let question = "How many units has each experiment assigned?"

    static func planner(_ url: String, timeout: Duration = .seconds(20), limit: Int = 1 << 20) throws -> LLMPlanner {
        try LLMPlanner(configuration: .init(url: url, model: "test-model", key: "sk-test-123", timeout: timeout, maximumResponseBytes: limit))
    }

    @Test("A legitimate query in a ```sql fence runs; the request carried the model, the key and the contract", arguments: Engine.underTest)
    func legitimate(engine: Engine) async throws {
        let sql = "SELECT experiment_id, COUNT(*) AS n_units FROM fct_experiment_cohort GROUP BY experiment_id ORDER BY experiment_id"
        let content = "Here is the query:\n\n```sql\n\(sql)\n```\n\nIt counts the cohort's units per experiment."
        try await SemanticFixture.withRunner(engine) { _, runner, _ in
            try await FakeLLM.serve({ _ in (.ok, FakeLLM.completion(content)) }) { url, received in
                let context = PlanningContext(dialect: runner.location.guardDialect, now: AskTests.wednesday, experimentKeys: AskTests.defaultKeys)
                let answer = try await Ask(runner: runner).ask(Self.question, planner: try Self.planner(url), context: context, tenant: "default")
                #expect(answer.planner == "llm" && answer.sql == sql)
                #expect(answer.verdict.isAllowed && answer.executed)
                // The fixture's plans: the units each experiment of tenant default assigned.
                let expected = SemanticFixture.plans.filter { $0.tenant == "default" && $0.units > 0 }.map {
                    [QueryValue.text($0.key), .integer(Int64($0.units))]
                }
                #expect(answer.columns == ["experiment_id", "n_units"])
                #expect(Set(answer.rows) == Set(expected) && answer.rows.count == expected.count)
                #expect(answer.answer.hasPrefix("3 rows of experiment_id, n_units; the first: experiment_id = "), "\(answer.answer)")

                let requests = received.all
                let request = try #require(requests.first)
                #expect(requests.count == 1)
                #expect(request.authorization == "Bearer sk-test-123")
                #expect(request.json["model"] as? String == "test-model")
                #expect((request.json["temperature"] as? NSNumber)?.doubleValue == 0)
                let messages = request.messages
                #expect(messages.map { $0["role"] as? String } == ["system", "user"])
                #expect(messages.last?["content"] as? String == Self.question)
                let system = try #require(messages.first?["content"] as? String)
                for asset in SemanticContract.assets {
                    #expect(system.contains(asset.name), "\(asset.name)")
                    for column in asset.columns { #expect(system.contains("- \(column.name) (\(column.type)): \(column.description)")) }
                }
                #expect(system.contains(engine == .sqlite ? "SQLite" : "PostgreSQL"))
                #expect(system.contains("Today is 2026-03-04 (UTC)"))
                #expect(system.contains("Experiment keys of this tenant: exp_1, exp_three, exp_four, exp_empty."))
            }
        }
    }

    @Test("A malicious query is refused by the guard, the answer says so, and nothing runs", arguments: Engine.underTest)
    func malicious(engine: Engine) async throws {
        var attacks = [
            "SELECT key_hash, prefix FROM api_keys",
            "WITH fct_experiment_results AS (SELECT key_hash AS experiment_id FROM api_keys) SELECT * FROM fct_experiment_results",
            "SELECT experiment_id FROM fct_experiment_results; DROP TABLE experiments",
            "SELECT secret FROM webhook_secrets WHERE 'x' IN (SELECT experiment_id FROM fct_experiment_results)",
        ]
        attacks +=
            engine == .sqlite
            ? ["SELECT name, sql FROM sqlite_master", "SELECT load_extension('/tmp/evil.so')", "SELECT * FROM main.events"]
            : [
                "SELECT query_to_xml('SELECT key_hash FROM api_keys', true, true, '')", "SELECT rolpassword FROM pg_catalog.pg_authid",
                "SELECT pg_read_file('/etc/passwd')",
            ]
        let list = attacks
        try await SemanticFixture.withRunner(engine) { store, runner, _ in
            try await FakeLLM.serve({ call in (.ok, FakeLLM.completion("```sql\n\(list[call])\n```")) }) { url, _ in
                let context = PlanningContext(dialect: runner.location.guardDialect, now: AskTests.wednesday, experimentKeys: AskTests.defaultKeys)
                for attack in list {
                    let answer = try await Ask(runner: runner).ask("show me everything", planner: try Self.planner(url), context: context, tenant: "default")
                    #expect(answer.sql == attack)
                    #expect(!answer.verdict.isAllowed && !answer.executed && answer.refused, "\(attack)")
                    #expect(answer.columns.isEmpty && answer.rows.isEmpty)
                    let reason = try #require(answer.verdict.reason)
                    #expect(answer.answer == "The guard refused the llm planner's query: \(reason). Nothing ran, so there is no answer.")
                    let encoded = String(decoding: try JSONEncoder().encode(answer), as: UTF8.self)
                    #expect(!encoded.contains("\(SemanticFixture.sentinel)_"), "\(attack)")
                    #expect(encoded.contains("\"executed\":false"))
                }
            }
            // The DROP never reached the database.
            let count = try await store.withConnection { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM experiments").first()?.decode(column: "n", as: Int.self)
            }
            #expect(count == SemanticFixture.plans.count)
        }
    }

    @Test("An allowed query the engine cannot run is an error that carries the plan, not an answer", arguments: Engine.underTest)
    func engineError(engine: Engine) async throws {
        let sql = "SELECT no_such_column FROM fct_experiment_results"
        try await SemanticFixture.withRunner(engine) { _, runner, _ in
            try await FakeLLM.serve({ _ in (.ok, FakeLLM.completion(sql)) }) { url, _ in
                let context = PlanningContext(dialect: runner.location.guardDialect, now: AskTests.wednesday)
                let failure = await #expect(throws: Ask.Failure.self) {
                    try await Ask(runner: runner).ask("anything", planner: try Self.planner(url), context: context, tenant: "default")
                }
                guard case .query(let error, let plan) = failure else {
                    Issue.record("expected a query failure, got \(String(describing: failure))")
                    return
                }
                #expect(error.kind == .failed && plan.sql == sql && plan.planner == "llm", "\(error.message)")
                #expect(error.message.contains("no_such_column"), "\(error.message)")
            }
        }
    }

    @Test("HTTP errors, non-JSON, missing choices, a huge body, a slow or absent endpoint: clear errors")
    func endpointErrors() async throws {
        let context = PlanningContext(dialect: .sqlite, now: AskTests.wednesday)
        let cases: [(HTTPResponse.Status, String, PlanningError.Kind, String)] = [
            (
                .internalServerError, #"{"error": {"message": "the model is overloaded", "type": "server_error"}}"#, .endpoint,
                "answered HTTP 500: the model is overloaded"
            ),
            (.notFound, "404 page not found", .endpoint, "answered HTTP 404: 404 page not found"),
            (.unauthorized, "", .endpoint, "answered HTTP 401"),
            (.ok, "<html>not json</html>", .badResponse, "not a chat completion"),
            (.ok, #"{"choices": []}"#, .badResponse, "has no choices"),
            (.ok, #"{"object": "list"}"#, .badResponse, "has no choices"),
            (.ok, #"{"choices": [{"message": {"role": "assistant", "content": null, "refusal": "no"}}]}"#, .badResponse, "no message content"),
            (.ok, FakeLLM.completion("```sql\n\n```"), .badResponse, "holds no SQL"),
            (.ok, String(repeating: "x", count: 300_000), .endpoint, "larger than 65536 bytes"),
        ]
        for (status, body, kind, fragment) in cases {
            try await FakeLLM.serve({ _ in (status, body) }) { url, _ in
                let error = await #expect(throws: PlanningError.self) { try await Self.planner(url, limit: 65_536).plan("anything", context: context) }
                #expect(error?.kind == kind && error?.message.contains(fragment) == true, "\(status) \(body.prefix(60)): \(error?.message ?? "")")
            }
        }
        // Slower than the timeout: an error after the timeout, not a hang.
        try await FakeLLM.serve({ _ in
            try? await Task.sleep(for: .seconds(5))
            return (.ok, FakeLLM.completion("SELECT 1"))
        }) { url, _ in
            let start = ContinuousClock.now
            let error = await #expect(throws: PlanningError.self) {
                try await Self.planner(url, timeout: .milliseconds(300)).plan("anything", context: context)
            }
            #expect(error?.kind == .endpoint && error?.message.contains("did not answer within") == true, "\(error?.message ?? "")")
            #expect(ContinuousClock.now - start < .seconds(4))
        }
        // Nothing listening (port 1 on the loopback).
        let error = await #expect(throws: PlanningError.self) {
            try await Self.planner("http://127.0.0.1:1/v1", timeout: .seconds(5)).plan("anything", context: context)
        }
        #expect(error?.kind == .endpoint && error?.message.contains("could not be reached") == true, "\(error?.message ?? "")")
    }

    @Test("Configuration: an http(s) base URL with its version, a model; the endpoint is {base}/chat/completions")
    func configuration() throws {
        #expect(try Self.planner("http://127.0.0.1:8080/v1").endpoint == "http://127.0.0.1:8080/v1/chat/completions")
        #expect(try Self.planner("https://api.example.com/openai/v1/").endpoint == "https://api.example.com/openai/v1/chat/completions")
        #expect(try Self.planner("http://127.0.0.1:8080/v1/chat/completions").endpoint == "http://127.0.0.1:8080/v1/chat/completions")
        for url in ["ftp://127.0.0.1/v1", "127.0.0.1:8080/v1", "", "http:///v1", "http://user:secret@127.0.0.1/v1", "http://127.0.0.1/v1?x=1"] {
            #expect(throws: PlanningError.self, "\(url)") { try Self.planner(url) }
        }
        #expect(throws: PlanningError.self) { try LLMPlanner(configuration: .init(url: "http://127.0.0.1/v1", model: " ")) }
        #expect(throws: PlanningError.self) { try LLMPlanner(configuration: .init(url: "http://127.0.0.1/v1", model: "m", key: "a\nb")) }
        #expect(throws: PlanningError.self) { try LLMPlanner(configuration: .init(url: "http://127.0.0.1/v1", model: "m", timeout: .zero)) }
        #expect(LLMPlanner.Configuration.fromEnvironment([:]) == nil)
        #expect(LLMPlanner.Configuration.fromEnvironment(["HOLDOUT_LLM_URL": ""]) == nil)
        let configured = try #require(
            LLMPlanner.Configuration.fromEnvironment(["HOLDOUT_LLM_URL": "http://127.0.0.1:1/v1", "HOLDOUT_LLM_MODEL": "m", "HOLDOUT_LLM_KEY": "k"]))
        #expect(configured.url == "http://127.0.0.1:1/v1" && configured.model == "m" && configured.key == "k")
    }

    @Test("The SQL is the first ```sql fence, else the first fence, else the whole content")
    func extraction() {
        #expect(LLMPlanner.extractSQL(from: "Sure.\n```sql\nSELECT 1\n```\nand\n```sql\nSELECT 2\n```") == "SELECT 1")
        #expect(LLMPlanner.extractSQL(from: "```\nSELECT 3\n```") == "SELECT 3")
        #expect(LLMPlanner.extractSQL(from: "```python\nprint(1)\n```\n```SQL\nSELECT 4;\n```") == "SELECT 4;")
        #expect(LLMPlanner.extractSQL(from: "  SELECT 5 FROM dim_ai_allowed_assets  \n") == "SELECT 5 FROM dim_ai_allowed_assets")
        #expect(LLMPlanner.extractSQL(from: "```sql\nSELECT 'a\nb'\n```") == "SELECT 'a\nb'")
        #expect(LLMPlanner.extractSQL(from: " \n ") == nil)
    }
}
