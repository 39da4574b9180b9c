public import HoldoutStore

/// Assigns profiles to an experiment's variants, deterministically and once.
public enum AssignmentService {
    /// What an assignment call did.
    public struct Result: Sendable, Hashable, Codable {
        /// Profiles in the request (distinct).
        public var assigned: Int
        /// Of those, how many were new (the rest were already assigned and kept their variant).
        public var newlyAssigned: Int
        /// Profiles per variant, from the stored assignments.
        public var counts: [String: Int]

        public init(assigned: Int, newlyAssigned: Int, counts: [String: Int]) {
            self.assigned = assigned
            self.newlyAssigned = newlyAssigned
            self.counts = counts
        }

        enum CodingKeys: String, CodingKey {
            case assigned
            case newlyAssigned = "new"
            case counts
        }

        /// Seed 001's shape: `{"assigned", "treatment", "control"}` — one key per variant — plus
        /// `new` and `counts`.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: DynamicKey.self)
            try c.encode(assigned, forKey: DynamicKey("assigned"))
            try c.encode(newlyAssigned, forKey: DynamicKey("new"))
            try c.encode(counts, forKey: DynamicKey("counts"))
            for (variant, n) in counts where !["assigned", "new", "counts"].contains(variant) {
                try c.encode(n, forKey: DynamicKey(variant))
            }
        }
    }

    struct DynamicKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ value: String) { stringValue = value }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Assigns each profile by ``DeterministicAssignment``; profiles already assigned keep their
    /// first assignment. Repeat calls are idempotent.
    ///
    /// - Parameter writer: writes through a group commit (a server passes its shared writer);
    ///   without one, the records are written directly.
    /// - Throws: ``StoreError`` for an empty profile id or a database failure.
    public static func assign(
        profileIDs: [String], experiment: Experiment, store: Store, at time: Timestamp = .now, writer: AssignmentWriter? = nil
    ) async throws(StoreError) -> Result {
        var seen = Set<String>()
        var unique: [String] = []
        for (index, profile) in profileIDs.enumerated() {
            guard !profile.isEmpty else {
                throw StoreError(.invalidInput, "profile_ids[\(index)] is empty", field: "profile_ids")
            }
            guard profile.utf8.count <= 256 else {
                throw StoreError(.invalidInput, "profile_ids[\(index)] is longer than 256 bytes", field: "profile_ids")
            }
            if seen.insert(profile).inserted { unique.append(profile) }
        }
        let assignment = DeterministicAssignment(experiment)
        let records = unique.map { AssignmentRecord(profileID: $0, variant: assignment.variant(for: $0), assignedAt: time) }
        let inserted: Int
        if let writer {
            inserted = try await writer.record(experimentID: experiment.id, records)
        } else {
            inserted = try await store.recordAssignments(experimentID: experiment.id, records)
        }
        // When every profile was new, the stored variants are the ones just computed; otherwise
        // read them back (a profile keeps its first assignment).
        let stored = inserted == unique.count ? [:] : try await store.assignments(experimentID: experiment.id, profileIDs: unique)
        var counts: [String: Int] = [:]
        for variant in experiment.variants { counts[variant.name] = 0 }
        for record in records { counts[stored[record.profileID] ?? record.variant, default: 0] += 1 }
        return Result(assigned: unique.count, newlyAssigned: inserted, counts: counts)
    }
}
