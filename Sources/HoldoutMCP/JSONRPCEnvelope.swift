public import MCP

/// The parts of a JSON-RPC 2.0 message that decide whether the SDK can answer it: the version,
/// the method, an id that is a string or an integer, and object `params`.
///
/// The SDK answers a request only when it can decode it; a message with an id of another type
/// (`1.5`, `true`) or `params` that are not an object can be taken for a notification and never
/// answered. Whoever waits for answers (an HTTP request, the end of standard input) checks
/// messages with this first.
public struct JSONRPCEnvelope: Decodable, Sendable {
    /// An id an answer can be matched to.
    public enum Identifier: Decodable, Sendable, Hashable {
        case integer(Int)
        case string(String)

        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let value = try? c.decode(Int.self) {
                self = .integer(value)
            } else {
                self = .string(try c.decode(String.self))
            }
        }
    }

    public var jsonrpc: String
    public var method: String?
    public var id: Identifier?
    public var params: [String: Value]?

    /// A request the server answers: a method and an id.
    public var isRequest: Bool { method != nil && id != nil }
}
