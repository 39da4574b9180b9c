import MCP

/// Why a tool call failed, in one line naming the argument when one is at fault; the client sees
/// it as the text of a result with `isError: true`.
struct ToolError: Error, Sendable, CustomStringConvertible {
    var message: String

    init(_ message: String) { self.message = message }

    var description: String { message }
}

/// A tool call's arguments, checked: no argument the tool does not take, each of the type and
/// within the bounds it must have. A JSON `null` counts as absent.
struct ToolArguments: Sendable {
    let values: [String: Value]

    /// - Throws: ``ToolError`` naming the first argument (in byte order) the tool does not take.
    init(_ values: [String: Value], allowed: [String]) throws(ToolError) {
        if let unknown = values.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).first(where: { !allowed.contains($0) }) {
            let takes = allowed.isEmpty ? "it takes no arguments" : "it takes \(allowed.joined(separator: ", "))"
            throw ToolError("\(unknown.prefix(100)): unknown argument (\(takes))")
        }
        self.values = values
    }

    private func present(_ name: String) -> Value? {
        guard let value = values[name], !value.isNull else { return nil }
        return value
    }

    /// A string of at most `maximumBytes` UTF-8 bytes, nil when absent.
    func string(_ name: String, maximumBytes: Int) throws(ToolError) -> String? {
        guard let value = present(name) else { return nil }
        guard let text = value.stringValue else { throw ToolError("\(name): must be a string, got \(Self.kind(value))") }
        guard text.utf8.count <= maximumBytes else { throw ToolError("\(name): longer than \(maximumBytes) bytes (\(text.utf8.count))") }
        return text
    }

    /// A non-empty string of at most `maximumBytes` bytes.
    func requiredString(_ name: String, maximumBytes: Int) throws(ToolError) -> String {
        guard let text = try string(name, maximumBytes: maximumBytes) else { throw ToolError("\(name): required") }
        guard !text.isEmpty else { throw ToolError("\(name): must not be empty") }
        return text
    }

    /// A whole number in `range` (a JSON number with no fraction), nil when absent.
    func integer(_ name: String, in range: ClosedRange<Int>) throws(ToolError) -> Int? {
        guard let value = present(name) else { return nil }
        let number: Int
        switch value {
        case .int(let v): number = v
        case .double(let v) where v.isFinite && v == v.rounded() && abs(v) < 1e15: number = Int(v)
        default: throw ToolError("\(name): must be a whole number in \(range.lowerBound)…\(range.upperBound), got \(Self.kind(value))")
        }
        guard range.contains(number) else { throw ToolError("\(name): must be in \(range.lowerBound)…\(range.upperBound), got \(number)") }
        return number
    }

    /// A finite number, nil when absent.
    func number(_ name: String) throws(ToolError) -> Double? {
        guard let value = present(name) else { return nil }
        switch value {
        case .int(let v): return Double(v)
        case .double(let v) where v.isFinite: return v
        default: throw ToolError("\(name): must be a finite number, got \(Self.kind(value))")
        }
    }

    /// What a value is, for an error message (never the value itself, which may be large).
    static func kind(_ value: Value) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .double(let v): v.isFinite ? "a number with a fraction" : "a non-finite number"
        case .string: "a string"
        case .data: "a data URL"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
