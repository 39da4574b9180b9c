import Foundation
public import HoldoutCore
public import HoldoutModel
public import HoldoutQuery
import HoldoutSQLGuard
public import HoldoutStore
public import MCP

/// Holdout's Model Context Protocol server for one store and one tenant (issue 14): four
/// read-only tools and the semantic assets as resources, on any transport (stdio in `holdout mcp`,
/// one HTTP request in `holdout serve`'s `POST /mcp`, in memory in the tests).
///
/// Tools (``Tool/Name``): `list_experiments`, `get_results` (the REST API's results JSON, byte for
/// byte), `describe_assets` (the semantic contract) and `run_guarded_sql` (the guard, then the
/// second wall, always — a refusal is a tool error that gives the guard's reason). Every argument
/// is checked (a missing, unknown or mistyped one is a tool error naming it) and every answer is
/// bounded (``Limits``). The tenant is fixed when the service is made: nothing a client sends
/// can change whose experiments or rows it sees.
///
/// ```swift
/// let service = MCPService(store: store, tenant: "acme")
/// let server = await service.makeServer()
/// try await server.start(transport: StdioTransport())
/// await server.waitUntilCompleted()
/// ```
public struct MCPService: Sendable {
    /// The bounds on what one call returns.
    public struct Limits: Sendable, Hashable {
        /// The most bytes of text in one tool result or resource. A larger SQL result keeps the
        /// rows that fit and says `"truncated": true`; a larger list keeps the newest experiments.
        public var responseBytes = 1 << 20
        /// The most experiments `list_experiments` returns (the newest first).
        public var experiments = 500

        public init() {}
    }

    /// Computes an experiment's results (the server runs them on its analytics pool, the CLI on
    /// the store).
    public typealias ResultsProvider =
        @Sendable (_ experiment: Experiment, _ mode: AnalysisMode, _ alpha: Double, _ metric: String) async throws -> ExperimentResults

    /// The server's name in `initialize`.
    public static let serverName = "holdout"
    /// The server's version in `initialize` (the package has no release yet: CHANGELOG's "Unreleased").
    public static let serverVersion = "unreleased"

    /// How an approved query is let in to run: by default at once; the server queues it on the
    /// tenant's analytics slots (as it does results), so one tenant's queries cannot crowd out
    /// another's.
    public typealias Admission = @Sendable (_ run: @escaping @Sendable () async throws -> QueryResult) async throws -> QueryResult

    public let store: Store
    /// Whose experiments and rows every tool sees.
    public let tenant: String
    /// The guarded runner every SQL path goes through.
    public let runner: GuardedQueryRunner
    public var limits = Limits()
    let results: ResultsProvider
    let admission: Admission

    /// - Parameters:
    ///   - runner: the guarded runner (default: one on the store's location, with
    ///     `HOLDOUT_SQL_READER_URL` on PostgreSQL).
    ///   - results: how results are computed (default: ``ResultsService/compute`` on `store`,
    ///     nothing saved — the tools only read).
    ///   - admission: when `run_guarded_sql`'s query may run (default: at once).
    public init(
        store: Store, tenant: String, runner: GuardedQueryRunner? = nil, results: ResultsProvider? = nil, admission: Admission? = nil
    ) {
        self.store = store
        self.tenant = tenant
        self.runner = runner ?? GuardedQueryRunner(location: store.location)
        self.results =
            results ?? { experiment, mode, alpha, metric in
                try await ResultsService.compute(experiment: experiment, source: store, mode: mode, alpha: alpha, metric: metric)
            }
        self.admission = admission ?? { run in try await run() }
    }

    /// What the server tells the client about itself in `initialize`.
    public var instructions: String {
        """
        Holdout: the experiments of tenant "\(tenant)". list_experiments lists them; get_results gives one experiment's results \
        (arms, uplift, interval, p-value, SRM, sequential view) in ITT or exposure mode; describe_assets describes the semantic \
        views; run_guarded_sql runs one SELECT over those views only — anything else is refused with the reason. Every tool only reads.
        """
    }

