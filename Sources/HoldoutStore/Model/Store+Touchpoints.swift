import Foundation
public import HoldoutModel
import SQLKit

extension Store {
    /// The tenant's profiles with a touchpoint in `channel` within [from, to], each with its
    /// first such touchpoint (seed 001's auto-assign: the profile's entry into the experiment),
    /// ordered by profile id.
    public func touchpointProfiles(tenant: String, channel: String, from: Timestamp, to: Timestamp) async throws(StoreError) -> [(id: String, first: Timestamp)]
    {
        return try await failing("read touchpoints") {
            try await withConnection { sql in
                try await sql.raw(
                    "SELECT profile_id, MIN(ts) AS first_ts FROM touchpoints WHERE tenant = \(bind: tenant) AND channel = \(bind: channel) AND ts >= \(bind: from.microseconds) AND ts <= \(bind: to.microseconds) GROUP BY profile_id ORDER BY profile_id"
                ).all().map {
                    (try $0.decode(column: "profile_id", as: String.self), Timestamp(microseconds: try $0.decode(column: "first_ts", as: Int64.self)))
                }
            }
        }
    }
}
