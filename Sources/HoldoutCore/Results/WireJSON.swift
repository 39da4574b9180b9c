public import Foundation

/// How the HTTP API writes JSON, in one place: sorted keys, nothing else. The REST API's answers
/// and the MCP server's tool results (`get_results`) both go through it, so the same value reads
/// the same byte for byte on either.
public enum WireJSON {
    /// The encoder the API answers with.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// `value` as the API writes it.
    public static func encode(_ value: some Encodable) throws -> Data {
        try encoder().encode(value)
    }
}
