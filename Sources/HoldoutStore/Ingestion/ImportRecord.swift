public import HoldoutModel

/// One field of an ``ImportRecord``: text as a file would give it (parsed and checked like an
/// import column), or a value already typed (checked, never formatted and parsed again).
public enum FieldValue: Sendable, Hashable {
    case text(String)
    /// A number: a value or covariate; in a timestamp field, epoch seconds.
    case number(Double)
    case time(Timestamp)

    /// As text, for identifiers given as numbers and for the rejects file.
    var text: String {
        switch self {
        case .text(let text): text
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : "\(n)"
        case .time(let ts): ts.description
        }
    }
}

/// A typed row for the importer and the API: what a library, a test, the simulator or an HTTP
/// body hands the store instead of writing a file. Fields carry the import columns' names
/// (seed 001's), so every path goes through the same row validation (``RowParser``) and the same
/// idempotency keys.
///
/// ```swift
/// let rows = [ImportRecord.outcome(profileID: "u1", at: .time(ts), value: 12.5, eventID: "order-1")]
/// let summary = try await Importer(kind: .outcomes, experiment: experiment).run(records: rows, store: store)
/// ```
public struct ImportRecord: Sendable, Hashable {
    public var fields: [String: FieldValue]

    public init(_ fields: [String: FieldValue]) { self.fields = fields }

    /// An assignment (`assignments`); without a time, the import's.
    public static func assignment(profileID: String, variant: String, assignedAt: Timestamp? = nil) -> ImportRecord {
        var fields: [String: FieldValue] = ["profile_id": .text(profileID), "group": .text(variant)]
        fields["assigned_at"] = assignedAt.map(FieldValue.time)
        return ImportRecord(fields)
    }

    /// An exposure (`exposures`); without an event id, the natural key (profile, time, campaign,
    /// message) makes it idempotent.
    public static func exposure(
        profileID: String, at time: FieldValue, variant: String? = nil, campaignID: String? = nil, messageID: String? = nil, eventID: String? = nil
    ) -> ImportRecord {
        var fields: [String: FieldValue] = ["profile_id": .text(profileID), "exposure_ts": time]
        fields["variant"] = variant.map(FieldValue.text)
        fields["campaign_id"] = campaignID.map(FieldValue.text)
        fields["message_id"] = messageID.map(FieldValue.text)
        fields["event_id"] = eventID.map(FieldValue.text)
        return ImportRecord(fields)
    }

    /// An outcome (`outcomes`); without a metric, of the experiment's default metric.
    public static func outcome(profileID: String, at time: FieldValue, value: Double? = nil, eventID: String? = nil, metric: String? = nil) -> ImportRecord {
        var fields: [String: FieldValue] = ["profile_id": .text(profileID), "conversion_ts": time]
        fields["metric"] = metric.map(FieldValue.text)
        fields["value"] = value.map(FieldValue.number)
        fields["event_id"] = eventID.map(FieldValue.text)
        return ImportRecord(fields)
    }

    /// A touchpoint (`touchpoints`), for post-hoc assignment.
    public static func touchpoint(profileID: String, channel: String, at time: FieldValue, campaignID: String? = nil) -> ImportRecord {
        var fields: [String: FieldValue] = ["profile_id": .text(profileID), "channel": .text(channel), "ts": time]
        fields["campaign_id"] = campaignID.map(FieldValue.text)
        return ImportRecord(fields)
    }

    /// A unit's pre-experiment covariates (`covariates`), by name.
    public static func covariates(profileID: String, _ values: [String: Double]) -> ImportRecord {
        var fields: [String: FieldValue] = ["profile_id": .text(profileID)]
        for (name, value) in values { fields[name] = .number(value) }
        return ImportRecord(fields)
    }
}
