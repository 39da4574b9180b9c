import HoldoutModel
import Foundation
import HoldoutStore

/// A JSON object read from untrusted input, with typed accessors whose errors name the field
/// path (`treatment.conversions: expected an integer ≥ 0, got -3`).
struct JSONObject {
    let path: String
    let values: [String: JSONValue]

    init(path: String = "", _ values: [String: JSONValue]) {
        self.path = path
        self.values = values
    }

    /// Parses one JSON object from data.
    static func parse(_ data: Data) throws(CLIError) -> JSONObject {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            let detail = context.underlyingError.map { "\($0)" } ?? context.debugDescription
            throw CLIError("malformed JSON: \(detail)")
        } catch {
            throw CLIError("malformed JSON: \(error)")
        }
        guard case .object(let dictionary) = value else { throw CLIError("the input must be a JSON object") }
        return JSONObject(dictionary)
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Rejects keys outside `allowed`, so a typo (`conversion` for `conversions`) is not ignored.
    func rejectUnknownKeys(_ allowed: Set<String>) throws(CLIError) {
        if let unknown = values.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw CLIError("\(name(unknown)): unknown field (expected one of: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    func has(_ key: String) -> Bool {
        if let value = values[key], case .null = value { return false }
        return values[key] != nil
    }

    func object(_ key: String) throws(CLIError) -> JSONObject {
        guard let raw = values[key] else { throw CLIError("\(name(key)): missing") }
        guard case .object(let dictionary) = raw else {
            throw CLIError("\(name(key)): expected an object, got \(Self.describe(raw))")
        }
        return JSONObject(path: name(key), dictionary)
    }

    func objects(_ key: String) throws(CLIError) -> [JSONObject] {
        guard let raw = values[key] else { throw CLIError("\(name(key)): missing") }
        guard case .array(let array) = raw else { throw CLIError("\(name(key)): expected an array of objects") }
        var out: [JSONObject] = []
        for (index, element) in array.enumerated() {
            guard case .object(let dictionary) = element else {
                throw CLIError("\(name(key))[\(index)]: expected an object, got \(Self.describe(element))")
            }
            out.append(JSONObject(path: "\(name(key))[\(index)]", dictionary))
        }
        return out
    }

    func string(_ key: String) throws(CLIError) -> String? {
        guard let raw = values[key] else { return nil }
        switch raw {
        case .null: return nil
        case .string(let string): return string
        default: throw CLIError("\(name(key)): expected a string, got \(Self.describe(raw))")
        }
    }

    func double(_ key: String) throws(CLIError) -> Double? {
        guard let raw = values[key] else { return nil }
        switch raw {
        case .null: return nil
        case .number(let value):
            guard value.isFinite else { throw CLIError("\(name(key)): expected a finite number") }
            return value
        default: throw CLIError("\(name(key)): expected a number, got \(Self.describe(raw))")
        }
    }

    func requiredDouble(_ key: String) throws(CLIError) -> Double {
        guard let value = try double(key) else { throw CLIError("\(name(key)): missing") }
        return value
    }

    /// A non-negative integer count.
    func count(_ key: String) throws(CLIError) -> Int {
        let value = try requiredDouble(key)
        guard value >= 0, value.rounded() == value, value < 9e15 else {
            throw CLIError("\(name(key)): expected an integer ≥ 0, got \(Output.number(value))")
        }
        return Int(value)
    }

    static func describe(_ raw: JSONValue) -> String {
        switch raw {
        case .string(let s): return "\"\(s)\""
        case .array: return "an array"
        case .object: return "an object"
        case .null: return "null"
        case .bool(let b): return "\(b)"
        case .number(let d): return Output.number(d)
        }
    }
}
