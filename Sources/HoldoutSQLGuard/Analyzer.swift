/// Walks a parsed query, resolves every relation in its scope and applies the guard's rules.
///
/// Rules (the first one broken becomes the verdict's reason; the walk continues so the verdict
/// still lists every relation and function):
/// - **No recursive CTE.** `WITH RECURSIVE` can loop until the runner's limits stop it, and is
///   never needed to read the semantic views.
/// - **No locking clause and no INTO.** `FOR UPDATE` takes locks and needs UPDATE rights; `SELECT …
///   INTO t` creates a table.
/// - **No CTE named like a database relation** (an allowed asset or a known table). SQLite's
///   authorizer reports a CTE under its name, so `WITH fct_experiment_results AS (SELECT * FROM
///   api_keys)` would inherit the view's rights, and a text-based check would see an allowed name.
///   Catalog-like names (`sqlite_…`, `pg_…`) are refused for the same reason.
/// - **Scopes.** A CTE is visible in its own query (to later CTEs of the same WITH and to the
///   body and its subqueries), never outside it and never to itself: a name that is not a visible
///   CTE is a relation read.
/// - **Every relation read is an allowed asset**, unqualified or qualified with the default schema
///   only (`main.x` on SQLite, `public.x` on PostgreSQL). Catalogs (`sqlite_master`, `pg_catalog.*`,
///   `information_schema.*`), `temp.*` and attached databases are refused.
/// - **No function in FROM.** Table-valued functions (`generate_series`, `json_each`,
///   `pragma_table_info`, `dblink`) are refused even when the same name is an allowed scalar.
/// - **Every function called is allowlisted**, unqualified.
/// - **Every type named in a cast or typed literal is allowlisted** (`::regclass` reads the catalog).
struct Analyzer {
    let configuration: SQLGuard
    private(set) var relations: [String] = []
    private(set) var functions: [String] = []
    /// What `relations` and `functions` already hold, so listing stays linear in the query's size.
    private var listedRelations: Set<String> = []
    private var listedFunctions: Set<String> = []
    private(set) var refusal: String?
    private var scopes: [Set<NameKey>] = []

    init(configuration: SQLGuard) { self.configuration = configuration }

    private mutating func refuse(_ reason: String) {
        if refusal == nil { refusal = reason }
    }

    private static func spelled(_ names: [Syntax.Name]) -> String { names.map(\.display).joined(separator: ".") }

    mutating func analyze(_ query: Syntax.Query) {
        if query.isRecursive { refuse("recursive CTEs (WITH RECURSIVE) are refused") }
        if let locking = query.locking { refuse("the locking clause \(locking) is refused") }
        scopes.append([])
        for cte in query.ctes {
            if configuration.relationKeys.contains(cte.name.key) || configuration.knownRelationKeys.contains(cte.name.key) {
                refuse("CTE \"\(cte.name.display)\" reuses the name of a database relation")
            } else if cte.name.key.starts(with: Array("sqlite_".utf8)) || cte.name.key.starts(with: Array("pg_".utf8)) {
                refuse("CTE \"\(cte.name.display)\" takes a catalog name (sqlite_…, pg_…)")
            }
            analyze(cte.query)
            scopes[scopes.count - 1].insert(NameKey(cte.name.key))
        }
        analyze(query.body)
        for expression in query.orderBy { analyze(expression) }
        for expression in query.limit { analyze(expression) }
        scopes.removeLast()
    }

    private mutating func analyze(_ body: Syntax.SetExpression) {
        switch body {
        case .select(let select):
            if let into = select.into { refuse("SELECT INTO \(Self.spelled(into)) is refused: it creates a table") }
            for reference in select.from { analyze(reference) }
            for expression in select.columns { analyze(expression) }
            for expression in select.clauses { analyze(expression) }
        case .values(let rows):
            for row in rows { for expression in row { analyze(expression) } }
        case .query(let query):
            analyze(query)
        case .operation(_, let terms):
            for term in terms { analyze(term) }
        }
    }

    private mutating func analyze(_ reference: Syntax.TableReference) {
        switch reference {
        case .relation(let names, _):
            read(names)
        case .function(let names, let arguments, _):
            record(function: Self.spelled(names))
            refuse("table-valued function \"\(Self.spelled(names))\" in FROM is refused")
            for argument in arguments { analyze(argument) }
        case .subquery(let query):
            analyze(query)
        case .join(let items, let conditions):
            for item in items { analyze(item) }
            for expression in conditions { analyze(expression) }
        }
    }

    private mutating func read(_ names: [Syntax.Name]) {
        if names.count == 1, scopes.contains(where: { $0.contains(names[0].key) }) { return }
        let spelled = Self.spelled(names)
        guard let table = names.last else { return }
        record(relation: table.display)
        if names.count > 2 || (names.count == 2 && names[0].key != configuration.defaultSchemaKey) {
            refuse("relation \"\(spelled)\" is refused: only \(configuration.dialect.defaultSchema).<asset> may be schema-qualified")
        } else if !configuration.relationKeys.contains(table.key) {
            refuse("relation \"\(spelled)\" is not an allowed asset")
        }
    }

    private mutating func analyze(_ expression: Syntax.Expression) {
        switch expression {
        case .literal, .column:
            return
        case .call(let call):
            let spelled = Self.spelled(call.name)
            record(function: spelled)
            if call.name.count > 1 {
                refuse("schema-qualified function \"\(spelled)\" is refused")
            } else if !configuration.functionKeys.contains(call.name[0].key) {
                refuse("function \"\(spelled)\" is not on the function allowlist")
            }
            for argument in call.arguments { analyze(argument) }
            for modifier in call.modifiers { analyze(modifier) }
        case .cast(let value, let types):
            for type in types where !configuration.typeKeys.contains(Array(type.spelling.utf8)) {
                refuse("type \"\(type.spelling)\" is not on the type allowlist")
            }
            analyze(value)
        case .operation(_, let parts):
            for part in parts { analyze(part) }
        case .subquery(let query):
            analyze(query)
        }
    }

    private mutating func record(relation name: String) {
        if listedRelations.insert(name).inserted { relations.append(name) }
    }

    private mutating func record(function name: String) {
        if listedFunctions.insert(name).inserted { functions.append(name) }
    }
}
