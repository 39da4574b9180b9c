/// One JSON object being decoded from untrusted input, with typed accessors whose errors are
/// ``StatsError``s naming the field path (`treatments[1].conversions`).
///
/// The wire types (``Analysis/Request``, ``Analysis/Settings``, ``Analysis/Arm``) decode through
/// it so that every caller — the CLI, the HTTP API, an MCP server — gets the same checks and the
/// same messages: unknown keys are refused (a typo such as `conversion` is not ignored), `null`
/// reads as absent, numbers must be finite and counts whole and non-negative.
struct WireObject {
    /// A key of any spelling.
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(_ string: String) {
            stringValue = string
            intValue = nil
        }
        init?(stringValue: String) { self.init(stringValue) }
        init?(intValue: Int) {
            stringValue = "\(intValue)"
            self.intValue = intValue
        }
    }

    let container: KeyedDecodingContainer<Key>
    /// The object's own path, "" at the top level.
    let path: String

    /// Opens the decoder's value as an object.
    /// - Throws: ``StatsError`` when the value is not an object.
    init(_ decoder: any Decoder) throws(StatsError) {
        path = Self.path(decoder.codingPath)
        do {
            container = try decoder.container(keyedBy: Key.self)
        } catch {
            if path.isEmpty { throw StatsError(.invalidInput, "the input must be a JSON object") }
            let what = (try? decoder.singleValueContainer()).map(Self.describe) ?? "something else"
            throw StatsError(.invalidInput, "\(path): expected an object, got \(what)", field: path)
        }
    }

    /// `treatments[1].n` for a coding path.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var out = ""
        for key in codingPath {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return out
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func error(_ key: String, _ problem: String) -> StatsError {
        StatsError(.invalidInput, "\(name(key)): \(problem)", field: name(key))
    }

    /// Whether the key is present and not `null`.
    func has(_ key: String) -> Bool {
        let k = Key(key)
        guard container.contains(k) else { return false }
        return (try? container.decodeNil(forKey: k)) == false
    }

    /// Refuses keys outside `allowed`, naming the first unknown one in sorted order.
    func rejectUnknownKeys(_ allowed: Set<String>) throws(StatsError) {
        if let unknown = container.allKeys.map(\.stringValue).sorted().first(where: { !allowed.contains($0) }) {
            throw error(unknown, "unknown field (expected one of: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    func string(_ key: String) throws(StatsError) -> String? {
        guard has(key) else { return nil }
        guard let value = try? container.decode(String.self, forKey: Key(key)) else {
            throw error(key, "expected a string, got \(describe(key))")
        }
        return value
    }

    func bool(_ key: String) throws(StatsError) -> Bool? {
        guard has(key) else { return nil }
        guard let value = try? container.decode(Bool.self, forKey: Key(key)) else {
            throw error(key, "expected true or false, got \(describe(key))")
        }
        return value
    }

    func double(_ key: String) throws(StatsError) -> Double? {
        guard has(key) else { return nil }
        guard (try? container.decode(Bool.self, forKey: Key(key))) == nil,
            let value = try? container.decode(Double.self, forKey: Key(key))
        else {
            throw error(key, "expected a number, got \(describe(key))")
        }
        guard value.isFinite else { throw error(key, "expected a finite number") }
        return value
    }

    func requiredDouble(_ key: String) throws(StatsError) -> Double {
        guard let value = try double(key) else { throw error(key, "missing") }
        return value
    }

    /// A whole number ≥ 0 (written `10` or `10.0`).
    func count(_ key: String) throws(StatsError) -> Int {
        let value = try requiredDouble(key)
        guard value >= 0, value.rounded() == value, value < 9e15 else {
            throw error(key, "expected an integer ≥ 0, got \(Self.format(value))")
        }
        return Int(value)
    }

    /// An array of finite numbers.
    func doubles(_ key: String) throws(StatsError) -> [Double]? {
        guard has(key) else { return nil }
        guard let values = try? container.decode([Double].self, forKey: Key(key)), values.allSatisfy(\.isFinite) else {
            throw error(key, "expected an array of finite numbers")
        }
        return values
    }

    /// An array of arrays of finite numbers (a matrix by rows).
    func matrix(_ key: String) throws(StatsError) -> [[Double]]? {
        guard has(key) else { return nil }
        guard let rows = try? container.decode([[Double]].self, forKey: Key(key)), rows.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            throw error(key, "expected an array of arrays of finite numbers")
        }
        return rows
    }

    /// The nested object at `key`, as a decoder whose coding path extends this one's.
    func object(_ key: String) throws(StatsError) -> any Decoder {
        guard container.contains(Key(key)) else { throw error(key, "missing") }
        guard let decoder = try? container.superDecoder(forKey: Key(key)), (try? decoder.container(keyedBy: Key.self)) != nil else {
            throw error(key, "expected an object, got \(describe(key))")
        }
        return decoder
    }

    /// The objects of the array at `key`, as decoders (`treatments[0]`, `treatments[1]`, …).
    func objects(_ key: String) throws(StatsError) -> [any Decoder] {
        guard container.contains(Key(key)) else { throw error(key, "missing") }
        guard var array = try? container.nestedUnkeyedContainer(forKey: Key(key)) else {
            throw error(key, "expected an array of objects")
        }
        var out: [any Decoder] = []
        while !array.isAtEnd {
            let index = array.currentIndex
            guard let element = try? array.superDecoder(), (try? element.container(keyedBy: Key.self)) != nil else {
                throw StatsError(.invalidInput, "\(name(key))[\(index)]: expected an object", field: "\(name(key))[\(index)]")
            }
            out.append(element)
        }
        return out
    }

    /// What the value at `key` is, for messages: `"ten"`, `true`, `an array`, `an object`, `null`.
    private func describe(_ key: String) -> String {
        let k = Key(key)
        if (try? container.decodeNil(forKey: k)) == true { return "null" }
        if let value = try? container.decode(Bool.self, forKey: k) { return "\(value)" }
        if let value = try? container.decode(Double.self, forKey: k) { return Self.format(value) }
        if let value = try? container.decode(String.self, forKey: k) { return "\"\(value)\"" }
        if (try? container.nestedUnkeyedContainer(forKey: k)) != nil { return "an array" }
        return "an object"
    }

    private static func describe(_ value: any SingleValueDecodingContainer) -> String {
        if value.decodeNil() { return "null" }
        if let b = try? value.decode(Bool.self) { return "\(b)" }
        if let d = try? value.decode(Double.self) { return format(d) }
        if let s = try? value.decode(String.self) { return "\"\(s)\"" }
        return "an array"
    }

    /// `-3` for whole numbers, Swift's shortest round-trip form otherwise.
    static func format(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 1e15 { return "\(Int(value))" }
        return "\(value)"
    }
}
