/// The small syntax tree the parser produces: only what decides a verdict is kept (which
/// relations are read in which scope, which functions and types are used, and the clauses that
/// are refused), not a full representation of the query.
enum Syntax {
    /// A name as the engine compares it: the bytes after unquoting and case folding.
    struct Name: Sendable, Hashable {
        var key: [UInt8]
        var isQuoted: Bool

        var display: String { String(decoding: key, as: UTF8.self) }
    }

    /// `WITH … body ORDER BY … LIMIT … FOR UPDATE`.
    struct Query: Sendable {
        var ctes: [CommonTableExpression] = []
        var isRecursive = false
        var body: SetExpression
        var orderBy: [Expression] = []
        var limit: [Expression] = []
        /// The locking clause as written (`FOR UPDATE`), when there is one.
        var locking: String?
    }

    struct CommonTableExpression: Sendable {
        var name: Name
        var query: Query
    }

    indirect enum SetExpression: Sendable {
        case select(Select)
        case values([[Expression]])
        case query(Query)
        /// `UNION`, `INTERSECT`, `EXCEPT` over two or more terms (named by the first operator).
        case operation(String, [SetExpression])
    }

    struct Select: Sendable {
        var columns: [Expression] = []
        /// `SELECT … INTO name`: the target, which the analyzer refuses.
        var into: [Name]?
        var from: [TableReference] = []
        /// WHERE, GROUP BY, HAVING, DISTINCT ON, WINDOW: expressions whose only role for the
        /// guard is what they read and call.
        var clauses: [Expression] = []
    }

    indirect enum TableReference: Sendable {
        /// A table or view, perhaps schema-qualified.
        case relation([Name], offset: Int)
        /// A function in FROM (`generate_series(1, 3)`, `json_each(x)`, `pragma_table_info('t')`).
        case function([Name], arguments: [Expression], offset: Int)
        case subquery(Query)
        /// Two or more items joined, with every ON condition.
        case join([TableReference], conditions: [Expression])
    }

    indirect enum Expression: Sendable {
        case literal
        case column
        case call(FunctionCall)
        /// A value converted to one type or, with `::` chained, several.
        case cast(Expression, [TypeName])
        /// An operator chain, `CASE`, `IN`, `BETWEEN`, a row or an array: what it reads is its parts.
        /// Chains are flat (two or more parts, named by the first operator).
        case operation(String, [Expression])
        case subquery(Query)
    }

    struct FunctionCall: Sendable {
        var name: [Name]
        var offset: Int
        var arguments: [Expression]
        /// `FILTER`, `WITHIN GROUP`, `OVER (PARTITION BY … ORDER BY …)` and frame bounds.
        var modifiers: [Expression] = []
        var isWindow = false
    }

    struct TypeName: Sendable {
        /// The words of the name (`double precision`, `timestamp with time zone`).
        var words: [Name]
        var offset: Int
        var spelling: String { words.map(\.display).joined(separator: " ") }
    }
}
