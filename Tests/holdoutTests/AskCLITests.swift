import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// `holdout ask` through the real binary, on SQLite: the built-in planner, and the LLM planner
/// against a fake OpenAI-compatible endpoint on 127.0.0.1 that returns a malicious query.
@Suite("holdout ask")
struct AskCLITests {
    /// Runs the binary (``CLI/run(_:stdin:environment:)`` keeps the concurrency pool free for the fake endpoint).
    static func run(_ arguments: [String], environment: [String: String]) async throws -> CLI.Run {
        try await CLI.run(arguments, environment: environment)
    }

    /// This process's environment without any HOLDOUT_LLM_* or database variable.
    static var baseEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HOLDOUT_LLM_") && $0.key != "HOLDOUT_DATABASE_URL" }
    }

    @Test("builtin answers, an unknown question fails clearly, an LLM's malicious query is refused with exit 3")
    func ask() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("holdout-ask-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("cli.sqlite").path
        let environment = Self.baseEnvironment
        @Sendable func run(_ arguments: [String], _ extra: [String: String] = [:]) async throws -> CLI.Run {
            try await Self.run(arguments + ["--database", database], environment: environment.merging(extra) { $1 })
        }
        #expect(try await run(["experiment", "create", "--key", "email-q1", "--name", "Email", "--variants", "control=0.5,treatment=0.5"]).status == 0)
        let ids = directory.appendingPathComponent("ids.txt")
        try (0..<300).map { "user_\($0)" }.joined(separator: "\n").write(to: ids, atomically: true, encoding: .utf8)
        #expect(try await run(["assign", "--experiment", "email-q1", "--file", ids.path, "--at", "2026-03-01T00:00:00Z"]).status == 0)

        // The built-in planner (auto without HOLDOUT_LLM_URL): 300 units assigned, split by the rule.
        let size = try await run(["ask", "--json", "sample size of email-q1 so far"])
        #expect(size.status == 0, "\(size.stderr)")
        let json = try size.json()
        #expect(json["planner"] as? String == "builtin" && json["question"] as? String == "sample size of email-q1 so far")
        #expect((json["verdict"] as? [String: Any])?["allowed"] as? Bool == true)
        let rows = try #require(json["rows"] as? [[Any]])
        #expect(rows.compactMap { $0[2] as? Int }.reduce(0, +) == 300)
        #expect((json["answer"] as? String)?.hasPrefix("email-q1: 300 units assigned so far — control ") == true)
        for key in ["sql", "columns", "truncated", "explanation", "executed"] { #expect(json[key] != nil, "\(key)") }

        let text = try await run(["ask", "--planner", "builtin", "how many users are in email-q1"])
        #expect(text.status == 0 && text.stdout.contains("guard: allowed (reads fct_experiment_cohort)") && text.stdout.contains("FROM fct_experiment_cohort"))

        let unknown = try await run(["ask", "--planner", "builtin", "what is the weather?"])
        #expect(unknown.status == 1 && unknown.stderr.contains("does not understand") && unknown.stderr.contains("LLM planner"), "\(unknown.stderr)")
        let unconfigured = try await run(["ask", "--planner", "llm", "anything"])
        #expect(unconfigured.status == 1 && unconfigured.stderr.contains("HOLDOUT_LLM_URL"), "\(unconfigured.stderr)")

        // The LLM planner (auto with HOLDOUT_LLM_URL) against an endpoint that answers with a query reading api_keys.
        let router = Router()
        router.post("v1/chat/completions") { _, _ -> Response in
            let content = "```sql\nSELECT key_hash FROM api_keys\n```"
            let body = try JSONSerialization.data(withJSONObject: ["choices": [["message": ["role": "assistant", "content": content]]]])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let llm = ["HOLDOUT_LLM_URL": "http://127.0.0.1:\(port)/v1", "HOLDOUT_LLM_MODEL": "fake", "HOLDOUT_LLM_KEY": "sk-test"]
            let refused = try await run(["ask", "--json", "which experiments are significant?"], llm)
            #expect(refused.status == 3, "\(refused.stderr)")
            let out = try refused.json()
            #expect(out["planner"] as? String == "llm" && out["sql"] as? String == "SELECT key_hash FROM api_keys")
            #expect((out["verdict"] as? [String: Any])?["reason"] as? String == "relation \"api_keys\" is not an allowed asset")
            #expect(out["executed"] as? Bool == false && (out["rows"] as? [Any])?.isEmpty == true)
            #expect((out["answer"] as? String)?.hasPrefix("The guard refused the llm planner's query: relation \"api_keys\" is not an allowed asset.") == true)
            let plain = try await run(["ask", "which experiments are significant?"], llm)
            #expect(
                plain.status == 3 && plain.stdout.contains("guard: refused — relation \"api_keys\" is not an allowed asset")
                    && plain.stdout.contains("Nothing ran"))
            // --planner builtin ignores the endpoint.
            let builtin = try await run(["ask", "--planner", "builtin", "--json", "which experiments are significant?"], llm)
            #expect(builtin.status == 0)
            #expect(try builtin.json()["planner"] as? String == "builtin")
        }
    }
}
