/// The SQL engine whose lexical and naming rules the guard follows.
///
/// The two engines disagree on exactly the details an allowlist checked on text gets wrong, so
/// every difference is a capability property here and the tokenizer, parser and analyzer ask
/// the dialect instead of testing which engine it is:
///
/// | Capability | SQLite | PostgreSQL |
/// |---|---|---|
/// | `/* */` comments nest | no (first `*/` ends) | yes |
/// | `--` comment ends at `\r` | no (only `\n`) | yes |
/// | `[x]` and `` `x` `` identifiers | yes | no |
/// | a `'string'` may name a table or alias | yes | no |
/// | quoted identifiers are case-sensitive | no (ASCII folded) | yes |
/// | `E'…'`, `$tag$…$tag$`, `U&"…"` | no | yes |
/// | longest identifier | unbounded | 63 bytes (longer ones are truncated by the engine) |
/// | default schema | `main` | `public` |
public enum SQLDialect: String, Sendable, Hashable, Codable, CaseIterable {
    case sqlite
    case postgres

    /// PostgreSQL nests block comments (`/* /* */ */` is one comment); SQLite ends a block comment
    /// at the first `*/`. A query that hides a relation behind `/* /* */` reads it on one engine only.
    var hasNestedComments: Bool { self == .postgres }

    /// PostgreSQL ends a `--` comment at a carriage return as well as a line feed; SQLite only at
    /// a line feed, so `-- x\rFROM secret` is a comment on SQLite and a clause on PostgreSQL.
    var lineCommentEndsAtCarriageReturn: Bool { self == .postgres }

    /// SQLite accepts `[name]` and `` `name` `` as quoted identifiers (MS Access and MySQL habits).
    var hasBracketAndBacktickIdentifiers: Bool { self == .sqlite }

    /// SQLite accepts a string literal where a table name or an alias is expected
    /// (`SELECT * FROM 'sqlite_master'`), so such a string is a name there.
    var acceptsStringsAsNames: Bool { self == .sqlite }

    /// PostgreSQL compares quoted identifiers byte for byte and folds unquoted ones to lower case;
    /// SQLite compares every identifier, quoted or not, with ASCII case folded.
    var hasCaseSensitiveQuotedIdentifiers: Bool { self == .postgres }

    /// PostgreSQL's `E'…'`, `$tag$…$tag$`, `U&'…'`, `U&"…"`, `B'…'` and `N'…'` literals.
    var hasPostgresLiterals: Bool { self == .postgres }

    /// PostgreSQL truncates a longer identifier to its first 63 bytes (NAMEDATALEN − 1), so
    /// what it reads is not the name the text spells: the guard refuses longer identifiers.
    var maximumIdentifierLength: Int? { self == .postgres ? 63 : nil }

    /// PostgreSQL's `::` cast, `ARRAY[…]`, `x[1]` subscripts and typed literals (`date '2026-01-01'`).
    var hasPostgresExpressions: Bool { self == .postgres }

    /// The schema an unqualified name resolves to when it names one of our tables or views. A
    /// name qualified with this schema is treated as unqualified; every other qualifier
    /// (`temp`, an attached database, `pg_catalog`, `information_schema`) is refused.
    public var defaultSchema: String { self == .postgres ? "public" : "main" }

    /// Turns a configured relation or function name into the bytes the guard compares: ASCII
    /// lower case on SQLite (whose name comparison folds ASCII only), unchanged on PostgreSQL
    /// (where a configured name is the catalog's, case-sensitive, spelling).
    func key(forConfigured name: String) -> [UInt8] {
        self == .sqlite ? Array(name.utf8).map(asciiLowercased) : Array(name.utf8)
    }
}

/// Lowers `A`–`Z` only: both engines fold identifiers by ASCII rules on a UTF-8 database, and
/// identifiers are bytes (never Unicode-normalised or case-folded beyond ASCII).
@inline(__always)
func asciiLowercased(_ byte: UInt8) -> UInt8 {
    byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
}
