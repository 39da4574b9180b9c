/// A geo's revenue over a tenant's orders.
public struct GeoRevenue: Sendable, Hashable {
    public var geo: String
    public var revenue: Double
    public var orders: Int

    public init(geo: String, revenue: Double, orders: Int) {
        self.geo = geo
        self.revenue = revenue
        self.orders = orders
    }
}

/// One cell of a daily panel: a geo's revenue on a UTC day (days since 1970-01-01).
public struct DailyGeoRevenue: Sendable, Hashable {
    public var day: Int
    public var geo: String
    public var revenue: Double

    public init(day: Int, geo: String, revenue: Double) {
        self.day = day
        self.geo = geo
        self.revenue = revenue
    }
}

/// Revenue on a UTC day (days since 1970-01-01), summed over some geos.
public struct DailyRevenue: Sendable, Hashable {
    public var day: Int
    public var revenue: Double

    public init(day: Int, revenue: Double) {
        self.day = day
        self.revenue = revenue
    }
}

/// Where a tenant's orders are read by the geo holdout step (seed 000) and the geo panel: the
/// database reduces orders to one row per geo, or per geo and day, and everything after that is
/// pure. The store implements it; the Core tests use an in-memory source.
public protocol OrdersSource: Sendable {
    /// Revenue and order count per geo, for one tenant; geos with no orders are absent.
    func revenueByGeo(tenant: String) async throws(HoldoutError) -> [GeoRevenue]
    /// Revenue per geo and UTC day, for one tenant; only the (geo, day) cells with orders.
    func dailyRevenue(tenant: String) async throws(HoldoutError) -> [DailyGeoRevenue]
    /// Revenue per UTC day summed over `geos` (all the tenant's geos when nil); only days with
    /// orders in those geos.
    func dailyTotals(tenant: String, geos: [String]?) async throws(HoldoutError) -> [DailyRevenue]
}

extension OrdersSource {
    /// From ``dailyRevenue(tenant:)`` (sources that cannot sum a subset of geos themselves).
    public func dailyTotals(tenant: String, geos: [String]?) async throws(HoldoutError) -> [DailyRevenue] {
        let wanted = geos.map { Set($0.map { OpaqueID($0) }) }
        var byDay: [Int: Double] = [:]
        for cell in try await dailyRevenue(tenant: tenant) where wanted?.contains(OpaqueID(cell.geo)) ?? true { byDay[cell.day, default: 0] += cell.revenue }
        return byDay.keys.sorted().map { DailyRevenue(day: $0, revenue: byDay[$0]!) }
    }
}

/// A stored geo holdout design: the columns the API lists and the whole design JSON.
public struct GeoHoldoutRecord: Sendable, Hashable {
    public var id: Int64
    public var tenant: String
    public var createdAt: Timestamp
    public var method: String
    public var geoCount: Int
    public var holdoutCount: Int
    public var controlShare: Double
    public var assignmentPath: String?
    /// The design as written to its file (seed 000's JSON document).
    public var designJSON: String

    public init(
        id: Int64, tenant: String, createdAt: Timestamp, method: String, geoCount: Int, holdoutCount: Int, controlShare: Double, assignmentPath: String?,
        designJSON: String
    ) {
        self.id = id
        self.tenant = tenant
        self.createdAt = createdAt
        self.method = method
        self.geoCount = geoCount
        self.holdoutCount = holdoutCount
        self.controlShare = controlShare
        self.assignmentPath = assignmentPath
        self.designJSON = designJSON
    }
}

/// Where geo holdout designs are kept, per tenant. The store implements it.
public protocol GeoHoldoutRepository: Sendable {
    /// Keeps a design; returns it with its id.
    func saveGeoHoldout(_ record: GeoHoldoutRecord) async throws(HoldoutError) -> GeoHoldoutRecord
    /// A tenant's designs, newest first, at most `limit`.
    func geoHoldouts(tenant: String, limit: Int) async throws(HoldoutError) -> [GeoHoldoutRecord]
    /// One of a tenant's designs, or nil (another tenant's design is nil too).
    func geoHoldout(id: Int64, tenant: String) async throws(HoldoutError) -> GeoHoldoutRecord?
}
