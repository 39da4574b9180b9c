import Foundation
import HTTPTypes
import HoldoutCore
import Hummingbird
import NIOCore

// The one JSON boundary of the HTTP API: request bodies are decoded once into typed `Decodable`
// values (failures become a 400 naming the field), answers are typed `Encodable` values written
// with sorted keys.

/// Decodes JSON, mapping failures to a 400 naming the field.
func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
    guard !data.isEmpty else { throw APIError.badRequest("the request body is empty; send a JSON object") }
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let error as DecodingError {
        throw APIError.describing(error)
    }
}

/// A JSON response.
func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try WireJSON.encode(value)
    var headers = HTTPFields()
    headers[.contentType] = "application/json; charset=utf-8"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

extension Request {
    /// The body, up to the context's limit (413 beyond).
    mutating func bodyData(context: HoldoutRequestContext) async throws -> Data {
        let buffer = try await collectBody(upTo: context.maxUploadSize)
        return Data(buffer.readableBytesView)
    }
}

extension Request {
    /// The body's top-level keys, to refuse unknown fields where a typo would be silently ignored.
    func rejectUnknownKeys(_ data: Data, allowed: Set<String>) throws {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.badRequest("unknown field '\(unknown)' (allowed: \(allowed.sorted().joined(separator: ", ")))", field: unknown)
        }
    }
}

extension APIError {
    static func describing(_ error: DecodingError) -> APIError {
        func path(_ codingPath: [any CodingKey]) -> String {
            var out = ""
            for key in codingPath {
                if let index = key.intValue { out += "[\(index)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
            }
            return out
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return .badRequest("\(field) is required", field: field)
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return .badRequest("\(field.isEmpty ? "the body" : field) has the wrong type (expected \(Self.typeName(type)))", field: field.isEmpty ? nil : field)
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return .badRequest("\(field) must not be null (expected \(Self.typeName(type)))", field: field)
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return .badRequest(
                field.isEmpty ? "the body is not valid JSON\(underlying.map { ": \($0)" } ?? "")" : "\(field): \(context.debugDescription)",
                field: field.isEmpty ? nil : field)
        @unknown default:
            return .badRequest("the body cannot be decoded: \(error)")
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Double.Type, is Int.Type, is Int64.Type: "a number"
        case is Bool.Type: "true or false"
        default: type is [Any].Type ? "an array" : "\(type)".lowercased().contains("array") ? "an array" : "an object"
        }
    }
}

/// An experiment named in a body by its numeric id or its key.
struct ExperimentReference: Decodable, Sendable {
    var text: String

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let id = try? c.decode(Int64.self) {
            text = String(id)
        } else {
            text = try c.decode(String.self)
        }
    }
}
