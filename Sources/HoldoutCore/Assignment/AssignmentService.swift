public import HoldoutModel
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
        /// What the caller should know: assignments dated outside the experiment's dates (their
        /// earlier outcomes will not count), an experiment that is not running.
        public var warnings: [String]

        public init(assigned: Int, newlyAssigned: Int, counts: [String: Int], warnings: [String] = []) {
            self.assigned = assigned
            self.newlyAssigned = newlyAssigned
            self.counts = counts
            self.warnings = warnings
        }

        /// Adds another call's counts (a large assignment made in chunks).
        public mutating func merge(_ other: Result) {
            assigned += other.assigned
            newlyAssigned += other.newlyAssigned
            for (variant, n) in other.counts { counts[variant, default: 0] += n }
            for warning in other.warnings where !warnings.contains(warning) { warnings.append(warning) }
        }

        enum CodingKeys: String, CodingKey {
            case assigned
            case newlyAssigned = "new"
            case counts, warnings
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            assigned = try c.decode(Int.self, forKey: .assigned)
            newlyAssigned = try c.decode(Int.self, forKey: .newlyAssigned)
            counts = try c.decode([String: Int].self, forKey: .counts)
            warnings = try c.decodeIfPresent([String].self, forKey: .warnings) ?? []
        }

        /// Seed 001's shape: `{"assigned", "treatment", "control"}` — one key per variant — plus
        /// `new` and `counts`.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: DynamicKey.self)
            try c.encode(assigned, forKey: DynamicKey("assigned"))
            try c.encode(newlyAssigned, forKey: DynamicKey("new"))
            try c.encode(counts, forKey: DynamicKey("counts"))
            if !warnings.isEmpty { try c.encode(warnings, forKey: DynamicKey("warnings")) }
            for (variant, n) in counts where !["assigned", "new", "counts", "warnings"].contains(variant) {
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
    /// - Parameters:
    ///   - treatmentRate: seed 001's `treatment_rate` (two arms): fixes the split at the first
    ///     assignment, atomically with writing it, so concurrent first calls with different rates
    ///     cannot leave assignments that disagree with the stored rate; once profiles are
    ///     assigned, another rate is a `conflict`.
    ///   - writer: writes through a group commit (a server passes its shared writer);
    ///     without one, the records are written directly.
    /// - Throws: ``StoreError`` for an empty or too long profile id, a refused rate or a
    ///   database failure.
    public static func assign(
        profileIDs: [String], experiment: Experiment, store: Store, at time: Timestamp = .now, treatmentRate: Double? = nil,
        writer: AssignmentWriter? = nil
    ) async throws(StoreError) -> Result {
        try await assign(
            profiles: profileIDs.map { ($0, time) }, experiment: experiment, store: store, treatmentRate: treatmentRate, writer: writer)
    }

    /// Assigns profiles each entering the experiment at its own time (post-hoc assignment from
    /// touchpoints: the first touchpoint in the window), otherwise as
    /// ``assign(profileIDs:experiment:store:at:treatmentRate:writer:)``.
    public static func assign(
        profiles: [(id: String, at: Timestamp)], experiment: Experiment, store: Store, treatmentRate: Double? = nil,
        writer: AssignmentWriter? = nil
    ) async throws(StoreError) -> Result {
        guard experiment.status != .archived else {
            throw StoreError(.conflict, "'\(experiment.key)' is archived; archived experiments take no assignments", field: "status")
        }
        // Ids are bytes: "caf\u{E9}" and "cafe\u{301}" are two profiles.
        var seen = Set<OpaqueID>(minimumCapacity: profiles.count)
        var unique: [String] = []
        var times: [Timestamp] = []
        unique.reserveCapacity(profiles.count)
        times.reserveCapacity(profiles.count)
        for (index, (profile, time)) in profiles.enumerated() {
            guard !profile.isEmpty else {
                throw StoreError(.invalidInput, "profile_ids[\(index)] is empty", field: "profile_ids")
            }
            guard profile.utf8.count <= OpaqueID.maximumBytes else {
                throw StoreError(.invalidInput, "profile_ids[\(index)] is longer than \(OpaqueID.maximumBytes) bytes", field: "profile_ids")
            }
            if seen.insert(OpaqueID(profile)).inserted {
                unique.append(profile)
                times.append(time)
            }
        }
        let (ids, entered) = (unique, times)
        @Sendable func records(_ variants: [Variant], key: String, salt: String) -> [AssignmentRecord] {
            let rule = DeterministicAssignment(experimentKey: key, salt: salt, variants: variants)
            return zip(ids, entered).map { AssignmentRecord(profileID: $0, variant: rule.variant(for: $0), assignedAt: $1) }
        }
        var experiment = experiment
        var computed: [AssignmentRecord] = []
        var inserted = 0
        // A batch computed with weights that changed before it was written (a concurrent first
        // assignment fixed another rate) is refused by the write; read the experiment and redo.
        for attempt in 0..<3 {
            if let rate = treatmentRate, experiment.variants.count != 2 || abs(experiment.variants[1].weight - rate) > 1e-12 {
                let (key, salt) = (experiment.key, experiment.salt)
                let result = try await store.recordAssignments(experiment: experiment, fixingTreatmentRate: rate) { variants in
                    records(variants, key: key, salt: salt)
                }
                experiment = result.experiment
                computed = records(experiment.variants, key: key, salt: salt)
                inserted = result.inserted
                break
            }
            computed = records(experiment.variants, key: experiment.key, salt: experiment.salt)
            let weights = experiment.variants.map(\.weight)
            do throws(StoreError) {
                if let writer {
                    inserted = try await writer.record(experimentID: experiment.id, computed, weights: weights)
                } else {
                    let write = try await store.recordAssignments([store.assignmentBatch(experimentID: experiment.id, computed, weights: weights)])
                    if !write.stale.isEmpty { throw AssignmentWriter.staleWeights }
                    switch write.inserted[experiment.id] {
                    case .all?: inserted = computed.count
                    case .only(let new)?: inserted = new.count
                    case nil: inserted = 0
                    }
                }
                break
            } catch  where error.code == AssignmentWriter.staleWeights.code && error.message == AssignmentWriter.staleWeights.message && attempt < 2 {
                guard let fresh = try await store.experiment(id: experiment.id) else {
                    throw StoreError(.notFound, "experiment \(experiment.id) no longer exists", field: "experiment")
                }
                experiment = fresh
            }
        }
        // When every profile was new, the stored variants are the ones just computed; otherwise
        // read them back (a profile keeps its first assignment).
        let stored = inserted == ids.count ? [:] : try await store.assignments(experimentID: experiment.id, profileIDs: ids)
        var counts: [String: Int] = [:]
        for variant in experiment.variants { counts[variant.name] = 0 }
        for record in computed { counts[stored[OpaqueID(record.profileID)] ?? record.variant, default: 0] += 1 }
        return Result(assigned: ids.count, newlyAssigned: inserted, counts: counts, warnings: warnings(experiment, times: entered))
    }

    /// Warnings for assignments at these times: outside the experiment's dates (outcomes before
    /// a profile's assignment never count, so a backfill dated today after a past experiment
    /// counts nothing), or to an experiment that is not running.
    static func warnings(_ experiment: Experiment, times: [Timestamp]) -> [String] {
        var out: [String] = []
        if let end = experiment.endAt {
            let late = times.filter { $0 > end }.count
            if late > 0 {
                out.append(
                    "\(late) assignment(s) dated after the experiment's end_at (\(end)); outcomes before a profile's assignment are not counted — for a backfill, give the time each profile entered (holdout assign --at, assigned_at in an import)"
                )
            }
        }
        if let start = experiment.startAt {
            let early = times.filter { $0 < start }.count
            if early > 0 { out.append("\(early) assignment(s) dated before the experiment's start_at (\(start))") }
        }
        if experiment.status != .running {
            out.append("the experiment is \(experiment.status.rawValue), not running")
        }
        return out
    }
}
