/// Decides whether a query may run against the semantic views: one read-only SELECT over allowed
/// relations, calling allowed functions only, that the guard parsed completely.
///
/// The guard is one layer of three: the runner also executes on a read-only connection whose
/// role (or SQLite authorizer) can read the allowed views only, under a time and memory limit.
/// The guard exists so that a refused query says why, before it reaches the engine, and so that
/// the engine's own checks are never the only thing between a generated query and the data.
///
/// ```swift
/// let sqlGuard = SQLGuard(dialect: .postgres, allowedRelations: SQLGuard.holdoutAssets, knownRelations: SQLGuard.holdoutTables)
/// sqlGuard.check("SELECT variation_id, uplift_abs FROM fct_experiment_results").isAllowed      // true
/// sqlGuard.check("SELECT query_to_xml('SELECT * FROM api_keys', true, true, '')").reason
/// // "function \"query_to_xml\" is not on the function allowlist"
/// ```
///
/// Names compare as the engine compares them: PostgreSQL folds unquoted identifiers to lower case
/// and compares quoted ones byte for byte; SQLite compares every identifier with ASCII case
/// folded. Identifiers are bytes: nothing is Unicode-normalised.
public struct SQLGuard: Sendable {
    public let dialect: SQLDialect
    public let allowedRelations: Set<String>
    public let knownRelations: Set<String>
    public let allowedFunctions: Set<String>
    public let allowedTypes: Set<String>
    /// Longer queries are refused before they are parsed (bytes of UTF-8).
    public var maximumQueryLength = 65_536

    let relationKeys: Set<NameKey>
    let knownRelationKeys: Set<NameKey>
    let functionKeys: Set<NameKey>
    let typeKeys: Set<NameKey>
    let defaultSchemaKey: [UInt8]

    /// - Parameters:
    ///   - dialect: The engine whose lexical and naming rules apply.
    ///   - allowedRelations: The relations (views) a query may read, spelled as in the catalog.
    ///   - knownRelations: Every other relation of the database (its tables); a CTE may not take
    ///     the name of one of these or of an allowed relation.
    ///   - allowedFunctions: The functions a query may call, lower case; the dialect's
    ///     ``SQLDialect/defaultAllowedFunctions`` when nil.
    ///   - allowedTypes: The type names casts may name; ``SQLDialect/defaultAllowedTypes`` when nil.
    public init(
        dialect: SQLDialect, allowedRelations: Set<String>, knownRelations: Set<String> = [], allowedFunctions: Set<String>? = nil,
        allowedTypes: Set<String>? = nil
    ) {
        self.dialect = dialect
        self.allowedRelations = allowedRelations
        self.knownRelations = knownRelations
        self.allowedFunctions = allowedFunctions ?? dialect.defaultAllowedFunctions
        self.allowedTypes = allowedTypes ?? dialect.defaultAllowedTypes
        relationKeys = Set(names: allowedRelations.map(dialect.key(forConfigured:)))
        knownRelationKeys = Set(names: knownRelations.map(dialect.key(forConfigured:)))
        // Function and type names are listed in lower case, the spelling unquoted names fold to.
        functionKeys = Set(names: self.allowedFunctions.map { Array($0.utf8).map(asciiLowercased) })
        typeKeys = Set(names: self.allowedTypes.map { Array($0.utf8).map(asciiLowercased) })
        defaultSchemaKey = Array(dialect.defaultSchema.utf8)
    }

    /// The guard for Holdout's semantic views on this engine.
    public static func holdout(dialect: SQLDialect) -> SQLGuard {
        SQLGuard(dialect: dialect, allowedRelations: holdoutAssets, knownRelations: holdoutTables)
    }

    /// The semantic views an AI or analyst query may read (seed 003's `dim_ai_allowed_assets`).
    public static let holdoutAssets: Set<String> = [
        "fct_experiment_results", "agg_experiment_metric_by_variant", "fct_experiment_cohort", "int_experiment_exposure_validation",
        "fct_experiment_exposure_quality_daily", "dim_ai_allowed_assets",
    ]

    /// Holdout's tables (every table HoldoutStore's migrations create, including the copies a
    /// migration renames), which a CTE may not shadow. A test checks them against the migrations.
    public static let holdoutTables: Set<String> = [
        "schema_migrations", "ai_query_roles", "analysis_stages", "api_keys", "events", "experiment_assignments", "experiment_assignments_v4",
        "experiment_exposures", "experiment_feature_names", "experiment_outcomes", "experiment_results", "experiment_variants", "experiments",
        "geo_holdout_designs", "order_geo_days", "order_geos", "orders", "reports", "touchpoints",
        "touchpoints_v2",
        "unit_covariates", "unit_features", "unit_properties", "webhook_secrets",
    ]

    /// The verdict on one query.
    ///
    /// - Parameter query: The SQL text, exactly as it would be sent to the engine.
    /// - Returns: Allowed with the relations and functions it uses, or refused with the reason.
    public func check(_ query: String) -> Verdict {
        if query.utf8.count > maximumQueryLength {
            return Verdict(isAllowed: false, reason: "the query is longer than \(maximumQueryLength) bytes", relations: [], functions: [])
        }
        let syntax: Syntax.Query
        do {
            syntax = try Parser.parse(query, dialect: dialect)
        } catch {
            return Verdict(isAllowed: false, reason: error.message, relations: [], functions: [])
        }
        var analyzer = Analyzer(configuration: self)
        analyzer.analyze(syntax)
        return Verdict(isAllowed: analyzer.refusal == nil, reason: analyzer.refusal, relations: analyzer.relations, functions: analyzer.functions)
    }
}
