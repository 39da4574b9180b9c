import Foundation
public import HTTPTypes
import HoldoutModel
import HoldoutStats
import HoldoutStore
public import Hummingbird
import Logging
import NIOCore

/// An API error, returned as `{"error": {"code", "message", "field"}}` with its status.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var field: String?

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(.badRequest, code: "invalid_input", message, field: field)
    }

    static func notFound(_ message: String) -> APIError { APIError(.notFound, code: "not_found", message) }

    struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var field: String?

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(code, forKey: .code)
                try c.encode(message, forKey: .message)
                try c.encode(field, forKey: .field)  // null when none, so clients can rely on the key
            }
            enum CodingKeys: String, CodingKey { case code, message, field }
        }
        var error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(Body(error: .init(code: code, message: message, field: field)))) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Maps any error from the layers below to an API error; nothing becomes a bare 500 except
    /// a failure of the database itself.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as StoreError:
            switch error.code {
            case .invalidInput: return APIError(.badRequest, code: "invalid_input", error.message, field: error.field)
            case .notFound: return APIError(.notFound, code: "not_found", error.message, field: error.field)
            case .conflict: return APIError(.conflict, code: "conflict", error.message, field: error.field)
            case .invalidTransition: return APIError(.conflict, code: "invalid_transition", error.message, field: error.field)
            case .unavailable: return APIError(.serviceUnavailable, code: "unavailable", error.message, field: error.field)
            default: return APIError(.internalServerError, code: "database_error", error.message, field: error.field)
            }
        case let error as StatsError:
            return APIError(.badRequest, code: "invalid_input", error.message, field: error.field)
        case let error as AnalyticsPool.Refusal:
            switch error.reason {
            case .busy: return APIError(.tooManyRequests, code: "too_many_requests", error.message)
            case .timedOut: return APIError(.serviceUnavailable, code: "query_timeout", error.message)
            case .shuttingDown: return APIError(.serviceUnavailable, code: "shutting_down", error.message)
            }
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            return APIError(
                .contentTooLarge, code: "body_too_large", "the request body is larger than \(HoldoutRequestContext.maximumBody >> 20) MiB; send smaller batches"
            )
        case let error as any HTTPResponseError:
            return APIError(error.status, code: error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_"), "\(error)")
        default:
            return APIError(.internalServerError, code: "internal_error", "\(error)")
        }
    }
}

/// Turns every error a route throws into the JSON error shape.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError.from(error)
            if apiError.status == .internalServerError {
                context.logger.error("request failed", metadata: ["path": .string(request.uri.path), "error": .string("\(error)")])
            }
            return try apiError.response(from: request, context: context)
        }
    }
}
