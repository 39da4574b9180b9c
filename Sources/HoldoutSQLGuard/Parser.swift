// A hand-written recursive-descent parser: no SQL parser package is mirrored for this build, and
// the guard needs only the SELECT subset, parsed strictly. Whatever it does not recognise is a
// refusal, never a skipped token: a verdict is only as good as the parser's understanding.

/// Parses exactly one SELECT statement (or set operation of SELECTs, or VALUES) of the chosen
/// dialect into a ``Syntax/Query``.
///
/// Covered: `WITH` (column lists, `[NOT] MATERIALIZED`), `UNION`/`INTERSECT`/`EXCEPT` with `ALL` or
/// `DISTINCT`, `DISTINCT ON`, joins of every kind with `ON`/`USING`, `LATERAL`, subqueries in every
/// clause (select list, FROM, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT/OFFSET, VALUES, function
/// arguments, `IN`, `EXISTS`, `ANY`/`ALL`), window functions (`OVER`, named windows, frames,
/// `FILTER`, `WITHIN GROUP`), `CASE`, `CAST`, `::`, typed literals (`date '2026-01-01'`),
/// `EXTRACT`, `ARRAY[…]`, `AT TIME ZONE`, `ROLLUP`/`CUBE`/`GROUPING SETS`, `LIMIT`/`OFFSET`/`FETCH`.
///
/// Refused as not understood: a second statement, any statement that is not a query, query
/// parameters, operators outside a small arithmetic/comparison/JSON list, and nesting deeper than
/// ``maximumDepth`` (so a hostile query cannot exhaust the stack).
struct Parser {
    let dialect: SQLDialect
    private let list: TokenList
    private var tokens: [Token]
    private var position = 0
    private var depth = 0

    /// How deeply queries and parenthesised expressions may nest.
    static let maximumDepth = 64

    init(_ query: String, dialect: SQLDialect) throws(Refusal) {
        self.dialect = dialect
        self.list = try Tokenizer.tokenize(query, dialect: dialect)
        self.tokens = list.tokens
    }

    /// Parses `query` as one statement, with at most one trailing semicolon.
    static func parse(_ query: String, dialect: SQLDialect) throws(Refusal) -> Syntax.Query {
        var parser = try Parser(query, dialect: dialect)
        return try parser.statement()
    }

    // MARK: Token access

    private var current: Token { tokens[position] }

    private func peek(_ offset: Int = 1) -> Token { tokens[min(position + offset, tokens.count - 1)] }

