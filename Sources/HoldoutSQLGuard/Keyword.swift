/// The words the parser treats as syntax rather than as names.
///
/// Every keyword here ends an expression or a name: it is never taken as an implicit alias or
/// a column, so `FROM a LEFT sqlite_master` cannot be read as "table `a` aliased `left`". Words
/// the engines also reserve only in some positions (`left`, `right`, `replace`) are still
/// accepted as function names when a `(` follows (`left(name, 3)`).
enum Keyword: String, Sendable, CaseIterable {
    case all, and, any, array, `as`, asc, at, between, by, `case`, cast, collate, cross, current, current_date, current_time
    case current_timestamp, desc, distinct, `do`, `else`, end, escape, except, exclude, exists, extract, `false`, fetch, filter
    case first, following, `for`, from, full, glob, group, groups, having, ilike, `in`, inner, intersect, into, `is`, isnull
    case join, last, lateral, left, like, limit, localtime, localtimestamp, match, materialized, natural, not, notnull
    case null, nulls, offset, on, only, or, order, others, outer, over, partition, preceding, range, recursive
    case regexp, returning, right, row, rows, select, similar, some, symmetric, table, then, ties, time, to, `true`, unbounded
    case union, `using`, values, `where`, when, window, with, within, zone

    private static let byBytes: [[UInt8]: Keyword] = Dictionary(
        uniqueKeysWithValues: allCases.map { (Array($0.rawValue.utf8), $0) })

    /// The keyword spelled by these (already lower-cased) bytes.
    init?(lowercased bytes: [UInt8]) {
        guard bytes.count >= 2, bytes.count <= 17, let keyword = Self.byBytes[bytes] else { return nil }
        self = keyword
    }

    /// Words that can never be an implicit alias or a bare column name: they start or end a
    /// clause, a join or an expression.
    var isReserved: Bool {
        switch self {
        case .first, .last, .following, .preceding, .unbounded, .current, .others, .ties, .materialized, .zone, .time, .row,
            .range, .rows, .groups, .nulls, .partition, .only, .do, .exclude, .to, .some, .filter, .within:
            return false
        default:
            return true
        }
    }
}
