import Foundation
import Yams

/// A YAML node with its path in the document (`metric.p1`, `features.columns[3].kind`), whose
/// typed accessors fail with a ``SimulationError`` that names the field, the line and how to
/// fix it.
struct YAMLField {
    let node: Node?
    let path: String

    init(_ node: Node?, path: String) {
        self.node = node
        self.path = path
    }

    /// Parses a document; a syntax error names the line and column.
    static func document(_ text: String) throws(SimulationError) -> YAMLField {
        do {
            guard let node = try Yams.compose(yaml: text) else { throw SimulationError("the config is empty; it must be a YAML mapping") }
            return YAMLField(node, path: "")
        } catch let error as SimulationError {
            throw error
        } catch let error as YamlError {
            throw SimulationError("the config is not valid YAML: \(Self.describe(error))")
        } catch {
            throw SimulationError("the config is not valid YAML: \(error)")
        }
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return "line \(mark.line), column \(mark.column): \(problem)"
        default:
            return "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
        }
    }

    var exists: Bool {
        guard let node else { return false }
        if case .scalar(let s) = node, s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) { return false }
        return true
    }

    var line: String { node?.mark.map { "line \($0.line): " } ?? "" }

    /// An error for this field: `line 7: metric.p1: <message>`.
    func error(_ message: String) -> SimulationError {
        SimulationError("\(line)\(path.isEmpty ? "" : "\(path): ")\(message)")
    }

    func child(_ key: String) -> YAMLField {
        YAMLField(node?.mapping?[key], path: path.isEmpty ? key : "\(path).\(key)")
    }

    /// The mapping's keys; rejects keys outside `allowed`, so a typo is not silently ignored.
    func requireMapping(allowed: [String]) throws(SimulationError) {
        guard let mapping = node?.mapping else {
            throw error("expected a mapping (key: value lines)\(exists ? ", got \(kindName)" : "")")
        }
        for key in mapping.keys {
            let name = key.string ?? "\(key)"
            if !allowed.contains(name) {
                let field = YAMLField(key, path: path.isEmpty ? name : "\(path).\(name)")
                throw field.error("unknown field (expected one of: \(allowed.joined(separator: ", ")))")
            }
        }
    }

    var kindName: String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar(let s): "'\(s.string)'"
        case .alias: "an alias"
        case nil: "nothing"
        }
    }

    func required() throws(SimulationError) -> YAMLField {
        guard exists else { throw error("missing (required)") }
        return self
    }

    func string() throws(SimulationError) -> String? {
        guard exists else { return nil }
        guard case .scalar(let s)? = node else { throw error("expected a string, got \(kindName)") }
        return s.string
    }

    func requiredString() throws(SimulationError) -> String {
        guard let s = try required().string() else { throw error("missing (required)") }
        return s
    }

    func double() throws(SimulationError) -> Double? {
        guard exists else { return nil }
        guard case .scalar(let s)? = node, let value = Double(s.string.replacingOccurrences(of: "_", with: "")), value.isFinite else {
            throw error("expected a finite number, got \(kindName)")
        }
        return value
    }

    func requiredDouble() throws(SimulationError) -> Double {
        guard let value = try required().double() else { throw error("missing (required)") }
        return value
    }

    func integer(minimum: Int) throws(SimulationError) -> Int? {
        guard exists else { return nil }
        guard case .scalar(let s)? = node, let value = Int(s.string.replacingOccurrences(of: "_", with: "")), value >= minimum else {
            throw error("expected an integer ≥ \(minimum), got \(kindName)")
        }
        return value
    }

    func list() throws(SimulationError) -> [YAMLField] {
        guard exists else { return [] }
        guard case .sequence(let sequence)? = node else { throw error("expected a list, got \(kindName)") }
        return sequence.enumerated().map { YAMLField($0.element, path: "\(path)[\($0.offset)]") }
    }

    func doubles() throws(SimulationError) -> [Double] {
        var out: [Double] = []
        for item in try list() { out.append(try item.requiredDouble()) }
        return out
    }

    /// The mapping's entries in document order.
    func entries() throws(SimulationError) -> [(key: String, value: YAMLField)] {
        guard let mapping = node?.mapping else { throw error("expected a mapping, got \(kindName)") }
        return mapping.map { pair in
            let key = pair.key.string ?? "\(pair.key)"
            return (key, YAMLField(pair.value, path: path.isEmpty ? key : "\(path).\(key)"))
        }
    }
}
