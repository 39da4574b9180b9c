import Foundation
import HoldoutModel

/// A JSON value that keeps booleans, numbers and strings apart (so `true` is never read as 1).
///
/// The one hand-made JSON value type left, on purpose: a JSON-lines import takes any columns (a
/// `properties` or `covariates` file names its own), so its lines cannot be decoded into a
/// fixed type, and `JSONSerialization` would turn `true` into 1 and lose which was sent. Every
/// other JSON in and out (API bodies, answers, configs) is a typed `Codable` value.
package enum JSONValue: Decodable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    package init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }
}
