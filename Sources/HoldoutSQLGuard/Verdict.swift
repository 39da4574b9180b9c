/// The guard's answer for one query.
///
/// On the wire (`holdout sql check --json`):
/// `{"allowed": false, "reason": "relation \"sqlite_master\" is not an allowed asset", "relations": ["sqlite_master"], "functions": []}`.
/// `reason` is null exactly when the query is allowed. `relations` lists the relations the query
/// reads (CTEs resolved away), `functions` the functions it calls, each once in order of
/// appearance; both are empty when the query could not be parsed.
public struct Verdict: Sendable, Hashable, Codable {
    public var isAllowed: Bool
    /// Why the query is refused, naming the relation, function or construct; nil when allowed.
    public var reason: String?
    public var relations: [String]
    public var functions: [String]

    public init(isAllowed: Bool, reason: String?, relations: [String], functions: [String]) {
        self.isAllowed = isAllowed
        self.reason = reason
        self.relations = relations
        self.functions = functions
    }

    enum CodingKeys: String, CodingKey {
        case isAllowed = "allowed"
        case reason, relations, functions
    }

    /// Writes `reason` as null rather than leaving it out, so every verdict has the same keys.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(isAllowed, forKey: .isAllowed)
        try container.encode(reason, forKey: .reason)
        try container.encode(relations, forKey: .relations)
        try container.encode(functions, forKey: .functions)
    }
}
