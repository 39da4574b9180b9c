extension GeoPanel {
    /// A panel from dense geo-major arrays, for the generator (no row validation: the
    /// generator's values are finite and non-negative by construction, and every geo has every
    /// day). `geos` must already be ordered by their UTF-8 bytes and distinct.
    init(sortedGeos geos: [String], firstDay: GeoDay, dayCount: Int, response: [Double], cost: [Double]?) {
        precondition(zip(geos, geos.dropFirst()).allSatisfy { GeoID($0) < GeoID($1) }, "geos must be distinct and ordered by bytes")
        precondition(response.count == geos.count * dayCount && (cost?.count ?? response.count) == response.count)
        var index: [GeoID: Int] = [:]
        for (g, geo) in geos.enumerated() { index[GeoID(geo)] = g }
        self.geos = geos
        self.firstDay = firstDay
        self.dayCount = dayCount
        self.response = response
        self.cost = cost
        self.index = index
    }
}