    /// A server with this service's tools and resources registered, ready to start on a transport.
    public func makeServer() async -> Server {
        let server = Server(
            name: Self.serverName, version: Self.serverVersion, title: "Holdout", instructions: instructions,
            capabilities: .init(resources: .init(subscribe: false, listChanged: false), tools: .init(listChanged: false)))
        let service = self
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: Tool.all) }
        await server.withMethodHandler(CallTool.self) { parameters in try await service.call(parameters.name, arguments: parameters.arguments) }
        await server.withMethodHandler(ListResources.self) { _ in ListResources.Result(resources: Self.resources) }
        await server.withMethodHandler(ReadResource.self) { parameters in try service.read(uri: parameters.uri) }
        return server
    }

    /// Runs a tool. A tool's failure (bad arguments, an unknown experiment, a refused query) is a
    /// result with `isError: true` and the reason as text; only an unknown tool is a protocol error.
    ///
    /// - Throws: `MCPError.invalidParams` for an unknown tool.
    public func call(_ name: String, arguments: [String: Value]?) async throws(MCPError) -> CallTool.Result {
        guard let tool = Tool.Name(rawValue: name) else {
            throw MCPError.invalidParams("unknown tool '\(name.prefix(100))' (tools: \(Tool.Name.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        do {
            let arguments = try ToolArguments(arguments ?? [:], allowed: tool.arguments)
            let text: String
            switch tool {
            case .listExperiments: text = try await listExperiments(arguments)
            case .getResults: text = try await getResults(arguments)
            case .describeAssets: text = try bounded(encoded(SemanticContract.document))
            case .runGuardedSQL: text = try await runGuardedSQL(arguments)
            }
            return CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)])
        } catch {
            return CallTool.Result(content: [.text(text: error.message, annotations: nil, _meta: nil)], isError: true)
        }
    }

    // MARK: Tools

    /// One experiment in `list_experiments`: what an assistant needs to pick one and ask for its results.
    struct ExperimentSummary: Encodable {
        var key: String
        var name: String
        var status: ExperimentStatus
        var channel: String?
        var variants: [Variant]
        var startAt: Timestamp?
        var endAt: Timestamp?
        var conversionKey: String?
        var conversionWindowDays: Int

        init(_ experiment: Experiment) {
            key = experiment.key
            name = experiment.name
            status = experiment.status
            channel = experiment.channel
            variants = experiment.variants
            startAt = experiment.startAt
            endAt = experiment.endAt
            conversionKey = experiment.conversionKey
            conversionWindowDays = experiment.conversionWindowDays
        }

        enum CodingKeys: String, CodingKey {
            case key, name, status, channel, variants
            case startAt = "start_at"
            case endAt = "end_at"
            case conversionKey = "conversion_key"
            case conversionWindowDays = "conversion_window_days"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(key, forKey: .key)
            try c.encode(name, forKey: .name)
            try c.encode(status, forKey: .status)
            try c.encode(channel, forKey: .channel)
            try c.encode(variants, forKey: .variants)
            try c.encode(startAt, forKey: .startAt)
            try c.encode(endAt, forKey: .endAt)
            try c.encode(conversionKey, forKey: .conversionKey)
            try c.encode(conversionWindowDays, forKey: .conversionWindowDays)
        }
    }

    struct ExperimentList: Encodable {
        var experiments: [ExperimentSummary]
        /// More experiments matched than the list holds.
        var truncated: Bool
    }

    func listExperiments(_ arguments: ToolArguments) async throws(ToolError) -> String {
        var status: ExperimentStatus?
        if let text = try arguments.string("status", maximumBytes: 32) {
            guard let parsed = ExperimentStatus(rawValue: text) else {
                throw ToolError("status: '\(text)' is not one of \(ExperimentStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = parsed
        }
        let experiments: [Experiment]
        do {
            experiments = try await store.experiments(status: status, tenant: tenant)
        } catch {
            throw ToolError(error.message)
        }
        // The newest first, as many as fit in the count and the byte limits.
        var list = ExperimentList(experiments: [], truncated: false)
        var bytes = try encodedCount(list)
        for experiment in experiments {
            let summary = ExperimentSummary(experiment)
            let size = try encodedCount(summary) + 1
            guard list.experiments.count < limits.experiments, bytes + size <= limits.responseBytes else {
                list.truncated = true
                break
            }
            list.experiments.append(summary)
            bytes += size
        }
        return try bounded(encoded(list))
    }

    func getResults(_ arguments: ToolArguments) async throws(ToolError) -> String {
        let key = try arguments.requiredString("experiment", maximumBytes: 256)
        let modeText = try arguments.requiredString("mode", maximumBytes: 16)
        guard let mode = AnalysisMode(rawValue: modeText) else { throw ToolError("mode: '\(modeText)' is not itt or exposure") }
        let alpha = try arguments.number("alpha") ?? 0.05
        guard alpha > 0, alpha < 1 else { throw ToolError("alpha: must be a number in (0, 1), got \(alpha)") }
        let metric = try arguments.string("metric", maximumBytes: 200)
        if metric == "" { throw ToolError("metric: must name a metric (omit it for the experiment's default)") }
        let experiment: Experiment
        do {
            guard let found = try await store.experiment(key: key, tenant: tenant) else {
                throw ToolError("experiment: no experiment '\(key)' (list_experiments lists them)")
            }
            experiment = found
            if let metric {
                let metrics = try await store.outcomeMetrics(experimentID: experiment.id)
                guard metrics.contains(where: { $0.utf8.elementsEqual(metric.utf8) }) else {
                    let named = metrics.map { $0.isEmpty ? "(default)" : $0 }
                    throw ToolError(
                        "metric: experiment '\(key)' has no outcome metric '\(metric)' (it has: \(named.isEmpty ? "none" : named.joined(separator: ", ")))")
                }
            }
        } catch let error as ToolError {
            throw error
        } catch {
            throw ToolError(error.message)
        }
        do {
            return try bounded(WireJSON.encode(try await results(experiment, mode, alpha, metric ?? "")))
        } catch let error as ToolError {
            throw error
        } catch {
            throw ToolError(error.message)
        }
    }

    func runGuardedSQL(_ arguments: ToolArguments) async throws(ToolError) -> String {
        let sql = try arguments.requiredString("sql", maximumBytes: runner.sqlGuard.maximumQueryLength)
        let maxRows = try arguments.integer("max_rows", in: 1...GuardedQueryRunner.maximumRows) ?? 1000
        let timeoutMs = try arguments.integer("timeout_ms", in: 1...Tool.maximumTimeoutMilliseconds) ?? 5000
        if case .postgres = runner.location, let url = runner.readerURL(tenant) {
            // One reader URL may be configured for a server that answers several tenants: the
            // role decides whose rows the views show, so it must be this tenant's.
            let mapped: String?
            do {
                mapped = try await ReaderRole.tenant(ofReaderURL: url, on: store)
            } catch {
                throw ToolError(error.message)
            }
            guard let mapped, mapped.utf8.elementsEqual(tenant.utf8) else {
                throw ToolError(
                    "no reader role is configured for tenant \"\(tenant)\": the configured one reads \(mapped.map { "tenant \"\($0)\"" } ?? "no tenant") "
                        + "(create one with `holdout sql reader --tenant \(tenant)`)")
            }
        }
        let result: QueryResult
        do {
            let runner = runner
            let tenant = tenant
            result = try await admission {
                try await runner.run(sql: sql, tenant: tenant, maxRows: maxRows, timeout: .milliseconds(timeoutMs))
            }
        } catch {
            throw ToolError(error.message)
        }
        return try boundedRows(result)
    }

    // MARK: Bounds

    /// The text of `data`, or a tool error when it is over the response limit.
    func bounded(_ data: Data) throws(ToolError) -> String {
        guard data.count <= limits.responseBytes else {
            throw ToolError("the answer would be \(data.count) bytes, over the \(limits.responseBytes)-byte limit of one tool result")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The result as JSON text, keeping the first rows that fit in the response limit (then
    /// `truncated` is true).
    func boundedRows(_ result: QueryResult) throws(ToolError) -> String {
        let whole = try encoded(result)
        if whole.count <= limits.responseBytes { return String(decoding: whole, as: UTF8.self) }
        var budget = limits.responseBytes - (try encodedCount(QueryResult(columns: result.columns, rows: [], truncated: true)))
        var kept = 0
        for row in result.rows {
            let size = try encodedCount(row) + 1
            guard size <= budget else { break }
            budget -= size
            kept += 1
        }
        guard kept > 0 else {
            throw ToolError("the result's first row alone is over the \(limits.responseBytes)-byte limit of one tool result; select fewer or shorter columns")
        }
        return try bounded(encoded(QueryResult(columns: result.columns, rows: Array(result.rows.prefix(kept)), truncated: true)))
    }

    func encoded(_ value: some Encodable) throws(ToolError) -> Data {
        do {
            return try WireJSON.encode(value)
        } catch {
            throw ToolError("the answer cannot be encoded as JSON: \(error)")
        }
    }

    func encodedCount(_ value: some Encodable) throws(ToolError) -> Int { try encoded(value).count }
}

extension MCPService {
    /// The prefix of the assets' resource URIs: `holdout://assets/fct_experiment_results`, ….
    public static let assetURIPrefix = "holdout://assets/"

    /// One resource per semantic asset, its contract as JSON.
    public static var resources: [Resource] {
        SemanticContract.assets.map { asset in
            Resource(
                name: asset.name, uri: assetURIPrefix + asset.name, title: asset.name, description: asset.description, mimeType: "application/json")
        }
    }

    /// The contract of the asset named by `uri`.
    ///
    /// - Throws: `MCPError.invalidParams` for any other URI.
    public func read(uri: String) throws(MCPError) -> ReadResource.Result {
        guard uri.hasPrefix(Self.assetURIPrefix), let asset = SemanticContract.asset(named: String(uri.dropFirst(Self.assetURIPrefix.count))) else {
            throw MCPError.invalidParams("no resource '\(uri.prefix(200))' (resources: \(Self.assetURIPrefix)<asset>, see resources/list)")
        }
        let text: String
        do {
            text = try bounded(encoded(asset))
        } catch {
            throw MCPError.internalError(error.message)
        }
        return ReadResource.Result(contents: [.text(text, uri: uri, mimeType: "application/json")])
    }
}

extension Error {
    /// The one line a tool error shows: the domain errors' messages, or a description.
    var message: String {
        switch self {
        case let error as ToolError: error.message
        case let error as GuardedQueryError: error.message
        case let error as HoldoutError: error.message
        default: "\(self)"
        }
    }
}
