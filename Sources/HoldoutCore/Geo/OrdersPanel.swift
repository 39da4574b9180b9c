public import HoldoutGeo
public import HoldoutModel

/// The daily panel of a tenant's orders: revenue per geo and UTC day, every geo on every day from
/// the first order's day to the last (a day without orders in a geo is 0 revenue, not missing).
public enum OrdersPanel {
    /// Panel rows, by day then geo bytes, from the cells with orders.
    public static func rows(_ cells: [DailyGeoRevenue]) -> [GeoPanel.Row] {
        guard let first = cells.min(by: { $0.day < $1.day })?.day, let last = cells.max(by: { $0.day < $1.day })?.day else { return [] }
        var geoIndex: [OpaqueID: Int] = [:]
        var geos: [String] = []
        for cell in cells where geoIndex[OpaqueID(cell.geo)] == nil {
            geoIndex[OpaqueID(cell.geo)] = geos.count
            geos.append(cell.geo)
        }
        let order = geos.indices.sorted { OpaqueID(geos[$0]) < OpaqueID(geos[$1]) }
        let days = last - first + 1
        var revenue = [Double](repeating: 0, count: geos.count * days)
        for cell in cells { revenue[(cell.day - first) * geos.count + geoIndex[OpaqueID(cell.geo)]!] += cell.revenue }
        var rows: [GeoPanel.Row] = []
        rows.reserveCapacity(geos.count * days)
        for d in 0..<days {
            let date = GeoDay(dayNumber: first + d)
            for g in order { rows.append(GeoPanel.Row(date: date, geo: geos[g], response: revenue[d * geos.count + g])) }
        }
        return rows
    }

    /// The tenant's panel.
    /// - Throws: ``HoldoutError`` from the source; ``GeoError`` `invalid_input` when the tenant has no orders.
    public static func panel(tenant: String, source: some OrdersSource) async throws -> GeoPanel {
        let rows = rows(try await source.dailyRevenue(tenant: tenant))
        guard !rows.isEmpty else { throw GeoError(.invalidInput, "tenant '\(tenant)' has no orders: import some with holdout import orders") }
        return try GeoPanel(rows: rows)
    }
}
