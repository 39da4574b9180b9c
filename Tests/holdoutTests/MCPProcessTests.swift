import Foundation
import Testing

/// `holdout mcp` as a subprocess speaking JSON-RPC over its standard input and output, as an
/// MCP client (Claude Desktop and others) runs it.
@Suite("holdout mcp over stdio")
struct MCPProcessTests {
    @Test("initialize, tools/list, tools/call with a legitimate and a malicious query; stdout holds JSON-RPC lines only")
    func exchange() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("holdout-mcp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("mcp.sqlite").path
        #expect(
            try await CLI.run([
                "experiment", "create", "--database", database, "--key", "email-q1", "--name", "Email", "--variants", "control=0.5,treatment=0.5",
            ])
            .status == 0)
        let ids = directory.appendingPathComponent("ids.txt")
        try (0..<300).map { "user_\($0)" }.joined(separator: "\n").write(to: ids, atomically: true, encoding: .utf8)
        #expect(
            try await CLI.run(["assign", "--database", database, "--experiment", "email-q1", "--file", ids.path, "--at", "2026-03-01T00:00:00Z"]).status == 0)

        let legitimate =
            "SELECT variation_id, n_users FROM agg_experiment_metric_by_variant WHERE experiment_id = 'email-q1' AND analysis_mode = 'itt' ORDER BY variation_id"
        func call(_ id: Int, _ name: String, _ arguments: [String: Any]) throws -> String {
            let message: [String: Any] = ["jsonrpc": "2.0", "id": id, "method": "tools/call", "params": ["name": name, "arguments": arguments]]
            return String(decoding: try JSONSerialization.data(withJSONObject: message), as: UTF8.self)
        }
        let messages = [
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
            try call(3, "run_guarded_sql", ["sql": legitimate]),
            try call(4, "run_guarded_sql", ["sql": "SELECT key_hash FROM api_keys"]),
            try call(5, "run_guarded_sql", ["sql": "SELECT name, sql FROM sqlite_master"]),
            try call(6, "list_experiments", [:]),
            #"{"jsonrpc":"2.0","id":7,"method":"resources/read","params":{"uri":"holdout://assets/fct_experiment_results"}}"#,
        ]
        // Standard input ends right after the last message: every request still gets its answer.
        let run = try await CLI.run(["mcp", "--database", database, "--log-level", "info"], stdin: messages.joined(separator: "\n") + "\n")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("serving MCP over stdio"), "logs go to standard error: \(run.stderr)")

        // Standard output: JSON-RPC 2.0 messages, one per line, nothing else.
        var answers: [Int: [String: Any]] = [:]
        for line in run.stdout.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            let object = try #require(try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON-RPC: \(line)")
            #expect(object["jsonrpc"] as? String == "2.0", "\(line)")
            let id = try #require(object["id"] as? Int, "\(line)")
            answers[id] = object
        }
        #expect(run.stdout.hasSuffix("\n"))
        #expect(answers.keys.sorted() == [1, 2, 3, 4, 5, 6, 7], "\(run.stdout)")

        let serverInfo = (answers[1]?["result"] as? [String: Any])?["serverInfo"] as? [String: Any]
        #expect(serverInfo?["name"] as? String == "holdout")
        let tools = try #require((answers[2]?["result"] as? [String: Any])?["tools"] as? [[String: Any]])
        #expect(tools.compactMap { $0["name"] as? String } == ["list_experiments", "get_results", "describe_assets", "run_guarded_sql"])

        func toolText(_ id: Int) throws -> (text: String, isError: Bool) {
            let result = try #require(answers[id]?["result"] as? [String: Any], "\(answers[id] ?? [:])")
            let content = try #require(result["content"] as? [[String: Any]])
            return (content.compactMap { $0["text"] as? String }.joined(), result["isError"] as? Bool ?? false)
        }
        // The legitimate query answers what `holdout sql run` answers.
        let legit = try toolText(3)
        #expect(!legit.isError, "\(legit.text)")
        let viaMCP = try #require(try JSONSerialization.jsonObject(with: Data(legit.text.utf8)) as? NSDictionary)
        let viaCLI = try #require(
            try JSONSerialization.jsonObject(with: Data(try await CLI.run(["sql", "run", "--database", database, "--json", legitimate]).stdout.utf8))
                as? NSDictionary
        )
        #expect(viaMCP == viaCLI)
        #expect(((viaMCP["rows"] as? [[Any]])?.compactMap { $0[1] as? Int }.reduce(0, +)) == 300)

        // The malicious ones are tool errors that give the guard's reason.
        #expect(try toolText(4) == (text: "refused: relation \"api_keys\" is not an allowed asset", isError: true))
        let catalog = try toolText(5)
        #expect(catalog.isError && catalog.text.hasPrefix("refused: ") && catalog.text.contains("sqlite_master"), "\(catalog.text)")

        #expect(try toolText(6).text.contains("\"key\":\"email-q1\""))
        let contents = try #require((answers[7]?["result"] as? [String: Any])?["contents"] as? [[String: Any]])
        #expect((contents.first?["text"] as? String)?.contains("\"asset_name\":\"fct_experiment_results\"") == true)
    }
}
