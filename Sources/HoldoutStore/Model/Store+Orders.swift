public import HoldoutModel
import SQLKit

extension Store: OrdersSource {
    /// Revenue and order count per geo for one tenant: one pass over the tenant's range of the
    /// orders key.
    public func revenueByGeo(tenant: String) async throws(StoreError) -> [GeoRevenue] {
        try await failing("read revenue per geo") {
            try await withConnection { sql in
                try await sql.raw(
                    "SELECT geo, SUM(revenue) AS revenue, COUNT(*) AS n FROM orders WHERE tenant = \(bind: tenant) GROUP BY geo ORDER BY geo"
                ).all().map {
                    GeoRevenue(
                        geo: try $0.decode(column: "geo", as: String.self), revenue: try $0.decode(column: "revenue", as: Double.self),
                        orders: try $0.decode(column: "n", as: Int.self))
                }
            }
        }
    }

    /// Revenue per geo and UTC day for one tenant (the cells with orders).
    public func dailyRevenue(tenant: String) async throws(StoreError) -> [DailyGeoRevenue] {
        let day = dialect.floorDivide("created_at", "86400000000")
        return try await failing("read the daily panel") {
            try await withConnection { sql in
                try await sql.raw(
                    """
                    SELECT \(unsafeRaw: day) AS day, geo, SUM(revenue) AS revenue FROM orders WHERE tenant = \(bind: tenant)
                    GROUP BY \(unsafeRaw: day), geo ORDER BY day, geo
                    """
                ).all().map {
                    DailyGeoRevenue(
                        day: Int(try $0.decode(column: "day", as: Int64.self)), geo: try $0.decode(column: "geo", as: String.self),
                        revenue: try $0.decode(column: "revenue", as: Double.self))
                }
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