    @discardableResult
    private mutating func advance() -> Token {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private mutating func accept(_ keyword: Keyword) -> Bool {
        guard current.keyword == keyword else { return false }
        advance()
        return true
    }

    private mutating func accept(_ kind: Token.Kind) -> Bool {
        guard current.kind == kind else { return false }
        advance()
        return true
    }

    private mutating func expect(_ keyword: Keyword) throws(Refusal) {
        guard accept(keyword) else { throw unexpected(expecting: keyword.rawValue.uppercased()) }
    }

    private mutating func expect(_ kind: Token.Kind, _ what: String) throws(Refusal) {
        guard accept(kind) else { throw unexpected(expecting: what) }
    }

    private func isWord(_ spelling: StaticString) -> Bool { isWord(current, spelling) }

    /// Whether `token` is the unquoted word `spelling` (lower case), compared in the source.
    private func isWord(_ token: Token, _ spelling: StaticString) -> Bool {
        guard token.kind == .word, token.end - token.offset == spelling.utf8CodeUnitCount else { return false }
        return spelling.withUTF8Buffer { expected in
            for i in 0..<expected.count where asciiLowercased(list.source[token.offset + i]) != expected[i] { return false }
            return true
        }
    }

    private func key(_ token: Token) -> [UInt8] { list.key(token) }

    private func spelling(_ token: Token) -> String { list.spelling(token) }

    /// Words that start a statement other than a query: named in the reason when one appears
    /// where a query was expected.
    private static let statementWords: Set<String> = [
        "insert", "update", "delete", "merge", "replace", "upsert", "create", "drop", "alter", "attach", "detach", "pragma", "copy",
        "do", "call", "execute", "exec", "vacuum", "analyze", "analyse", "reindex", "grant", "revoke", "set", "reset", "show",
        "begin", "commit", "rollback", "savepoint", "release", "end", "truncate", "lock", "load", "listen", "notify", "unlisten",
        "prepare", "deallocate", "declare", "fetch", "move", "close", "discard", "explain", "cluster", "checkpoint", "comment",
        "security", "refresh", "import", "table",
    ]

    /// The refusal for a token the grammar did not expect, naming the constructs that are
    /// refused on purpose (INTO, locking clauses, other statements) by name.
    private func unexpected(expecting what: String) -> Refusal {
        let token = current
        switch token.kind {
        case .end:
            return Refusal("the query ends where \(what) was expected")
        case .semicolon:
            return Refusal("more than one statement: only one query is accepted", at: token.offset)
        case .word where Self.statementWords.contains(spelling(token)):
            return Refusal("only a SELECT query is accepted, found \(spelling(token).uppercased())", at: token.offset)
        case .op:
            return Refusal("operator \(spelling(token)) where \(what) was expected", at: token.offset)
        default:
            let spelling =
                switch token.kind {
                case .word, .quotedIdentifier: "'\(spelling(token))'"
                case .string, .otherString: "a string literal"
                case .number: "a number"
                default: "'\(Self.punctuation(token.kind))'"
                }
            return Refusal("unexpected \(spelling) where \(what) was expected", at: token.offset)
        }
    }

    private static func punctuation(_ kind: Token.Kind) -> String {
        switch kind {
        case .leftParen: "("
        case .rightParen: ")"
        case .comma: ","
        case .semicolon: ";"
        case .dot: "."
        case .leftBracket: "["
        case .rightBracket: "]"
        case .doubleColon: "::"
        case .star: "*"
        default: "?"
        }
    }

    private mutating func nest() throws(Refusal) {
        depth += 1
        if depth > Self.maximumDepth { throw Refusal("the query nests deeper than \(Self.maximumDepth) levels", at: current.offset) }
    }

    // MARK: Statements and queries

    private mutating func statement() throws(Refusal) -> Syntax.Query {
        let first = current
        let startsQuery = first.isKeyword(.select) || first.isKeyword(.with) || first.isKeyword(.values) || first.kind == .leftParen
        guard startsQuery else {
            if first.kind == .end { throw Refusal("the query is empty") }
            if first.kind == .word { throw Refusal("only a SELECT query is accepted, found \(spelling(first).uppercased())", at: first.offset) }
            throw unexpected(expecting: "SELECT")
        }
        let query = try self.query()
        if accept(.semicolon) {
            guard current.kind == .end else { throw Refusal("more than one statement: only one query is accepted", at: current.offset) }
        }
        guard current.kind == .end else { throw unexpected(expecting: "the end of the query") }
        return query
    }

    private mutating func query() throws(Refusal) -> Syntax.Query {
        try nest()
        defer { depth -= 1 }
        var ctes: [Syntax.CommonTableExpression] = []
        var isRecursive = false
        if accept(.with) {
            isRecursive = accept(.recursive)
            repeat { ctes.append(try commonTableExpression()) } while accept(.comma)
        }
        var query = Syntax.Query(ctes: ctes, isRecursive: isRecursive, body: try setExpression())
        if accept(.order) {
            try expect(.by)
            query.orderBy = try orderList()
        }
        try lockingClause(into: &query)
        try limitClauses(into: &query)
        try lockingClause(into: &query)
        return query
    }

    /// `FOR UPDATE | NO KEY UPDATE | SHARE | KEY SHARE [OF names] [NOWAIT | SKIP LOCKED]`, kept
    /// as written so the analyzer can refuse it by name.
    private mutating func lockingClause(into query: inout Syntax.Query) throws(Refusal) {
        guard current.isKeyword(.for) else { return }
        var words: [String] = [spelling(advance()).uppercased()]
        while current.kind == .word || current.kind == .comma || current.kind == .quotedIdentifier || current.kind == .dot {
            let token = advance()
            if token.kind == .word { words.append(spelling(token).uppercased()) }
        }
        if words.count == 1 { throw unexpected(expecting: "UPDATE or SHARE after FOR") }
        query.locking = words.joined(separator: " ")
    }

    private mutating func limitClauses(into query: inout Syntax.Query) throws(Refusal) {
        while true {
            if accept(.limit) {
                if accept(.all) { continue }
                query.limit.append(try expression())
                if dialect == .sqlite && accept(.comma) { query.limit.append(try expression()) }
            } else if accept(.offset) {
                query.limit.append(try expression())
                _ = accept(.row) || accept(.rows)
            } else if accept(.fetch) {
                guard accept(.first) || isWord("next") else { throw unexpected(expecting: "FIRST or NEXT") }
                if isWord("next") { advance() }
                if !current.isKeyword(.row) && !current.isKeyword(.rows) { query.limit.append(try expression()) }
                guard accept(.row) || accept(.rows) else { throw unexpected(expecting: "ROWS") }
                if accept(.with) {
                    try expect(.ties)
                } else {
                    try expect(.only)
                }
            } else {
                return
            }
        }
    }

    private mutating func commonTableExpression() throws(Refusal) -> Syntax.CommonTableExpression {
        let name = try self.name(what: "a CTE name")
        if accept(.leftParen) {
            repeat { _ = try self.name(what: "a column name") } while accept(.comma)
            try expect(.rightParen, ")")
        }
        try expect(.as)
        if accept(.not) {
            try expect(.materialized)
        } else {
            _ = accept(.materialized)
        }
        try expect(.leftParen, "( before the CTE's query")
        if current.kind == .word && Self.statementWords.contains(spelling(current)) {
            throw Refusal("a data-modifying statement (\(spelling(current).uppercased())) in WITH is refused", at: current.offset)
        }
        let query = try self.query()
        try expect(.rightParen, ") after the CTE's query")
        return Syntax.CommonTableExpression(name: name, query: query)
    }

    private mutating func setExpression() throws(Refusal) -> Syntax.SetExpression {
        // A chain of set operations is one flat node, so a long chain cannot nest the tree deeply.
        var terms = [try setTerm()]
        var op: String?
        while current.isKeyword(.union) || current.isKeyword(.intersect) || current.isKeyword(.except) {
            let spelled = spelling(advance()).uppercased()
            op = op ?? spelled
            _ = accept(.all) || accept(.distinct)
            terms.append(try setTerm())
        }
        guard let op else { return terms[0] }
        return .operation(op, terms)
    }

    private mutating func setTerm() throws(Refusal) -> Syntax.SetExpression {
        if current.isKeyword(.select) { return .select(try select()) }
        if accept(.values) {
            var rows: [[Syntax.Expression]] = []
            repeat {
                try expect(.leftParen, "( before a VALUES row")
                rows.append(try expressionList())
                try expect(.rightParen, ") after a VALUES row")
            } while accept(.comma)
            return .values(rows)
        }
        if accept(.leftParen) {
            let query = try self.query()
            try expect(.rightParen, ")")
            return .query(query)
        }
        throw unexpected(expecting: "SELECT")
    }

    private mutating func select() throws(Refusal) -> Syntax.Select {
        try expect(.select)
        var select = Syntax.Select()
        if accept(.distinct) {
            if accept(.on) {
                try expect(.leftParen, "( after DISTINCT ON")
                select.clauses.append(contentsOf: try expressionList())
                try expect(.rightParen, ")")
            }
        } else {
            _ = accept(.all)
        }
        repeat { select.columns.append(try resultColumn()) } while accept(.comma)
        if accept(.into) {
            while isWord("temporary") || isWord("temp") || isWord("unlogged") || current.isKeyword(.table) { advance() }
            select.into = try qualifiedName(what: "the INTO table")
        }
        if accept(.from) {
            repeat { select.from.append(try joinedTable()) } while accept(.comma)
        }
        if accept(.where) { select.clauses.append(try expression()) }
        if accept(.group) {
            try expect(.by)
            _ = accept(.all) || accept(.distinct)
            repeat { select.clauses.append(contentsOf: try groupingElement()) } while accept(.comma)
        }
        if accept(.having) { select.clauses.append(try expression()) }
        if accept(.window) {
            repeat {
                _ = try name(what: "a window name")
                try expect(.as)
                select.clauses.append(contentsOf: try windowSpecification())
            } while accept(.comma)
        }
        return select
    }

    /// A GROUP BY element: an expression, `()`, or PostgreSQL's `ROLLUP (…)`, `CUBE (…)` and
    /// `GROUPING SETS (…)`.
    private mutating func groupingElement() throws(Refusal) -> [Syntax.Expression] {
        if current.kind == .leftParen && peek().kind == .rightParen {
            advance()
            advance()
            return []
        }
        if dialect == .postgres {
            if (isWord("rollup") || isWord("cube")) && peek().kind == .leftParen {
                advance()
                advance()
                var parts: [Syntax.Expression] = []
                repeat { parts.append(contentsOf: try groupingElement()) } while accept(.comma)
                try expect(.rightParen, ")")
                return parts
            }
            if isWord("grouping") && isWord(peek(), "sets") {
                advance()
                advance()
                try expect(.leftParen, "( after GROUPING SETS")
                var parts: [Syntax.Expression] = []
                repeat { parts.append(contentsOf: try groupingElement()) } while accept(.comma)
                try expect(.rightParen, ")")
                return parts
            }
        }
        return [try expression()]
    }

    private mutating func resultColumn() throws(Refusal) -> Syntax.Expression {
        if accept(.star) { return .column }
        if current.kind == .word || current.kind == .quotedIdentifier, peek().kind == .dot, peek(2).kind == .star {
            advance()
            advance()
            advance()
            return .column
        }
        let value = try expression()
        try optionalAlias()
        return value
    }

    /// `[AS] alias`: after `AS` any word (PostgreSQL's ColLabel), otherwise a word that is not
    /// reserved, a quoted identifier, or on SQLite a string.
    private mutating func optionalAlias(allowsColumnList: Bool = false) throws(Refusal) {
        if accept(.as) {
            guard current.kind == .word || current.kind == .quotedIdentifier || (current.kind == .string && dialect.acceptsStringsAsNames)
            else { throw unexpected(expecting: "an alias after AS") }
            advance()
        } else if (current.kind == .word && !(current.keyword?.isReserved ?? false)) || current.kind == .quotedIdentifier
            || (current.kind == .string && dialect.acceptsStringsAsNames)
        {
            advance()
        } else {
            return
        }
        if allowsColumnList && accept(.leftParen) {
            repeat {
                _ = try name(what: "a column alias")
                // PostgreSQL's column definition list after a function (`AS t(x int)`).
                if dialect == .postgres && current.kind != .comma && current.kind != .rightParen { _ = try typeName() }
            } while accept(.comma)
            try expect(.rightParen, ")")
        }
    }

    // MARK: FROM

    private mutating func joinedTable() throws(Refusal) -> Syntax.TableReference {
        // Joins are one flat node, so a long chain of joins cannot nest the tree deeply.
        var items = [try tableItem()]
        var conditions: [Syntax.Expression] = []
        while true {
            let natural = accept(.natural)
            var hasJoinKind = false
            if accept(.cross) || accept(.inner) {
                hasJoinKind = true
            } else if accept(.left) || accept(.right) || accept(.full) {
                hasJoinKind = true
                _ = accept(.outer)
            }
            guard accept(.join) else {
                if natural || hasJoinKind { throw unexpected(expecting: "JOIN") }
                break
            }
            items.append(try tableItem())
            if accept(.on) {
                conditions.append(try expression())
            } else if accept(.using) {
                try expect(.leftParen, "( after USING")
                repeat { _ = try name(what: "a column name") } while accept(.comma)
                try expect(.rightParen, ")")
            }
        }
        return items.count == 1 ? items[0] : .join(items, conditions: conditions)
    }

    private mutating func tableItem() throws(Refusal) -> Syntax.TableReference {
        try nest()
        defer { depth -= 1 }
        let lateral = dialect == .postgres && accept(.lateral)
        if accept(.leftParen) {
            let reference: Syntax.TableReference
            if current.isKeyword(.select) || current.isKeyword(.with) || current.isKeyword(.values) {
                reference = .subquery(try query())
            } else {
                if lateral { throw unexpected(expecting: "a subquery after LATERAL") }
                reference = try joinedTable()
            }
            try expect(.rightParen, ")")
            try optionalAlias(allowsColumnList: true)
            return reference
        }
        // PostgreSQL's `ONLY t` (no inheritance children) reads t.
        if dialect == .postgres && !lateral { _ = accept(.only) }
        let offset = current.offset
        let names = try qualifiedName(what: "a table name")
        if current.kind == .leftParen {
            advance()
            let arguments = current.kind == .rightParen ? [] : try expressionList()
            try expect(.rightParen, ")")
            if dialect == .postgres && accept(.with) {
                guard isWord("ordinality") else { throw unexpected(expecting: "ORDINALITY") }
                advance()
            }
            try optionalAlias(allowsColumnList: true)
            return .function(names, arguments: arguments, offset: offset)
        }
        if lateral { throw unexpected(expecting: "a subquery or function after LATERAL") }
        try optionalAlias(allowsColumnList: true)
        return .relation(names, offset: offset)
    }

    // MARK: Names

    /// An identifier: an unreserved word, a quoted identifier, or on SQLite a plain string.
    private mutating func name(what: String) throws(Refusal) -> Syntax.Name {
        let token = current
        switch token.kind {
        case .word where !(token.keyword?.isReserved ?? false):
            advance()
            return Syntax.Name(key: key(token), isQuoted: false)
        case .quotedIdentifier:
            advance()
            return Syntax.Name(key: list.text(token), isQuoted: true)
        case .string where dialect.acceptsStringsAsNames:
            advance()
            return Syntax.Name(key: list.text(token), isQuoted: true)
        default:
            throw unexpected(expecting: what)
        }
    }

    /// `name`, `schema.name` or longer; after a dot any word is a name.
    private mutating func qualifiedName(what: String) throws(Refusal) -> [Syntax.Name] {
        var names = [try name(what: what)]
        while accept(.dot) {
            let token = current
            guard token.kind == .word || token.kind == .quotedIdentifier || (token.kind == .string && dialect.acceptsStringsAsNames) else {
                throw unexpected(expecting: "a name after '.'")
            }
            advance()
            names.append(Syntax.Name(key: key(token), isQuoted: token.kind != .word))
        }
        return names
    }

    // MARK: Ordering and windows

    private mutating func orderList() throws(Refusal) -> [Syntax.Expression] {
        var items: [Syntax.Expression] = []
        repeat {
            items.append(try expression())
            _ = accept(.asc) || accept(.desc)
            if accept(.nulls) {
                guard accept(.first) || accept(.last) else { throw unexpected(expecting: "FIRST or LAST after NULLS") }
            }
        } while accept(.comma)
        return items
    }

    /// `( [name] [PARTITION BY …] [ORDER BY …] [frame] )`.
    private mutating func windowSpecification() throws(Refusal) -> [Syntax.Expression] {
        try expect(.leftParen, "( before a window definition")
        var parts: [Syntax.Expression] = []
        if current.kind == .word && !(current.keyword?.isReserved ?? false) && !current.isKeyword(.partition) && !current.isKeyword(.rows)
            && !current.isKeyword(.range) && !current.isKeyword(.groups)
        {
            advance()
        }
        if accept(.partition) {
            try expect(.by)
            parts.append(contentsOf: try expressionList())
        }
        if accept(.order) {
            try expect(.by)
            parts.append(contentsOf: try orderList())
        }
        if accept(.rows) || accept(.range) || accept(.groups) {
            if accept(.between) {
                try frameBound(into: &parts)
                try expect(.and)
                try frameBound(into: &parts)
            } else {
                try frameBound(into: &parts)
            }
            if accept(.exclude) {
                if accept(.current) {
                    try expect(.row)
                } else if accept(.group) || accept(.ties) {
                } else if isWord("no") {
                    advance()
                    try expect(.others)
                } else {
                    throw unexpected(expecting: "CURRENT ROW, GROUP, TIES or NO OTHERS")
                }
            }
        }
        try expect(.rightParen, ") after a window definition")
        return parts
    }

    private mutating func frameBound(into parts: inout [Syntax.Expression]) throws(Refusal) {
        if accept(.unbounded) {
            guard accept(.preceding) || accept(.following) else { throw unexpected(expecting: "PRECEDING or FOLLOWING") }
        } else if accept(.current) {
            try expect(.row)
        } else {
            parts.append(try binary(minimum: 0))
            guard accept(.preceding) || accept(.following) else { throw unexpected(expecting: "PRECEDING or FOLLOWING") }
        }
    }

    // MARK: Expressions

    private mutating func expressionList() throws(Refusal) -> [Syntax.Expression] {
        var list: [Syntax.Expression] = []
        repeat { list.append(try expression()) } while accept(.comma)
        return list
    }

    mutating func expression() throws(Refusal) -> Syntax.Expression {
        try nest()
        defer { depth -= 1 }
        let first = try conjunction()
        guard current.isKeyword(.or) else { return first }
        var parts = [first]
        while accept(.or) { parts.append(try conjunction()) }
        return .operation("OR", parts)
    }

    private mutating func conjunction() throws(Refusal) -> Syntax.Expression {
        let first = try negation()
        guard current.isKeyword(.and) else { return first }
        var parts = [first]
        while accept(.and) { parts.append(try negation()) }
        return .operation("AND", parts)
    }

    private mutating func negation() throws(Refusal) -> Syntax.Expression {
        if accept(.not) {
            try nest()
            defer { depth -= 1 }
            return .operation("NOT", [try negation()])
        }
        return try predicate()
    }

    /// An operation over `parts`, or the one part alone. Chains (`a AND b AND c`, `1 + 2 - 3`,
    /// `x IS NULL IS NULL`) are built flat, so no chain of any length nests the tree deeply (the
    /// analyzer walks it recursively, and a deep tree would also be freed recursively).
    static func flat(_ op: String, _ parts: [Syntax.Expression]) -> Syntax.Expression {
        parts.count == 1 ? parts[0] : .operation(op, parts)
    }

    private static let predicateKeywords: Set<Keyword> = [.is, .isnull, .notnull, .in, .between, .like, .ilike, .glob, .regexp, .match, .similar, .null]

    /// IS, IN, BETWEEN, LIKE and their negations, after a comparison-level operand.
    private mutating func predicate() throws(Refusal) -> Syntax.Expression {
        let first = try binary(minimum: 0)
        // The list is made only when an operator follows: most operands have none.
        var parts: [Syntax.Expression] = []
        var op: String?
        while true {
            if parts.isEmpty {
                let next = current.isKeyword(.not) ? peek() : current
                guard let keyword = next.keyword, Self.predicateKeywords.contains(keyword) else { return first }
                parts.append(first)
            }
            if accept(.is) {
                _ = accept(.not)
                op = op ?? "IS"
                if accept(.distinct) {
                    try expect(.from)
                    parts.append(try binary(minimum: 0))
                } else if accept(.null) || accept(.true) || accept(.false) || (isWord("unknown") && advance().kind == .word) {
                } else if dialect == .sqlite {
                    parts.append(try binary(minimum: 0))
                } else {
                    throw unexpected(expecting: "NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM after IS")
                }
                continue
            }
            if accept(.isnull) || accept(.notnull) {
                op = op ?? "IS NULL"
                continue
            }
            let negated = current.isKeyword(.not)
            let next = negated ? peek() : current
            guard let keyword = next.keyword, [.in, .between, .like, .ilike, .glob, .regexp, .match, .similar, .null].contains(keyword) else {
                return Self.flat(op ?? "IS", parts)
            }
            if negated { advance() }
            advance()
            op = op ?? keyword.rawValue.uppercased()
            switch keyword {
            case .null:
                guard negated else { throw unexpected(expecting: "an operator") }
            case .in:
                parts.append(contentsOf: try inOperands())
            case .between:
                _ = accept(.symmetric)
                parts.append(try binary(minimum: 0))
                try expect(.and)
                parts.append(try binary(minimum: 0))
            case .regexp, .match:
                // SQLite runs these as the application functions regexp() and match().
                let pattern = try binary(minimum: 0)
                parts.append(.call(Syntax.FunctionCall(name: [Syntax.Name(key: key(next), isQuoted: false)], offset: next.offset, arguments: [pattern])))
            default:
                if keyword == .similar { try expect(.to) }
                parts.append(try binary(minimum: 0))
                if accept(.escape) { parts.append(try binary(minimum: 0)) }
            }
        }
    }

    /// What follows IN: a subquery, a list, or on SQLite a table or table-valued function.
    private mutating func inOperands() throws(Refusal) -> [Syntax.Expression] {
        if accept(.leftParen) {
            if current.isKeyword(.select) || current.isKeyword(.with) || current.isKeyword(.values) {
                let query = try self.query()
                try expect(.rightParen, ")")
                return [.subquery(query)]
            }
            let list = current.kind == .rightParen ? [] : try expressionList()
            try expect(.rightParen, ")")
            return list
        }
        guard dialect == .sqlite else { throw unexpected(expecting: "( after IN") }
        // SQLite's `x IN table` and `x IN table_function(…)` read a relation.
        let offset = current.offset
        let names = try qualifiedName(what: "a table name after IN")
        let reference: Syntax.TableReference
        if accept(.leftParen) {
            let arguments = current.kind == .rightParen ? [] : try expressionList()
            try expect(.rightParen, ")")
            reference = .function(names, arguments: arguments, offset: offset)
        } else {
            reference = .relation(names, offset: offset)
        }
        var select = Syntax.Select()
        select.from = [reference]
        return [.subquery(Syntax.Query(body: .select(select)))]
    }

    /// Binding strength of a binary operator token, or nil when the token is not one.
    private func precedence(_ token: Token) throws(Refusal) -> Int? {
        switch token.kind {
        case .star:
            return 4
        case .op:
            let text = list.text(token)
            if text.count == 1 {
                switch text[0] {
                case 0x3D, 0x3C, 0x3E: return 1  // = < >
                case 0x2B, 0x2D: return 3  // + -
                case 0x2F, 0x25: return 4  // / %
                case 0x5E where dialect == .postgres: return 5  // ^
                default: break
                }
            } else if text.count == 2 && text[1] == 0x3D && (text[0] == 0x3C || text[0] == 0x3E) {
                return 1  // <= >=
            } else if text == [0x3C, 0x3E] {
                return 1  // <>
            }
            guard (dialect == .sqlite ? Self.sqliteOperators : Self.postgresOperators).contains(text) else {
                throw Refusal("operator \(spelling(token)) is not on the operator allowlist", at: token.offset)
            }
            return 2
        default:
            return nil
        }
    }

    /// Operators other than comparison and arithmetic that the guard accepts: concatenation,
    /// JSON access, bit operations, and on PostgreSQL pattern matching and containment.
    private static let sqliteOperators: Set<NameKey> = Set(names: ["||", "->", "->>", "&", "|", "<<", ">>"].map { Array($0.utf8) })
    private static let postgresOperators: Set<NameKey> = Set(
        names: [
            "||", "->", "->>", "#>", "#>>", "@>", "<@", "~", "~*", "!~", "!~*", "~~", "!~~", "~~*", "!~~*", "&&", "&", "|", "#", "<<", ">>",
        ].map { Array($0.utf8) })

    private mutating func binary(minimum: Int) throws(Refusal) -> Syntax.Expression {
        let first = try unary()
        guard let strength = try precedence(current), strength > minimum else { return first }
        var parts = [first]
        var op: String?
        while let strength = try precedence(current), strength > minimum {
            let token = advance()
            op = op ?? (token.kind == .star ? "*" : spelling(token))
            if dialect == .postgres && strength == 1 && (current.isKeyword(.any) || current.isKeyword(.all) || current.isKeyword(.some)) {
                advance()
                try expect(.leftParen, "( after ANY or ALL")
                let inner: Syntax.Expression
                if current.isKeyword(.select) || current.isKeyword(.with) || current.isKeyword(.values) {
                    inner = .subquery(try query())
                } else {
                    inner = try expression()
                }
                try expect(.rightParen, ")")
                parts.append(inner)
                continue
            }
            parts.append(try binary(minimum: strength))
        }
        return Self.flat(op ?? "", parts)
    }

    private mutating func unary() throws(Refusal) -> Syntax.Expression {
        if current.kind == .op && (list.isOperator(current, "-") || list.isOperator(current, "+") || list.isOperator(current, "~")) {
            try nest()
            defer { depth -= 1 }
            let op = spelling(advance())
            return .operation(op, [try unary()])
        }
        // Postfix chains (`x::a::b`, `x[1][2]`, `AT TIME ZONE`) are kept flat, as binary chains are.
        let first = try primary()
        var parts: [Syntax.Expression] = []
        var types: [Syntax.TypeName] = []
        while true {
            if dialect.hasPostgresExpressions && accept(.doubleColon) {
                types.append(try typeName())
            } else if dialect.hasPostgresExpressions && accept(.leftBracket) {
                if parts.isEmpty { parts.append(first) }
                parts.append(try expression())
                try expect(.rightBracket, "]")
            } else if accept(.collate) {
                _ = try qualifiedName(what: "a collation name")
            } else if dialect == .postgres && current.isKeyword(.at) && peek().isKeyword(.time) && peek(2).isKeyword(.zone) {
                advance()
                advance()
                advance()
                if parts.isEmpty { parts.append(first) }
                parts.append(try primary())
            } else {
                let value = parts.isEmpty ? first : Self.flat("postfix", parts)
                return types.isEmpty ? value : .cast(value, types)
            }
        }
    }

    private mutating func primary() throws(Refusal) -> Syntax.Expression {
        let token = current
        switch token.kind {
        case .number, .string, .otherString:
            advance()
            if dialect == .postgres { while current.kind == .otherString || current.kind == .string { advance() } }
            return .literal
        case .leftParen:
            try nest()
            defer { depth -= 1 }
            advance()
            if current.isKeyword(.select) || current.isKeyword(.with) || current.isKeyword(.values) {
                let query = try self.query()
                try expect(.rightParen, ")")
                return .subquery(query)
            }
            let list = try expressionList()
            try expect(.rightParen, ")")
            return list.count == 1 ? list[0] : .operation("ROW", list)
        case .quotedIdentifier:
            return try nameExpression()
        case .word:
            break
        default:
            throw unexpected(expecting: "an expression")
        }
        switch token.keyword {
        case .null, .true, .false, .current_date, .current_time, .current_timestamp, .localtime, .localtimestamp:
            advance()
            return .literal
        case .case:
            return try caseExpression()
        case .cast:
            advance()
            try expect(.leftParen, "( after CAST")
            let value = try expression()
            try expect(.as)
            let type = try typeName()
            try expect(.rightParen, ")")
            return .cast(value, [type])
        case .exists:
            advance()
            try expect(.leftParen, "( after EXISTS")
            let query = try self.query()
            try expect(.rightParen, ")")
            return .subquery(query)
        case .extract where dialect == .postgres:
            advance()
            try expect(.leftParen, "( after EXTRACT")
            guard current.kind == .word || current.kind == .string || current.kind == .otherString else {
                throw unexpected(expecting: "a field name")
            }
            advance()
            try expect(.from)
            let value = try expression()
            try expect(.rightParen, ")")
            return .operation("EXTRACT", [value])
        case .array where dialect == .postgres:
            advance()
            if accept(.leftBracket) {
                let list = current.kind == .rightBracket ? [] : try expressionList()
                try expect(.rightBracket, "]")
                return .operation("ARRAY", list)
            }
            try expect(.leftParen, "[ or ( after ARRAY")
            let query = try self.query()
            try expect(.rightParen, ")")
            return .subquery(query)
        case .left, .right:
            guard peek().kind == .leftParen else { throw unexpected(expecting: "an expression") }
            return try nameExpression()
        default:
            if token.keyword?.isReserved ?? false { throw unexpected(expecting: "an expression") }
            return try nameExpression()
        }
    }

    /// Functions PostgreSQL calls without parentheses; the guard treats the bare words as calls on
    /// both engines, so they are refused unless allowlisted.
    private static let niladicFunctions: Set<NameKey> = Set(
        names: ["user", "current_user", "session_user", "current_role", "current_schema", "current_catalog", "system_user"].map { Array($0.utf8) })

    /// A column, `table.column`, a function call or (PostgreSQL) a typed literal `type 'text'`.
    /// Names are built only when kept (a call or a type): a column reference allocates nothing.
    private mutating func nameExpression() throws(Refusal) -> Syntax.Expression {
        let firstIndex = position
        let first = advance()
        var parts = 1
        while current.kind == .dot {
            advance()
            guard current.kind == .word || current.kind == .quotedIdentifier else { throw unexpected(expecting: "a name after '.'") }
            advance()
            parts += 1
        }
        func names() -> [Syntax.Name] {
            (0..<parts).map { part in
                let token = tokens[firstIndex + 2 * part]
                return Syntax.Name(key: key(token), isQuoted: token.kind != .word)
            }
        }
        if current.kind == .leftParen { return try functionCall(names(), offset: first.offset) }
        if dialect.hasPostgresExpressions && parts == 1 && first.kind == .word && (current.kind == .otherString || current.kind == .string) {
            advance()
            return .cast(.literal, [Syntax.TypeName(words: names(), offset: first.offset)])
        }
        if parts == 1 && first.kind == .word && first.end - first.offset >= 4 && [0x75, 0x63, 0x73].contains(asciiLowercased(list.source[first.offset]))
            && Self.niladicFunctions.contains(key(first))
        {
            return .call(Syntax.FunctionCall(name: names(), offset: first.offset, arguments: []))
        }
        return .column
    }

    private mutating func functionCall(_ names: [Syntax.Name], offset: Int) throws(Refusal) -> Syntax.Expression {
        try nest()
        defer { depth -= 1 }
        try expect(.leftParen, "(")
        var call = Syntax.FunctionCall(name: names, offset: offset, arguments: [])
        if accept(.star) {
        } else if current.kind != .rightParen {
            _ = accept(.distinct) || accept(.all)
            call.arguments = try expressionList()
            if accept(.order) {
                try expect(.by)
                call.modifiers.append(contentsOf: try orderList())
            }
        }
        try expect(.rightParen, ") after function arguments")
        if current.isKeyword(.within) {
            advance()
            try expect(.group)
            try expect(.leftParen, "( after WITHIN GROUP")
            try expect(.order)
            try expect(.by)
            call.modifiers.append(contentsOf: try orderList())
            try expect(.rightParen, ")")
        }
        if current.isKeyword(.filter) && peek().kind == .leftParen {
            advance()
            advance()
            try expect(.where)
            call.modifiers.append(try expression())
            try expect(.rightParen, ")")
        }
        if accept(.over) {
            call.isWindow = true
            if current.kind == .leftParen {
                call.modifiers.append(contentsOf: try windowSpecification())
            } else {
                _ = try name(what: "a window name or ( after OVER")
            }
        }
        return .call(call)
    }

    private mutating func caseExpression() throws(Refusal) -> Syntax.Expression {
        advance()
        var parts: [Syntax.Expression] = []
        if !current.isKeyword(.when) { parts.append(try expression()) }
        guard current.isKeyword(.when) else { throw unexpected(expecting: "WHEN") }
        while accept(.when) {
            parts.append(try expression())
            try expect(.then)
            parts.append(try expression())
        }
        if accept(.else) { parts.append(try expression()) }
        try expect(.end)
        return .operation("CASE", parts)
    }

    /// A type name for CAST, `::` or a typed literal: one word (or quoted name), PostgreSQL's
    /// multi-word names (`double precision`, `character varying`, `timestamp with time zone`),
    /// SQLite's free-form words (`unsigned big int`), then `(n[, m])` and PostgreSQL's `[]`.
    /// Schema-qualified type names are refused.
    private mutating func typeName() throws(Refusal) -> Syntax.TypeName {
        let offset = current.offset
        var words = [try typeWord()]
        if current.kind == .dot { throw Refusal("schema-qualified type names are refused", at: current.offset) }
        switch dialect {
        case .sqlite:
            while current.kind == .word && !(current.keyword?.isReserved ?? false) { words.append(try typeWord()) }
        case .postgres:
            let first = words[0].display
            if first == "double" && isWord("precision") {
                words.append(try typeWord())
            } else if (first == "character" || first == "char") && isWord("varying") {
                words.append(try typeWord())
            } else if (first == "timestamp" || first == "time") && (current.isKeyword(.with) || isWord("without")) {
                words.append(Syntax.Name(key: key(advance()), isQuoted: false))
                guard current.isKeyword(.time), peek().isKeyword(.zone) else { throw unexpected(expecting: "TIME ZONE") }
                words.append(Syntax.Name(key: key(advance()), isQuoted: false))
                words.append(Syntax.Name(key: key(advance()), isQuoted: false))
            }
        }
        if accept(.leftParen) {
            repeat {
                guard current.kind == .number || (current.kind == .op && list.isOperator(current, "-") && peek().kind == .number) else {
                    throw unexpected(expecting: "a number in a type's size")
                }
                if current.kind == .op { advance() }
                advance()
            } while accept(.comma)
            try expect(.rightParen, ")")
        }
        if dialect == .postgres {
            while accept(.leftBracket) { try expect(.rightBracket, "]") }
        }
        return Syntax.TypeName(words: words, offset: offset)
    }

    private mutating func typeWord() throws(Refusal) -> Syntax.Name {
        let token = current
        switch token.kind {
        case .word where !(token.keyword?.isReserved ?? false) || token.isKeyword(.time):
            advance()
            return Syntax.Name(key: key(token), isQuoted: false)
        case .quotedIdentifier:
            advance()
            return Syntax.Name(key: list.text(token), isQuoted: true)
        default:
            throw unexpected(expecting: "a type name")
        }
    }
}
