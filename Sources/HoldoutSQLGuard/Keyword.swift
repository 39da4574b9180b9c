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

    /// Keywords grouped by length, so a lookup compares a few candidates byte for byte instead
    /// of hashing every word of the query.
    private static let byLength: [[(bytes: [UInt8], keyword: Keyword)]] = {
        var table = Array(repeating: [(bytes: [UInt8], keyword: Keyword)](), count: 18)
        for keyword in allCases { table[keyword.rawValue.utf8.count].append((Array(keyword.rawValue.utf8), keyword)) }
        return table
    }()

    /// The keyword spelled by `source[start..<start + count]`, ASCII case folded.
    init?(source: [UInt8], start: Int, count: Int) {
        guard count >= 2, count < Self.byLength.count else { return nil }
        let first = asciiLowercased(source[start])
        candidates: for candidate in Self.byLength[count] where candidate.bytes[0] == first {
            for i in 1..<count where candidate.bytes[i] != asciiLowercased(source[start + i]) { continue candidates }
            self = candidate.keyword
            return
        }
        return nil
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
