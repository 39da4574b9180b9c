import AsyncHTTPClient
public import Foundation
import HoldoutModel
import HoldoutSQLGuard
import HoldoutStore
import NIOCore
import NIOHTTP1

/// A planner that asks a model behind any OpenAI-compatible chat-completions endpoint
/// (OpenAI, Azure OpenAI's v1 API, vLLM, Ollama, llama.cpp's server, LiteLLM, …) to write the SQL.
///
/// It POSTs `{base}/chat/completions` with the model, temperature 0, a system prompt built from
/// the semantic contract (``systemPrompt(context:)``) and the question, and takes the SQL from
/// the first ```` ```sql ```` fence of the answer (else the first fence, else the whole content).
/// The base URL is the API's root **including its version**, the way OpenAI's SDKs take
/// `base_url`: `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`; a URL that already ends
/// with `/chat/completions` is used as it is. The key, when there is one, goes in
/// `Authorization: Bearer …`. Redirects are not followed (they would carry the key elsewhere).
///
/// The model is not trusted: ``Ask`` checks whatever SQL comes back with the guard and runs it
/// behind the second wall only when the guard allows it.
///
/// ```swift
/// let planner = try LLMPlanner(configuration: .init(url: "http://127.0.0.1:11434/v1", model: "qwen2.5-coder"))
/// let plan = try await planner.plan("which variant of email-q1 converts best?", context: context)
/// ```
public struct LLMPlanner: QuestionPlanner {
    public struct Configuration: Sendable, Hashable {
        /// The API's base URL, including its version (`…/v1`).
        public var url: String
        public var model: String
        /// Sent as `Authorization: Bearer <key>` when not nil or empty.
        public var key: String?
        /// The whole exchange, connection to last byte.
        public var timeout: Duration
        /// A longer response body is refused.
        public var maximumResponseBytes: Int

        public init(url: String, model: String, key: String? = nil, timeout: Duration = .seconds(60), maximumResponseBytes: Int = 1 << 20) {
            self.url = url
            self.model = model
            self.key = key
            self.timeout = timeout
            self.maximumResponseBytes = maximumResponseBytes
        }

        /// From `HOLDOUT_LLM_URL`, `HOLDOUT_LLM_MODEL` and `HOLDOUT_LLM_KEY`; nil when
        /// `HOLDOUT_LLM_URL` is unset or empty.
        public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Configuration? {
            guard let url = environment["HOLDOUT_LLM_URL"], !url.isEmpty else { return nil }
            return Configuration(url: url, model: environment["HOLDOUT_LLM_MODEL"] ?? "", key: environment["HOLDOUT_LLM_KEY"])
        }
    }

    public let name = "llm"
    public let configuration: Configuration
    /// Where the request goes: the base URL + `/chat/completions`.
    public let endpoint: String

    /// The longest timeout and the largest response one may configure.
    public static let maximumTimeout: Duration = .seconds(600)
    public static let maximumResponseBytesLimit = 16 << 20

    /// - Throws: ``PlanningError`` `notConfigured` for a URL that is not http(s) with a host, an
    ///   empty model, or limits out of range.
    public init(configuration: Configuration) throws(PlanningError) {
        guard let components = URLComponents(string: configuration.url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty, components.query == nil, components.fragment == nil
        else {
            throw PlanningError(
                .notConfigured,
                "HOLDOUT_LLM_URL must be an http(s) URL of an OpenAI-compatible API, including its version (e.g. https://api.openai.com/v1), got \"\(configuration.url.prefix(200))\""
            )
        }
        guard components.user == nil, components.password == nil else {
            throw PlanningError(.notConfigured, "HOLDOUT_LLM_URL must not hold credentials: put the key in HOLDOUT_LLM_KEY")
        }
        let model = configuration.model.trimmingCharacters(in: .whitespaces)
        guard !model.isEmpty, model.utf8.count <= 200 else {
            throw PlanningError(.notConfigured, "HOLDOUT_LLM_MODEL must name the model (1–200 bytes), e.g. gpt-4o-mini")
        }
        guard configuration.timeout > .zero, configuration.timeout <= Self.maximumTimeout else {
            throw PlanningError(.notConfigured, "the LLM timeout must be in (0, \(Self.maximumTimeout)]")
        }
        guard (1...Self.maximumResponseBytesLimit).contains(configuration.maximumResponseBytes) else {
            throw PlanningError(.notConfigured, "the LLM response limit must be 1…\(Self.maximumResponseBytesLimit) bytes")
        }
        if let key = configuration.key, key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw PlanningError(.notConfigured, "HOLDOUT_LLM_KEY must not contain control characters")
        }
        var base = configuration.url
        while base.hasSuffix("/") { base.removeLast() }
        endpoint = base.hasSuffix("/chat/completions") ? base : base + "/chat/completions"
        var trimmed = configuration
        trimmed.model = model
        self.configuration = trimmed
    }

