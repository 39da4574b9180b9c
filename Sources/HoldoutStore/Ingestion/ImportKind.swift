/// What an import file holds, with its columns (seed 001's field names).
public enum ImportKind: String, Sendable, CaseIterable, Codable {
    case assignments, exposures, outcomes, events, touchpoints, covariates

    /// The columns read, required first.
    public var columns: (required: [String], optional: [String]) {
        switch self {
        case .assignments: (["profile_id", "group"], ["assigned_at"])
        case .exposures: (["profile_id", "exposure_ts"], ["variant", "campaign_id", "message_id", "event_id"])
        case .outcomes: (["profile_id", "conversion_ts"], ["value", "event_id"])
        case .events: (["event_id", "event_name", "profile_id", "ts"], ["value", "properties"])
        case .touchpoints: (["profile_id", "channel", "ts"], ["campaign_id"])
        case .covariates: (["profile_id"], [])
        }
    }

    /// Whether rows belong to one experiment (`--experiment` required).
    public var needsExperiment: Bool {
        switch self {
        case .events, .touchpoints: false
        default: true
        }
    }

    var table: String {
        switch self {
        case .assignments: "experiment_assignments"
        case .exposures: "experiment_exposures"
        case .outcomes: "experiment_outcomes"
        case .events: "events"
        case .touchpoints: "touchpoints"
        case .covariates: "unit_covariates"
        }
    }

    var tableColumns: [String] {
        switch self {
        case .assignments: ["experiment_id", "profile_id", "variant", "assigned_at"]
        case .exposures: ["experiment_id", "profile_id", "exposure_ts", "variant", "campaign_id", "message_id", "event_id"]
        case .outcomes: ["experiment_id", "profile_id", "conversion_ts", "value", "event_id"]
        case .events: ["event_id", "event_name", "profile_id", "ts", "value", "properties"]
        case .touchpoints: ["profile_id", "channel", "ts", "campaign_id"]
        case .covariates: ["experiment_id", "profile_id", "name", "value"]
        }
    }

    /// The natural key that makes re-imports idempotent.
    var conflictTarget: [String] {
        switch self {
        case .assignments: ["experiment_id", "profile_id"]
        case .exposures, .outcomes: ["experiment_id", "event_id"]
        case .events: ["event_id"]
        case .touchpoints: ["profile_id", "channel", "ts", "campaign_id"]
        case .covariates: ["experiment_id", "profile_id", "name"]
        }
    }
}
