/// A geo panel: one response (revenue, conversions…) and optionally one cost per geo and day,
/// over a contiguous range of days, with no gaps.
///
/// Built once from rows, validated on construction, and stored densely (geo-major), so the
/// analyses read group series without hashing.
///
/// ```swift
/// let panel = try GeoPanel(rows: [
///     .init(date: try GeoDay("2026-03-01"), geo: "9q8yy", response: 120.5),
///     .init(date: try GeoDay("2026-03-01"), geo: "9q9zz", response: 80),
/// ])
/// ```
///
/// Geos are ordered by the UTF-8 bytes of their ids and compared as bytes.
public struct GeoPanel: Sendable {
    /// One observation.
    public struct Row: Sendable, Hashable, Codable {
        public var date: GeoDay
        public var geo: String
        public var response: Double
        public var cost: Double?

        public init(date: GeoDay, geo: String, response: Double, cost: Double? = nil) {
            self.date = date
            self.geo = geo
            self.response = response
            self.cost = cost
        }
    }

    /// Geo ids, ordered by their UTF-8 bytes.
    public let geos: [String]
    /// The first day of the panel.
    public let firstDay: GeoDay
    /// The number of days; every geo has a row for each.
    public let dayCount: Int
    /// Response by geo then day: `response[g * dayCount + d]`.
    let response: [Double]
    /// Cost laid out like `response`, when the rows carry cost.
    let cost: [Double]?
    let index: [GeoID: Int]

    /// The last day of the panel.
    public var lastDay: GeoDay { firstDay.advanced(by: dayCount - 1) }

    /// Whether the rows carry cost.
    public var hasCost: Bool { cost != nil }

    /// Validates and stores the rows.
    ///
    /// - Throws: ``GeoError`` naming the row, geo and date: `invalid_input` for no rows, a
    ///   non-finite value, or cost on some rows but not others; `negative_value` for negative
    ///   response or cost; `duplicate_row` for a second row for the same geo and day;
    ///   `missing_day` when a geo lacks a day between the panel's first and last day.
    public init(rows: [Row]) throws(GeoError) {
        guard let first = rows.first else { throw GeoError(.invalidInput, "the panel has no rows") }
        let withCost = first.cost != nil
        var minDay = first.date
        var maxDay = first.date
        var seenGeos = Set<GeoID>()
        for (i, row) in rows.enumerated() {
            guard row.response.isFinite else {
                throw GeoError(.invalidInput, "row \(i) (geo \(row.geo), \(row.date)): response is not finite", geo: row.geo, date: row.date, row: i)
            }
            guard row.response >= 0 else {
                throw GeoError(
                    .negativeValue, "row \(i) (geo \(row.geo), \(row.date)): negative response (revenue) \(row.response)", geo: row.geo, date: row.date,
                    row: i)
            }
            if (row.cost != nil) != withCost {
                throw GeoError(
                    .invalidInput,
                    "row \(i) (geo \(row.geo), \(row.date)): cost must be given on every row or on none (row 0 \(withCost ? "has" : "has no") cost)",
                    geo: row.geo, date: row.date, row: i)
            }
            if let c = row.cost {
                guard c.isFinite else {
                    throw GeoError(.invalidInput, "row \(i) (geo \(row.geo), \(row.date)): cost is not finite", geo: row.geo, date: row.date, row: i)
                }
                guard c >= 0 else {
                    throw GeoError(.negativeValue, "row \(i) (geo \(row.geo), \(row.date)): negative cost \(c)", geo: row.geo, date: row.date, row: i)
                }
            }
            minDay = min(minDay, row.date)
            maxDay = max(maxDay, row.date)
            seenGeos.insert(GeoID(row.geo))
        }
        let dayCount = minDay.distance(to: maxDay) + 1
        let sorted = seenGeos.sorted()
        var sortedIndex: [GeoID: Int] = [:]
        for (s, id) in sorted.enumerated() { sortedIndex[id] = s }
        let cells = sorted.count * dayCount
        var response = [Double](repeating: 0, count: cells)
        var cost = withCost ? [Double](repeating: 0, count: cells) : nil
        var seen = [Int](repeating: -1, count: cells)  // the row that filled each cell
        for (i, row) in rows.enumerated() {
            let g = sortedIndex[GeoID(row.geo)]!
            let cell = g * dayCount + minDay.distance(to: row.date)
            if seen[cell] >= 0 {
                throw GeoError(
                    .duplicateRow, "rows \(seen[cell]) and \(i) are both for geo \(row.geo) on \(row.date)", geo: row.geo, date: row.date, row: i)
            }
            seen[cell] = i
            response[cell] = row.response
            cost?[cell] = row.cost ?? 0
        }
        for (g, id) in sorted.enumerated() {
            for d in 0..<dayCount where seen[g * dayCount + d] < 0 {
                let day = minDay.advanced(by: d)
                throw GeoError(
                    .missingDay, "geo \(id.text) has no row for \(day) (the panel runs \(minDay) to \(maxDay); every geo needs every day)",
                    geo: id.text, date: day)
            }
        }
        self.geos = sorted.map(\.text)
        self.firstDay = minDay
        self.dayCount = dayCount
        self.response = response
        self.cost = cost
        self.index = sortedIndex
    }

    /// The position of `geo` in ``geos``, or `nil`.
    public func position(of geo: String) -> Int? { index[GeoID(geo)] }

    /// The response of geo number `g` on day offset `d` (0 = ``firstDay``).
    public func response(geo g: Int, day d: Int) -> Double { response[g * dayCount + d] }

    /// The cost of geo number `g` on day offset `d`, when the panel has cost.
    public func cost(geo g: Int, day d: Int) -> Double? { cost?[g * dayCount + d] }

    /// The day offsets of `days` inside the panel.
    /// - Throws: ``GeoError`` `invalid_input` when a day falls outside the panel.
    func offsets(_ days: ClosedRange<GeoDay>, name: String) throws(GeoError) -> Range<Int> {
        guard days.lowerBound >= firstDay, days.upperBound <= lastDay else {
            throw GeoError(
                .invalidInput, "the \(name) period \(days.lowerBound)…\(days.upperBound) is outside the panel's days \(firstDay)…\(lastDay)",
                date: days.lowerBound < firstDay ? days.lowerBound : days.upperBound)
        }
        return firstDay.distance(to: days.lowerBound)..<(firstDay.distance(to: days.upperBound) + 1)
    }
}
