public import HoldoutModel
import SQLKit

extension Store: OrdersSource {
    /// Revenue and order count per geo for one tenant, from the totals the orders import keeps
    /// (`order_geos`, migration 8): one row per geo, not one per order.
    public func revenueByGeo(tenant: String) async throws(StoreError) -> [GeoRevenue] {
        try await failing("read revenue per geo") {
            try await withConnection { sql in
                try await sql.raw("SELECT geo, revenue, orders FROM order_geos WHERE tenant = \(bind: tenant) ORDER BY geo").all().map {
                    GeoRevenue(
                        geo: try $0.decode(column: "geo", as: String.self), revenue: try $0.decode(column: "revenue", as: Double.self),
                        orders: try $0.decode(column: "orders", as: Int.self))
                }
            }
        }
    }

    /// Revenue per geo and UTC day for one tenant (the cells with orders), from `order_geo_days`.
    public func dailyRevenue(tenant: String) async throws(StoreError) -> [DailyGeoRevenue] {
        try await failing("read the daily panel") {
            try await withConnection { sql in
                try await sql.raw("SELECT day, geo, revenue FROM order_geo_days WHERE tenant = \(bind: tenant) ORDER BY day, geo").all().map {
                    DailyGeoRevenue(
                        day: Int(try $0.decode(column: "day", as: Int64.self)), geo: try $0.decode(column: "geo", as: String.self),
                        revenue: try $0.decode(column: "revenue", as: Double.self))
                }
            }
        }
    }

    /// Revenue per UTC day summed over `geos` (over all the tenant's geos when nil), for the days
    /// with orders in them: a design's group series without reading the whole panel. The geos
    /// go in as many statements as the engine's bind limit asks; their sums are added here.
    public func dailyTotals(tenant: String, geos: [String]?) async throws(StoreError) -> [DailyRevenue] {
        try await failing("read daily revenue totals") {
            try await withConnection { sql in
                var byDay: [Int: Double] = [:]
                func add(_ rows: [any SQLRow]) throws {
                    for row in rows {
                        byDay[Int(try row.decode(column: "day", as: Int64.self)), default: 0] += try row.decode(column: "revenue", as: Double.self)
                    }
                }
                guard let geos else {
                    try add(
                        try await sql.raw("SELECT day, SUM(revenue) AS revenue FROM order_geo_days WHERE tenant = \(bind: tenant) GROUP BY day").all())
                    return byDay.keys.sorted().map { DailyRevenue(day: $0, revenue: byDay[$0]!) }
                }
                let perStatement = max(1, dialect.maximumBindsPerStatement - 1)
                var start = 0
                while start < geos.count {
                    let chunk = geos[start..<min(start + perStatement, geos.count)]
                    start += perStatement
                    var query = SQLQueryString("SELECT day, SUM(revenue) AS revenue FROM order_geo_days WHERE tenant = \(bind: tenant) AND geo IN (")
                    for (i, geo) in chunk.enumerated() {
                        if i > 0 { query.appendLiteral(", ") }
                        query.appendInterpolation(bind: geo)
                    }
                    query.appendLiteral(") GROUP BY day")
                    try add(try await sql.raw(query).all())
                }
                return byDay.keys.sorted().map { DailyRevenue(day: $0, revenue: byDay[$0]!) }
            }
        }
    }

    /// How many orders a tenant has.
    public func orderCount(tenant: String) async throws(StoreError) -> Int {
        try await failing("count orders") {
            try await withConnection { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM orders WHERE tenant = \(bind: tenant)").first()?.decode(column: "n", as: Int.self) ?? 0
            }
        }
    }
}

extension Store: GeoHoldoutRepository {
    static let geoHoldoutColumns = "id, tenant, created_at, method, geo_count, holdout_count, control_share, assignment_path, design"

    public func saveGeoHoldout(_ record: GeoHoldoutRecord) async throws(StoreError) -> GeoHoldoutRecord {
        let returning = dialect.returning(["id"])
        let id = try await failing("store the geo holdout design") {
            try await withConnection { sql in
                try await sql.raw(
                    """
                    INSERT INTO geo_holdout_designs (tenant, created_at, method, geo_count, holdout_count, control_share, assignment_path, design)
                    VALUES (\(bind: record.tenant), \(bind: record.createdAt.microseconds), \(bind: record.method), \(bind: record.geoCount),
                    \(bind: record.holdoutCount), \(bind: record.controlShare), \(bind: record.assignmentPath), \(bind: record.designJSON)) \(unsafeRaw: returning)
                    """
                ).first()?.decode(column: "id", as: Int64.self)
            }
        }
        guard let id else { throw StoreError(.database, "storing the geo holdout design returned no id") }
        var saved = record
        saved.id = id
        return saved
    }

    public func geoHoldouts(tenant: String, limit: Int) async throws(StoreError) -> [GeoHoldoutRecord] {
        try await failing("list geo holdout designs") {
            try await withConnection { sql in
                try await sql.raw(
                    """
                    SELECT \(unsafeRaw: Self.geoHoldoutColumns) FROM geo_holdout_designs WHERE tenant = \(bind: tenant)
                    ORDER BY id DESC LIMIT \(bind: max(0, limit))
                    """
                ).all().map(Self.geoHoldout)
            }
        }
    }

    public func geoHoldout(id: Int64, tenant: String) async throws(StoreError) -> GeoHoldoutRecord? {
        try await failing("read the geo holdout design") {
            try await withConnection { sql in
                try await sql.raw(
                    "SELECT \(unsafeRaw: Self.geoHoldoutColumns) FROM geo_holdout_designs WHERE id = \(bind: id) AND tenant = \(bind: tenant)"
                ).first().map(Self.geoHoldout)
            }
        }
    }

    @Sendable static func geoHoldout(_ row: any SQLRow) throws -> GeoHoldoutRecord {
        GeoHoldoutRecord(
            id: try row.decode(column: "id", as: Int64.self), tenant: try row.decode(column: "tenant", as: String.self),
            createdAt: Timestamp(microseconds: try row.decode(column: "created_at", as: Int64.self)),
            method: try row.decode(column: "method", as: String.self), geoCount: try row.decode(column: "geo_count", as: Int.self),
            holdoutCount: try row.decode(column: "holdout_count", as: Int.self), controlShare: try row.decode(column: "control_share", as: Double.self),
            assignmentPath: try row.decode(column: "assignment_path", as: String?.self), designJSON: try row.decode(column: "design", as: String.self))
    }
}
