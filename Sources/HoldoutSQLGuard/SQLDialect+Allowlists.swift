extension SQLDialect {
    /// Functions both engines share that have no side effect, read no relation and run no SQL:
    /// arithmetic, string, null handling, aggregates and ranking windows.
    private static let commonFunctions: Set<String> = [
        // Aggregates.
        "count", "sum", "avg", "min", "max",
        // Window functions.
        "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead", "first_value", "last_value",
        "nth_value",
        // Numbers.
        "abs", "round", "ceil", "ceiling", "floor", "sqrt", "power", "pow", "exp", "ln", "log", "log10", "sign", "mod", "trunc",
        // Strings (none that builds a string longer than its inputs: no repeat, lpad, rpad, printf).
        "lower", "upper", "length", "substr", "substring", "trim", "ltrim", "rtrim", "replace",
        // Nulls.
        "coalesce", "nullif",
    ]

    /// The functions a query may call on this engine, lower case.
    ///
    /// An allowlist, so everything unlisted is refused by not being there: table-valued
    /// functions, catalog and settings access (`current_setting`, `set_config`, `sqlite_version`),
    /// files (`pg_read_file`, `lo_import`, `readfile`, `load_extension`), network (`dblink`), sleep
    /// (`pg_sleep`), SQL run from a string (`query_to_xml`, `ts_stat`), sequences (`nextval`), and the
    /// memory amplifiers `randomblob`, `zeroblob`, `repeat`, `lpad`, `rpad`, `printf`, `format`.
    public var defaultAllowedFunctions: Set<String> {
        switch self {
        case .sqlite:
            Self.commonFunctions.union([
                "total", "group_concat", "ifnull", "iif", "instr", "typeof", "date", "time", "datetime", "julianday", "strftime",
                "unixepoch", "json_extract", "json_array_length", "json_type", "json_valid", "like", "glob",
            ])
        case .postgres:
            Self.commonFunctions.union([
                "greatest", "least", "div", "cbrt", "pi", "degrees", "radians", "width_bucket", "scale", "date_trunc", "date_part",
                "to_char", "to_date", "to_timestamp", "to_number", "make_date", "age", "now", "isfinite", "concat", "concat_ws",
                "left", "right", "strpos", "split_part", "starts_with", "initcap", "char_length", "octet_length", "btrim",
                "string_agg", "array_agg", "bool_and", "bool_or", "every", "stddev", "stddev_samp", "stddev_pop", "variance",
                "var_samp", "var_pop", "corr", "covar_pop", "covar_samp", "regr_slope", "regr_intercept", "regr_r2", "regr_count",
                "percentile_cont", "percentile_disc", "mode", "grouping", "json_build_object", "jsonb_build_object",
            ])
        }
    }

    /// The type names CAST, `::` and typed literals may name, lower case, words joined by one
    /// space. An allowlist because a PostgreSQL cast can look up the catalog: `'pg_authid'::regclass`,
    /// `regproc`, `regrole` and friends turn a string into a catalog read.
    public var defaultAllowedTypes: Set<String> {
        switch self {
        case .sqlite:
            [
                "integer", "int", "bigint", "real", "double", "double precision", "float", "numeric", "decimal", "text", "varchar",
                "char", "blob", "boolean", "date", "datetime",
            ]
        case .postgres:
            [
                "smallint", "integer", "int", "int2", "int4", "int8", "bigint", "real", "float", "float4", "float8", "double precision",
                "numeric", "decimal", "text", "varchar", "character varying", "char", "character", "boolean", "bool", "date", "time",
                "timestamp", "timestamptz", "timestamp with time zone", "timestamp without time zone", "interval", "json", "jsonb",
                "uuid",
            ]
        }
    }
}