    // MARK: The exchange

    struct ChatRequest: Encodable {
        struct Message: Codable {
            var role: String
            var content: String?
        }
        var model: String
        var temperature: Double
        var messages: [Message]
    }

    struct ChatResponse: Decodable {
        struct Choice: Decodable {
            var message: ChatRequest.Message?
        }
        var choices: [Choice]?
    }

    struct ErrorResponse: Decodable {
        struct Detail: Decodable { var message: String? }
        var error: Detail?
    }

    public func plan(_ question: String, context: PlanningContext) async throws(PlanningError) -> QueryPlan {
        let text = try validatedQuestion(question)
        let body: Data
        do {
            body = try JSONEncoder().encode(
                ChatRequest(
                    model: configuration.model, temperature: 0,
                    messages: [.init(role: "system", content: Self.systemPrompt(context: context)), .init(role: "user", content: text)]))
        } catch {
            throw PlanningError(.invalidInput, "the request could not be encoded: \(error)")
        }
        let (status, data) = try await post(body)
        guard (200..<300).contains(status) else {
            let detail = (try? JSONDecoder().decode(ErrorResponse.self, from: data))?.error?.message ?? String(decoding: data.prefix(300), as: UTF8.self)
            let shown = detail.trimmingCharacters(in: .whitespacesAndNewlines)
            throw PlanningError(.endpoint, "the LLM endpoint \(endpoint) answered HTTP \(status)" + (shown.isEmpty ? "" : ": \(shown.prefix(300))"))
        }
        let response: ChatResponse
        do {
            response = try JSONDecoder().decode(ChatResponse.self, from: data)
        } catch {
            throw PlanningError(
                .badResponse, "the LLM endpoint's answer is not a chat completion (JSON with choices): \(String(decoding: data.prefix(120), as: UTF8.self))")
        }
        guard let choices = response.choices, let first = choices.first else {
            throw PlanningError(.badResponse, "the LLM endpoint's answer has no choices")
        }
        guard let content = first.message?.content, !content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw PlanningError(.badResponse, "the LLM endpoint's first choice has no message content")
        }
        guard let sql = Self.extractSQL(from: content) else {
            throw PlanningError(.badResponse, "the model's answer holds no SQL: \(content.prefix(200))")
        }
        return QueryPlan(
            planner: name, sql: sql, explanation: "SQL written by the model \(configuration.model) at \(endpoint), from the semantic contract.",
            intent: .freeform)
    }

    /// POSTs the body; returns the status and the body read up to the limit.
    func post(_ body: Data) async throws(PlanningError) -> (Int, Data) {
        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        if let key = configuration.key, !key.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        let timeout = TimeAmount.nanoseconds(
            configuration.timeout.components.seconds * 1_000_000_000 + configuration.timeout.components.attoseconds / 1_000_000_000)
        // A client of its own: no redirects (they would carry the key to another host), and the
        // connect time bounded by the same timeout.
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.redirectConfiguration = .disallow
        clientConfiguration.timeout = .init(connect: timeout, read: timeout)
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration)
        let result: Result<(Int, Data), PlanningError>
        do {
            let deadline = NIODeadline.now() + timeout
            let response = try await client.execute(request, deadline: deadline)
            do {
                let buffer = try await response.body.collect(upTo: configuration.maximumResponseBytes)
                result = .success((Int(response.status.code), Data(buffer.readableBytesView)))
            } catch is NIOTooManyBytesError {
                result = .failure(
                    PlanningError(.endpoint, "the LLM endpoint's answer is larger than \(configuration.maximumResponseBytes) bytes; it was not read"))
            }
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            result = .failure(PlanningError(.endpoint, "the LLM endpoint \(endpoint) did not answer within \(configuration.timeout)"))
        } catch {
            result = .failure(PlanningError(.endpoint, "the LLM endpoint \(endpoint) could not be reached: \(error)"))
        }
        try? await client.shutdown()
        return try result.get()
    }

    /// The SQL of a model's answer: the first ```` ```sql ```` fence, else the first fence of
    /// any language, else the whole content; trimmed; nil when empty.
    public static func extractSQL(from content: String) -> String? {
        var sql = content
        if let match = content.firstMatch(of: #/(?i)```[ \t]*(?:sql|postgresql|postgres|sqlite)[ \t]*\r?\n(.*?)```/#.dotMatchesNewlines()) {
            sql = String(match.1)
        } else if let match = content.firstMatch(of: #/```[^\n`]*\r?\n(.*?)```/#.dotMatchesNewlines()) {
            sql = String(match.1)
        }
        let trimmed = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    // MARK: The prompt

    /// The system prompt: the rules, the engine, the date, the semantic contract (every view,
    /// its grain, keys, description and columns) and the tenant's experiment keys.
    public static func systemPrompt(context: PlanningContext) -> String {
        let engine: String
        switch context.dialect {
        case .sqlite:
            engine = """
                SQLite 3.40. date_day is 'YYYY-MM-DD' text; timestamps (assigned_at, first_exposure_at, computed_at) are integers, \
                microseconds since the Unix epoch, UTC: date(assigned_at / 1000000, 'unixepoch') gives the day. \
                Identifiers in double quotes, strings in single quotes.
                """
        case .postgres:
            engine = """
                PostgreSQL 15. date_day is a DATE; timestamps (assigned_at, first_exposure_at, computed_at) are BIGINT microseconds \
                since the Unix epoch, UTC: to_timestamp(assigned_at / 1000000.0) gives a timestamptz. Identifiers in double quotes, \
                strings in single quotes; integer division truncates, so cast to double precision for rates.
                """
        }
        let now = Timestamp(context.now)
        let today = Timestamp.dayString(now.dayNumber)
        let functions = context.dialect.defaultAllowedFunctions.sorted().joined(separator: ", ")
        var lines = [
            "You write one SQL query that answers an analyst's question about the A/B experiments in Holdout, an experimentation platform.",
            "",
            "Rules (a guard checks the query and refuses anything else; a refused query is not run):",
            "- Exactly one SELECT statement (WITH … SELECT, UNION, joins, subqueries and window functions are fine). "
                + "No INSERT, UPDATE, DELETE, DDL, PRAGMA, SET, INTO, locking clause or recursive CTE.",
            "- Read only the views listed below, by their plain names: no other table, no system catalog, no other schema. "
                + "A CTE must not take the name of a view or table.",
            "- Call only these functions: \(functions).",
            "- List the columns you need, add ORDER BY, and return at most 1000 rows.",
            "- Answer with the query in a ```sql fenced block. If the views cannot answer the question, "
                + "write a query that returns what they can and say so in one sentence after the block.",
            "",
            "Engine: \(engine)",
            "Today is \(today) (UTC); now is \(now.microseconds) microseconds since the epoch. Weeks start on Monday.",
            "",
            SemanticContract.tenancy,
            "",
            "Views:",
        ]
        for asset in SemanticContract.assets {
            lines.append("")
            lines.append("\(asset.name): one row per \(asset.grain); key (\(asset.primaryKeys.joined(separator: ", "))).")
            lines.append(asset.description)
            for column in asset.columns { lines.append("- \(column.name) (\(column.type)): \(column.description)") }
        }
        if !context.experimentKeys.isEmpty {
            let keys = context.experimentKeys.prefix(200)
            lines.append("")
            lines.append(
                "Experiment keys of this tenant: \(keys.joined(separator: ", "))"
                    + (context.experimentKeys.count > keys.count ? " (and \(context.experimentKeys.count - keys.count) more)" : "") + ".")
        }
        return lines.joined(separator: "\n")
    }
}
