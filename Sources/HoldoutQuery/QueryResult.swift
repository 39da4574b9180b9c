public import HoldoutSQLGuard

/// One cell of a result: what the engine returned, typed.
public enum QueryValue: Sendable, Hashable, Encodable, CustomStringConvertible {
    case null
    case integer(Int64)
    case double(Double)
    case text(String)

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .integer(let v): try c.encode(v)
        // JSON has no NaN or infinity.
        case .double(let v): if v.isFinite { try c.encode(v) } else { try c.encodeNil() }
        case .text(let v): try c.encode(v)
        }
    }

    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let v): "\(v)"
        case .double(let v): "\(v)"
        case .text(let v): v
        }
    }

    /// The value as a double (integers converted), nil for NULL and text.
    public var doubleValue: Double? {
        switch self {
        case .integer(let v): Double(v)
        case .double(let v): v
        default: nil
        }
    }

    /// The text, nil unless it is text.
    public var textValue: String? {
        if case .text(let v) = self { return v }
        return nil
    }

    /// The integer, nil unless it is an integer.
    public var integerValue: Int64? {
        if case .integer(let v) = self { return v }
        return nil
    }
}

/// What an approved query returned: `{"columns": [..], "rows": [[..]], "truncated": bool}`.
public struct QueryResult: Sendable, Hashable, Encodable {
    public var columns: [String]
    public var rows: [[QueryValue]]
    /// The query had more rows than the cap; `rows` holds the first `maxRows`.
    public var truncated: Bool

    public init(columns: [String], rows: [[QueryValue]], truncated: Bool) {
        self.columns = columns
        self.rows = rows
        self.truncated = truncated
    }
}

/// Why a query did not run or did not finish.
public struct GuardedQueryError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Encodable {
        /// The guard refused it (``verdict`` says why); nothing reached the engine.
        case refused
        /// The second wall refused it: the authorizer (SQLite) or the reader role's privileges
        /// (PostgreSQL), or the statement would write.
        case notAuthorized = "not_authorized"
        /// It ran past the time limit and was interrupted.
        case timedOut = "timed_out"
        /// Its result was larger than the runner keeps.
        case tooLarge = "too_large"
        /// Bad input (an empty query, limits out of range, a missing reader URL).
        case invalidInput = "invalid_input"
        /// The engine reported another error (a syntax error, an unknown column, …).
        case failed
        /// The database could not be opened or reached.
        case unavailable
    }

    public var kind: Kind
    public var message: String
    /// The guard's verdict, for a refusal.
    public var verdict: Verdict?

    public init(_ kind: Kind, _ message: String, verdict: Verdict? = nil) {
        self.kind = kind
        self.message = message
        self.verdict = verdict
    }

    public var description: String { message }
}
