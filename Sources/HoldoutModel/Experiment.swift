import Foundation

/// An arm of an experiment and its share of units.
public struct Variant: Sendable, Hashable, Codable {
    public var name: String
    public var weight: Double

    public init(name: String, weight: Double) {
        self.name = name
        self.weight = weight
    }

    /// Parses `control=0.8,treatment=0.2`.
    public static func parseList(_ text: String) throws(HoldoutError) -> [Variant] {
        var variants: [Variant] = []
        for (index, part) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.count == 2, let weight = Double(pieces[1]) else {
                throw HoldoutError(
                    .invalidInput, "variant \(index + 1) ('\(part)') must look like name=weight, e.g. control=0.5",
                    field: "variants")
            }
            variants.append(Variant(name: pieces[0], weight: weight))
        }
        return variants
    }
}

/// An experiment: its key, arms, window and status.
public struct Experiment: Sendable, Hashable, Codable {
    public var id: Int64
    /// URL-safe unique key; also the experiment id in the assignment hash.
    public var key: String
    public var name: String
    public var channel: String?
    public var status: ExperimentStatus
    public var startAt: Timestamp?
    public var endAt: Timestamp?
    public var conversionKey: String?
    public var conversionWindowDays: Int
    /// Two or more arms; the first is control.
    public var variants: [Variant]
    /// Fixed at creation; part of the assignment hash.
    public var salt: String
    public var notes: String?
    public var tenant: String
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    /// The control arm (the first variant).
    public var control: String { variants.first?.name ?? "control" }

    public init(
        id: Int64, key: String, name: String, channel: String?, status: ExperimentStatus, startAt: Timestamp?, endAt: Timestamp?, conversionKey: String?,
        conversionWindowDays: Int, variants: [Variant], salt: String, notes: String?, tenant: String, createdAt: Timestamp, updatedAt: Timestamp
    ) {
        self.id = id
        self.key = key
        self.name = name
        self.channel = channel
        self.status = status
        self.startAt = startAt
        self.endAt = endAt
        self.conversionKey = conversionKey
        self.conversionWindowDays = conversionWindowDays
        self.variants = variants
        self.salt = salt
        self.notes = notes
        self.tenant = tenant
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, key, name, channel, status, salt, notes, tenant, variants
        case startAt = "start_at"
        case endAt = "end_at"
        case conversionKey = "conversion_key"
        case conversionWindowDays = "conversion_window_days"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(key, forKey: .key)
        try c.encode(name, forKey: .name)
        try c.encode(channel, forKey: .channel)
        try c.encode(status, forKey: .status)
        try c.encode(startAt, forKey: .startAt)
        try c.encode(endAt, forKey: .endAt)
        try c.encode(conversionKey, forKey: .conversionKey)
        try c.encode(conversionWindowDays, forKey: .conversionWindowDays)
        try c.encode(variants, forKey: .variants)
        try c.encode(salt, forKey: .salt)
        try c.encode(notes, forKey: .notes)
        try c.encode(tenant, forKey: .tenant)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}

/// What is needed to create an experiment; validated by ``validate()``.
public struct NewExperiment: Sendable, Hashable {
    public var key: String?
    public var name: String
    public var channel: String?
    public var startAt: Timestamp?
    public var endAt: Timestamp?
    public var conversionKey: String?
    public var conversionWindowDays: Int
    public var variants: [Variant]
    public var salt: String
    public var notes: String?
    public var tenant: String

    public init(
        key: String? = nil, name: String, channel: String? = nil, startAt: Timestamp? = nil, endAt: Timestamp? = nil,
        conversionKey: String? = nil, conversionWindowDays: Int = 7,
        variants: [Variant] = [Variant(name: "control", weight: 0.5), Variant(name: "treatment", weight: 0.5)],
        salt: String = "", notes: String? = nil, tenant: String = "default"
    ) {
        self.key = key
        self.name = name
        self.channel = channel
        self.startAt = startAt
        self.endAt = endAt
        self.conversionKey = conversionKey
        self.conversionWindowDays = conversionWindowDays
        self.variants = variants
        self.salt = salt
        self.notes = notes
        self.tenant = tenant
    }

    /// The most variants an experiment may have. Results compare every arm with control in one
    /// query whose size grows with the arms, and a test with more arms than this has no power
    /// worth the name; 50 is far beyond any real test and keeps every analysis query small.
    public static let maximumVariants = 50

    /// Keys are 1–64 characters of letters, digits, `-`, `_` and `.`, so they are safe in URLs,
    /// and not digits only: an experiment created without a key gets its decimal id as key, so a
    /// client-chosen numeric key could take the key of an experiment not yet created.
    public static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.count <= 64
            && key.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || "-_.".utf8.contains($0) }
            && !key.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }

    /// Checks every field and names the first that is wrong.
    public func validate() throws(HoldoutError) {
        if let key, !Self.isValidKey(key) {
            if !key.isEmpty, key.utf8.allSatisfy({ (0x30...0x39).contains($0) }) {
                throw HoldoutError(
                    .invalidInput,
                    "key '\(key)' is digits only; numeric keys are reserved for experiments created without a key (add a letter, e.g. 'exp-\(key)')",
                    field: "key")
            }
            throw HoldoutError(
                .invalidInput, "key '\(key)' must be 1–64 ASCII letters, digits, '-', '_' or '.' (it appears in URLs)", field: "key")
        }
        if name.trimmingCharacters(in: .whitespaces).isEmpty {
            throw HoldoutError(.invalidInput, "name must not be empty", field: "name")
        }
        guard variants.count >= 2 else {
            throw HoldoutError(.invalidInput, "an experiment needs at least 2 variants, got \(variants.count)", field: "variants")
        }
        guard variants.count <= Self.maximumVariants else {
            throw HoldoutError(.invalidInput, "an experiment has at most \(Self.maximumVariants) variants, got \(variants.count)", field: "variants")
        }
        // Names are stored and compared as bytes, but they are also the keys of JSON objects
        // (counts, time series), so two names that Unicode treats as the same text
        // ("caf\u{E9}", "cafe\u{301}") are refused as a repeat rather than stored as two arms.
        var seen = Set<String>()
        for variant in variants {
            guard !variant.name.isEmpty, variant.name.utf8.count <= 64 else {
                throw HoldoutError(.invalidInput, "variant names must be 1–64 bytes", field: "variants")
            }
            guard seen.insert(variant.name).inserted else {
                throw HoldoutError(
                    .invalidInput, "variant '\(variant.name)' is listed twice (names equal as Unicode text count as the same)", field: "variants")
            }
            guard variant.weight.isFinite, variant.weight > 0, variant.weight < 1 else {
                throw HoldoutError(
                    .invalidInput, "variant '\(variant.name)' weight must be in (0, 1), got \(variant.weight)", field: "variants")
            }
        }
        let total = variants.reduce(0) { $0 + $1.weight }
        guard abs(total - 1) <= 1e-9 else {
            throw HoldoutError(.invalidInput, "variant weights must sum to 1, they sum to \(total)", field: "variants")
        }
        guard conversionWindowDays >= 0, conversionWindowDays <= 3650 else {
            throw HoldoutError(.invalidInput, "conversion_window_days must be in 0…3650, got \(conversionWindowDays)", field: "conversion_window_days")
        }
        if let startAt, let endAt, endAt < startAt {
            throw HoldoutError(.invalidInput, "end_at (\(endAt)) is before start_at (\(startAt))", field: "end_at")
        }
        if tenant.isEmpty { throw HoldoutError(.invalidInput, "tenant must not be empty", field: "tenant") }
    }
}
