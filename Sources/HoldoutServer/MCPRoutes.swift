import Foundation
import HTTPTypes
import HoldoutCore
import HoldoutMCP
import HoldoutModel
import HoldoutQuery
import HoldoutStore
import Hummingbird
import MCP
import NIOCore

/// `POST /mcp`: the Model Context Protocol over HTTP (issue 14), the same tools and resources as
/// `holdout mcp`, for the tenant of the API key.
///
/// Behind the same ``AuthMiddleware`` as `/api` (no key or an unknown one: 401). Any key will do,
/// read scope included, and no key gets more than reading: every tool only reads. The tenant is
/// the key's, fixed when the request's server is made, so no message can reach another tenant's
/// experiments or rows (on PostgreSQL `run_guarded_sql` also checks that the reader role is the
/// tenant's).
///
/// One MCP server and one stateless transport per HTTP request: the stateless transport matches
/// answers to waiting requests by JSON-RPC id, so two clients sharing one transport that both
/// send id 1 would get each other's answers (and tenants would share a server). A server per
/// request costs a few allocations, and keeps no session — no `Mcp-Session-Id`, no server-sent
/// events, so GET and DELETE are not routed — which is all that four read-only tools need.
/// The SDK's default validation checks that the Origin is localhost, against DNS rebinding of a
/// local server; here the bearer key is required instead (a rebinding page cannot send it), and
/// the server may listen beyond localhost, so the pipeline keeps the Accept, Content-Type and
/// protocol-version checks only.
struct MCPRoutes {
    let store: Store
    let analytics: AnalyticsPool
    let runner: GuardedQueryRunner
    /// The largest JSON-RPC message accepted (a query is at most 64 KiB).
    static let maximumBody = 1 << 20
    /// A call still unanswered after this is stopped (the longest SQL time limit is 300 s;
    /// results run on the analytics pool, which has a limit of its own).
    static let deadline: Duration = .seconds(330)

    func register(on group: RouterGroup<HoldoutRequestContext>) {
        group.post(use: handle)
        // No session and no server-sent events: the Streamable HTTP transport says GET (the event
        // stream) and DELETE (ending a session) are then 405, which clients take as "not offered".
        group.get(use: methodNotAllowed)
        group.delete(use: methodNotAllowed)
    }

    @Sendable func methodNotAllowed(_ request: Hummingbird.Request, context: HoldoutRequestContext) async throws -> Hummingbird.Response {
        _ = try context.require(.read)
        var response = try APIError(.methodNotAllowed, code: "method_not_allowed", "this MCP endpoint is stateless: send JSON-RPC messages with POST")
            .response(from: request, context: context)
        response.headers[.allow] = "POST"
        return response
    }

    @Sendable func handle(_ request: Hummingbird.Request, context: HoldoutRequestContext) async throws -> Hummingbird.Response {
        let principal = try context.require(.read)
        var request = request
        let body: Data
        do {
            body = Data(try await request.collectBody(upTo: Self.maximumBody).readableBytesView)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, code: "body_too_large", "the MCP message is larger than \(Self.maximumBody >> 20) MiB")
        }
        try Self.checkMessage(body)
        let tenant = principal.tenant
        let analytics = analytics
        let service = MCPService(
            store: store, tenant: tenant, runner: runner,
            results: { experiment, mode, alpha, metric in
                try await analytics.run(tenant: tenant) { store in
                    try await ResultsService.compute(experiment: experiment, source: store, mode: mode, alpha: alpha, metric: metric)
                }
            },
            // A guarded query runs on its own wall connection, but takes one of the tenant's
            // analytics slots while it does: a tenant's queries wait behind its own (or are
            // refused past the queue), and never hold up another tenant's, and the pool's time
            // limit bounds them too.
            admission: { run in try await analytics.run(tenant: tenant) { _ in try await run() } })
        let server = await service.makeServer()
        let transport = StatelessHTTPServerTransport(
            validationPipeline: StandardValidationPipeline(validators: [
                AcceptHeaderValidator(mode: .jsonOnly), ContentTypeValidator(), ProtocolVersionValidator(),
            ]))
        try await server.start(transport: transport)
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
        }
        // A backstop: stopping the server answers the waiting request at once.
        let watchdog = Task { () -> Bool in
            do {
                try await Task.sleep(for: Self.deadline)
            } catch {
                return false
            }
            await server.stop()
            return true
        }
        let answer = await transport.handleRequest(MCP.HTTPRequest(method: "POST", headers: headers, body: body, path: "/mcp"))
        watchdog.cancel()
        let timedOut = await watchdog.value
        await server.stop()
        if timedOut {
            throw APIError(.serviceUnavailable, code: "timeout", "the MCP call did not finish within \(Self.deadline)")
        }
        return Self.response(answer)
    }

    /// Refuses, before the SDK sees it, a body that is not one JSON-RPC 2.0 message the SDK can
    /// classify and answer: a JSON object with `"jsonrpc": "2.0"`, a string `method` (or, for a
    /// response, an id), an id that is a string or an integer, object `params`. A batch is not
    /// answered by the stateless transport, and a request whose id or params the SDK cannot
    /// decode would wait for an answer that never comes.
    static func checkMessage(_ body: Data) throws {
        let envelope: JSONRPCEnvelope
        do {
            envelope = try JSONDecoder().decode(JSONRPCEnvelope.self, from: body)
        } catch let error as DecodingError {
            let reason: String
            switch error {
            case .keyNotFound(let key, _): reason = "\"\(key.stringValue)\" is required"
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                let field = context.codingPath.first?.stringValue
                switch field {
                case "id": reason = "\"id\" must be a string or an integer"
                case "params": reason = "\"params\" must be an object"
                case let field?: reason = "\"\(field)\" has the wrong type"
                case nil: reason = "send one JSON object (batches are not supported)"
                }
            @unknown default: reason = "it cannot be decoded"
            }
            throw APIError.badRequest("not a JSON-RPC 2.0 message: \(reason)")
        }
        guard envelope.jsonrpc == "2.0" else { throw APIError.badRequest("not a JSON-RPC 2.0 message: \"jsonrpc\" must be \"2.0\"") }
        guard envelope.method != nil || envelope.id != nil else { throw APIError.badRequest("not a JSON-RPC 2.0 message: it has no \"method\"") }
    }

    static func response(_ answer: MCP.HTTPResponse) -> Hummingbird.Response {
        var headers = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        if case .stream = answer {
            // The stateless transport never streams.
            return Hummingbird.Response(status: .internalServerError)
        }
        let body = answer.bodyData.map { ByteBuffer(bytes: $0) } ?? ByteBuffer()
        return Hummingbird.Response(status: HTTPTypes.HTTPResponse.Status(code: answer.statusCode), headers: headers, body: .init(byteBuffer: body))
    }
}
