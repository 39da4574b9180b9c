import HoldoutModel

/// What an import file holds, with its columns (seed 001's field names).
public enum ImportKind: String, Sendable, CaseIterable, Codable {
    case assignments, exposures, outcomes, events, touchpoints, covariates, properties
    /// A tenant's orders (issue 13): `order_id, created_at`, a geo column (``Importer/geoColumn``,
    /// default `ship_geohash`), and revenue as `net_revenue`, else `subtotal − discounts`.
    case orders

    /// The columns read, required first.
    public var columns: (required: [String], optional: [String]) {
        switch self {
        case .assignments: (["profile_id", "group"], ["assigned_at"])
        case .exposures: (["profile_id", "exposure_ts"], ["variant", "campaign_id", "message_id", "event_id"])
        case .outcomes: (["profile_id", "conversion_ts"], ["value", "event_id", "metric"])
        case .events: (["event_id", "event_name", "profile_id", "ts"], ["value", "properties"])
        case .touchpoints: (["profile_id", "channel", "ts"], ["campaign_id"])
        case .covariates, .properties: (["profile_id"], [])
        case .orders: (["order_id", "created_at"], ["net_revenue", "subtotal", "discounts"])
        }
    }

    /// Whether rows belong to one experiment (`--experiment` required).
    public var needsExperiment: Bool {
        switch self {
        case .events, .touchpoints, .properties, .orders: false
        default: true
        }
    }

    /// Whether a row holds several values (one per covariate or property column), each its own
    /// table row.
    public var rowsHoldSeveralValues: Bool { self == .covariates || self == .properties }

    var table: String {
        switch self {
        case .assignments: "experiment_assignments"
        case .exposures: "experiment_exposures"
        case .outcomes: "experiment_outcomes"
        case .events: "events"
        case .touchpoints: "touchpoints"
        case .covariates: "unit_covariates"
        case .properties: "unit_properties"
        case .orders: "orders"
        }
    }

    var tableColumns: [(name: String, type: ColumnType)] {
        switch self {
        case .assignments: [("experiment_id", .bigint), ("profile_id", .text), ("variant", .text), ("assigned_at", .bigint)]
        case .exposures:
            [
                ("experiment_id", .bigint), ("profile_id", .text), ("exposure_ts", .bigint), ("variant", .text), ("campaign_id", .text),
                ("message_id", .text), ("event_id", .text),
            ]
        case .outcomes:
            [
                ("experiment_id", .bigint), ("profile_id", .text), ("conversion_ts", .bigint), ("value", .double), ("event_id", .text), ("metric", .text),
            ]
        case .events: [("event_id", .text), ("event_name", .text), ("profile_id", .text), ("ts", .bigint), ("value", .double), ("properties", .text)]
        case .touchpoints: [("tenant", .text), ("profile_id", .text), ("channel", .text), ("ts", .bigint), ("campaign_id", .text)]
        case .covariates: [("experiment_id", .bigint), ("profile_id", .text), ("name", .text), ("value", .double)]
        case .properties: [("profile_id", .text), ("name", .text), ("value", .text)]
        case .orders: [("tenant", .text), ("order_id", .text), ("created_at", .bigint), ("geo", .text), ("revenue", .double)]
        }
    }

    /// The natural key that makes re-imports idempotent.
    var conflictTarget: [String] {
        switch self {
        case .assignments: ["experiment_id", "profile_id"]
        case .exposures, .outcomes: ["experiment_id", "event_id"]
        case .events: ["event_id"]
        case .touchpoints: ["tenant", "profile_id", "channel", "ts", "campaign_id"]
        case .covariates: ["experiment_id", "profile_id", "name"]
        case .properties: ["profile_id", "name"]
        case .orders: ["tenant", "order_id"]
        }
    }
}
